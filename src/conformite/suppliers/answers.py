"""Reading a vendor's filled questionnaire back (XLSX or YAML).

:func:`import_answers` checks every answer against its question
(:mod:`conformite.suppliers.questionnaire`) and returns a
:class:`~conformite.suppliers.screening.Candidate`, or raises
:class:`~conformite.errors.InputError` with one problem per wrong cell
(sheet, cell, field, expected, found); :func:`vendor_entry_yaml` writes the
result in the inventory's format.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from conformite.errors import InputError, Problem, ProblemCollector, Text, closest
from conformite.inventory.model import DataLocation, Vendor
from conformite.inventory.model_types import NEVER
from conformite.inventory.reference import ReferenceData
from conformite.inventory.safe_xlsx import SafeWorkbook, XlsxLimits, open_workbook
from conformite.inventory.safe_yaml import dump_yaml, load_yaml_file
from conformite.suppliers.questionnaire import (
    _FIRST_ROW,
    _NO,
    _STATUS_COLUMN,
    _YES,
    MAIN_SHEET,
    NEVER_WORDS,
    QUESTIONS,
    TABLES,
    Question,
    _choices,
    _t,
    allowed_text,
    event_fields,
)
from conformite.suppliers.screening import Candidate

__all__ = ["import_answers", "vendor_entry_yaml"]


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    value: Any
    where: str  # "vendor!C7" or "questions[6].answer"
    line: int | None = None
    column: int | None = None


@dataclass
class _Answers:
    file: str
    main: dict[str, _Answer]
    tables: dict[str, list[dict[str, _Answer]]]


#: Bounds for a filled questionnaire: the exported workbook is 13 kB, three sheets
#: of a few dozen rows and at most six columns (a vendor's has a status column).
_XLSX_LIMITS = XlsxLimits(
    max_file_bytes=2 * 1024 * 1024,
    max_members=100,
    max_member_bytes=8 * 1024 * 1024,
    max_total_bytes=16 * 1024 * 1024,
    max_rows=1_000,
    max_columns=_STATUS_COLUMN,
    max_cell_chars=5_000,
    max_seconds=10.0,
)
#: Rows of the main sheet read after the header (one question per row).
_MAIN_MAX_ROWS = 200


def _read_xlsx(path: Path, problems: ProblemCollector) -> _Answers | None:
    try:
        workbook = open_workbook(path, _XLSX_LIMITS)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    with workbook:
        if MAIN_SHEET not in workbook.sheetnames:
            problems.report(
                workbook.file,
                f"no sheet '{MAIN_SHEET}'",
                expected=f"sheets {MAIN_SHEET}, " + ", ".join(TABLES),
            )
            return None
        answers = _Answers(file=workbook.file, main={}, tables={})
        try:
            _read_main_sheet(workbook, answers, problems)
            for table, columns in TABLES.items():
                answers.tables[table] = (
                    _read_table_sheet(workbook, table, columns)
                    if table in workbook.sheetnames
                    else []
                )
        except InputError as exc:
            problems.extend(exc.problems)
            return None
    return answers


def _read_main_sheet(workbook: SafeWorkbook, answers: _Answers, problems: ProblemCollector) -> None:
    """Columns A (field) and C (answer) of the main sheet; a field twice is an error.

    Columns B, D, E and F hold the question, allowed answers, help and (in a
    vendor's questionnaire) the row's status: read, not used.
    """
    known = {q.field for q in QUESTIONS}
    first_row: dict[str, int] = {}
    for number, (field, _question, value, *_help) in workbook.rows(
        MAIN_SHEET, min_row=2, max_col=_STATUS_COLUMN, max_rows=_MAIN_MAX_ROWS
    ):
        if field is None or str(field).strip() == "":
            continue
        name = str(field).strip()
        if name not in known:
            problems.report(
                workbook.file,
                f"unknown field '{field}'",
                path=f"{MAIN_SHEET}!A{number}",
                hint=_hint(name, known),
            )
            continue
        if name in first_row:
            problems.report(
                workbook.file,
                f"the field '{name}' is answered twice: {MAIN_SHEET}!A{first_row[name]} "
                f"and {MAIN_SHEET}!A{number}",
                path=f"{MAIN_SHEET}!A{number}",
                hint=Text("input.one_row_per_field"),
            )
            continue
        first_row[name] = number
        answers.main[name] = _Answer(value, f"{MAIN_SHEET}!C{number}")


def _read_table_sheet(
    workbook: SafeWorkbook, table: str, columns: tuple[Question, ...]
) -> list[dict[str, _Answer]]:
    letters = "ABCDEFGHIJ"
    return [
        {
            column.field: _Answer(value, f"{table}!{letters[index]}{number}")
            for index, (column, value) in enumerate(zip(columns, values, strict=True))
        }
        for number, values in workbook.rows(table, min_row=_FIRST_ROW, max_col=len(columns))
    ]


def _read_yaml(path: Path, problems: ProblemCollector) -> _Answers | None:
    try:
        doc = load_yaml_file(path)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        problems.report(
            doc.file,
            "not a conformite questionnaire",
            line=1,
            expected="a mapping with 'questions:'",
        )
        return None
    answers = _Answers(file=doc.file, main={}, tables={})
    known = {q.field for q in QUESTIONS}
    for i, item in enumerate(data["questions"]):
        field = item.get("field") if isinstance(item, dict) else None
        if field not in known:
            line, column = doc.locate(("questions", i))
            problems.report(
                doc.file,
                f"unknown field '{field}'",
                line=line,
                column=column,
                path=f"questions[{i}].field",
                hint=_hint(str(field), known),
            )
            continue
        line, column = doc.locate(("questions", i, "field"))
        first = answers.main.get(str(field))
        if first is not None:
            problems.report(
                doc.file,
                f"the field '{field}' is answered twice: {_place(first)} and "
                f"questions[{i}] (line {line})",
                line=line,
                column=column,
                path=f"questions[{i}].field",
                hint=Text("input.one_entry_per_field"),
            )
            continue
        line, column = doc.locate(("questions", i, "answer"))
        answers.main[str(field)] = _Answer(
            item.get("answer"), f"questions[{i}].answer", line, column
        )
    for table, columns in TABLES.items():
        section = data.get(table) or {}
        rows = section.get("rows") if isinstance(section, dict) else None
        out: list[dict[str, _Answer]] = []
        fields = {c.field for c in columns}
        for i, row in enumerate(rows or []):
            if not isinstance(row, dict):
                line, column = doc.locate((table, "rows", i))
                problems.report(
                    doc.file,
                    "expected a mapping",
                    line=line,
                    column=column,
                    path=f"{table}.rows[{i}]",
                    expected=", ".join(sorted(fields)),
                )
                continue
            for key in row:
                if key not in fields and key != "open":  # open: what was unknown
                    line, column = doc.locate((table, "rows", i, key))
                    problems.report(
                        doc.file,
                        f"unknown column '{key}'",
                        line=line,
                        column=column,
                        path=f"{table}.rows[{i}].{key}",
                        hint=_hint(str(key), fields),
                    )
            parsed = {}
            for c in columns:
                line, column = doc.locate((table, "rows", i, c.field))
                parsed[c.field] = _Answer(
                    row.get(c.field), f"{table}.rows[{i}].{c.field}", line, column
                )
            out.append(parsed)
        answers.tables[table] = out
    return answers


def _place(answer: _Answer) -> str:
    """Where an answer is, for a message that names two places."""
    if answer.line is None:
        return answer.where
    return f"{answer.where} (line {answer.line})"


def _hint(word: str, known: Iterable[str]) -> str | None:
    suggestion = closest(word, known)
    return f"did you mean '{suggestion}'?" if suggestion else None


_COUNTRY_SPLIT = re.compile(r"[\s,;]+")


def _parse(
    question: Question,
    answer: _Answer,
    file: str,
    lang: str,
    reference: ReferenceData,
    problems: ProblemCollector,
) -> Any:
    """The answer as the vendor model wants it; ``None`` when empty or wrong."""
    value = answer.value
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if question.required:
            _problem(
                problems,
                file,
                answer,
                question,
                Text("answers.required"),
                None,
                lang,
                reference,
            )
        return None

    def wrong(message: str = Text("answers.invalid")) -> None:
        _problem(problems, file, answer, question, message, value, lang, reference)

    kind = question.kind
    if kind == "yes_no":
        if isinstance(value, bool):
            return value
        word = str(value).lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
        return wrong()
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if str(value).lower() in NEVER_WORDS and question.field in event_fields():
            return NEVER
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            return wrong()
    if kind == "number":
        if isinstance(value, bool):
            return wrong()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and value >= 0:
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        return wrong()
    if kind == "choice":
        choices = _choices(question, reference)
        if str(value) in choices:
            return str(value)
        return wrong()
    if kind == "country":
        code = str(value).upper()
        if code in reference.countries:
            return code
        return wrong(Text("answers.unknown_country", codes=str(value)))
    if kind == "countries":
        words = value if isinstance(value, list) else _COUNTRY_SPLIT.split(str(value))
        codes = [str(c).upper() for c in words if c]
        bad = [c for c in codes if c not in reference.countries]
        if bad:
            return wrong(Text("answers.unknown_country", codes=", ".join(bad)))
        return list(dict.fromkeys(codes))
    if kind == "identifier":
        text = str(value)
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,79}", text):
            return wrong()
        return text
    if kind == "url":
        text = str(value)
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
            return wrong()
        return text
    return str(value)


def _problem(
    problems: ProblemCollector,
    file: str,
    answer: _Answer,
    question: Question,
    message: str,
    found: Any,
    lang: str,
    reference: ReferenceData,
    expected: str | None = None,
) -> None:
    problems.add(
        Problem(
            file=file,
            line=answer.line,
            column=answer.column,
            path=f"{answer.where} ({question.field})",
            message=message,
            expected=expected or allowed_text(question, lang, reference),
            found=None if found is None else repr(found),
        )
    )


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "vendor"


def import_answers(
    path: Path, reference: ReferenceData, *, lang: str = "en", vendor_id: str | None = None
) -> Candidate:
    """Read a filled questionnaire; raise :class:`InputError` with every wrong answer."""
    problems = ProblemCollector()
    if not path.is_file():
        raise InputError([Problem(file=str(path), message=Text("input.no_such_file"))])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        answers = _read_xlsx(path, problems)
    elif suffix in (".yaml", ".yml"):
        answers = _read_yaml(path, problems)
    else:
        raise InputError(
            [
                Problem(
                    file=str(path),
                    message=Text("input.unknown_questionnaire"),
                    expected=".xlsx or .yaml",
                    found=suffix or "(none)",
                )
            ]
        )
    if answers is None:
        problems.raise_if_any()
    assert answers is not None
    entry: dict[str, Any] = {}
    where: dict[str, _Answer] = {}
    questions = {q.field: q for q in QUESTIONS}
    for field, answer in answers.main.items():
        value = _parse(questions[field], answer, answers.file, lang, reference, problems)
        where[field] = answer
        if value is None:
            continue
        node = entry
        *parents, last = field.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    for question in QUESTIONS:
        if question.required and question.field not in answers.main:
            problems.report(
                answers.file, f"the question '{question.field}' is missing", path=question.field
            )
    certifications = []
    for row in answers.tables.get("certifications", []):
        parsed = {
            c.field: _parse(c, row[c.field], answers.file, lang, reference, problems)
            for c in TABLES["certifications"]
        }
        certifications.append({k: v for k, v in parsed.items() if v is not None})
    if certifications:
        entry["certifications"] = certifications
    sub_rows: list[tuple[dict[str, Any], str | None, _Answer]] = []
    for row in answers.tables.get("sub_processors", []):
        parsed = {
            c.field: _parse(c, row[c.field], answers.file, lang, reference, problems)
            for c in TABLES["sub_processors"]
        }
        under = parsed.pop("under")
        item = {k: v for k, v in parsed.items() if v is not None}
        item["sub_processors"] = []
        sub_rows.append((item, under, row["under"]))
    by_name: dict[Any, dict[str, Any]] = {}
    named_at: dict[Any, _Answer] = {}
    for (item, _, _), row in zip(sub_rows, answers.tables.get("sub_processors", []), strict=True):
        name = item.get("name")
        if name is None:
            continue
        if name in by_name:
            _problem(
                problems,
                answers.file,
                row["name"],
                TABLES["sub_processors"][0],
                Text(
                    "answers.sub_processor_twice",
                    name=name,
                    first=_place(named_at[name]),
                    second=_place(row["name"]),
                ),
                None,
                lang,
                reference,
                expected=Text("answers.one_row_per_sub_processor"),
            )
            continue
        by_name[name] = item
        named_at[name] = row["name"]
    top: list[dict[str, Any]] = []
    under_question = next(q for q in TABLES["sub_processors"] if q.field == "under")
    for item, under, answer in sub_rows:
        if under is None:
            top.append(item)
        elif under in by_name and by_name[under] is not item:
            by_name[under]["sub_processors"].append(item)
        else:
            _problem(
                problems,
                answers.file,
                answer,
                under_question,
                Text("answers.no_such_sub_processor"),
                under,
                lang,
                reference,
                expected=", ".join(str(n) for n in by_name if n) or "-",
            )
    if top:
        entry["sub_processors"] = top
    if vendor_id:
        entry["id"] = vendor_id
    elif "id" not in entry and "name" in entry:
        entry["id"] = _slug(str(entry["name"]))
    problems.raise_if_any()
    location = entry.pop("data_location", None)
    try:
        vendor = Vendor.model_validate(entry)
    except ValidationError as exc:
        for item in exc.errors(include_url=False):
            field = ".".join(str(p) for p in item["loc"])
            answer = where.get(field)
            problems.add(
                Problem(
                    file=answers.file,
                    line=answer.line if answer else None,
                    column=answer.column if answer else None,
                    path=f"{answer.where} ({field})" if answer else field,
                    message=item["msg"],
                    found=repr(item.get("input")),
                )
            )
        problems.raise_if_any()
        raise
    return Candidate(
        vendor=vendor,
        data_location=DataLocation.model_validate(location) if location else None,
    )


def vendor_entry_yaml(
    candidate: Candidate, lang: str, source: str, *, workspace: str | None = None
) -> str:
    """The vendor entry in the inventory's format, ready to paste into vendors.yaml.

    The file is also a valid ``conformite screen`` input (``vendors:`` with one
    item, and ``data_location:`` beside it). With ``workspace``, the entry is
    that workspace's vendor updated with the answers (its intro says so).
    """
    document: dict[str, Any] = {
        "vendors": [candidate.vendor.model_dump(mode="python", exclude_defaults=True)]
    }
    if candidate.data_location is not None:
        document["data_location"] = candidate.data_location.model_dump(
            mode="python", exclude_defaults=True
        )
    intro = (
        _t("entry_intro", lang, source=source)
        if workspace is None
        else _t(
            "entry_intro_workspace",
            lang,
            id=candidate.vendor.id,
            workspace=workspace,
            source=source,
        )
    )
    head = "".join(f"# {line}\n" for line in intro.splitlines())
    return head + dump_yaml(document)
