"""A questionnaire for one vendor of the inventory: what is known, what is open.

:func:`prefill` reads a loaded :class:`~conformite.inventory.model.Vendor`
(profiles already merged) and gives, per question of
:data:`~conformite.suppliers.questionnaire.QUESTIONS`, the answer the vendor is
asked to confirm, in the questionnaire's words (yes/no in the language, dates,
countries as ``CH, DE``), or nothing. A question is *open* exactly when its
fact is unknown (:func:`conformite.inventory.facts.scan`): ``null`` or absent.
A blank that is not a fact (no parent company, no contact written down) is
not open; the commune's own id is a reference the vendor keeps as it is.
Sub-processors (their tree flattened, ``under`` naming the parent) and
certifications pre-fill the tables, each unknown cell marked open.

:func:`merge_answers` does the reverse for ``questionnaire import
--workspace``: the inventory's entry with the vendor's answers on top. A
blank answer changes nothing (an unknown fact stays unknown, a known one
stays as it was); what the commune alone knows and the questionnaire does not
ask (when it last reviewed the vendor, which sub-processors it approved, the
profile it starts from) is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from conformite.errors import InputError, Problem
from conformite.inventory.facts import FactKind, ListOf, fact_tree, scan
from conformite.inventory.model import Vendor
from conformite.inventory.model_types import NEVER
from conformite.inventory.reference import ReferenceData
from conformite.suppliers.questionnaire import (
    QUESTIONS,
    REFERENCE_FIELDS,
    TABLES,
    Prefilled,
    Question,
    _t,
    yes_no,
)
from conformite.suppliers.screening import Candidate

__all__ = ["Prefilled", "merge_answers", "prefill"]


def _shown(question: Question, value: Any, lang: str) -> Any:
    """A model value as the questionnaire writes it."""
    if value is None:
        return None
    if question.kind == "yes_no":
        yes, no = yes_no(lang)
        return yes if value else no
    if question.kind == "date" and value == NEVER:
        return _t("never", lang)
    if question.kind == "countries":
        return ", ".join(value)
    if isinstance(value, dt.date | int):
        return value
    return str(value)


def _get(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _fact_columns(table: str) -> frozenset[str]:
    """The columns of a table that are facts (may be unknown)."""
    node = fact_tree(Vendor)[table]
    assert isinstance(node, ListOf)
    columns = {c.field for c in TABLES[table]}
    return frozenset(k for k, v in node.element.items() if type(v) is FactKind and k in columns)


def _sub_processor_rows(items: list[dict[str, Any]], under: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in items:
        rows.append({"_item": item, "under": under})
        rows.extend(_sub_processor_rows(item.get("sub_processors") or [], item["name"]))
    return rows


#: Facts that only matter for an organisation of a state adequate under one
#: rule of the reference data (``adequate_if_certified``): the Swiss-U.S. Data
#: Privacy Framework and PIPEDA. Asked of a vendor or sub-processor of another
#: country, they would be noise: still shown, not open.
_RULE_FACTS: dict[str, str] = {
    "dpf.certified": "dpf",
    "dpf.valid_until": "dpf",
    "dpf_certified": "dpf",
    "canada_pipeda": "pipeda",
}


def _relevant(field: str, country: str | None, reference: ReferenceData) -> bool:
    rule = _RULE_FACTS.get(field)
    return rule is None or country is None or country in reference.countries_under(rule)


def prefill(vendor: Vendor, lang: str, reference: ReferenceData) -> Prefilled:
    """The questionnaire of ``vendor`` (see the module's docstring)."""
    data = vendor.model_dump(mode="python")
    unknown = scan(vendor.model_dump(mode="json"), fact_tree(Vendor)).unknown
    unknown_fields = {".".join(str(p) for p in path) for path, _ in unknown}
    answers = {q.field: _shown(q, _get(data, q.field), lang) for q in QUESTIONS}
    open_fields = frozenset(
        q.field
        for q in QUESTIONS
        if q.field in unknown_fields and _relevant(q.field, vendor.country, reference)
    )
    rows: dict[str, list[dict[str, Any]]] = {}
    open_cells: dict[str, list[frozenset[str]]] = {}
    sources = {
        "sub_processors": _sub_processor_rows(data["sub_processors"], None),
        "certifications": [{"_item": item} for item in data["certifications"]],
    }
    for table, columns in TABLES.items():
        facts = _fact_columns(table)
        rows[table], open_cells[table] = [], []
        for source in sources[table]:
            item = source["_item"]
            values = {**item, "under": source.get("under")}
            row = {c.field: _shown(c, values.get(c.field), lang) for c in columns}
            rows[table].append(row)
            open_cells[table].append(
                frozenset(
                    f
                    for f in facts
                    if item.get(f) is None and _relevant(f, item.get("country"), reference)
                )
            )
    return Prefilled(vendor.id, vendor.name, answers, open_fields, rows, open_cells)


# --------------------------------------------------------------------------
# Import into the inventory's entry
# --------------------------------------------------------------------------

#: Sub-processor fields the questionnaire does not ask: kept from the inventory.
_COMMUNE_SUB_FIELDS = ("approved", "parent")


def _flatten_subs(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        out.setdefault(item["name"], item)
        for name, sub in _flatten_subs(item.get("sub_processors") or []).items():
            out.setdefault(name, sub)
    return out


def _carry(items: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> None:
    for item in items:
        before = known.get(item["name"], {})
        for key in _COMMUNE_SUB_FIELDS:
            if item.get(key) is None and before.get(key) is not None:
                item[key] = before[key]
        _carry(item.get("sub_processors") or [], known)


def merge_answers(vendor: Vendor, answered: Candidate, source: str) -> Vendor:
    """``vendor`` (the inventory's entry) with the answers of ``answered`` on top.

    Every answered question replaces the inventory's value; a blank one keeps it.
    A table with rows replaces the inventory's list (sub-processors keep, by
    name, whether the commune approved them and their parent company); an
    empty table keeps the inventory's rows.
    """
    base = vendor.model_dump(mode="python", exclude={"profile_valid_until"}, exclude_unset=True)
    new = answered.vendor.model_dump(mode="python", exclude_unset=True)
    if answered.data_location is not None:
        new["data_location"] = answered.data_location.model_dump(mode="python", exclude_unset=True)
    for question in QUESTIONS:
        value = _get(new, question.field)
        if value is None or question.field in REFERENCE_FIELDS:
            continue
        node = base
        *parents, last = question.field.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[last] = value
    if new.get("certifications"):
        base["certifications"] = new["certifications"]
    if new.get("sub_processors"):
        subs = new["sub_processors"]
        _carry(subs, _flatten_subs(vendor.model_dump(mode="python")["sub_processors"]))
        base["sub_processors"] = subs
    try:
        return Vendor.model_validate(base)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    file=source,
                    path=".".join(str(p) for p in item["loc"]),
                    message=item["msg"],
                    found=repr(item.get("input")),
                )
                for item in exc.errors(include_url=False)
            ]
        ) from None
