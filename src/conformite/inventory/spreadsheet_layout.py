"""The inventory as a workbook: which sheets, which columns, what each cell holds.

One layout, read from the inventory models, serves both directions
(:mod:`.spreadsheet_export` writes it, :mod:`.spreadsheet_import` reads it):

* one sheet per list of records: services, vendors, waivers, and the child
  lists each on their own sheet with the parent's id as first column
  (a service's endpoints, a vendor's sub-processors and certifications, the
  organisation's commission members, breaches and policies);
* the organisation's single record on a sheet of its own, one fact per row
  (field, value), with the commune's ``conformite.toml`` facts on top;
* one column per leaf field, nested fields flattened with dots
  (``security.mfa.enabled``): the header *is* the YAML path, so a column can be
  moved and is still read right, and an IT manager who opens the YAML later
  finds the same names.

A sub-processor's own sub-processors are rows of the same sheet: the
``number`` column says where each sits (``2`` the second of the vendor,
``2.1`` the first of that one's).
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from conformite.inventory.facts import _is_model, _union_members
from conformite.inventory.model import (
    BreachEntry,
    Certification,
    CommissionMember,
    Endpoint,
    Organisation,
    Policy,
    Service,
    SubProcessor,
    Vendor,
    Waiver,
)

__all__ = [
    "COMMUNE_FIELDS",
    "NONE_WORD",
    "Column",
    "Sheet",
    "columns_of",
    "sheets",
]

Kind = Literal["text", "int", "float", "bool", "date", "event", "choice", "list", "countries"]

#: A list of countries that is known to be empty (``[]``, e.g. no remote support
#: access at all), where an empty cell means "not known".
NONE_WORD = "none"

#: ``conformite.toml``'s ``[commune]``, on top of the Organisation sheet.
COMMUNE_FIELDS: tuple[tuple[str, Kind], ...] = (
    ("name", "text"),
    ("canton", "choice"),
    ("population", "int"),
    ("language", "choice"),
)


@dataclass(frozen=True)
class Column:
    """One column (one row on the Organisation sheet)."""

    #: The header: the path below the record, dotted (``security.mfa.enabled``).
    key: str
    kind: Kind
    #: Allowed values of a choice, or of each item of a list (may be empty).
    choices: tuple[str, ...] = ()
    #: Where the allowed values come from when they are not the model's:
    #: ``categories``, ``countries``, ``certifications``, ``cantons``, or a sheet
    #: whose ids are referred to (``Vendors``).
    vocabulary: str | None = None
    #: ``fact.*`` key of the label (``service.security.mfa.enabled``).
    fact: str = ""
    required: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.key.split("."))


@dataclass(frozen=True)
class Sheet:
    name: str
    #: Where the records live in the YAML (file, path of the list).
    file: str
    columns: tuple[Column, ...]
    #: Child sheets: header of the parent id column (``service``), and the list
    #: key in the parent record (``endpoints``).
    parent: str | None = None
    parent_sheet: str | None = None
    list_key: str = ""
    #: The Organisation sheet: one fact per row.
    vertical: bool = False
    #: Sub-processors: the ``number`` column after the parent's.
    numbered: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def header(self) -> tuple[str, ...]:
        ids = (self.parent,) if self.parent else ()
        return ids + (("number",) if self.numbered else ()) + tuple(c.key for c in self.columns)


def _literals(members: list[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for member in members:
        if typing.get_origin(member) is Literal:
            out += [str(v) for v in typing.get_args(member)]
    return tuple(out)


#: Fields whose allowed values come from the reference data, not the model.
_VOCABULARIES = {
    "data_categories": "categories",
    "country": "countries",
    "standard": "certifications",
}


def columns_of(
    model: type[BaseModel], fact: str, skip: frozenset[str] = frozenset(), prefix: str = ""
) -> list[Column]:
    """The flattened leaf columns of ``model`` (lists of records left out: they
    are child sheets), ``fact`` the label prefix (``service``)."""
    columns: list[Column] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        if key in skip:
            continue
        members = _union_members(info.annotation)
        optional = type(None) in members
        members = [m for m in members if m is not type(None)]
        label = f"{fact}.{key}"
        if len(members) == 1 and _is_model(members[0]):
            columns += columns_of(members[0], fact, skip, key + ".")
            continue
        if len(members) == 1 and typing.get_origin(members[0]) is list:
            item = _union_members(typing.get_args(members[0])[0])
            if _is_model(item[0]):
                continue
            vocabulary = _VOCABULARIES.get(name) or ("countries" if optional else None)
            kind: Kind = "countries" if optional else "list"
            columns.append(Column(key, kind, _literals(item), vocabulary, label))
            continue
        choices = _literals(members)
        plain = [m for m in members if typing.get_origin(m) is not Literal]
        required = info.is_required()
        if plain == [dt.date] and choices == ("never",):
            columns.append(Column(key, "event", (), None, label, required))
        elif choices and not plain:
            columns.append(Column(key, "choice", choices, None, label, required))
        else:
            kind = {bool: "bool", int: "int", float: "float", dt.date: "date"}.get(
                plain[0] if plain else str, "text"
            )
            vocabulary = _VOCABULARIES.get(name) if kind == "text" else None
            columns.append(Column(key, kind, (), vocabulary, label, required))
    return columns


def _service_columns() -> tuple[Column, ...]:
    out = []
    for column in columns_of(Service, "service"):
        if column.key == "vendor":
            column = Column("vendor", "text", (), "Vendors", column.fact)
        out.append(column)
    return tuple(out)


#: (sheet, file, model, label prefix, list key, parent id header, parent sheet).
_CHILDREN: tuple[tuple[str, str, type[BaseModel], str, str, str | None, str | None], ...] = (
    ("Commission", "organisation.yaml", CommissionMember, "organisation.commission.members[]",
     "organisation.commission.members", None, None),
    ("Breaches", "organisation.yaml", BreachEntry, "organisation.breach_record.entries[]",
     "organisation.breach_record.entries", None, None),
    ("Policies", "organisation.yaml", Policy, "organisation.policies[]",
     "organisation.policies", None, None),
    ("Endpoints", "services.yaml", Endpoint, "service.endpoints[]",
     "endpoints", "service", "Services"),
    ("Sub-processors", "vendors.yaml", SubProcessor, "vendor.sub_processors[]",
     "sub_processors", "vendor", "Vendors"),
    ("Certifications", "vendors.yaml", Certification, "vendor.certifications[]",
     "certifications", "vendor", "Vendors"),
)  # fmt: skip


def _child(name: str) -> Sheet:
    _, file, model, fact, key, parent, parent_sheet = next(c for c in _CHILDREN if c[0] == name)
    return Sheet(
        name,
        file,
        tuple(columns_of(model, fact)),
        parent=parent,
        parent_sheet=parent_sheet,
        list_key=key,
        numbered=name == "Sub-processors",
    )


def sheets() -> tuple[Sheet, ...]:
    """Every data sheet of the workbook, in order."""
    org_skip = frozenset({"commission.members", "breach_record.entries", "policies"})
    organisation = tuple(columns_of(Organisation, "organisation", org_skip))
    vendors = tuple(columns_of(Vendor, "vendor", frozenset({"profile_valid_until"})))
    return (
        Sheet("Organisation", "organisation.yaml", organisation, vertical=True),
        _child("Commission"),
        _child("Breaches"),
        _child("Policies"),
        Sheet("Services", "services.yaml", _service_columns(), list_key="services"),
        _child("Endpoints"),
        Sheet("Vendors", "vendors.yaml", vendors, list_key="vendors"),
        _child("Sub-processors"),
        _child("Certifications"),
        Sheet("Waivers", "waivers.yaml", tuple(columns_of(Waiver, "waiver")), list_key="waivers"),
    )
