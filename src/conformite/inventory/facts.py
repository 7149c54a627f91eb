"""Which inventory values are facts that may be unknown, and what they could be.

A fact is a value a commune writes down and may not know yet: whether MFA is
on, when access rights were last reviewed, how many critical vulnerabilities
are open. In the inventory, ``null`` or an absent key means *not known*; the
model never fills in a default that would assert a fact nobody gave.

:func:`fact_tree` reads the inventory model once and tells, for every field,
whether it is such a fact and of what kind (yes/no, count, date, date of an
event that may be ``never``, choice, text, list of countries). Fields whose
``null`` is a choice (no vendor, no exception relied on, the control's default
interval) carry ``NOT_A_FACT`` in their schema and are not facts.

:func:`scan` walks a dumped record (``model_dump(mode="json")``) against that
tree: it lists the facts that are unknown, counts the facts there are, and
turns ``never`` into ``null`` (the controls read an event that never happened
as ``null``, as they always have). The engine then decides every requirement
that reads an unknown fact by trying the values that fact could take
(:func:`candidates`): decided when they all agree, ``unknown`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel

from conformite.inventory.model_types import NEVER, NOT_A_FACT

__all__ = ["FactKind", "ListOf", "Scan", "candidates", "fact_tree", "scan"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FactKind:
    """A fact field: its kind and, for a choice, the values it may take."""

    kind: Literal["bool", "int", "float", "date", "event", "choice", "text", "countries"]
    #: The field's path below the record's root, lists written ``[]``.
    norm: tuple[str, ...]
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list of records: the tree of one element."""

    element: dict[str, Any]


Tree = dict[str, Any]  # field name -> FactKind | ListOf | Tree


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _union_members(annotation: Any) -> list[Any]:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) in (Union, types.UnionType):
        out: list[Any] = []
        for member in typing.get_args(annotation):
            out.extend(_union_members(member))
        return out
    return [annotation]


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def fact_tree(
    model: type[BaseModel], norm: tuple[str, ...] = (), _building: dict[type, Tree] | None = None
) -> Tree:
    """The facts of ``model`` (see the module's docstring), as a nested tree.

    A model that contains itself (a sub-processor's own sub-processors) shares
    its tree: the facts of every level count under the first level's paths.
    """
    building = {} if _building is None else _building
    if model in building:
        return building[model]
    tree: Tree = {}
    building[model] = tree
    for name, field in model.model_fields.items():
        members = _union_members(field.annotation)
        optional = type(None) in members
        members = [m for m in members if m is not type(None)]
        path = (*norm, name)
        if len(members) == 1 and _is_model(members[0]):
            tree[name] = fact_tree(members[0], path, building)
            continue
        if len(members) == 1 and typing.get_origin(members[0]) is list:
            element = _strip(typing.get_args(members[0])[0])
            if _is_model(element):
                tree[name] = ListOf(fact_tree(element, (*path, "[]"), building))
            elif optional and field.default is None:
                tree[name] = FactKind("countries", path)
            continue
        extra = field.json_schema_extra
        if not optional or field.default is not None or extra == NOT_A_FACT:
            continue  # always given, or null is a choice: not an unknown fact
        kind = _kind(members)
        if kind is not None:
            tree[name] = FactKind(kind[0], path, kind[1])
    del building[model]  # a model met again elsewhere gets its own paths
    return tree


def _kind(members: list[Any]) -> tuple[Any, tuple[Any, ...]] | None:
    literals: list[Any] = []
    plain = []
    for member in members:
        if typing.get_origin(member) is Literal:
            literals.extend(typing.get_args(member))
        else:
            plain.append(member)
    if plain == [dt.date] and literals == [NEVER]:
        return "event", ()
    if not plain and literals:
        return "choice", tuple(literals)
    if plain == [bool]:
        return "bool", ()
    if plain == [int]:
        return "int", ()
    if plain in ([float], [int, float], [float, int]):
        return "float", ()
    if plain == [dt.date]:
        return "date", ()
    if plain == [str]:
        return "text", ()
    return None


@dataclass(slots=True)
class Scan:
    """What :func:`scan` found in one record."""

    #: (concrete path below the root, the fact) for each unknown fact.
    unknown: list[tuple[Path, FactKind]]
    #: Normalised path -> how many such facts the record has, known or not.
    counts: dict[tuple[str, ...], int]


#: (prefix, key, id(fact)) -> the (path, fact) pair :func:`scan` reports. The pair
#: holds the fact, so no other object can take its id; fact trees are built once
#: per model (the engine's, at import), so this stays small.
_PAIRS: dict[tuple[Path, str, int], tuple[Path, FactKind]] = {}


def scan(value: dict[str, Any], tree: Tree) -> Scan:
    """The unknown facts of a dumped record; ``never`` becomes ``null`` in place."""
    found = Scan([], {})
    _scan(value, tree, (), found)
    return found


def _scan(value: dict[str, Any], tree: Tree, prefix: Path, found: Scan) -> None:
    counts = found.counts
    for key, node in tree.items():
        item = value.get(key)
        if type(node) is FactKind:
            counts[node.norm] = counts.get(node.norm, 0) + 1
            if item is None:
                # The (path, fact) pair is shared by every record that lacks the
                # fact at the same place (10,000 services: 40 MiB less).
                pair = _PAIRS.get((prefix, key, id(node)))
                if pair is None:
                    pair = _PAIRS[prefix, key, id(node)] = ((*prefix, key), node)
                found.unknown.append(pair)
            elif item == NEVER and node.kind == "event":
                value[key] = None
        elif item is None:
            continue  # an optional record that is absent ("no parent company")
        elif type(node) is ListOf:
            for index, element in enumerate(item):
                _scan(element, node.element, (*prefix, key, index), found)
        else:
            _scan(item, node, (*prefix, key), found)


#: Values an unknown fact is tried with, by kind. They span every threshold a
#: control may compare with (a count of 0, 1 or a million; a date long ago,
#: on the audit date or far ahead), so a requirement that holds for them all
#: holds whatever the fact turns out to be.
_TRIED: dict[str, tuple[Any, ...]] = {
    "bool": (True, False),
    "int": (0, 1, 1_000_000),
    "float": (0.0, 1_000_000.0),
    "text": ("…",),
    "countries": ([], ["CH"], ["US"], ["CN"]),
}
_LONG_AGO = "1900-01-01"
_FAR_AHEAD = "2999-12-31"


def candidates(fact: FactKind, as_of: str, presence_read: bool) -> tuple[Any, ...]:
    """The values ``fact`` is tried with. ``null`` is one of them for the date
    of an event (it may never have happened), for a text (there may be none),
    and for any fact an expression compares with ``null``."""
    kind = fact.kind
    if kind == "event":
        return (None, _LONG_AGO, as_of)
    if kind == "date":
        values: tuple[Any, ...] = (_LONG_AGO, as_of, _FAR_AHEAD)
    elif kind == "choice":
        values = fact.choices
    else:
        values = _TRIED[kind]
    if presence_read or kind == "text":
        return (None, *values)
    return values
