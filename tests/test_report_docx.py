"""The decision paper as an editable DOCX: real headings, tables, the chart as an image."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT

from conformite.report.render import render_report
from test_report import LANGS, golden_report, run


def _document(lang: str = "en", annex: bool = False):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(render_report("docx", golden_report(lang), with_annex=annex)))


@pytest.mark.parametrize("lang", LANGS)
def test_decision_paper_has_word_headings_motions_and_the_chart(lang: str) -> None:
    report = golden_report(lang)
    document = _document(lang)
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", report.t("report.h.decisions")) in headings
    assert ("Heading 1", report.t("report.h.budget")) in headings
    assert ("Heading 1", report.t("report.h.annex")) not in headings
    numbered = [p.text for p in document.paragraphs if p.style.name == "List Number"]
    assert numbered == report.decisions
    assert len(document.inline_shapes) == 1  # the score chart
    years = document.tables[1]
    assert years.rows[0].cells[0].text == report.t("report.col.year")
    assert len(years.rows) == 1 + report.plan.horizon_years
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def test_the_annex_on_request_on_landscape_pages() -> None:
    document = _document("en", annex=True)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert "Annex for the IT manager" in headings
    assert document.sections[-1].orientation == WD_ORIENT.LANDSCAPE
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "SVC-CRITICAL-VULNS — No known critical vulnerability is left open" in texts


def test_docx_is_deterministic_and_dated_by_the_audit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = render_report("docx", golden_report("fr"))
    assert first == render_report("docx", golden_report("fr"))
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert "2026-11-28T00:00:00Z" in core
    out = tmp_path / "paper.docx"
    result = run(
        "report", "--demo", "--as-of", "2026-11-28", "--format", "docx", "-o", str(out), "--no-save"
    )
    assert result.exit_code == 0, result.output
    assert Document(str(out)).paragraphs
