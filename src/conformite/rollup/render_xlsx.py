"""The roll-up as an XLSX workbook, for those who filter, sort and chart it themselves.

Sheets: Summary, Groups, Communes (left out of a private roll-up), Controls,
Vendors (one row per vendor, then one per vendor and control) and Trend. The
sheets are written by the report's workbook code (:mod:`conformite.report.render.xlsx`):
header row frozen, an auto-filter, column widths from the content, counts and
scores as numbers, dates as dates, A4 landscape print setup; text is always a
text cell, never a formula (a vendor named ``=HYPERLINK(…)`` stays text). The
bytes are the same for the same roll-up: the document's dates are the latest
audit date, never the clock.

Figures left out for privacy stay out here too: a suppressed group has its
name and the reason, no number; suppressed vendors are only counted.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from conformite.i18n import translate
from conformite.report.render.xlsx import XlsxBook, write_sheet
from conformite.rollup.model import PRIVACY_MIN_COMMUNES
from conformite.rollup.render_html import (
    band_label,
    group_label,
    matched_text,
    sorted_controls,
)

if TYPE_CHECKING:
    from conformite.rollup.model import Distribution, Rollup

__all__ = ["render_rollup_xlsx"]

SCORE = "0.0"
#: The workbook's date when the roll-up has no audit date (no commune).
NO_DATE = dt.date(2000, 1, 1)


def _quantiles(d: Distribution | None) -> list[float | None]:
    if d is None:
        return [None] * 6
    return [d.minimum, d.p25, d.median, d.p75, d.maximum, d.mean]


def render_rollup_xlsx(rollup: Rollup) -> bytes:
    """The roll-up's tables as an XLSX workbook, in ``rollup.lang``."""
    lang = rollup.lang

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    as_of = dt.date.fromisoformat(rollup.as_of_until[:10]) if rollup.as_of_until else NO_DATE
    book = XlsxBook(as_of)
    _summary(book, rollup, t)
    quantile_header = [
        t("rollup.render.col.min"), t("rollup.render.col.p25"), t("rollup.render.col.median"),
        t("rollup.render.col.p75"), t("rollup.render.col.max"), t("rollup.render.col.mean"),
    ]  # fmt: skip
    suppressed = t("rollup.render.suppressed", min=PRIVACY_MIN_COMMUNES)
    write_sheet(
        book,
        t("rollup.render.sheet.groups"),
        [t("rollup.render.col.dimension"), t("rollup.render.col.group"),
         t("rollup.render.col.communes"), *quantile_header, t("rollup.render.col.coverage"),
         t("rollup.render.col.note")],
        (
            [t(f"rollup.render.dimension.{g.dimension}"), group_label(g, lang)]
            + (
                [None] * 8 + [suppressed]
                if g.suppressed
                else [g.communes, *_quantiles(g.score), g.coverage.median if g.coverage else None,
                      None]
            )
            for g in rollup.groups
        ),
        dict.fromkeys(range(3, 10), SCORE),
    )  # fmt: skip
    if not rollup.private:
        write_sheet(
            book,
            t("rollup.render.sheet.communes"),
            [t("rollup.render.col.commune"), t("rollup.render.col.canton"), "BFS",
             t("rollup.render.col.population"), t("rollup.render.col.band"),
             t("rollup.render.col.as_of"), t("column.score"), t("column.grade"),
             t("rollup.render.col.coverage_commune"), t("rollup.render.col.services"),
             t("rollup.render.col.vendors"), t("rollup.render.col.percentile"),
             t("rollup.render.col.signature")],
            (
                [c.name, c.canton, c.bfs_number, c.population, band_label(c.band, lang),
                 dt.date.fromisoformat(c.as_of[:10]), c.score, c.grade, c.coverage, c.services,
                 c.vendors, c.percentile_in_band, t(f"rollup.render.signature.{c.signature}")]
                for c in rollup.communes
            ),
            {3: "#,##0", 6: SCORE, 8: SCORE, 11: SCORE},
        )  # fmt: skip
    write_sheet(
        book,
        t("rollup.render.sheet.controls"),
        [t("column.control"), t("column.title"), t("column.family"), t("column.severity"),
         t("rollup.render.col.fail"), t("rollup.render.col.unknown"), t("rollup.render.col.pass"),
         t("rollup.render.col.not_applicable"), t("rollup.render.col.findings_fail"),
         t("rollup.render.col.findings_unknown"), t("rollup.render.col.findings_pass")],
        (
            [c.control_id, c.title, t(f"family.{c.family}"), t(f"severity.{c.severity}"),
             c.communes_fail, c.communes_unknown, c.communes_pass, c.communes_not_applicable,
             c.findings_fail, c.findings_unknown, c.findings_pass]
            for c in sorted_controls(rollup.controls)
        ),
    )  # fmt: skip
    _vendors(book, rollup, t)
    write_sheet(
        book,
        t("rollup.render.sheet.trend"),
        [t("rollup.render.col.year"), t("rollup.render.col.communes"), *quantile_header,
         t("rollup.render.col.coverage"), t("rollup.render.col.failures")],
        (
            [y.year, y.communes, *_quantiles(y.score), y.coverage.median,
             y.failures_per_commune]
            for y in rollup.trend
        ),
        dict.fromkeys(range(2, 10), SCORE),
    )  # fmt: skip
    return book.save()


def _summary(book: XlsxBook, rollup: Rollup, t: Any) -> None:
    signature = t("rollup.render.fact.signatures")
    hidden = sum(1 for v in rollup.vendors if v.suppressed)
    rows: list[tuple[str, Any]] = [
        (t("rollup.render.fact.communes"), rollup.communes_count),
        (t("rollup.render.fact.results"), rollup.results),
        (t("rollup.render.fact.first"), rollup.as_of_from),
        (t("rollup.render.fact.last"), rollup.as_of_until),
        (t("rollup.render.fact.catalogue"), ", ".join(rollup.catalogue_versions)),
        *(
            (f"{signature} — {t(f'rollup.render.signature.{state}')}",
             rollup.signatures.get(state, 0))  # type: ignore[call-overload]
            for state in ("verified", "unsigned", "not_checked")
        ),
        (
            t("rollup.render.fact.mode"),
            t("rollup.render.private", min=PRIVACY_MIN_COMMUNES)
            if rollup.private
            else t("rollup.render.not_private"),
        ),
        *(
            [(t("rollup.render.vendors_not_shown", min=PRIVACY_MIN_COMMUNES), hidden)]
            if hidden
            else []
        ),
        ("conformite", rollup.tool_version),
    ]  # fmt: skip
    header = [t("report.col.item"), t("report.col.value")]
    write_sheet(book, t("rollup.render.sheet.summary"), header, rows)


def _vendors(book: XlsxBook, rollup: Rollup, t: Any) -> None:
    """One row per vendor (no control), then one per vendor and control with open findings."""
    lang = rollup.lang
    shown = [v for v in rollup.vendors if not v.suppressed]
    rows: list[list[Any]] = []
    for v in shown:
        vendor = [v.name, matched_text(v, lang), v.uid, v.profile, v.communes, v.share]
        names = "" if rollup.private else ", ".join(v.commune_names)
        rows.append([*vendor, None, None, None, None, None, None, names])
        rows.extend(
            [*vendor, f.control_id, f.title, t(f"severity.{f.severity}"), f.communes_fail,
             f.communes_unknown, f.communes_pass, None]
            for f in v.findings
        )  # fmt: skip
    header = [
        t("rollup.render.col.vendor"), t("rollup.render.col.matched_by"),
        t("rollup.render.col.uid"), t("rollup.render.col.profile"),
        t("rollup.render.col.communes"), t("rollup.render.col.share"), t("column.control"),
        t("column.title"), t("column.severity"), t("rollup.render.col.fail"),
        t("rollup.render.col.unknown"), t("rollup.render.col.pass"),
    ]  # fmt: skip
    if not rollup.private:
        header.append(t("rollup.render.vendor.communes"))
    else:
        rows = [row[:-1] for row in rows]
    write_sheet(book, t("rollup.render.sheet.vendors"), header, rows, {5: SCORE})
