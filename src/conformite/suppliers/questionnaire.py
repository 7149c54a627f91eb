"""Vendor questionnaires: ask a vendor the facts the supplier controls read.

:data:`QUESTIONS` holds one question per vendor fact (the fields of
:class:`~conformite.inventory.model.Vendor` that the ``supplier`` controls read, plus
the countries where the service's data are stored, processed and accessed
for support); :data:`TABLES` holds the repeating answers (sub-processors,
certifications). Texts come from ``i18n/messages_screening.yaml``.

* :func:`export_yaml` (and :func:`conformite.suppliers.questionnaire_xlsx.export_xlsx`)
  write an empty questionnaire in a
  language, or one vendor's questionnaire pre-filled with what the inventory
  knows, the unknown facts flagged open (:mod:`conformite.suppliers.prefill`);
* :mod:`conformite.suppliers.answers` reads a filled one back.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from conformite.i18n import translate
from conformite.inventory.facts import FactKind, fact_tree
from conformite.inventory.model import Vendor
from conformite.inventory.model_types import NEVER
from conformite.inventory.reference import ReferenceData

__all__ = [
    "QUESTIONS",
    "TABLES",
    "Prefilled",
    "Question",
    "event_fields",
    "export_yaml",
]

Kind = Literal[
    "text", "identifier", "url", "country", "countries", "date", "yes_no", "number", "choice"
]


@dataclass(frozen=True)
class Question:
    field: str  # dotted path in the vendor entry; ``data_location.*`` for the offer
    kind: Kind
    choices: tuple[str, ...] = ()
    required: bool = False


#: The main sheet: one question per vendor fact.
QUESTIONS: tuple[Question, ...] = (
    Question("id", "identifier"),
    Question("name", "text", required=True),
    Question("country", "country", required=True),
    Question("parent.name", "text"),
    Question("parent.country", "country"),
    Question("contact", "text"),
    Question("portal_url", "url"),
    Question("dpa.signed_on", "date"),
    Question("dpa.security_measures_documented", "yes_no"),
    Question("dpa.sub_processor_approval", "choice", ("specific", "general")),
    Question("dpf.certified", "yes_no"),
    Question("dpf.valid_until", "date"),
    Question("canada_pipeda", "yes_no"),
    Question("fdpic_clauses", "yes_no"),
    Question("breach_notification_hours", "number"),
    Question("audit_rights", "yes_no"),
    Question("exit.data_return_format", "text"),
    Question("exit.deletion_confirmation", "yes_no"),
    Question("exit.notice_days", "number"),
    Question("contract_end_on", "date"),
    Question("data_location.stored_in", "countries"),
    Question("data_location.processed_in", "countries"),
    Question("data_location.support_access_from", "countries"),
)

#: Repeating answers: sheet (and YAML key) -> columns. ``standard`` takes its
#: choices from the certification vocabulary.
TABLES: dict[str, tuple[Question, ...]] = {
    "sub_processors": (
        Question("name", "text", required=True),
        Question("country", "country", required=True),
        Question("purpose", "text", required=True),
        Question("dpf_certified", "yes_no"),
        Question("under", "text"),
        Question("canada_pipeda", "yes_no"),
    ),
    "certifications": (
        Question("standard", "choice", required=True),
        Question("scope", "text"),
        Question("valid_until", "date"),
    ),
}

#: Questions the vendor does not answer: the commune's own reference.
REFERENCE_FIELDS = frozenset({"id"})


@dataclass(frozen=True)
class Prefilled:
    """What a vendor's questionnaire says before the vendor answers."""

    vendor_id: str
    vendor_name: str
    #: field -> answer shown (``None``: left blank).
    answers: dict[str, Any]
    #: Fields whose fact is unknown: blank, flagged "to answer".
    open: frozenset[str]
    #: table -> rows (column -> value) and, per row, its open columns.
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    open_cells: dict[str, list[frozenset[str]]] = field(default_factory=dict)

    def status(self, question: Question) -> str:
        """``open``, ``confirm``, ``optional`` or ``reference``: the row's status key."""
        if question.field in REFERENCE_FIELDS:
            return "reference"
        if question.field in self.open:
            return "open"
        return "confirm" if self.answers.get(question.field) is not None else "optional"

    def ordered(self) -> list[Question]:
        """Open questions first, then the others in their usual order, the id last."""
        first = [q for q in QUESTIONS if q.field in self.open]
        last = [q for q in QUESTIONS if q.field in REFERENCE_FIELDS]
        rest = [q for q in QUESTIONS if q not in first and q not in last]
        return first + rest + last


MAIN_SHEET = "vendor"
_YES = {"yes", "oui", "ja", "sì", "si", "true", "1", "y"}
_NO = {"no", "non", "nein", "false", "0", "n"}
_HEADER_KEYS = ("field", "question", "answer", "allowed", "help")
#: A vendor's questionnaire has one more column on the main sheet: the row's status.
_STATUS_COLUMN = len(_HEADER_KEYS) + 1
#: "It never happened", for the date of an event, in every language (any is accepted).
NEVER_WORDS = frozenset({NEVER, "jamais", "nie", "mai"})
#: Creation date written in the workbook, so that the same questionnaire is the same bytes.
_STAMP = dt.date(2000, 1, 1)
#: Table sheets: the first rows are the header; answers start on this row.
_FIRST_ROW = 2


def _t(key: str, lang: str, **values: Any) -> str:
    return translate(f"questionnaire.{key}", lang, **values)


def _question_key(table: str | None, field: str) -> str:
    return f"{table}.{field}" if table else field


@functools.cache
def event_fields() -> frozenset[str]:
    """Main-sheet date questions whose fact is the date of an event (may be ``never``)."""
    out = set()
    for question in QUESTIONS:
        node: Any = fact_tree(Vendor)
        for part in question.field.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if type(node) is FactKind and node.kind == "event":
            out.add(question.field)
    return frozenset(out)


def yes_no(lang: str) -> tuple[str, str]:
    return _t("yes", lang), _t("no", lang)


def _choices(question: Question, reference: ReferenceData) -> tuple[str, ...]:
    if question.field == "standard":
        return tuple(sorted(reference.certifications))
    return question.choices


def allowed_text(question: Question, lang: str, reference: ReferenceData) -> str:
    """The allowed answers of a question, in words."""
    if question.kind == "yes_no":
        return " / ".join(yes_no(lang))
    if question.kind == "choice":
        return " / ".join(_choices(question, reference))
    if question.kind == "date" and question.field in event_fields():
        return _t("kind.event_date", lang, never=_t("never", lang))
    return _t(f"kind.{question.kind}", lang)


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def export_yaml(lang: str, reference: ReferenceData, prefilled: Prefilled | None = None) -> str:
    """The questionnaire as YAML: fill each ``answer`` and the table ``rows``.

    With ``prefilled``, one vendor's: known answers filled in, the questions
    whose fact is unknown first and marked ``open: true``, the tables' rows
    filled in (a row's unknown cells listed under its ``open``).
    """
    import yaml

    def describe(question: Question, table: str | None) -> dict[str, Any]:
        key = _question_key(table, question.field)
        item: dict[str, Any] = {
            "field": question.field,
            "question": _t(f"q.{key}", lang),
            "help": _t(f"h.{key}", lang),
            "allowed": allowed_text(question, lang, reference),
        }
        if question.kind in ("choice", "yes_no"):
            item["allowed"] = list(
                yes_no(lang) if question.kind == "yes_no" else _choices(question, reference)
            )
        if question.required:
            item["required"] = True
        return item

    document: dict[str, Any] = {"questionnaire": "conformite-vendor", "lang": lang}
    if prefilled is None:
        document["questions"] = [{**describe(q, None), "answer": None} for q in QUESTIONS]
    else:
        document["vendor"] = prefilled.vendor_id
        document["open_questions"] = len(prefilled.open)
        document["questions"] = [
            {
                "field": q.field,
                "open": q.field in prefilled.open,
                "status": _t(f"status.{prefilled.status(q)}", lang),
                **{k: v for k, v in describe(q, None).items() if k != "field"},
                "answer": prefilled.answers.get(q.field),
            }
            for q in prefilled.ordered()
        ]
    for table, columns in TABLES.items():
        rows: list[dict[str, Any]] = []
        if prefilled is not None:
            for row, open_cells in zip(
                prefilled.rows[table], prefilled.open_cells[table], strict=True
            ):
                item = dict(row)
                if open_cells:
                    item["open"] = [c.field for c in columns if c.field in open_cells]
                rows.append(item)
        document[table] = {
            "help": _t(f"table.{table}", lang),
            "columns": [describe(c, table) for c in columns],
            "rows": rows,
        }
    intro = "yaml_intro" if prefilled is None else "yaml_intro_vendor"
    head = "".join(f"# {line}\n" for line in _intro(intro, lang, prefilled).splitlines())
    return head + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def _intro(key: str, lang: str, prefilled: Prefilled | None) -> str:
    if prefilled is None:
        return _t(key, lang)
    return _t(
        key,
        lang,
        vendor=prefilled.vendor_name,
        id=prefilled.vendor_id,
        count=len(prefilled.open),
    )
