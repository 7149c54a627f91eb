"""What the controls run on: the targets, and the CEL context of each kind.

A target is the organisation, a service, a vendor or a declared endpoint,
with the variables its controls read. One CEL context per target kind is
built once (reference data, organisation, functions) and holds only the
fields the kind's controls read (:func:`projection`): handing Python values
to CEL is the costliest step of an audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformite.catalogue.cel import PRESENCE
from conformite.catalogue.celbinding import add_stdlib_to_context, cel
from conformite.catalogue.context import make_functions
from conformite.catalogue.model import CompiledControl
from conformite.engine.derive import Derived
from conformite.inventory.model import Inventory
from conformite.inventory.reference import LEVELS, ReferenceData

__all__ = ["EvaluationInput", "Target", "iter_targets", "projection"]


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


def iter_targets(data: EvaluationInput, derived: Derived) -> Iterator[Target]:
    """Every target of every kind, in a stable order."""
    inventory = data.inventory
    services = {s.id: _dump(s) for s in inventory.services}
    vendors = {v.id: _dump(v) for v in inventory.vendors}
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
    )
    for service in inventory.services:
        facts = derived.services[service.id]
        yield Target(
            kind="service",
            id=service.id,
            name=service.name,
            variables={
                "service": services[service.id],
                "vendor": vendors.get(service.vendor) if service.vendor else None,
                "derived": facts.as_context(),
            },
            need=facts.max_need,
            needs=facts.needs,
            provenance=inventory.provenance.get(service.vendor, {}) if service.vendor else {},
        )
    for vendor in inventory.vendors:
        vfacts = derived.vendors[vendor.id]
        yield Target(
            kind="vendor",
            id=vendor.id,
            name=vendor.name,
            variables={
                "vendor": vendors[vendor.id],
                "vendor_services": [services[sid] for sid in vfacts.service_ids],
                "derived": vfacts.as_context(),
            },
            need=vfacts.max_need,
            needs=vfacts.needs,
            provenance=inventory.provenance.get(vendor.id, {}),
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


#: In a projection, the whole value is kept.
_WHOLE: dict[str, Any] = {}


def projection(controls: list[CompiledControl]) -> dict[str, Any]:
    """A tree of the context fields that ``controls`` read (``_WHOLE`` = keep all).

    The CEL binding converts every value handed to it, field by field; giving
    it only what the controls can read (which the loader knows statically)
    makes a target's conversion several times cheaper.
    """
    tree: dict[str, Any] = {}
    for control in controls:
        for path in control.paths:
            presence = path[-1] == PRESENCE
            fields = path[:-1] if presence else path
            node = tree
            for name in fields[:-1]:
                child = node.get(name)
                if child is _WHOLE:
                    break
                node = node.setdefault(name, {})
            else:
                last = fields[-1]
                if not presence:
                    node[last] = _WHOLE
                elif last not in node:
                    node[last] = {}
    return tree


def _project(value: Any, tree: Any) -> Any:
    """``value`` cut down to the fields in ``tree`` (see :func:`projection`)."""
    if tree is _WHOLE or value is None:
        return value
    if type(value) is dict:
        out = {}
        for key, sub in tree.items():
            if key in value:
                item = value[key]
                # Most fields are kept whole: no call for them (hot path).
                out[key] = item if sub is _WHOLE or item is None else _project(item, sub)
        return out
    if type(value) is list:
        element = tree.get("[]")
        return value if element is None else [_project(v, element) for v in value]
    return value


def _base_context(data: EvaluationInput, tree: dict[str, Any]) -> Any:
    """The variables shared by every target of a kind, cut to what its controls read.

    The binding copies every variable in full whenever the context changes
    (once per target), so what no control reads is left out.
    """
    context = cel.Context()
    add_stdlib_to_context(context, ["core", "strings", "math", "sets", "lists"])
    for name, function in make_functions(data.as_of).items():
        context.add_function(name, function)
    shared = {
        "as_of": data.as_of.isoformat(),
        "commune": data.commune,
        "org": _dump(data.inventory.organisation),
        "ref": data.reference.as_context(),
        "NORMAL": LEVELS["normal"],
        "HIGH": LEVELS["high"],
        "VERY_HIGH": LEVELS["very_high"],
    }
    for name, value in shared.items():
        if name in tree:
            context.add_variable(name, _project(value, tree[name]))
    return context
