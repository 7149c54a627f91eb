"""What the controls run on: the targets, and the CEL context of each kind.

A target is the organisation, a service, a vendor or a declared endpoint,
with the variables its controls read. One CEL context per target kind is
built once (reference data, organisation, functions) and holds only the
fields the kind's controls read (:func:`projection`): handing Python values
to CEL is the costliest step of an audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from conformite.catalogue.celbinding import add_functions, cel
from conformite.catalogue.context import make_functions
from conformite.engine.derive import LOCATION_FIELDS, Derived
from conformite.engine.projection import _project, projection
from conformite.engine.unknowns import (
    DERIVED_FACTS,
    ORGANISATION_FACTS,
    SERVICE_FACTS,
    VENDOR_FACTS,
    TargetFacts,
)
from conformite.inventory.facts import Scan, scan
from conformite.inventory.model import Inventory
from conformite.inventory.reference import LEVELS, ReferenceData

__all__ = [
    "EvaluationInput",
    "Target",
    "iter_targets",
    "organisation_context",
    "projection",
    "shared_values",
]


@dataclass(frozen=True)
class Target:
    """One thing a control is applied to."""

    kind: str
    id: str
    name: str
    variables: dict[str, Any]
    need: int  # highest effective protection need, 1..3 (organisation: 1)
    needs: dict[str, int]
    #: Vendor field path -> where the fact comes from (vendors built on a profile).
    provenance: dict[str, str] = field(default_factory=dict)
    #: The target's unknown facts and fact counts (see engine.unknowns); None
    #: until :meth:`with_facts` builds them from ``fact_parts``.
    facts: TargetFacts | None = None
    #: (concrete root, normalised root, scan) of each record the facts come from;
    #: a list of scans stands for a list's elements (see ``_list_scans``).
    fact_parts: tuple[tuple[tuple[str, ...], tuple[str, ...], Scan | list[Scan]], ...] = ()

    def with_facts(self) -> Target:
        """This target with its ``facts`` built, for the time it is evaluated.

        Built when needed rather than with the target: the facts of all targets
        at once were a third of a large audit's memory (10,000 services: about
        360 MiB, the organisation's list of every service's facts included).
        """
        if self.facts is not None or not self.fact_parts:
            return self
        parts = [
            (concrete, norm, _list_scans(found) if isinstance(found, list) else found)
            for concrete, norm, found in self.fact_parts
        ]
        return replace(self, facts=TargetFacts.build(parts))


@dataclass(frozen=True)
class EvaluationInput:
    inventory: Inventory
    reference: ReferenceData
    commune: dict[str, Any]
    as_of: dt.date
    lang: str
    observations: dict[str, Any] | None = None


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


def organisation_context(data: EvaluationInput) -> tuple[dict[str, Any], Scan]:
    """The organisation as controls read it (``never`` as null), and its unknown facts."""
    value = _dump(data.inventory.organisation)
    return value, scan(value, ORGANISATION_FACTS)


def _inherit_location(service: dict[str, Any], vendor: dict[str, Any] | None) -> None:
    """A service's data location fields it leaves unknown, from its vendor's."""
    if vendor is None:
        return
    own, inherited = service["data_location"], vendor["data_location"]
    for name in LOCATION_FIELDS:
        if own.get(name) is None and inherited.get(name) is not None:
            own[name] = inherited[name]


def _list_scans(scans: list[Scan]) -> Scan:
    """The scans of a list's elements as one, with the element's index in front."""
    out = Scan([], {})
    for index, found in enumerate(scans):
        out.unknown.extend(((index, *path), fact) for path, fact in found.unknown)
        for norm, count in found.counts.items():
            key = ("[]", *norm)
            out.counts[key] = out.counts.get(key, 0) + count
    # Elements' facts are named ("[]", ...) in counts, (index, ...) in paths;
    # TargetFacts.build prefixes both with the list's name.
    out.unknown = [(path, _in_list(fact)) for path, fact in out.unknown]
    return out


_IN_LIST: dict[int, Any] = {}


def _in_list(fact: Any) -> Any:
    """The fact as an element of a list (one object per fact, reused)."""
    found = _IN_LIST.get(id(fact))
    if found is None:  # facts live in the model's fact trees, for the whole run
        found = _IN_LIST[id(fact)] = type(fact)(fact.kind, ("[]", *fact.norm), fact.choices)
    return found


def iter_targets(data: EvaluationInput, derived: Derived) -> Iterator[Target]:
    """Every target of every kind, in a stable order."""
    inventory = data.inventory
    vendors = {v.id: _dump(v) for v in inventory.vendors}
    services = {}
    for service in inventory.services:
        value = services[service.id] = _dump(service)
        _inherit_location(value, vendors.get(service.vendor) if service.vendor else None)
    service_scans = {sid: scan(value, SERVICE_FACTS) for sid, value in services.items()}
    vendor_scans = {vid: scan(value, VENDOR_FACTS) for vid, value in vendors.items()}
    _, organisation_scan = organisation_context(data)
    sensitive = sorted(sid for sid, facts in derived.services.items() if facts.sensitive)
    max_need = max((f.max_need for f in derived.services.values()), default=1)
    flat_needs = dict.fromkeys(("confidentiality", "integrity", "availability", "traceability"), 1)
    yield Target(
        kind="organisation",
        id="organisation",
        name=str(data.commune.get("name", "")),
        variables={
            "services": list(services.values()),
            "vendors": list(vendors.values()),
            "derived": {
                "sensitive_services": sensitive,
                "large_scale_sensitive": any(
                    f.sensitive and f.large_scale for f in derived.services.values()
                ),
                "max_need": max_need,
            },
        },
        need=1,
        needs=flat_needs,
        fact_parts=(
            (("org",), ("org",), organisation_scan),
            (("services",), ("services",), list(service_scans.values())),
            (("vendors",), ("vendors",), list(vendor_scans.values())),
        ),
    )
    for service in inventory.services:
        facts = derived.services[service.id]
        derived_value = facts.as_context()
        yield Target(
            kind="service",
            id=service.id,
            name=service.name,
            variables={
                "service": services[service.id],
                "vendor": vendors.get(service.vendor) if service.vendor else None,
                "derived": derived_value,
            },
            need=facts.max_need,
            needs=facts.needs,
            provenance=inventory.provenance.get(service.vendor, {}) if service.vendor else {},
            fact_parts=(
                (("service",), ("service",), service_scans[service.id]),
                (("derived",), ("derived",), scan(derived_value, DERIVED_FACTS)),
            )
            + (
                ((("vendor",), ("vendor",), vendor_scans[service.vendor]),)
                if service.vendor in vendor_scans
                else ()
            ),
        )
    for vendor in inventory.vendors:
        vfacts = derived.vendors[vendor.id]
        derived_value = vfacts.as_context()
        yield Target(
            kind="vendor",
            id=vendor.id,
            name=vendor.name,
            variables={
                "vendor": vendors[vendor.id],
                "vendor_services": [services[sid] for sid in vfacts.service_ids],
                "derived": derived_value,
            },
            need=vfacts.max_need,
            needs=vfacts.needs,
            provenance=inventory.provenance.get(vendor.id, {}),
            fact_parts=(
                (("vendor",), ("vendor",), vendor_scans[vendor.id]),
                (("derived",), ("derived",), scan(derived_value, DERIVED_FACTS)),
                (
                    ("vendor_services",),
                    ("vendor_services",),
                    [service_scans[sid] for sid in vfacts.service_ids],
                ),
            ),
        )
    observations = data.observations or {}
    seen: set[str] = set()
    endpoints: list[tuple[str, str, str, str]] = []
    for service in inventory.services:
        for endpoint in service.endpoints:
            endpoints.append((endpoint.url, endpoint.kind, "service", service.id))
    for vendor in inventory.vendors:
        if vendor.portal_url:
            endpoints.append((vendor.portal_url, "portal", "vendor", vendor.id))
    for domain in inventory.organisation.mail_domains:
        endpoints.append((f"mail:{domain}", "mail_domain", "organisation", "organisation"))
    for url, kind, owner_kind, owner_id in endpoints:
        if url in seen:
            continue
        seen.add(url)
        if owner_kind == "service":
            need, needs = derived.services[owner_id].max_need, derived.services[owner_id].needs
        elif owner_kind == "vendor":
            need, needs = derived.vendors[owner_id].max_need, derived.vendors[owner_id].needs
        else:
            need, needs = 1, flat_needs
        yield Target(
            kind="endpoint",
            id=url,
            name=url,
            variables={
                "endpoint": {
                    "url": url,
                    "host": url.removeprefix("mail:")
                    if kind == "mail_domain"
                    else urlsplit(url).hostname or "",
                    "kind": kind,
                    "owner_kind": owner_kind,
                    "owner_id": owner_id,
                },
                "observation": observations.get(url),
            },
            need=need,
            needs=needs,
        )


def shared_values(data: EvaluationInput) -> dict[str, Any]:
    """The variables every target sees: the audit date, the commune, the
    organisation, the reference vocabularies and the protection levels."""
    return {
        "as_of": data.as_of.isoformat(),
        "commune": data.commune,
        "org": organisation_context(data)[0],
        "ref": data.reference.as_context(),
        "NORMAL": LEVELS["normal"],
        "HIGH": LEVELS["high"],
        "VERY_HIGH": LEVELS["very_high"],
    }


def _base_context(
    data: EvaluationInput, tree: dict[str, Any], functions: Collection[str] | None = None
) -> Any:
    """The variables shared by every target of a kind, cut to what its controls read,
    and the functions its controls call (``functions``; None: all).

    The binding copies every variable in full whenever the context changes
    (once per target), so what no control reads is left out.
    """
    context = cel.Context()
    add_functions(context, make_functions(data.as_of), functions)
    for name, value in shared_values(data).items():
        if name in tree:
            context.add_variable(name, _project(value, tree[name]))
    return context
