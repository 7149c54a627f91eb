"""Read an inventory workbook back into the YAML files (``conformite inventory import``).

The workbook is opened through :mod:`.safe_xlsx` (size, zip bomb, dimension,
row and time limits, read-only openpyxl, formula cells seen as formulas).
Each sheet of :mod:`.spreadsheet_layout` is read by its headers (a column may
be moved; an unknown header is an error), each cell turned into the value the
YAML would hold: an empty cell is absent (not known), ``never`` stays
``never``, yes/no words of any of the four languages are booleans, date cells
dates, ``a, b`` a list, ``none`` an empty list of countries. A formula is
refused at its cell, never evaluated nor trusted.

:func:`read_inventory_workbook` gives the file contents and, for every value,
the cell it came from; the caller validates the files with the same models and
cross-checks as ``validate`` and puts each problem back at its cell with
:meth:`ImportedInventory.relocate` (``Services!F12 (hosting): …``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformite.errors import Problem, ProblemCollector, Text, closest, did_you_mean
from conformite.i18n import LANGUAGES, translate
from conformite.inventory.safe_xlsx import Formula, SafeWorkbook, XlsxLimits, open_workbook
from conformite.inventory.spreadsheet_export import commune_columns, record_columns
from conformite.inventory.spreadsheet_layout import NONE_WORD, Column, Sheet, sheets

__all__ = ["ImportedInventory", "dump_yaml", "read_inventory_workbook"]

_YES = {translate("sheet.yes", lang).casefold() for lang in LANGUAGES} | {"true", "y"}
_NO = {translate("sheet.no", lang).casefold() for lang in LANGUAGES} | {"false", "n"}
_SWISS_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_NUMBER = re.compile(r"^[1-9][0-9]{0,5}(\.[1-9][0-9]{0,5}){0,9}$")
_TOP_KEY = {
    "organisation.yaml": "organisation",
    "services.yaml": "services",
    "vendors.yaml": "vendors",
    "waivers.yaml": "waivers",
}


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(column))


@dataclass
class ImportedInventory:
    """What a workbook says: the four files' contents and where each value sits."""

    file: str
    files: dict[str, dict[str, Any]]
    #: ``conformite.toml``'s ``[commune]`` as the Organisation sheet gives it.
    commune: dict[str, Any]
    #: (file name, field path as problems write it) -> ``Sheet!B12 (key)``.
    cells: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Paths whose cell was refused already (no second problem for them).
    refused: set[tuple[str, str]] = field(default_factory=set)
    #: What the cells themselves are refused for (a formula, not yes/no, ...).
    problems: list[Problem] = field(default_factory=list)

    def relocate(self, problems: Iterable[Problem], files: Iterable[str]) -> list[Problem]:
        """Problems of the generated ``files`` (YAML, ``conformite.toml``) put back
        at their cells; the rest unchanged. Problems about a refused cell are dropped."""
        out: list[Problem] = []
        names = set(files)
        for problem in problems:
            name = Path(problem.file).name
            where = self._cell(name, problem.path) if name in names else None
            if where is None:
                out.append(problem)
                continue
            if (name, problem.path) in self.refused:
                continue
            out.append(
                Problem(
                    file=self.file,
                    path=where,
                    message=problem.message,
                    expected=problem.expected,
                    found=problem.found,
                    hint=problem.hint,
                )
            )
        return out

    def _cell(self, name: str, path: str) -> str | None:
        while path:
            found = self.cells.get((name, path))
            if found is not None:
                return found
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return translate("sheet.yes" if value else "sheet.no", "en")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, int | float | dt.date):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        match = _SWISS_DATE.match(text)
        if match:
            try:
                return dt.date(int(match[3]), int(match[2]), int(match[1]))
            except ValueError:
                return text
        return text
    return value


def _convert(value: Any, column: Column) -> tuple[Any, Text | None]:
    """The YAML value of a non-empty cell, or a reason to refuse it."""
    kind = column.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        word = str(_text(value)).casefold()
        if word in _YES:
            return True, None
        if word in _NO:
            return False, None
        return None, Text("sheet.error.not_yes_no")
    if kind in ("int", "float"):
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        return (value.strip() if isinstance(value, str) else value), None
    if kind == "event" and isinstance(value, str) and value.strip().casefold() == "never":
        return "never", None
    if kind in ("date", "event"):
        return _date(value), None
    if kind in ("list", "countries"):
        text = str(_text(value))
        if kind == "countries" and text.casefold() == NONE_WORD:
            return [], None
        return [item.strip() for item in text.split(",") if item.strip()], None
    return _text(value), None


def _set(record: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        record = record.setdefault(part, {})
    record[path[-1]] = value


def _path_text(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


class _Reader:
    def __init__(self, book: SafeWorkbook) -> None:
        self.book = book
        self.problems = ProblemCollector()
        self.result = ImportedInventory(
            book.file,
            {
                name: ({top: {}} if top == "organisation" else {top: []})
                for name, top in _TOP_KEY.items()
            },
            {},
        )
        #: Sheet name -> id -> (record, its field path) of the parent sheets.
        self.ids: dict[str, dict[str, tuple[dict[str, Any], str]]] = {}

    def refuse(self, where: str, message: str, **extra: Any) -> None:
        self.problems.add(Problem(file=self.book.file, path=where, message=message, **extra))

    def header(self, sheet: Sheet, values: tuple[Any, ...], known: list[Column]) -> dict[str, int]:
        """Column key -> index, unknown and repeated headers refused at their cell."""
        keys = {c.key for c in known}
        index: dict[str, int] = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            name = str(_text(value))
            where = f"{sheet.name}!{_letter(i + 1)}1"
            if name not in keys:
                hint = did_you_mean(closest(name, sorted(keys)))
                self.refuse(where, Text("sheet.error.unknown_column", name=name), hint=hint)
            elif name in index:
                self.refuse(where, Text("sheet.error.duplicate_column", name=name))
            else:
                index[name] = i
        return index

    def cell(
        self, file: str, path: str, where: str, column: Column, value: Any
    ) -> tuple[bool, Any]:
        """(present, value) of one cell; a refused cell is reported and absent."""
        self.result.cells[(file, path)] = where
        if value is None or (isinstance(value, str) and not value.strip()):
            return False, None
        if isinstance(value, Formula):
            self.result.refused.add((file, path))
            self.refuse(
                where,
                Text("sheet.error.formula"),
                found=str(value)[:60],
                hint=Text("sheet.error.formula.hint"),
            )
            return False, None
        converted, problem = _convert(value, column)
        if problem is not None:
            self.result.refused.add((file, path))
            found = repr(_text(value))
            self.refuse(where, problem, expected=Text(f"sheet.kind.{column.kind}"), found=found)
            return False, None
        return True, converted

    def rows(
        self, sheet: Sheet, known: list[Column]
    ) -> Iterable[tuple[int, dict[str, int], tuple[Any, ...]]]:
        limits = self.book.limits
        index: dict[str, int] | None = None
        for number, values in self.book.rows(sheet.name, min_row=1, max_col=limits.max_columns):
            if number == 1:
                index = self.header(sheet, values, known)
                continue
            if index is None:
                index = {}
            yield number, index, values

    def record(
        self,
        sheet: Sheet,
        file: str,
        base: str,
        number: int,
        index: dict[str, int],
        values: tuple[Any, ...],
        columns: Iterable[Column],
    ) -> dict[str, Any]:
        record: dict[str, Any] = {}
        self.result.cells[(file, base)] = f"{sheet.name}!A{number}"
        for column in columns:
            i = index.get(column.key)
            where = f"{sheet.name}!{_letter((i or 0) + 1)}{number} ({column.key})"
            present, value = self.cell(
                file,
                _path_text(base, column.key),
                where,
                column,
                values[i] if i is not None and i < len(values) else None,
            )
            if present:
                _set(record, column.path, value)
        return record

    # -- sheets ---------------------------------------------------------------

    def vertical(self, sheet: Sheet) -> None:
        known = {c.key: c for c in commune_columns() + list(sheet.columns)}
        organisation = self.result.files[sheet.file]["organisation"]
        for number, values in self.book.rows(sheet.name, min_row=2, max_col=3):
            key = str(_text(values[0])) if values[0] is not None else ""
            column = known.get(key)
            if column is None:
                hint = did_you_mean(closest(key, sorted(known)))
                self.refuse(
                    f"{sheet.name}!A{number}",
                    Text("sheet.error.unknown_field", name=key),
                    hint=hint,
                )
                continue
            where = f"{sheet.name}!B{number} ({key})"
            if key.startswith("commune."):
                present, value = self.cell("conformite.toml", key, where, column, values[1])
                if present:
                    self.result.commune[key.split(".", 1)[1]] = value
                continue
            path = _path_text("organisation", key)
            present, value = self.cell(sheet.file, path, where, column, values[1])
            if present:
                _set(organisation, column.path, value)
        for column in commune_columns():  # a missing commune row still has a place
            self.result.cells.setdefault(("conformite.toml", column.key), f"{sheet.name}!A1")

    def table(self, sheet: Sheet) -> None:
        file = sheet.file
        content = self.result.files[file]
        parts = sheet.list_key.split(".")
        target = content
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        items: list[Any] = target.setdefault(parts[-1], [])
        ids: dict[str, tuple[dict[str, Any], str]] = {}
        for number, index, values in self.rows(sheet, record_columns(sheet)):
            base = f"{sheet.list_key}[{len(items)}]"
            record = self.record(sheet, file, base, number, index, values, sheet.columns)
            items.append(record)
            if isinstance(record.get("id"), str):
                ids.setdefault(record["id"], (record, base))
        self.ids[sheet.name] = ids

    def children(self, sheet: Sheet) -> None:
        assert sheet.parent and sheet.parent_sheet
        parents = self.ids.get(sheet.parent_sheet, {})
        #: (parent id, number) -> (record, path) for the sub-processors' chain.
        numbered: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for number, index, values in self.rows(sheet, record_columns(sheet)):
            owner = self._value(index, values, sheet.parent)
            i = index.get(sheet.parent, 0)
            where = f"{sheet.name}!{_letter(i + 1)}{number} ({sheet.parent})"
            if owner is None:
                self.refuse(where, Text("sheet.error.parent_missing"))
                continue
            if owner not in parents:
                hint = did_you_mean(closest(owner, sorted(parents)))
                self.refuse(
                    where,
                    Text("sheet.error.unknown_parent", value=owner, sheet=sheet.parent_sheet),
                    hint=hint,
                )
                continue
            holder, base = parents[owner]
            if sheet.numbered:
                place = self._value(index, values, "number")
                found = self._place(owner, place, numbered, holder, base)
                if found is None:
                    self.refuse(
                        f"{sheet.name}!{_letter(index.get('number', 1) + 1)}{number} (number)",
                        Text("sheet.error.bad_number"),
                        expected=Text("sheet.error.bad_number.expected"),
                        found=repr(place),
                    )
                    continue
                holder, base = found
            items = holder.setdefault(sheet.list_key, [])
            path = f"{base}.{sheet.list_key}[{len(items)}]"
            record = self.record(sheet, sheet.file, path, number, index, values, sheet.columns)
            items.append(record)
            if sheet.numbered:
                own = place or str(len(items))
                numbered[(owner, own)] = (record, path)

    @staticmethod
    def _value(index: dict[str, int], values: tuple[Any, ...], key: str) -> str | None:
        i = index.get(key)
        value = values[i] if i is not None and i < len(values) else None
        text = _text(value) if value is not None else None
        return str(text) if text not in (None, "") else None

    @staticmethod
    def _place(
        owner: str,
        place: str | None,
        numbered: dict[tuple[str, str], tuple[dict[str, Any], str]],
        holder: dict[str, Any],
        base: str,
    ) -> tuple[dict[str, Any], str] | None:
        """The record that holds a sub-processor numbered ``place`` (``2.1``: the 2)."""
        if place is None or "." not in place:
            return (holder, base) if place is None or _NUMBER.match(place) else None
        if not _NUMBER.match(place) or (owner, place) in numbered:
            return None
        return numbered.get((owner, place.rsplit(".", 1)[0]))


def read_inventory_workbook(
    path: Path, display: str | None = None, limits: XlsxLimits | None = None
) -> ImportedInventory:
    """The inventory a workbook holds, with the problems of its cells (a formula,
    a value that is not yes/no, an unknown column, a row whose parent id is
    unknown) in ``problems``; :class:`InputError` for the workbook itself (the
    limits of :mod:`.safe_xlsx`)."""
    with open_workbook(path, limits, display, formulas=True) as book:
        reader = _Reader(book)
        present = set(book.sheetnames)
        for sheet in sheets():
            if sheet.name not in present:
                reader.refuse(
                    sheet.name,
                    Text("sheet.error.missing_sheet", sheet=sheet.name),
                    hint=Text("sheet.error.missing_sheet.hint"),
                )
            elif sheet.vertical:
                reader.vertical(sheet)
            elif sheet.parent:
                reader.children(sheet)
            else:
                reader.table(sheet)
    reader.result.problems = reader.problems.problems
    return reader.result


def dump_yaml(data: dict[str, Any], source: str) -> str:
    """YAML text of one inventory file: keys in the model's order, lists of plain
    values on one line (``[CH, DE]``), dates as ISO dates."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> Any:
        flow = all(not isinstance(item, dict | list) for item in items)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)

    Dumper.add_representer(list, represent_list)
    body = yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    name = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", "?", source)
    return f"# Written by conformite inventory import from {name}.\n{body}"
