"""Vendor questionnaires: ask a vendor the facts the supplier controls read.

:data:`QUESTIONS` holds one question per vendor fact (the fields of
:class:`~conformite.inventory.model.Vendor` that the ``supplier`` controls read, plus
the countries where the service's data are stored, processed and accessed
for support); :data:`TABLES` holds the repeating answers (sub-processors,
certifications). Texts come from ``i18n/messages_screening.yaml``.

* :func:`export_xlsx` / :func:`export_yaml` write an empty questionnaire in a
  language;
* :mod:`conformite.suppliers.answers` reads a filled one back.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal

from conformite._outputs import append_row
from conformite.i18n import translate
from conformite.inventory.reference import ReferenceData

__all__ = [
    "QUESTIONS",
    "TABLES",
    "Question",
    "export_xlsx",
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

MAIN_SHEET = "vendor"
_YES = {"yes", "oui", "ja", "sì", "si", "true", "1", "y"}
_NO = {"no", "non", "nein", "false", "0", "n"}
_HEADER_KEYS = ("field", "question", "answer", "allowed", "help")
#: Table sheets: the first rows are the header; answers start on this row.
_FIRST_ROW = 2


def _t(key: str, lang: str, **values: Any) -> str:
    return translate(f"questionnaire.{key}", lang, **values)


def _question_key(table: str | None, field: str) -> str:
    return f"{table}.{field}" if table else field


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
    return _t(f"kind.{question.kind}", lang)


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def export_yaml(lang: str, reference: ReferenceData) -> str:
    """The questionnaire as YAML: fill each ``answer`` and the table ``rows``."""
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

    document: dict[str, Any] = {
        "questionnaire": "conformite-vendor",
        "lang": lang,
        "questions": [{**describe(q, None), "answer": None} for q in QUESTIONS],
    }
    for table, columns in TABLES.items():
        document[table] = {
            "help": _t(f"table.{table}", lang),
            "columns": [describe(c, table) for c in columns],
            "rows": [],
        }
    head = "".join(f"# {line}\n" for line in _t("yaml_intro", lang).splitlines())
    return head + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def export_xlsx(lang: str, reference: ReferenceData) -> bytes:
    """The questionnaire as an XLSX workbook (see the module doc)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = MAIN_SHEET
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    append_row(sheet, [_t(f"header.{k}", lang) for k in _HEADER_KEYS])
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    for width, letter in zip((34, 60, 28, 30, 80), "ABCDE", strict=True):
        sheet.column_dimensions[letter].width = width
    for row, question in enumerate(QUESTIONS, start=2):
        append_row(
            sheet,
            [
                question.field,
                _t(f"q.{question.field}", lang) + (" *" if question.required else ""),
                None,
                allowed_text(question, lang, reference),
                _t(f"h.{question.field}", lang),
            ],
        )
        answer = sheet.cell(row=row, column=3)
        answer.fill = fill
        _validate_cell(sheet, answer.coordinate, question, lang, reference, DataValidation)
        for column in (2, 5):
            sheet.cell(row=row, column=column).alignment = Alignment(wrap_text=True)
    for table, columns in TABLES.items():
        ws = workbook.create_sheet(table)
        append_row(
            ws, [_t(f"q.{table}.{c.field}", lang) + (" *" if c.required else "") for c in columns]
        )
        for index, column in enumerate(columns, start=1):
            header = ws.cell(row=1, column=index)
            header.font = bold
            header.comment = Comment(_t(f"h.{table}.{column.field}", lang), "conformite")
            letter = header.column_letter
            ws.column_dimensions[letter].width = 30
            cells = f"{letter}{_FIRST_ROW}:{letter}200"
            _validate_cell(ws, cells, column, lang, reference, DataValidation)
            if column.kind == "date":
                for r in range(_FIRST_ROW, 201):
                    ws.cell(row=r, column=index).number_format = "yyyy-mm-dd"
        ws.freeze_panes = f"A{_FIRST_ROW}"
        ws.cell(row=1, column=len(columns) + 2, value=_t(f"table.{table}", lang))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _validate_cell(
    sheet: Any,
    cells: str,
    question: Question,
    lang: str,
    reference: ReferenceData,
    data_validation: Any,
) -> None:
    rule = None
    if question.kind in ("yes_no", "choice"):
        values = yes_no(lang) if question.kind == "yes_no" else _choices(question, reference)
        rule = data_validation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    elif question.kind == "date":
        rule = data_validation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
        for row in sheet[cells] if ":" in cells else [[sheet[cells]]]:
            for cell in row:
                cell.number_format = "yyyy-mm-dd"
    elif question.kind == "number":
        rule = data_validation(
            type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
    if rule is None:
        return
    rule.error = allowed_text(question, lang, reference)
    rule.prompt = allowed_text(question, lang, reference)
    sheet.add_data_validation(rule)
    rule.add(cells)
