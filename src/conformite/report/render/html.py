"""HTML: one self-contained, accessible, printable file.

No script, no external asset (a Content-Security-Policy in the page forbids
loading any), charts drawn as inline SVG, print CSS for A4. The page states
its language, headings follow each other without gaps, every table has
header cells, and every colour pair reaches at least 4.5:1 contrast. Text is
escaped by Jinja2's autoescaping; the only markup built in Python is the SVG
of the charts, from escaped parts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from conformite.i18n.formats import colon

if TYPE_CHECKING:
    import jinja2

    from conformite.report.model import Report, ScoreRow
    from conformite.report.public import PublicSummary
    from conformite.report.register import Register

__all__ = [
    "GRADE_COLOURS",
    "bar_chart",
    "render_html",
    "render_public_html",
    "render_register_html",
    "report_environment",
]

#: Fill colours of grades; each has at least 4.5:1 contrast with white text
#: and with the white page behind the bars.
GRADE_COLOURS = {
    "A": "#1e6b3a",
    "B": "#3b6e1f",
    "C": "#8a5a00",
    "D": "#b3261e",
    "E": "#7a1a14",
}
NO_GRADE = "#5f6368"


@functools.cache
def report_environment() -> jinja2.Environment:
    """The report templates' Jinja2 environment (autoescaping, strict undefined, the
    report's filters and globals); the roll-up page builds on it."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformite.report.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["grade_colour"] = lambda grade: GRADE_COLOURS.get(grade or "", NO_GRADE)
    env.globals["bar_chart"] = bar_chart
    return env


def _truncate(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def bar_chart(
    rows: Sequence[ScoreRow],
    chart_id: str,
    title: str,
    format_score: object,
    axis_title: str = "",
) -> Markup:
    """A horizontal bar chart of scores (0-100) as inline SVG, one bar per row.

    Labels are cut to 30 characters (with "…") inside a 260-unit column, so
    that no label runs off the left edge; the axis below carries the values
    0 to 100 and its title. The chart has a title for assistive technology;
    the same figures are in the table printed beside it.
    """
    shown = [r for r in rows if r.score.score is not None]
    label_width, bar_width, row_height, top, axis = 260, 330, 26, 8, 34
    width = label_width + bar_width + 100
    bars_bottom = top + row_height * max(len(shown), 1)
    height = bars_bottom + axis
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for tick in (0, 25, 50, 75, 100):
        x = label_width + bar_width * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bars_bottom + 4}" '
            f'stroke="#c4c7c5" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{bars_bottom + 17}" text-anchor="middle" font-size="11" '
            f'fill="#44474e">{tick}</text>'
        )
    if axis_title:
        parts.append(
            f'<text x="{label_width + bar_width / 2:.1f}" y="{bars_bottom + 31}" '
            f'text-anchor="middle" font-size="11" fill="#44474e">{escape(axis_title)}</text>'
        )
    for index, row in enumerate(shown):
        value = float(row.score.score or 0.0)
        y = top + index * row_height
        colour = GRADE_COLOURS.get(row.score.grade or "", NO_GRADE)
        length = bar_width * value / 100
        text = f"{format_score(value)} ({row.grade_label})"  # type: ignore[operator]
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" '
            f'font-size="12" fill="#1f1f1f">{escape(_truncate(row.label))}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row_height - 8}" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" font-size="12" '
            f'fill="#1f1f1f">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    from conformite.report.summary import fact_list, facts_named

    return (
        report_environment()
        .get_template("report.html.j2")
        .render(
            r=report,
            t=report.t,
            colon=lambda text: colon(text, report.lang),
            fact_list=lambda facts: fact_list(facts, report.lang),
            facts_named=lambda facts: facts_named(facts, report.lang),
        )
    )


def render_register_html(register: Register) -> str:
    """The record of processing activities on its own, as one HTML document."""
    from conformite.i18n import translate

    def t(key: str, **values: object) -> str:
        return translate(key, register.lang, **values)

    return (
        report_environment()
        .get_template("register.html.j2")
        .render(reg=register, t=t, colon=lambda text: colon(text, register.lang))
    )


def render_public_html(summary: PublicSummary) -> str:
    """The public summary for residents, as one HTML document."""
    from conformite.i18n import translate
    from conformite.i18n.formats import format_chf, format_date, format_delta, format_number

    lang = summary.lang

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    return (
        report_environment()
        .get_template("public.html.j2")
        .render(
            p=summary,
            t=t,
            date=lambda value: format_date(value, lang),
            number=lambda value, decimals=0: format_number(value, lang, decimals),
            chf=lambda value: format_chf(value, lang),
            delta=lambda value: format_delta(value, lang),
        )
    )
