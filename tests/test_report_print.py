"""The printed report (WeasyPrint, the PDF's layout engine): the decision paper fits in
8 A4 pages, every page has its number and the running header, the table of contents
carries page numbers, and the full action plan sits on landscape pages.

The demo commune, in French, German and Italian (the languages whose words run longest).
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from conftest import require_pdf

PAPER_PAGES = 8


@functools.cache
def _document(lang: str):  # type: ignore[no-untyped-def]
    import weasyprint

    from conformite._paths import demo_dir
    from conformite.engine.audit import run_audit
    from conformite.engine.workspace import load_workspace
    from conformite.report.build import build_report
    from conformite.report.render.html import render_html

    workspace = load_workspace(demo_dir())
    report = build_report(workspace, run_audit(workspace, dt.date(2026, 11, 28), lang), None, lang)
    return report, weasyprint.HTML(string=render_html(report)).render()


def _texts(box) -> list[str]:  # type: ignore[no-untyped-def]
    """Every text of a WeasyPrint layout box and its descendants."""
    out = []
    for child in box.descendants():
        text = getattr(child, "text", None)
        if isinstance(text, str):
            out.append(text)
    return out


def _first_page_of(document, anchor: str) -> int:  # type: ignore[no-untyped-def]
    return next(i for i, page in enumerate(document.pages, start=1) if anchor in page.anchors)


@pytest.mark.parametrize("lang", ["fr", "de", "it"])
def test_the_decision_paper_fits_in_eight_pages(lang: str) -> None:
    require_pdf()
    _, document = _document(lang)
    annex = _first_page_of(document, "annex")
    assert annex - 1 <= PAPER_PAGES, f"the decision paper takes {annex - 1} pages"
    assert _first_page_of(document, "decisions") <= 3  # the motions come early


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_pages_are_numbered_with_a_running_header_and_a_printed_contents(lang: str) -> None:
    require_pdf()
    report, document = _document(lang)
    total = len(document.pages)
    page_word = report.t("report.page")
    title = report.t("report.title", commune=report.commune, date=report.date(report.as_of))
    for number, page in enumerate(document.pages, start=1):
        texts = " ".join(_texts(page._page_box))
        assert f"{page_word} {number} / {total}" in texts, number
        if number > 1:
            assert title in texts, number
    # The contents start on the cover page and may run onto the next one.
    contents = " ".join(_texts(document.pages[0]._page_box) + _texts(document.pages[1]._page_box))
    annex = _first_page_of(document, "annex")
    entry = contents.split(report.t("report.h.annex"), 1)[1]
    assert entry.replace(" .", "").split()[0] == str(annex)  # the leader, then the page


def test_the_full_plan_prints_on_landscape_pages() -> None:
    require_pdf()
    _, document = _document("fr")
    plan = _first_page_of(document, "plan")
    page = document.pages[plan - 1]
    assert page.width > page.height
    assert document.pages[0].width < document.pages[0].height  # the paper stays portrait
