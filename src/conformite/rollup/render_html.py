"""The roll-up as one HTML page, for an association's secretary, a cantonal
data-protection officer or a shared IT provider.

The same rules as the report's HTML (:mod:`conformite.report.render.html`),
whose base template this page extends: one self-contained file, no script,
no external asset (the Content-Security-Policy forbids loading any), charts
as inline SVG drawn here from escaped parts, each with a title, a description
carrying its figures and a table beside it; print CSS for A4. Every name
(commune, vendor, file) is escaped: Jinja2 autoescapes the template, and the
SVG parts go through :func:`markupsafe.escape`.

Unknown is never shown as good: 'to document' has its own colour (amber,
next to the red of failures), never the green of a pass, and a commune or
group without a score shows '–', not 0 or 100.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from conformite.i18n import translate
from conformite.i18n.formats import colon, format_date, format_number, format_score
from conformite.rollup.model import PRIVACY_MIN_COMMUNES

if TYPE_CHECKING:
    import jinja2

    from conformite.rollup.model import ControlRow, GroupRow, Rollup, TrendRow, VendorRow

__all__ = [
    "CHART_CONTROLS",
    "CHART_VENDORS",
    "OUTCOME_COLOURS",
    "band_label",
    "group_label",
    "matched_text",
    "render_rollup_html",
    "sorted_controls",
    "vendor_sentence",
]

#: Controls drawn in the chart (most failing communes first); the table lists all.
CHART_CONTROLS = 20
#: Vendors drawn in the chart (most communes first); the sentences cover all.
CHART_VENDORS = 15
#: Colours of the outcomes, each at least 4.5:1 against white (the numbers printed
#: on them) and 3:1 against the page. 'To document' is amber, never a shade of green.
OUTCOME_COLOURS = {
    "fail": "#b3261e",
    "unknown": "#8a5a00",
    "pass": "#1e6b3a",
    "not_applicable": "#5f6368",
}
_INK, _GRID, _MUTED = "#1f1f1f", "#c4c7c5", "#44474e"
#: Labels longer than this are cut (with '…'): they must fit the label column.
_LABEL_CHARS = 28


# --------------------------------------------------------------------------
# words shared by the page and the workbook
# --------------------------------------------------------------------------


def band_label(band: str, lang: str) -> str:
    """``1'000–1'999 habitants`` from the band's key ``1000-1999`` (``50'000+``)."""
    low, _, high = band.partition("-")
    if not high:
        numbers = format_number(int(low.rstrip("+")), lang) + "+" if low[:-1].isdigit() else band
    elif low.isdigit() and high.isdigit():
        numbers = f"{format_number(int(low), lang)}–{format_number(int(high), lang)}"
    else:
        numbers = band
    return translate("rollup.render.group.band", lang, band=numbers)


def group_label(group: GroupRow, lang: str) -> str:
    """All communes, ``Canton VD`` or a population band, in words."""
    if group.dimension == "all":
        return translate("rollup.render.group.all", lang)
    if group.dimension == "canton":
        return translate("rollup.render.group.canton", lang, canton=group.key)
    return band_label(group.key, lang)


def sorted_controls(controls: Sequence[ControlRow]) -> list[ControlRow]:
    """Most failing communes first, then most communes with facts to document."""
    return sorted(controls, key=lambda c: (-c.communes_fail, -c.communes_unknown, c.control_id))


def matched_text(vendor: VendorRow, lang: str) -> str:
    """How the communes' entries were put together: by UID, by profile, by name only."""
    if vendor.matched_by == "uid" and vendor.uid:
        return translate("rollup.render.matched.uid", lang, uid=vendor.uid)
    if vendor.matched_by == "profile" and vendor.profile:
        return translate("rollup.render.matched.profile", lang, profile=vendor.profile)
    return translate("rollup.render.matched.name", lang)


def _communes(count: int, lang: str) -> str:
    return translate("rollup.render.n_communes", lang, count=count, count_text=_n(count, lang))


def _n(value: float, lang: str, decimals: int = 0) -> str:
    return format_number(value, lang, decimals)


def _percent(value: float | None, lang: str, decimals: int = 0) -> str:
    return "–" if value is None else f"{format_number(value, lang, decimals)} %"


def vendor_sentence(vendor: VendorRow, lang: str) -> str:
    """``43 communes depend on Acme SA (matched by UID …). Open points: processing
    agreement (SUP-DPA): failed in 12 communes, to document in 5; …``"""
    head = translate(
        "rollup.render.vendor.depends",
        lang,
        count=vendor.communes,
        count_text=_n(vendor.communes, lang),
        name=vendor.name,
        matched=matched_text(vendor, lang),
    )
    items = []
    for finding in vendor.findings:
        parts = []
        if finding.communes_fail:
            parts.append(
                translate(
                    "rollup.render.vendor.fail", lang, where=_communes(finding.communes_fail, lang)
                )
            )
        if finding.communes_unknown:
            parts.append(
                translate(
                    "rollup.render.vendor.unknown",
                    lang,
                    where=_communes(finding.communes_unknown, lang),
                )
            )
        if parts:
            label = colon(f"{finding.title} ({finding.control_id})", lang)
            items.append(f"{label} {', '.join(parts)}")
    if not items:
        return f"{head} {translate('rollup.render.vendor.no_open', lang)}"
    separator = " ; " if lang == "fr" else "; "
    return f"{head} {translate('rollup.render.vendor.open', lang, items=separator.join(items))}"


# --------------------------------------------------------------------------
# charts (inline SVG)
# --------------------------------------------------------------------------


def _cut(text: str, length: int = _LABEL_CHARS) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _text(
    x: float, y: float, text: str, anchor: str = "start", size: int = 12, **extra: str
) -> str:
    more = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in extra.items())
    fill = "" if "fill" in extra else f' fill="{_INK}"'
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
        f"{fill}{more}>{escape(text)}</text>"
    )


def _open(chart_id: str, title: str, desc: str, width: int, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _x_axis(
    parts: list[str],
    left: float,
    width: float,
    top: float,
    bottom: float,
    ticks: Sequence[int],
    tick_text: Callable[[int], str],
    title: str,
) -> None:
    """Vertical grid lines, their values under the plot and the axis title below."""
    for tick in ticks:
        x = left + width * tick / ticks[-1]
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4:.1f}" x2="{x:.1f}" y2="{bottom + 4:.1f}" '
            f'stroke="{_GRID}" stroke-width="1"/>'
        )
        parts.append(_text(x, bottom + 17, tick_text(tick), "middle", 11, fill=_MUTED))
    parts.append(_text(left + width / 2, bottom + 33, title, "middle", 11, fill=_MUTED))


def box_plot_chart(rollup: Rollup, t: Callable[..., str]) -> Markup:
    """One box plot of scores per group (all, cantons, bands): quartile box,
    median bar, minimum-maximum whiskers; a suppressed group says so in words."""
    lang = rollup.lang
    label_w, plot_w, value_w, row_h, top = 250, 400, 210, 30, 10
    width = label_w + plot_w + value_w
    rows = rollup.groups
    bottom = top + row_h * max(len(rows), 1)
    desc = []
    body: list[str] = []
    for index, group in enumerate(rows):
        y = top + index * row_h
        label = group_label(group, lang)
        body.append(_text(label_w - 10, y + 19, _cut(label), "end"))
        d = group.score
        if group.suppressed or d is None or d.median is None:
            words = (
                t("rollup.render.suppressed", min=PRIVACY_MIN_COMMUNES)
                if group.suppressed
                else t("rollup.render.no_score")
            )
            body.append(
                _text(label_w + 8, y + 19, words, "start", 11, fill=_MUTED, font_style="italic")
            )
            desc.append(colon(label, lang) + " " + words)
            continue

        def x(value: float | None) -> float:
            return label_w + plot_w * (value or 0.0) / 100

        q1, q3, med = x(d.p25), x(d.p75), x(d.median)
        mid = y + row_h / 2
        if d.minimum is not None and d.maximum is not None:  # none in a private roll-up
            lo, hi = x(d.minimum), x(d.maximum)
            body.append(
                f'<line x1="{lo:.1f}" y1="{mid:.1f}" x2="{hi:.1f}" y2="{mid:.1f}" '
                f'stroke="{_MUTED}" stroke-width="1.5"/>'
            )
            for end in (lo, hi):
                body.append(
                    f'<line x1="{end:.1f}" y1="{mid - 6:.1f}" x2="{end:.1f}" y2="{mid + 6:.1f}" '
                    f'stroke="{_MUTED}" stroke-width="1.5"/>'
                )
        body.append(
            f'<rect class="box" x="{q1:.1f}" y="{y + 6:.1f}" width="{max(q3 - q1, 1.5):.1f}" '
            f'height="{row_h - 12}" fill="#dbe4f0" stroke="#1f3a5f" stroke-width="1.5"/>'
        )
        body.append(
            f'<line x1="{med:.1f}" y1="{y + 4:.1f}" x2="{med:.1f}" y2="{y + row_h - 4:.1f}" '
            f'stroke="#1f3a5f" stroke-width="3"/>'
        )
        value = t(
            "rollup.render.box.value",
            median=format_score(d.median, lang),
            count=d.count,
            count_text=_n(d.count, lang),
        )
        body.append(_text(label_w + plot_w + 12, y + 19, value, "start", 11))
        quartiles = {
            "median": format_score(d.median, lang),
            "p25": format_score(d.p25, lang),
            "p75": format_score(d.p75, lang),
        }
        if d.minimum is None or d.maximum is None:
            words = t("rollup.render.desc.box_private", **quartiles)
        else:
            words = t(
                "rollup.render.desc.box", **quartiles, minimum=format_score(d.minimum, lang),
                maximum=format_score(d.maximum, lang),
            )  # fmt: skip
        desc.append(colon(label, lang) + " " + words)
    parts = _open(
        "chart-distribution", t("rollup.render.chart.distribution"), " ".join(desc),
        width, bottom + 40,
    )  # fmt: skip
    _x_axis(parts, label_w, plot_w, top, bottom, (0, 25, 50, 75, 100), str,
            t("rollup.render.chart.score_axis"))  # fmt: skip
    return Markup("".join([*parts, *body, "</svg>"]))


_SEGMENTS = ("fail", "unknown", "pass", "not_applicable")


def controls_chart(controls: Sequence[ControlRow], lang: str, t: Callable[..., str]) -> Markup:
    """A stacked horizontal bar per control, communes by outcome: failed, to
    document, passed, not applicable; each count printed in its segment when
    it fits (the table beside gives them all)."""
    label_w, plot_w, row_h, legend_h = 310, 480, 36, 30
    width = label_w + plot_w + 20
    top = legend_h + 6
    bottom = top + row_h * max(len(controls), 1)
    parts = []
    for index, key in enumerate(_SEGMENTS):
        x = label_w + index * plot_w / 4
        parts.append(
            f'<rect x="{x:.1f}" y="6" width="14" height="14" fill="{OUTCOME_COLOURS[key]}"/>'
        )
        parts.append(_text(x + 20, 18, _cut(t(f"rollup.render.legend.{key}"), 22), "start", 11))
    desc = []
    most = max((_total(c) for c in controls), default=1) or 1
    for row, c in enumerate(controls):
        y = top + row * row_h
        # Two lines: what the control asks (cut), then its id for the table and the reports.
        parts.append(_text(label_w - 10, y + 15, _cut(c.title, 38), "end"))
        parts.append(_text(label_w - 10, y + 29, c.control_id, "end", 10, fill=_MUTED))
        x = float(label_w)
        for key, count in zip(_SEGMENTS, _counts(c), strict=True):
            if not count:
                continue
            w = plot_w * count / most
            parts.append(
                f'<rect class="seg-{key.replace("_", "-")}" x="{x:.1f}" y="{y + 5}" '
                f'width="{w:.1f}" height="{row_h - 10}" fill="{OUTCOME_COLOURS[key]}"/>'
            )
            text = _n(count, lang)
            if w >= 9 * len(text) + 6:
                parts.append(_text(x + w / 2, y + 22, text, "middle", 11, fill="#ffffff"))
            x += w
        desc.append(
            colon(c.control_id, lang) + " " + t(
                "rollup.render.desc.control", fail=c.communes_fail, unknown=c.communes_unknown,
                passed=c.communes_pass, na=c.communes_not_applicable,
            )
        )  # fmt: skip
    head = _open("chart-controls", t("rollup.render.chart.controls"), " ".join(desc), width,
                 bottom + 10)  # fmt: skip
    return Markup("".join([*head, *parts, "</svg>"]))


def _counts(c: ControlRow) -> tuple[int, int, int, int]:
    return c.communes_fail, c.communes_unknown, c.communes_pass, c.communes_not_applicable


def _total(c: ControlRow) -> int:
    return sum(_counts(c))


def vendors_chart(vendors: Sequence[VendorRow], lang: str, t: Callable[..., str]) -> Markup:
    """Horizontal bars: the share of the communes that use each vendor (0-100 %)."""
    label_w, plot_w, value_w, row_h, top = 260, 400, 130, 26, 10
    width = label_w + plot_w + value_w
    bottom = top + row_h * max(len(vendors), 1)
    parts: list[str] = []
    desc = []
    for row, v in enumerate(vendors):
        y = top + row * row_h
        w = plot_w * min(v.share, 100.0) / 100
        value = f"{_n(v.communes, lang)} ({_percent(v.share, lang)})"
        parts.append(_text(label_w - 10, y + 17, _cut(v.name), "end"))
        parts.append(
            f'<rect class="vendor-bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" '
            f'height="{row_h - 8}" fill="#1f3a5f"/>'
        )
        parts.append(_text(label_w + w + 6, y + 17, value, "start", 11))
        desc.append(f"{colon(v.name, lang)} {value}")
    head = _open("chart-vendors", t("rollup.render.chart.vendors"), " ".join(desc), width,
                 bottom + 40)  # fmt: skip
    _x_axis(head, label_w, plot_w, top, bottom, (0, 25, 50, 75, 100),
            lambda tick: f"{tick} %", t("rollup.render.chart.share_axis"))  # fmt: skip
    return Markup("".join([*head, *parts, "</svg>"]))


def trend_chart(trend: Sequence[TrendRow], lang: str, t: Callable[..., str]) -> Markup:
    """Per year, a bar from the first to the third quartile of the scores and the
    median as a point, the medians joined by a line; the y axis runs 0-100."""
    left, top, plot_h = 70, 14, 200
    step = max(110, 520 // max(len(trend), 1))
    width = left + step * len(trend) + 20
    bottom = top + plot_h
    parts: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        y = bottom - plot_h * tick / 100
        parts.append(
            f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
            f'stroke="{_GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 8, y + 4, str(tick), "end", 11, fill=_MUTED))
    parts.append(
        _text(16, top + plot_h / 2, t("rollup.render.chart.score_axis"), "middle", 11,
              fill=_MUTED, transform=f"rotate(-90 16 {top + plot_h / 2:.1f})")
    )  # fmt: skip
    desc, points = [], []
    for index, year in enumerate(trend):
        cx = left + step * index + step / 2
        d = year.score

        def y_of(value: float | None) -> float:
            return bottom - plot_h * (value or 0.0) / 100

        if d.p25 is not None and d.p75 is not None:
            parts.append(
                f'<rect class="iqr" x="{cx - 16:.1f}" y="{y_of(d.p75):.1f}" width="32" '
                f'height="{max(y_of(d.p25) - y_of(d.p75), 1.5):.1f}" fill="#dbe4f0" '
                f'stroke="#1f3a5f" stroke-width="1"/>'
            )
        if d.median is not None:
            points.append(f"{cx:.1f},{y_of(d.median):.1f}")
            # Above the quartile bar, clear of the line joining the medians.
            above = y_of(d.p75 if d.p75 is not None else d.median) - 7
            parts.append(_text(cx, max(above, 11), format_score(d.median, lang), "middle", 11))
        parts.append(_text(cx, bottom + 18, str(year.year), "middle", 12))
        desc.append(
            colon(str(year.year), lang) + " " + t(
                "rollup.render.desc.trend", median=format_score(d.median, lang),
                p25=format_score(d.p25, lang), p75=format_score(d.p75, lang),
            )
        )  # fmt: skip
    if len(points) > 1:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#1f3a5f" stroke-width="2"/>'
        )
    for point in points:
        px, py = point.split(",")
        parts.append(f'<circle class="median" cx="{px}" cy="{py}" r="5" fill="#1f3a5f"/>')
    head = _open("chart-trend", t("rollup.render.chart.trend"), " ".join(desc), width, bottom + 30)
    return Markup("".join([*head, *parts, "</svg>"]))


# --------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    """The report's environment (autoescaping, strict undefined, its globals), with
    this package's templates first: the page extends the report's base (CSS, CSP,
    print setup)."""
    import jinja2

    from conformite.report.render.html import report_environment

    report = report_environment()
    assert report.loader is not None
    loader = jinja2.ChoiceLoader(
        [jinja2.PackageLoader("conformite.rollup", "templates"), report.loader]
    )
    return report.overlay(loader=loader)


def render_rollup_html(rollup: Rollup) -> str:
    """The roll-up as one self-contained HTML document in ``rollup.lang``."""
    lang = rollup.lang

    def t(key: str, **values: object) -> str:
        count = values.get("count")
        if isinstance(count, int) and "count_text" not in values:
            values["count_text"] = _n(count, lang)  # '#' of plurals, grouped: 1'204
        return translate(key, lang, **values)

    controls = sorted_controls(rollup.controls)
    shown_vendors = [v for v in rollup.vendors if not v.suppressed]
    charted = sorted(shown_vendors, key=lambda v: (-v.communes, v.name))[:CHART_VENDORS]
    chart_controls = controls[:CHART_CONTROLS]
    return (
        _environment()
        .get_template("rollup.html.j2")
        .render(
            u=rollup,
            lang=lang,
            t=t,
            colon=lambda text: colon(text, lang),
            number=lambda value, decimals=0: "–" if value is None else _n(value, lang, decimals),
            score=lambda value: format_score(value, lang),
            percent=lambda value, decimals=0: _percent(value, lang, decimals),
            date=lambda value: format_date(value, lang),
            communes=lambda count: _communes(count, lang),
            band=lambda key: band_label(key, lang),
            group_label=lambda group: group_label(group, lang),
            vendor_sentence=lambda vendor: vendor_sentence(vendor, lang),
            minimum=PRIVACY_MIN_COMMUNES,
            controls=controls,
            chart_controls=chart_controls,
            shown_vendors=shown_vendors,
            suppressed_vendors=len(rollup.vendors) - len(shown_vendors),
            box_plot=box_plot_chart(rollup, t) if rollup.groups else None,
            controls_chart=controls_chart(chart_controls, lang, t) if chart_controls else None,
            vendors_chart=vendors_chart(charted, lang, t) if charted else None,
            trend_chart=trend_chart(rollup.trend, lang, t) if len(rollup.trend) >= 2 else None,
        )
    )
