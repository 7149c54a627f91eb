"""Write the inventory as a workbook (``conformite inventory export --format xlsx``).

The layout is :mod:`.spreadsheet_layout`'s. Cells are typed: dates are date
cells, counts and amounts numbers, yes/no a drop-down, closed vocabularies
drop-downs fed from a hidden ``Lists`` sheet (the model's values, the data
categories, countries and certifications of the reference data, the ids of
the Vendors and Services sheets). An unknown fact (``null`` or absent) is an
empty cell; ``never`` stays the text ``never``; ``false`` is "no". Every
header carries a comment saying what the column holds in the workspace's
language, and the ``Help`` sheet lists them all.

Text is always a text cell (``strings_to_formulas`` off, ``write_string``), and
the file is byte-identical for the same inventory: fixed document dates and
zip timestamps (:func:`conformite._outputs.deterministic_xlsx`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

from conformite._outputs import SAFE_XLSXWRITER, deterministic_xlsx
from conformite.i18n import fact_label, translate
from conformite.inventory.config import CANTONS
from conformite.inventory.reference import ReferenceData
from conformite.inventory.spreadsheet_layout import (
    COMMUNE_FIELDS,
    NONE_WORD,
    Column,
    Sheet,
    sheets,
)
from conformite.inventory.uid import UID_EXAMPLE

__all__ = ["FIXED_DATE", "export_workbook", "record_columns", "vocabularies"]

#: The document date written into every workbook (its content has no date of its own).
FIXED_DATE = dt.date(2000, 1, 1)
DATE_FORMAT = "dd.mm.yyyy"
#: Rows below the data that get the drop-downs, for entries added later.
SPARE_ROWS = 500
MAX_WIDTH = 50
LISTS = "Lists"
LANGUAGE_CHOICES = ("fr", "de", "it", "en")


def vocabularies(reference: ReferenceData, lang: str) -> dict[str, tuple[str, ...]]:
    """Named value lists of the Lists sheet."""
    return {
        "bool": (translate("sheet.yes", lang), translate("sheet.no", lang)),
        "categories": tuple(sorted(reference.categories)),
        "countries": tuple(sorted(reference.countries)),
        "certifications": tuple(sorted(reference.certifications)),
        "cantons": tuple(CANTONS),
        "languages": LANGUAGE_CHOICES,
    }


def commune_columns() -> list[Column]:
    vocab = {"canton": "cantons", "language": "languages"}
    return [
        Column(f"commune.{name}", kind, (), vocab.get(name), "", True)
        for name, kind in COMMUNE_FIELDS
    ]


def record_columns(sheet: Sheet) -> list[Column]:
    """The columns of ``sheet`` with its parent id (and number) in front."""
    out: list[Column] = []
    if sheet.parent:
        out.append(Column(sheet.parent, "text", (), sheet.parent_sheet, "", True))
    if sheet.numbered:
        out.append(Column("number", "text"))
    return out + list(sheet.columns)


def _letter(index: int) -> str:
    from xlsxwriter.utility import xl_col_to_name

    return str(xl_col_to_name(index))


class _Writer:
    def __init__(self, lang: str, reference: ReferenceData) -> None:
        import xlsxwriter

        self.lang = lang
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(
            self.buffer,
            {**SAFE_XLSXWRITER, "default_date_format": DATE_FORMAT},
        )
        stamp = dt.datetime(FIXED_DATE.year, FIXED_DATE.month, FIXED_DATE.day)
        self.book.set_properties({"author": "conformite", "created": stamp})
        base = {"valign": "top", "font_size": 10}
        self.header = self.book.add_format({**base, "bold": True, "bg_color": "#E8EEF6"})
        self.formats = {
            "text": self.book.add_format({**base, "num_format": "@"}),
            "date": self.book.add_format({**base, "num_format": DATE_FORMAT}),
            "int": self.book.add_format({**base, "num_format": "0"}),
            "float": self.book.add_format({**base, "num_format": "General"}),
        }
        self.wrap = self.book.add_format({**base, "text_wrap": True})
        self.vocab = vocabularies(reference, lang)
        self.list_ranges: dict[str, str] = {}
        self.yes = translate("sheet.yes", lang)
        self.no = translate("sheet.no", lang)

    # -- vocabularies ---------------------------------------------------------

    def _choices_range(self, column: Column) -> str | None:
        """The ``=Lists!$C$2:$C$9`` (or ``=Vendors!$A$2:…``) source of a drop-down."""
        if column.kind == "bool":
            return self.list_ranges.get("bool")
        if column.choices:
            return self.list_ranges.get("|".join(column.choices))
        if column.vocabulary in self.list_ranges:
            return self.list_ranges[column.vocabulary]
        if column.vocabulary and column.vocabulary[0].isupper():
            return f"='{column.vocabulary}'!$A$2:$A${SPARE_ROWS * 4}"
        return None

    def write_lists(self, columns: Sequence[Column]) -> None:
        named = dict(self.vocab)
        for column in columns:
            if column.choices:
                named.setdefault("|".join(column.choices), column.choices)
        sheet = self.book.add_worksheet(LISTS)
        for index, (name, values) in enumerate(named.items()):
            letter = _letter(index)
            sheet.write_string(0, index, name.split("|")[0] if "|" not in name else name[:30])
            for row, value in enumerate(values, start=1):
                sheet.write_string(row, index, value)
            self.list_ranges[name] = f"={LISTS}!${letter}$2:${letter}${len(values) + 1}"
        sheet.hide()

    # -- help -------------------------------------------------------------------

    def expected(self, column: Column) -> str:
        kind = "text" if column.kind == "choice" and not column.choices else column.kind
        parts = [translate(f"sheet.kind.{kind}", self.lang)]
        if column.choices and len(column.choices) <= 15:
            parts.append(translate("sheet.allowed", self.lang, values=", ".join(column.choices)))
        elif column.vocabulary and column.vocabulary[0].isupper():
            parts.append(translate("sheet.ids_of", self.lang, sheet=column.vocabulary))
        elif column.vocabulary or column.choices:
            name = column.vocabulary or "|".join(column.choices)
            names = list(self.list_ranges)
            letter = _letter(names.index(name)) if name in names else "?"
            parts.append(translate("sheet.see_lists", self.lang, column=letter))
        if column.required:
            parts.append(translate("sheet.required", self.lang))
        elif column.kind not in ("list",):
            parts.append(translate("sheet.empty_unknown", self.lang))
        return " ".join(p if p.endswith(".") else p + "." for p in parts)

    def meaning(self, sheet: Sheet, column: Column) -> str:
        if sheet.parent and column.key == sheet.parent:
            return translate("sheet.parent", self.lang, sheet=sheet.parent_sheet)
        if column.key == "number":
            return translate("sheet.number", self.lang)
        if column.key.startswith("commune."):
            return translate("sheet.commune", self.lang)
        if sheet.name == "Vendors" and column.key == "uid":
            return translate("sheet.vendor_uid", self.lang, example=UID_EXAMPLE)
        label = fact_label(column.fact, self.lang) if column.fact else ""
        return "" if label == column.fact else label

    def help_text(self, sheet: Sheet, column: Column) -> str:
        meaning = self.meaning(sheet, column)
        return (meaning + "\n" if meaning else "") + self.expected(column)

    # -- cells ----------------------------------------------------------------

    def cell(self, ws: Any, row: int, col: int, column: Column, value: Any) -> int:
        """Write one value; the width it needs."""
        if value is None:
            return 0
        kind = column.kind
        if kind == "bool" and isinstance(value, bool):
            text = self.yes if value else self.no
        elif kind in ("date", "event") and isinstance(value, dt.date):
            stamp = dt.datetime(value.year, value.month, value.day)
            ws.write_datetime(row, col, stamp, self.formats["date"])
            return 10
        elif kind in ("int", "float") and isinstance(value, int | float):
            ws.write_number(row, col, value, self.formats[kind])
            return len(str(value))
        elif kind == "countries" and value == []:
            text = NONE_WORD
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        if text == "" and kind != "text":
            return 0
        ws.write_string(row, col, text, self.formats["text"])
        return max((len(line) for line in text.splitlines()), default=0)

    def validation(self, ws: Any, first: int, last: int, col: int, column: Column) -> None:
        source = self._choices_range(column)
        if source is None:
            return
        many = column.kind in ("list", "countries")
        ws.data_validation(
            first,
            col,
            last,
            col,
            {
                "validate": "list",
                "source": source,
                # A list of values (several categories) is typed, not picked: the
                # drop-down shows the vocabulary without refusing "a, b".
                "show_error": not many,
            },
        )

    def column_format(self, column: Column) -> Any:
        return self.formats.get(column.kind, self.formats["text"])

    # -- sheets ---------------------------------------------------------------

    def table(self, sheet: Sheet, records: Sequence[Mapping[str, Any]]) -> None:
        ws = self.book.add_worksheet(sheet.name)
        columns = record_columns(sheet)
        widths = [len(c.key) + 2 for c in columns]
        for col, column in enumerate(columns):
            ws.write_string(0, col, column.key, self.header)
            ws.write_comment(0, col, self.help_text(sheet, column), {"x_scale": 2, "y_scale": 2})
        for row, record in enumerate(records, start=1):
            for col, column in enumerate(columns):
                width = self.cell(ws, row, col, column, _get(record, column.path))
                widths[col] = max(widths[col], width + 2)
        last = len(records) + SPARE_ROWS
        for col, column in enumerate(columns):
            self.validation(ws, 1, last, col, column)
            ws.set_column(col, col, min(widths[col], MAX_WIDTH), self.column_format(column))
        ws.freeze_panes(1, 1 if sheet.parent is None else 2)
        ws.autofilter(0, 0, max(len(records), 1), len(columns) - 1)

    def vertical(self, sheet: Sheet, record: Mapping[str, Any], commune: Mapping[str, Any]) -> None:
        ws = self.book.add_worksheet(sheet.name)
        headers = ("sheet.help.field", "sheet.help.value", "sheet.help.meaning")
        for col, key in enumerate(headers):
            ws.write_string(0, col, translate(key, self.lang), self.header)
        width = 12
        rows = [(c, commune.get(c.key.split(".", 1)[1])) for c in commune_columns()]
        rows += [(c, _get(record, c.path)) for c in sheet.columns]
        for row, (column, value) in enumerate(rows, start=1):
            ws.write_string(row, 0, column.key, self.header)
            width = max(width, self.cell(ws, row, 1, column, value) + 2)
            if column.kind in ("date", "event", "int", "float") and value is None:
                ws.write_blank(row, 1, None, self.column_format(column))
            ws.write_string(row, 2, self.help_text(sheet, column), self.wrap)
            self.validation(ws, row, row, 1, column)
        ws.set_column(0, 0, max(len(c.key) for c, _ in rows) + 2)
        ws.set_column(1, 1, min(width, MAX_WIDTH), self.formats["text"])
        ws.set_column(2, 2, 70)
        ws.freeze_panes(1, 1)
        ws.autofilter(0, 0, len(rows), 2)

    def help(self) -> None:
        """The Help sheet, first in the workbook; :meth:`fill_help` writes its table."""
        ws = self.book.add_worksheet("Help")
        ws.write_string(0, 0, translate("sheet.help.title", self.lang), self.header)
        ws.write_string(1, 0, translate("sheet.help.intro", self.lang), self.wrap)
        keys = (
            "sheet.help.sheet",
            "sheet.help.column",
            "sheet.help.meaning",
            "sheet.help.expected",
        )
        for col, key in enumerate(keys):
            ws.write_string(3, col, translate(key, self.lang), self.header)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 40)
        ws.set_column(2, 3, 60)
        ws.freeze_panes(4, 0)
        self.help_sheet = ws

    def fill_help(self, layout: Sequence[Sheet]) -> None:
        ws, row = self.help_sheet, 4
        for sheet in layout:
            columns = commune_columns() + list(sheet.columns) if sheet.vertical else None
            for column in columns or record_columns(sheet):
                ws.write_string(row, 0, sheet.name)
                ws.write_string(row, 1, column.key)
                ws.write_string(row, 2, self.meaning(sheet, column), self.wrap)
                ws.write_string(row, 3, self.expected(column), self.wrap)
                row += 1
        ws.autofilter(3, 0, row - 1, 3)

    def save(self) -> bytes:
        self.book.close()
        return deterministic_xlsx(self.buffer.getvalue(), FIXED_DATE)


def _get(record: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(record, Mapping):
            return None
        record = record.get(part)
    return record


def _children(
    parents: Sequence[Any], parent_key: str, list_key: str, numbered: bool
) -> list[dict[str, Any]]:
    """The rows of a child sheet: each child with its parent's id (and its number)."""
    rows: list[dict[str, Any]] = []

    def walk(items: Any, owner: Any, prefix: str) -> None:
        for index, item in enumerate(items if isinstance(items, list) else [], start=1):
            if not isinstance(item, Mapping):
                continue
            number = f"{prefix}{index}"
            rows.append({parent_key: owner, **({"number": number} if numbered else {}), **item})
            if numbered:
                walk(item.get(list_key), owner, number + ".")

    for parent in parents:
        if isinstance(parent, Mapping):
            walk(parent.get(list_key), parent.get("id"), "")
    return rows


def export_workbook(
    data: Mapping[str, Any],
    commune: Mapping[str, Any],
    reference: ReferenceData,
    lang: str,
) -> bytes:
    """The workbook of an inventory: ``data`` maps each inventory file name to
    its YAML content (as read; empty mappings for the template), ``commune`` is
    ``conformite.toml``'s ``[commune]``."""
    layout = sheets()
    writer = _Writer(lang, reference)
    writer.help()
    writer.write_lists([c for s in layout for c in s.columns])
    organisation = _get(data.get("organisation.yaml"), ("organisation",)) or {}
    for sheet in layout:
        if sheet.vertical:
            writer.vertical(sheet, organisation, commune)
            continue
        content = data.get(sheet.file) or {}
        if sheet.parent:
            parent_key = sheet.parent_sheet.lower() if sheet.parent_sheet else ""
            parents = _get(content, (parent_key,)) or []
            records = _children(parents, sheet.parent, sheet.list_key, sheet.numbered)
        else:
            records = _get(content, sheet.list_key.split(".")) or []
        writer.table(sheet, [r for r in records if isinstance(r, Mapping)])
    writer.fill_help(layout)
    return writer.save()
