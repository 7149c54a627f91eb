"""DOCX (python-docx): the decision paper as an editable Word document.

Councils edit a report before it goes to the executive. This is the same
decision paper as the HTML report's first part: cover, situation (with the
score chart as an image), decisions as motions, top risks with their cost,
the budget plan and what is not known yet. ``--with-annex`` adds the annex
(scores, gaps by control, facts to document, the full plan, waivers,
suppliers, methodology). Real Word headings (so the navigation pane and a
table of contents work), tables with a repeated header row, A4 pages. The
HTML/PDF stays the signed original: an edited DOCX is a new document.

The chart is a PNG drawn with Pillow (Word and LibreOffice both read PNG,
neither reliably reads SVG in DOCX). The file is byte-identical for the same
inputs: the core properties carry the audit date and the zip entries a fixed
timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conformite._outputs import deterministic_xlsx
from conformite.report.common import first_few
from conformite.report.render.html import GRADE_COLOURS, NO_GRADE

if TYPE_CHECKING:
    from conformite.report.model import Report, ScoreRow

__all__ = ["chart_png", "render_docx"]

#: How many year-1 actions the paper lists (the annex lists all), as in the HTML paper.
PAPER_ACTIONS = 12


#: Fonts with the accented letters of the four languages, in the usual places of Debian
#: (fonts-dejavu-core, fonts-liberation), Fedora, macOS and Windows.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


def _font(size: int) -> tuple[Any, bool]:
    """(font, whether it has accented letters): a system font when there is one, else
    Pillow's built-in font, which has none (labels then lose their accents, never their
    letters)."""
    from pathlib import Path

    from PIL import ImageFont

    for name in FONT_FILES:
        if Path(name).is_file():
            return ImageFont.truetype(name, size), True
    return ImageFont.load_default(size=size), False


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def chart_png(rows: Sequence[ScoreRow], axis_title: str, format_score: Any) -> bytes:
    """A horizontal bar chart of scores (0-100) as PNG: labels never clipped (cut with
    "…" to fit their column), axis values 0 to 100 and the axis title."""
    from PIL import Image, ImageDraw

    shown = [r for r in rows if r.score.score is not None]
    scale = 2  # drawn at twice the size, printed at 16 cm: sharp on paper
    font, accents = _font(13 * scale)
    small, _ = _font(11 * scale)
    if not accents:
        axis_title = _ascii(axis_title)
    label_width, bar_width, row_height, top = 260 * scale, 330 * scale, 26 * scale, 8 * scale
    width = label_width + bar_width + 110 * scale
    bars_bottom = top + row_height * max(len(shown), 1)
    height = bars_bottom + 40 * scale
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for tick in (0, 25, 50, 75, 100):
        x = label_width + bar_width * tick // 100
        draw.line([(x, top - 4), (x, bars_bottom + 4)], fill="#c4c7c5", width=scale)
        draw.text((x, bars_bottom + 8 * scale), str(tick), font=small, fill="#44474e", anchor="mt")
    draw.text(
        (label_width + bar_width // 2, bars_bottom + 24 * scale),
        axis_title,
        font=small,
        fill="#44474e",
        anchor="mt",
    )
    for index, row in enumerate(shown):
        value = float(row.score.score or 0.0)
        y = top + index * row_height
        label = row.label if accents else _ascii(row.label)
        while draw.textlength(label, font=font) > label_width - 12 * scale and len(label) > 2:
            label = label[:-2].rstrip() + "…"
        draw.text((label_width - 8 * scale, y + row_height // 2), label, font=font,
                  fill="#1f1f1f", anchor="rm")  # fmt: skip
        length = bar_width * value / 100
        colour = GRADE_COLOURS.get(row.score.grade or "", NO_GRADE)
        draw.rectangle(
            [(label_width, y + 4 * scale), (label_width + length, y + row_height - 4 * scale)],
            fill=colour,
        )
        text = f"{format_score(value)} ({row.grade_label})"
        draw.text((label_width + length + 6 * scale, y + row_height // 2), text, font=small,
                  fill="#1f1f1f", anchor="lm")  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


#: Texts up to this many characters are kept on one line in a table cell.
SHORT_TEXT = 12


def column_weights(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[float]:
    """A relative width per column from what it holds: its longest word (which must
    fit on a line) or the mean length of its texts, whichever is larger, capped so
    that one long column does not squeeze the others to a word per line."""
    weights = []
    for index, title in enumerate(header):
        texts = [str(title)] + ["" if row[index] is None else str(row[index]) for row in rows]
        # A short text ("CHF 2'000", "Année 1") should not break at its space either.
        unbreakable = max(
            len(text) if len(text) <= SHORT_TEXT else max(map(len, text.split()), default=0)
            for text in texts
        )
        mean = sum(len(text) for text in texts) / len(texts)
        # + the cell's padding and the bold header's wider letters.
        weights.append(float(min(45, max(4, unbreakable + 3, mean))))
    return weights


class _Writer:
    """A python-docx document with the few building blocks the report needs."""

    def __init__(self, report: Report) -> None:
        from docx import Document
        from docx.shared import Cm, Pt

        self.r = report
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = section.bottom_margin = Cm(1.8)
        style = self.doc.styles["Normal"]
        style.font.name = "Arial"
        style.font.size = Pt(10)
        stamp = dt.datetime.fromisoformat(f"{report.as_of}T00:00:00")
        props = self.doc.core_properties
        props.author = props.last_modified_by = "conformite"
        props.created = props.modified = props.last_printed = stamp
        props.revision = 1
        props.title = report.t(
            "report.title", commune=report.commune, date=report.date(report.as_of)
        )
        props.language = report.lang

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(text, level=level)

    def para(self, text: str, bold_lead: str = "", style: str | None = None) -> None:
        paragraph = self.doc.add_paragraph(style=style)
        if bold_lead:
            paragraph.add_run(bold_lead).bold = True
            paragraph.add_run(" ")
        paragraph.add_run(text)

    def table(
        self, header: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()
    ) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.autofit = False
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(str(text)).bold = True
        # Repeat the header row on every page.
        row_properties = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        row_properties.append(repeat)
        for values in rows:
            cells = table.add_row().cells
            for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
                cell.text = "" if value is None else str(value)
                if index in numeric:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        # Word and LibreOffice give every column the same width unless told:
        # a three-word figure column then takes as much room as the action's title.
        section = self.doc.sections[-1]
        usable = section.page_width - section.left_margin - section.right_margin
        weights = column_weights(header, rows)
        for index, column in enumerate(table.columns):
            width = int(usable * weights[index] / sum(weights))
            column.width = width
            for cell in column.cells:
                cell.width = width
        self.doc.add_paragraph()

    def image(self, data: bytes) -> None:
        from docx.shared import Cm

        self.doc.add_picture(io.BytesIO(data), width=Cm(16))

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return deterministic_xlsx(buffer.getvalue(), dt.date.fromisoformat(self.r.as_of))


def _paper(w: _Writer) -> None:
    r, t = w.r, w.r.t
    w.para(t("report.paper.kicker") + " · " + t("report.kicker"))
    w.heading(t("report.title", commune=r.commune, date=r.date(r.as_of)), 0)
    w.table(
        [t("report.col.item"), t("report.col.value")],
        [
            (t("report.cover.commune"), r.commune),
            (t("report.cover.canton"), r.canton),
            (t("report.cover.population"), r.number(r.population)),
            (t("report.cover.as_of"), r.date(r.as_of)),
            (t("report.cover.catalogue"), r.catalogue_version),
            (t("report.cover.law"), "\n".join(r.law)),
        ],
    )
    if r.law_summary:
        w.para(r.law_summary, bold_lead=t("report.cover.law_summary"))
    w.heading(t("report.h.situation"), 1)
    w.para(t("report.summary.score", score=r.score_text(r.score.score))
           + (f" — {r.score.grade}" if r.score.grade else ""), style="Intense Quote")  # fmt: skip
    w.para(r.grade_sentence)
    w.para(r.counts_sentence + (f" {r.coverage_sentence}" if r.coverage_sentence else ""))
    w.image(chart_png(r.by_family, t("report.chart.axis"), r.score_text))
    w.heading(t("report.h.trend"), 2)
    w.para(r.trend.sentence if r.trend else t("report.trend.none"))
    w.heading(t("report.h.decisions"), 1)
    for decision in r.decisions:
        w.para(decision, style="List Number")
    w.heading(t("report.h.risks"), 1)
    if not r.risks:
        w.para(t("report.risk.none"))
    for risk in r.risks:
        names = first_few(risk.target_names)
        w.para(
            t("report.risk.targets", count=risk.targets, names=names)
            + f" ({t('severity.' + risk.severity)}, {risk.control_id})",
            bold_lead=risk.title,
            style="List Number 2",
        )
        if risk.why:
            w.para(risk.why)
        w.para(r.fix_cost_text(risk))
    w.heading(t("report.h.budget"), 1)
    w.para(r.plan_intro)
    if r.plan.all_actions:
        w.para(r.plan_total)
        _years_table(w)
        year1 = [a for a in r.plan.actions if a.year == 1]
        if year1:
            w.heading(t("report.plan.year1"), 2)
            w.table(
                [t("report.col.action"), t("report.plan.col.basis"), t("report.col.targets"),
                 t("report.plan.col.cash"), t("report.col.days")],
                [(a.title, r.priority_text(a), a.targets, r.chf(a.cash_chf), r.days(a.person_days))
                 for a in year1[:PAPER_ACTIONS]],
                numeric=(2, 3, 4),
            )  # fmt: skip
    w.heading(t("report.h.unknowns"), 1)
    if not r.unknowns:
        w.para(t("report.unknowns.none"))
    for u in r.unknowns:
        w.para(" ".join(x for x in (u.why, u.who) if x), bold_lead=u.title, style="List Bullet")


def _years_table(w: _Writer) -> None:
    r, t = w.r, w.r.t
    w.table(
        [t("report.col.year"), t("report.col.actions"), t("report.plan.col.cash"),
         t("report.plan.col.credit_share"), t("report.col.days"),
         t("report.plan.col.staff_share"), t("report.plan.col.bought")],
        [(t("report.plan.year", year=y.year), y.actions, r.chf(y.cash_chf),
          r.percent(y.credit_share), r.days(y.person_days), r.percent(y.staff_share),
          r.days(y.bought_days)) for y in r.plan.years],
        numeric=(1, 2, 3, 4, 5, 6),
    )  # fmt: skip


def _annex(w: _Writer) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION

    from conformite.report.summary import facts_named

    r, t = w.r, w.r.t
    section = w.doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    w.heading(t("report.h.annex"), 1)
    w.para(t("report.annex.intro"))
    w.heading(t("report.h.scores"), 2)
    score_tables = (
        (t("audit.by_family"), r.by_family),
        (t("audit.by_objective"), r.by_objective),
        (t("report.h.by_service"), r.by_service),
        (t("report.h.by_supplier"), r.by_supplier),
    )
    for title, rows in score_tables:
        w.heading(title, 3)
        w.table(
            ["", t("column.score"), t("column.grade"), t("column.gaps"), t("column.unknown"),
             t("column.coverage")],
            [(x.label, r.score_text(x.score.score), x.grade_label, x.gaps, x.unknown,
              r.coverage_text(x.score)) for x in rows if x.counted],
            numeric=(1, 3, 4, 5),
        )  # fmt: skip
    w.heading(t("report.h.findings"), 2)
    for _, groups in r.findings:
        for g in groups:
            w.heading(f"{g.control_id} — {g.title}", 3)
            w.para(", ".join(b.citation for b in g.legal_basis), bold_lead=t("column.basis"))
            if g.remediation:
                w.para(g.remediation, bold_lead=t("control.remediation"))
            w.table(
                [t("column.target"), t("report.col.need"), t("report.col.problem"),
                 t("report.col.owner")],
                [(i.target_name, t(f"need.{i.need}"), " ".join(i.messages), i.owner)
                 for i in g.items],
            )  # fmt: skip
    w.heading(t("report.h.to_document"), 2)
    w.table(
        [t("column.control"), t("column.target"), t("report.col.missing"), t("report.col.who")],
        [(g.control_id, i.target_name, facts_named(i.unknown_facts, r.lang) or " ".join(i.messages),
          " ".join(i.answer) or i.owner) for g in r.to_document for i in g.items],
    )  # fmt: skip
    w.heading(t("report.h.plan"), 2)
    _years_table(w)
    w.table(
        ["#", t("report.col.year"), t("report.col.action"), t("report.plan.col.basis"),
         t("report.col.targets"), t("report.plan.col.cash"), t("report.col.days"),
         t("report.col.owner")],
        [(a.rank, a.year or "–", f"{a.control_id} {a.title}", r.priority_text(a), a.targets,
          r.chf(a.cash_chf), r.days(a.person_days), ", ".join(a.owners[:3]))
         for a in r.plan.all_actions],
        numeric=(0, 1, 4, 5, 6),
    )  # fmt: skip
    w.heading(t("report.h.waivers"), 2)
    w.table(
        [t("column.control"), t("column.target"), t("column.status"), t("column.approver"),
         t("column.expires")],
        [(w_.control_id, w_.target, t(f"waiver.{w_.status}"), w_.approver, r.date(w_.expires_on))
         for w_ in r.waivers],
    )  # fmt: skip
    w.heading(t("report.h.suppliers"), 2)
    w.table(
        [t("report.col.name"), t("report.supplier.country"), t("report.supplier.dpa"),
         t("report.supplier.contract_end"), t("column.score")],
        [(s.name, s.country, s.dpa_signed_on, s.contract_end_on,
          r.score_text(s.score.score) if s.score else "–") for s in r.suppliers],
    )  # fmt: skip
    w.heading(t("report.h.methodology"), 2)
    for line in (*r.methodology.scope, *r.methodology.formula, *r.methodology.not_assessed):
        w.para(line, style="List Bullet")


def render_docx(report: Report, with_annex: bool = False) -> bytes:
    """The decision paper (and the annex when asked) as a DOCX document."""
    writer = _Writer(report)
    _paper(writer)
    if with_annex:
        _annex(writer)
    return writer.save()
