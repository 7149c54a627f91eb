"""The roll-up page in a real headless Chromium: it renders, loads nothing, and
its charts are laid out with every label inside the drawing.

The page itself has no script and forbids any (Content-Security-Policy). To
measure the layout, a copy of it gets a small inline script (and a policy
allowing only that) which writes, after layout, each chart's text boxes into
the page; ``--dump-dom`` reads them back. Chromium, its flags, the console
detector and the blank-screenshot detector are the report's
(:mod:`test_report_chromium`), whose self-checks prove they see errors.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from conformite.rollup.render_html import render_rollup_html
from test_report_chromium import CHROMIUM, assert_drawn_quietly, chromium, console_messages
from test_rollup_render import LANGS, sample_rollup

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine: apt-get install -y chromium (CI installs it)",
)

#: Measures, once laid out, each chart's size and its text boxes against it.
MEASURE = """<script>
const out = [];
for (const svg of document.querySelectorAll('svg.chart')) {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')].map((t) => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left - box.left, right: r.right - box.left,
            top: r.top - box.top, bottom: r.bottom - box.top};
  });
  out.push({id: svg.id, width: box.width, height: box.height, texts,
            rects: svg.querySelectorAll('rect').length});
}
const page = {scroll: document.documentElement.scrollWidth, inner: window.innerWidth};
const pre = document.createElement('pre');
pre.id = 'layout';
pre.textContent = JSON.stringify({charts: out, page});
document.body.appendChild(pre);
</script>"""


def measured(tmp_path: Path, html: str) -> dict[str, Any]:
    """The charts' layout in Chromium (window 1000 pixels wide), and the page's
    width against the window's (``page``: ``scroll``, ``inner``)."""
    probe = html.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
    assert probe != html
    page = tmp_path / "measure.html"
    page.write_text(probe.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, page, "--window-size=1000,1400", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="layout">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stdout[-2000:]
    return json.loads(unescape(found.group(1)))


def outside(chart: dict[str, object]) -> list[str]:
    """The texts of ``chart`` that run past its edges (half a pixel of tolerance)."""
    width, height = float(chart["width"]), float(chart["height"])  # type: ignore[arg-type]
    return [
        box["text"]
        for box in chart["texts"]  # type: ignore[attr-defined]
        if box["left"] < -0.5 or box["right"] > width + 0.5
        or box["top"] < -0.5 or box["bottom"] > height + 0.5
    ]  # fmt: skip


def test_the_layout_probe_sees_a_label_running_off_the_chart(tmp_path: Path) -> None:
    html = render_rollup_html(sample_rollup("en"))
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-vendors"')
    end = html.index(">", start) + 1
    cut = html[:end] + '<text x="-40" y="20" font-size="12">Off the edge</text>' + html[end:]
    charts = {c["id"]: c for c in measured(tmp_path, cut)["charts"]}
    assert outside(charts["chart-vendors"]) == ["Off the edge"]
    assert outside(charts["chart-controls"]) == []


@pytest.mark.parametrize("lang", LANGS)
def test_rollup_page_in_chromium(lang: str, tmp_path: Path) -> None:
    html = render_rollup_html(sample_rollup(lang))
    page = tmp_path / f"rollup.{lang}.html"
    page.write_text(html, encoding="utf-8")
    assert_drawn_quietly(tmp_path, page)

    layout = measured(tmp_path, html)
    # Nothing wider than the window: every table's columns fit (headers wrap).
    assert layout["page"]["scroll"] <= layout["page"]["inner"], layout["page"]
    charts = {c["id"]: c for c in layout["charts"]}
    assert set(charts) == {"chart-distribution", "chart-controls", "chart-vendors", "chart-trend"}
    for chart in charts.values():
        assert 200 < float(chart["width"]) <= 1000, chart["id"]  # type: ignore[arg-type]
        assert float(chart["height"]) > 80, chart["id"]  # type: ignore[arg-type]
        assert outside(chart) == [], chart["id"]
    # Six box plots (one per group), five stacked bars, four vendors, two years.
    assert html.count('<rect class="box"') == 6
    assert charts["chart-controls"]["rects"] == 4 + 3 + 3 + 3 + 2 + 2  # legend + segments
    assert charts["chart-vendors"]["rects"] == 4
    assert charts["chart-trend"]["rects"] == 2


def test_private_rollup_page_in_chromium(tmp_path: Path) -> None:
    html = render_rollup_html(sample_rollup("fr", private=True))
    page = tmp_path / "private.html"
    page.write_text(html, encoding="utf-8")
    done = chromium(tmp_path, page, "--window-size=1000,1400", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == [], done.stderr[-4000:]
    assert 'id="chart-distribution"' in done.stdout and 'id="communes"' not in done.stdout
    charts = {c["id"]: c for c in measured(tmp_path, html)["charts"]}
    assert charts["chart-vendors"]["rects"] == 2  # the two vendors of three communes or more


def test_rollup_page_prints_on_a4(tmp_path: Path) -> None:
    page = tmp_path / "rollup.html"
    page.write_text(render_rollup_html(sample_rollup("de")), encoding="utf-8")
    pdf = tmp_path / "rollup.pdf"
    printed = chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert printed.returncode == 0, printed.stderr[-2000:]
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    sizes = {(round(float(w)), round(float(h))) for w, h in boxes}
    assert (595, 842) in sizes, sizes  # A4 portrait, in points
    assert (842, 595) in sizes, sizes  # the communes table on a landscape page
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 3
