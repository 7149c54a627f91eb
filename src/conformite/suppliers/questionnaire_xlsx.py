"""The vendor questionnaire as an XLSX workbook, written with xlsxwriter.

One sheet of questions (:data:`~conformite.suppliers.questionnaire.MAIN_SHEET`:
field, question, answer, allowed answers, help, and for one vendor's
questionnaire the row's status), one sheet per table of repeating answers
(sub-processors, certifications). Answer cells carry a drop-down or a type
check (yes/no, a choice, a date, a whole number); the cells to fill are
highlighted. Like every workbook conformite writes, text stays text (a vendor's
``=…`` is never a formula) and the same questionnaire gives the same bytes.
The workbook is read back by :mod:`conformite.suppliers.answers` (openpyxl).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from conformite._outputs import SAFE_XLSXWRITER, deterministic_xlsx
from conformite.inventory.reference import ReferenceData
from conformite.suppliers.questionnaire import (
    _FIRST_ROW,
    _HEADER_KEYS,
    _STAMP,
    _STATUS_COLUMN,
    MAIN_SHEET,
    QUESTIONS,
    TABLES,
    Prefilled,
    Question,
    _choices,
    _t,
    allowed_text,
    event_fields,
    yes_no,
)

__all__ = ["export_xlsx"]

#: Rows of a table sheet that get the drop-downs and the date format.
_TABLE_ROWS = 200
#: Characters XLSX cannot store (C0 controls but tab and line breaks).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Excel refuses a drop-down whose list, written out, is longer than this.
_MAX_LIST_CHARS = 255
_HIGHLIGHT = "#FFF2CC"
_DATE = "yyyy-mm-dd"


class _Book:
    """The workbook and the few cell formats the questionnaire uses."""

    def __init__(self) -> None:
        import xlsxwriter

        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, SAFE_XLSXWRITER)
        stamp = dt.datetime(_STAMP.year, _STAMP.month, _STAMP.day)
        self.book.set_properties({"author": "conformite", "created": stamp})
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}

    def fmt(self, **properties: Any) -> Any:
        """One shared format per set of properties (``None``: no format)."""
        if not properties:
            return None
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]

    def close(self) -> bytes:
        self.book.close()
        return deterministic_xlsx(self.buffer.getvalue(), _STAMP)


def _write(sheet: Any, row: int, col: int, value: Any, style: Any) -> None:
    """One cell, typed: text as text, dates as dates, numbers as numbers."""
    if value is None:
        sheet.write_blank(row, col, None, style)
    elif isinstance(value, str):
        sheet.write_string(row, col, _cell_text(value), style)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, style)
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
        sheet.write_datetime(row, col, moment, style)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, style)
    else:
        sheet.write_string(row, col, _cell_text(str(value)), style)


def _cell_text(text: str) -> str:
    """``text`` as a cell holds it: characters XLSX cannot store replaced, and carriage
    returns made line breaks (xlsxwriter stores a CR as ``_x000D_``, which Excel shows as
    a break but openpyxl, our reader, would read back literally)."""
    return _ILLEGAL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def _validation(question: Question, lang: str, reference: ReferenceData) -> dict[str, Any] | None:
    """The drop-down or type check of an answer cell (xlsxwriter's options)."""
    words = allowed_text(question, lang, reference)
    rule: dict[str, Any]
    if question.kind in ("yes_no", "choice"):
        values = yes_no(lang) if question.kind == "yes_no" else _choices(question, reference)
        if len(",".join(values)) + 2 > _MAX_LIST_CHARS:
            return None  # the allowed answers stay in their column and in the prompt
        rule = {"validate": "list", "source": list(values)}
    elif question.kind == "date":
        rule = {
            "validate": "date",
            "criteria": ">",
            "value": dt.datetime(1900, 1, 1),
            # "never" is a word, not a date: warn, but let it in.
            "error_type": "warning" if question.field in event_fields() else "stop",
        }
    elif question.kind == "number":
        rule = {"validate": "integer", "criteria": ">=", "value": 0}
    else:
        return None
    rule.update(ignore_blank=True, input_message=words[:255], error_message=words[:255])
    return rule


def export_xlsx(lang: str, reference: ReferenceData, prefilled: Prefilled | None = None) -> bytes:
    """The questionnaire as an XLSX workbook (see the module doc).

    With ``prefilled``, one vendor's: a sixth column gives each row's status
    (to answer, to confirm, if any, our reference); the open questions come
    first and only their answer cells are highlighted; the tables hold the
    known rows, their unknown cells highlighted. Every text is a text cell.
    """
    out = _Book()
    bold = out.fmt(bold=True)
    wrap = out.fmt(text_wrap=True, valign="top")
    sheet = out.book.add_worksheet(MAIN_SHEET)
    header = [_t(f"header.{k}", lang) for k in _HEADER_KEYS]
    if prefilled is not None:
        header.append(_t("header.status", lang))
    for col, title in enumerate(header):
        _write(sheet, 0, col, title, bold)
    sheet.freeze_panes(1, 0)
    for col, width in enumerate((34, 60, 28, 30, 80, 22)):
        sheet.set_column(col, col, width)
    questions = list(QUESTIONS) if prefilled is None else prefilled.ordered()
    for row, question in enumerate(questions, start=1):
        highlighted = prefilled is None or question.field in prefilled.open
        answer_style: dict[str, Any] = {"bg_color": _HIGHLIGHT} if highlighted else {}
        if question.kind == "date":
            answer_style["num_format"] = _DATE
        _write(sheet, row, 0, question.field, None)
        text = _t(f"q.{question.field}", lang) + (" *" if question.required else "")
        _write(sheet, row, 1, text, wrap)
        answer = None if prefilled is None else prefilled.answers.get(question.field)
        _write(sheet, row, 2, answer, out.fmt(**answer_style))
        _write(sheet, row, 3, allowed_text(question, lang, reference), None)
        _write(sheet, row, 4, _t(f"h.{question.field}", lang), wrap)
        if prefilled is not None:
            status = _t(f"status.{prefilled.status(question)}", lang)
            is_open = question.field in prefilled.open
            _write(sheet, row, _STATUS_COLUMN - 1, status, bold if is_open else None)
        rule = _validation(question, lang, reference)
        if rule is not None:
            sheet.data_validation(row, 2, row, 2, rule)
    for table, columns in TABLES.items():
        _table_sheet(out, table, columns, lang, reference, prefilled)
    return out.close()


def _table_sheet(
    out: _Book,
    table: str,
    columns: tuple[Question, ...],
    lang: str,
    reference: ReferenceData,
    prefilled: Prefilled | None,
) -> None:
    """One sheet of repeating answers: header with help comments, known rows, drop-downs."""
    sheet = out.book.add_worksheet(table)
    bold = out.fmt(bold=True)
    first = _FIRST_ROW - 1  # 0-based row of the first answer
    for col, column in enumerate(columns):
        title = _t(f"q.{table}.{column.field}", lang) + (" *" if column.required else "")
        _write(sheet, 0, col, title, bold)
        sheet.write_comment(0, col, _t(f"h.{table}.{column.field}", lang), {"author": "conformite"})
        date_style = out.fmt(num_format=_DATE) if column.kind == "date" else None
        sheet.set_column(col, col, 30, date_style)
        rule = _validation(column, lang, reference)
        if rule is not None:
            sheet.data_validation(first, col, _TABLE_ROWS - 1, col, rule)
    if prefilled is not None:
        rows = zip(prefilled.rows[table], prefilled.open_cells[table], strict=True)
        for number, (values, open_cells) in enumerate(rows, start=first):
            for col, column in enumerate(columns):
                style: dict[str, Any] = {}
                if column.field in open_cells:
                    style["bg_color"] = _HIGHLIGHT
                if column.kind == "date":
                    style["num_format"] = _DATE
                _write(sheet, number, col, values[column.field], out.fmt(**style))
    sheet.freeze_panes(first, 0)
    _write(sheet, 0, len(columns) + 1, _t(f"table.{table}", lang), None)
