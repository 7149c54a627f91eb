"""The evaluation context: what a control's CEL expressions can read.

Every expression sees these variables (the README documents them for
control authors, and the catalogue loader checks every field path against
:func:`context_shape`, so the two cannot drift):

==================  ===========================================================
``as_of``           the audit date, ``"2026-11-28"``
``commune``         ``name``, ``canton``, ``population``, ``language``
``org``             the organisation (``inventory/organisation.yaml``)
``ref``             reference data: ``adequate_countries``, ``dpf_countries``,
                    ``pipeda_countries``, ``sensitive_categories``, ``security_certifications``, ...
``params``          the control's parameters (after workspace overrides)
``variables``       the control's own variables, computed in order
``NORMAL``,         protection-need levels as numbers: 1, 2, 3
``HIGH``,
``VERY_HIGH``
==================  ===========================================================

and, by target kind:

* ``organisation``: ``services`` and ``vendors`` (all of them), ``derived``
  with ``sensitive_services`` and ``large_scale_sensitive``;
* ``service``: ``service``, its ``vendor`` (or ``null``), ``derived`` (see
  :mod:`conformite.engine.derive`);
* ``vendor``: ``vendor``, ``vendor_services`` (the services it provides),
  ``derived``; a vendor built on a supplier profile is seen merged, with
  ``vendor.profile`` (``ID@VERSION``) and ``vendor.profile_valid_until`` (from
  the profile; both are :class:`~conformite.inventory.model.Vendor` fields, so the
  shape below knows them);
* ``endpoint``: ``endpoint`` (``url``, ``host``, ``kind``: ``website``,
  ``portal``, ``api``, ``other`` or ``mail_domain``; ``owner_kind``,
  ``owner_id``) and ``observation`` (the newest probe observation, see
  :mod:`conformite.inventory.observations`, with ``age_days`` and ``stale`` added; or
  ``null`` when the endpoint was never probed).

Functions: ``days_since(date)`` (days from a date to ``as_of``; a missing
date counts as "never", 999999), ``days_until(date)`` (days from ``as_of``
to a date; missing means "no end", 999999), plus CEL's standard library and
the binding's extensions (``sets.intersects``, ``math.greatest``, ``join`` ...).
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
from typing import Any, TypeAlias, Union

from pydantic import BaseModel

from conformite.inventory import model as inv

__all__ = ["ANY", "FUNCTIONS", "NEVER", "SCALAR", "Shape", "context_shape", "make_functions"]

#: A shape is a dict (object with known fields), a one-element list (list of
#: that shape), SCALAR (a plain value) or ANY (not checked).
Shape: TypeAlias = dict[str, "Shape"] | list["Shape"] | str
ANY = "any"
SCALAR = "scalar"
#: What ``days_since(null)`` and ``days_until(null)`` return.
NEVER = 999_999


def _annotation_shape(annotation: Any, memo: dict[type, dict[str, Shape]]) -> Shape:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _annotation_shape(typing.get_args(annotation)[0], memo)
    if origin in (list, tuple, set, frozenset):
        return [_annotation_shape(typing.get_args(annotation)[0], memo)]
    if origin is dict:
        return ANY
    if origin in (Union, types.UnionType):
        shapes = [
            _annotation_shape(arg, memo)
            for arg in typing.get_args(annotation)
            if arg is not type(None)
        ]
        return shapes[0] if len(shapes) == 1 else ANY
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_shape(annotation, memo)
    return SCALAR


def model_shape(
    model: type[BaseModel], memo: dict[type, dict[str, Shape]] | None = None
) -> dict[str, Shape]:
    """The shape of a model's ``model_dump()``; recursive models share one dict."""
    memo = {} if memo is None else memo
    if model in memo:
        return memo[model]
    shape: dict[str, Shape] = {}
    memo[model] = shape
    for name, field in model.model_fields.items():
        shape[name] = _annotation_shape(field.annotation, memo)
    return shape


_NEEDS: dict[str, Shape] = dict.fromkeys(
    ("confidentiality", "integrity", "availability", "traceability"), SCALAR
)
_CHAIN_ITEM: dict[str, Shape] = dict.fromkeys(
    (
        "name",
        "country",
        "parent_country",
        "purpose",
        "approved",
        "dpf_certified",
        "canada_pipeda",
        "depth",
        "path",
    ),
    SCALAR,
)
_SERVICE_DERIVED: dict[str, Shape] = {
    "sensitive": SCALAR,
    "sensitive_categories": [SCALAR],
    "large_scale": SCALAR,
    "vulnerable_subjects": [SCALAR],
    "location_known": SCALAR,
    "declared_needs": _NEEDS,
    "derived_needs": _NEEDS,
    "needs": _NEEDS,
    "max_need": SCALAR,
    "countries": [SCALAR],
    "foreign_countries": [SCALAR],
    "chain": [_CHAIN_ITEM],
}
_VENDOR_DERIVED: dict[str, Shape] = {
    "sensitive": SCALAR,
    "needs": _NEEDS,
    "max_need": SCALAR,
    "service_ids": [SCALAR],
    "countries": [SCALAR],
    "foreign_countries": [SCALAR],
    "chain": [_CHAIN_ITEM],
}
_ORG_DERIVED: dict[str, Shape] = {
    "sensitive_services": [SCALAR],
    "large_scale_sensitive": SCALAR,
    "max_need": SCALAR,
}
_ENDPOINT: dict[str, Shape] = dict.fromkeys(
    ("url", "host", "kind", "owner_kind", "owner_id"), SCALAR
)


@functools.cache
def _common_shape() -> dict[str, Shape]:
    return {
        "as_of": SCALAR,
        "commune": dict.fromkeys(("name", "canton", "population", "language"), SCALAR),
        "org": model_shape(inv.Organisation),
        "ref": {
            k: [SCALAR]
            for k in (
                "adequate_countries",
                "dpf_countries",
                "pipeda_countries",
                "sensitive_categories",
                "security_certifications",
                "privacy_certifications",
            )
        }
        | {"adequacy_as_of": SCALAR},
        "NORMAL": SCALAR,
        "HIGH": SCALAR,
        "VERY_HIGH": SCALAR,
    }


@functools.cache
def context_shape(target: str) -> dict[str, Shape]:
    """Variables visible to a control on ``target`` and the shape of each."""
    shape = dict(_common_shape())
    service = model_shape(inv.Service)
    vendor = model_shape(inv.Vendor)
    if target == "organisation":
        shape.update(services=[service], vendors=[vendor], derived=_ORG_DERIVED)
    elif target == "service":
        shape.update(service=service, vendor=vendor, derived=_SERVICE_DERIVED)
    elif target == "vendor":
        shape.update(vendor=vendor, vendor_services=[service], derived=_VENDOR_DERIVED)
    elif target == "endpoint":
        from conformite.inventory.observations import Observation

        observation = dict(model_shape(Observation))
        observation.update(age_days=SCALAR, stale=SCALAR)
        shape.update(endpoint=_ENDPOINT, observation=observation)
    else:  # pragma: no cover - guarded by the Control model
        raise ValueError(target)
    return shape


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def make_functions(as_of: dt.date) -> dict[str, Any]:
    """conformite's own CEL functions, bound to the audit date."""

    def days_since(value: Any) -> int:
        date = _as_date(value)
        return NEVER if date is None else (as_of - date).days

    def days_until(value: Any) -> int:
        date = _as_date(value)
        return NEVER if date is None else (date - as_of).days

    return {"days_since": days_since, "days_until": days_until}


def _stdlib_names() -> set[str]:
    from conformite.catalogue.celbinding import EXTENSIONS

    names: set[str] = set()
    for name in ("core", "strings", "math", "sets", "lists"):
        names.update(EXTENSIONS[name])
    return names


#: Every function name an expression may call.
FUNCTIONS: set[str] = {
    "days_since",
    "days_until",
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
} | _stdlib_names()
