"""XLSX (openpyxl): one sheet per list the IT manager filters and sorts.

Sheets: summary, scores, findings, action plan, waivers, suppliers and the
record of processing activities. Every list sheet has its header row frozen
and an auto-filter over its columns. Dates are real dates and amounts real
numbers (formatted ``dd.mm.yyyy`` and ``#'##0.00``), so a spreadsheet can sort
and sum them.

Text is always a text cell, never a formula, even when it starts with ``=``
(a vendor's name, an answer): a spreadsheet shows it as it is.

The file is byte-identical for the same inputs: the document properties take
the audit date instead of the clock, and the zip entries a fixed timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from conformite._outputs import append_row, deterministic_xlsx
from conformite.i18n import translate
from conformite.report.model import FindingGroup, Report
from conformite.report.register import COLUMNS as register_columns
from conformite.report.register import Register
from conformite.report.register import rows as register_rows

__all__ = ["open_groups", "render_register_xlsx", "render_xlsx"]

DATE_FORMAT = "dd.mm.yyyy"
CHF_FORMAT = "#,##0.00"
MAX_WIDTH = 60
#: Lists longer than this are not wrapped cell by cell (it costs seconds).
WRAP_ROWS = 2000


def open_groups(r: Report) -> list[FindingGroup]:
    """Confirmed gaps (by severity), then facts to document: every open finding of the report."""
    return [g for _, groups in r.findings for g in groups] + list(r.to_document)


def _date(value: str | dt.date | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10])


def _sheet(
    workbook: Any,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: dict[int, str] | None = None,
) -> Any:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=title[:31])
    append_row(sheet, header)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF6")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    widths = [len(str(h)) for h in header]
    count = 0
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        append_row(sheet, row)
        count += 1
        for index, value in enumerate(row):
            widths[index] = max(widths[index], min(len(str(value or "")), MAX_WIDTH))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH + 2)
    for column, number_format in (formats or {}).items():
        letter = get_column_letter(column + 1)
        for cell in sheet[letter][1:]:
            cell.number_format = number_format
    if count <= WRAP_ROWS:  # styling every cell is slow: only for lists a person scrolls
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                cell.alignment = wrap
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    return sheet


def _register_sheet(workbook: Any, register: Register) -> None:
    lang = register.lang

    def t(key: str) -> str:
        return translate(key, lang)

    _sheet(
        workbook,
        t("xlsx.sheet.register"),
        [t(key) for key in register_columns],
        register_rows(register, ", ", "\n"),
    )


def _deterministic(data: bytes, when: dt.date) -> bytes:
    """Fixed timestamps, the audit date as modification date (see :func:`deterministic_xlsx`)."""
    return deterministic_xlsx(data, when)


def _workbook(creator: str, as_of: dt.date) -> Any:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    stamp = dt.datetime(as_of.year, as_of.month, as_of.day)
    workbook.properties.creator = creator
    workbook.properties.lastModifiedBy = creator
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    return workbook


def _save(workbook: Any, as_of: dt.date) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic(buffer.getvalue(), as_of)


def render_xlsx(r: Report) -> bytes:
    """The report's lists as an XLSX workbook."""
    t = r.t
    as_of = dt.date.fromisoformat(r.as_of)
    workbook = _workbook("conformite", as_of)
    summary = [
        (t("report.cover.commune"), r.commune),
        (t("report.cover.canton"), r.canton),
        (t("report.cover.population"), r.population),
        (t("report.cover.as_of"), as_of),
        (t("report.cover.catalogue"), r.catalogue_version),
        (t("column.score"), r.score.score),
        (t("column.grade"), r.score.grade or "–"),
        (t("column.gaps"), r.score.failed + r.score.errors),
        (t("column.unknown"), r.score.unknown),
        (t("column.coverage"), r.score.coverage),
        *([(t("column.capped"), r.coverage_sentence)] if r.score.grade_capped else []),
        (t("report.h.trend"), r.trend.sentence if r.trend else t("report.trend.none")),
        *((t("report.cover.law"), line) for line in r.law),
        *([(t("report.cover.law_summary"), r.law_summary)] if r.law_summary else []),
        *(
            (
                t("report.h.risks"),
                f"{risk.control_id} — {risk.title}"
                + (
                    f" — {t('report.risk.expired_waiver', names=', '.join(risk.expired_waivers))}"
                    if risk.expired_waivers
                    else ""
                ),
            )
            for risk in r.risks
        ),
        *(
            (
                t("report.h.unknowns"),
                " — ".join(x for x in (u.control_id, u.title, u.why, u.who) if x),
            )
            for u in r.unknowns
        ),
        *((t("report.h.decisions"), d) for d in r.decisions),
    ]
    sheet = _sheet(
        workbook, t("xlsx.sheet.summary"), [t("report.col.item"), t("report.col.value")], summary
    )
    sheet["B5"].number_format = DATE_FORMAT
    score_rows = []
    for kind, rows in (
        (t("audit.by_family"), r.by_family),
        (t("audit.by_objective"), r.by_objective),
        (t("report.h.by_service"), r.by_service),
        (t("report.h.by_supplier"), r.by_supplier),
    ):
        for row in rows:
            if row.counted:
                s = row.score
                score_rows.append(
                    [kind, row.label, s.score, s.grade, s.passed, row.gaps, row.unknown,
                     s.waived, s.coverage, t("report.yes") if s.grade_capped else t("report.no")]
                )  # fmt: skip
    _sheet(
        workbook,
        t("xlsx.sheet.scores"),
        [t("xlsx.scores.kind"), t("report.col.name"), t("column.score"), t("column.grade"),
         t("column.passed"), t("column.gaps"), t("column.unknown"), t("column.waived"),
         t("column.coverage"), t("column.capped")],
        score_rows,
        {2: "0.0", 8: "0.0"},
    )  # fmt: skip
    _sheet(
        workbook,
        t("xlsx.sheet.findings"),
        [
            t("column.severity"), t("column.control"), t("column.title"), t("column.family"),
            t("report.col.target_kind"), t("report.col.target_id"), t("column.target"),
            t("report.col.need"), t("report.col.kind"), t("report.col.outcome"),
            t("report.col.problem"), t("report.col.missing"), t("report.col.who"),
            t("report.col.owner"), t("column.basis"), t("report.col.links"),
            t("report.col.what_to_do"), t("report.col.weight"), t("report.col.risk"),
        ],
        (
            [
                t(f"severity.{g.severity}"), g.control_id, g.title, t(f"family.{g.family}"),
                t(f"target.{i.target_kind}"), i.target_id, i.target_name, t(f"need.{i.need}"),
                t(f"report.kind.{g.kind}"), t(f"outcome.{i.outcome}"),
                "\n".join(i.messages + ([i.expired_waiver] if i.expired_waiver else [])),
                "\n".join(i.unknown_facts), "\n".join(i.answer),
                i.owner, ", ".join(b.citation for b in g.legal_basis),
                "\n".join(b.url for b in g.legal_basis), g.remediation, i.weight, i.risk,
            ]
            for g in open_groups(r)
            for i in g.items
        ),
    )  # fmt: skip
    _sheet(
        workbook,
        t("xlsx.sheet.plan"),
        [
            t("report.col.rank"), t("report.col.year"), t("column.control"), t("report.col.action"),
            t("column.severity"), t("report.col.targets"), t("report.col.days"),
            t("report.col.external"), t("report.col.cost"), t("report.col.owner"),
            t("report.col.what_to_do"), t("report.col.kind"), t("report.col.risk"),
        ],
        (
            [
                a.rank, a.year, a.control_id, a.title, t(f"severity.{a.severity}"), a.targets,
                a.person_days, a.external_chf, a.cost_chf, ", ".join(a.owners), a.remediation,
                t(f"report.kind.{a.kind}"), a.risk,
            ]
            for a in r.plan.actions
        ),
        {7: CHF_FORMAT, 8: CHF_FORMAT},
    )  # fmt: skip
    soon = f" — {t('report.waivers.soon')}"
    _sheet(
        workbook,
        t("xlsx.sheet.waivers"),
        [
            t("column.control"), t("column.title"), t("column.target"), t("column.status"),
            t("report.col.risk"), t("report.col.justification"), t("column.approver"),
            t("report.col.decided"), t("column.expires"),
        ],
        (
            [
                w.control_id, w.title, w.target,
                t(f"waiver.{w.status}") + (soon if w.expiring_soon else ""),
                t(f"report.risk.{w.risk}"), w.justification, w.approver, _date(w.decided_on),
                _date(w.expires_on),
            ]
            for w in r.waivers
        ),
        {7: DATE_FORMAT, 8: DATE_FORMAT},
    )  # fmt: skip
    _sheet(
        workbook,
        t("xlsx.sheet.suppliers"),
        [
            t("report.col.name"), t("report.supplier.country"), t("report.supplier.parent"),
            t("report.supplier.services"), t("report.col.need"), t("report.supplier.abroad"),
            t("report.supplier.dpa"), t("report.supplier.sub_processors"),
            t("report.supplier.certifications"), t("report.supplier.dpf"),
            t("report.supplier.clauses"), t("report.supplier.breach"),
            t("report.supplier.audit_rights"), t("report.supplier.contract_end"),
            t("report.supplier.last_review"), t("column.score"),
        ],
        (
            [
                s.name, s.country, s.parent, ", ".join(s.services), t(f"need.{s.need}"),
                "\n".join(f"{d.country}: {d.safeguard}" for d in s.destinations),
                s.dpa_signed_on, "\n".join(s.sub_processors),
                "\n".join(
                    f"{c.label}: {t('report.supplier.expiry_unknown')}"
                    if c.valid is None
                    else f"{c.label}: {t('report.supplier.valid_until', date=c.valid_until)}"
                    + ("" if c.valid else f" — {t('report.supplier.not_valid')}")
                    for c in s.certifications
                ),
                s.dpf, s.fdpic_clauses, s.breach_notification, s.audit_rights,
                s.contract_end_on, s.last_review_on,
                s.score.score if s.score else None,
            ]
            for s in r.suppliers
        ),
    )  # fmt: skip
    _register_sheet(workbook, r.register)
    return _save(workbook, as_of)


def render_register_xlsx(register: Register, as_of: dt.date) -> bytes:
    """The record of processing activities on its own, as an XLSX workbook."""
    workbook = _workbook("conformite", as_of)
    _register_sheet(workbook, register)
    return _save(workbook, as_of)
