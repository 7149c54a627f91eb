"""The endpoints an inventory declares: the only hosts the probe may contact.

The same list, in the same order and with the same deduplication, as the
endpoint targets of :func:`conformite.engine.evaluation.iter_targets`: services'
``endpoints``, vendors' ``portal_url`` and the organisation's
``mail_domains`` as ``mail:<domain>`` (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conformite.errors import Problem, closest
from conformite.inventory.model import Inventory
from conformite.inventory.urls import endpoint_url_problem

__all__ = [
    "DeclaredEndpoint",
    "UnknownSelection",
    "declared_endpoints",
    "endpoint_problems",
    "select_endpoints",
    "url_problem",
]

MAIL_PREFIX = "mail:"


@dataclass(frozen=True)
class DeclaredEndpoint:
    """One URL or mail domain, with everyone who declares it."""

    url: str
    kind: str  # website, portal, api, other, mail_domain
    owners: tuple[tuple[str, str], ...]  # ("service", id), ("vendor", id), ("organisation", ...)

    @property
    def is_mail(self) -> bool:
        return self.url.startswith(MAIL_PREFIX)


class UnknownSelection(ValueError):
    """An ``--only`` value that names no endpoint.

    ``known`` is true when it names a service or vendor that declares none.
    """

    def __init__(self, value: str, suggestion: str | None, known: bool = False) -> None:
        super().__init__(value)
        self.value = value
        self.suggestion = suggestion
        self.known = known


def declared_endpoints(inventory: Inventory) -> list[DeclaredEndpoint]:
    """Every endpoint the inventory declares, first declaration first, each once."""
    found: list[tuple[str, str, str, str]] = []
    for service in inventory.services:
        for endpoint in service.endpoints:
            found.append((endpoint.url, endpoint.kind, "service", service.id))
    for vendor in inventory.vendors:
        if vendor.portal_url:
            found.append((vendor.portal_url, "portal", "vendor", vendor.id))
    for domain in inventory.organisation.mail_domains:
        found.append((f"{MAIL_PREFIX}{domain}", "mail_domain", "organisation", "organisation"))
    kinds: dict[str, str] = {}
    owners: dict[str, list[tuple[str, str]]] = {}
    for url, kind, owner_kind, owner_id in found:
        kinds.setdefault(url, kind)
        owner = (owner_kind, owner_id)
        if owner not in owners.setdefault(url, []):
            owners[url].append(owner)
    return [DeclaredEndpoint(url, kinds[url], tuple(owners[url])) for url in kinds]


def select_endpoints(
    endpoints: Sequence[DeclaredEndpoint],
    only: Iterable[str],
    known_ids: Iterable[str] = (),
) -> list[DeclaredEndpoint]:
    """The endpoints named by ``only``: a service or vendor id, ``organisation``, or a URL.

    Raises :class:`UnknownSelection` for a value that matches no endpoint
    (``known_ids``: the inventory's service and vendor ids, to tell "declares
    no endpoint" from "unknown").
    """
    wanted = list(only)
    if not wanted:
        return list(endpoints)
    owner_ids = {owner_id for e in endpoints for _, owner_id in e.owners}
    urls = {e.url for e in endpoints}
    known = set(known_ids)
    for value in wanted:
        if value not in owner_ids and value not in urls:
            if value in known:
                raise UnknownSelection(value, None, known=True)
            raise UnknownSelection(value, closest(value, sorted(owner_ids | urls | known)))
    chosen = set(wanted)
    return [
        e
        for e in endpoints
        if e.url in chosen or any(owner_id in chosen for _, owner_id in e.owners)
    ]


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be probed, or ``None``.

    Web addresses follow the inventory's rule
    (:func:`conformite.inventory.urls.endpoint_url_problem`), so that what
    ``validate`` accepts, the probe accepts, and the other way round.
    """
    if url.startswith(MAIL_PREFIX):
        return None if url.removeprefix(MAIL_PREFIX) else "no domain after 'mail:'"
    return endpoint_url_problem(url)


def endpoint_problems(inventory: Inventory, urls: Iterable[str]) -> list[Problem]:
    """Located problems of the given declared URLs that cannot be probed."""
    wanted = set(urls)
    problems: list[Problem] = []
    for index, service in enumerate(inventory.services):
        for number, endpoint in enumerate(service.endpoints):
            reason = url_problem(endpoint.url) if endpoint.url in wanted else None
            if reason is not None:
                problems.append(
                    Problem(
                        file="inventory/services.yaml",
                        path=f"services[{index}].endpoints[{number}].url",
                        message=reason,
                        found=endpoint.url,
                    )
                )
    for index, vendor in enumerate(inventory.vendors):
        url = vendor.portal_url
        reason = url_problem(url) if url and url in wanted else None
        if reason is not None:
            problems.append(
                Problem(
                    file="inventory/vendors.yaml",
                    path=f"vendors[{index}].portal_url",
                    message=reason,
                    found=url,
                )
            )
    return problems
