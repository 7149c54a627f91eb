"""The decision paper as an editable DOCX: real headings, tables, the chart as an image."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from html import unescape
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT

from conformite.report.render import render_report
from conftest import require_libreoffice
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


def _libreoffice(docx: bytes, target: str, folder: Path) -> bytes:
    """``docx`` converted by LibreOffice (headless, its own profile) to ``target``."""
    program = require_libreoffice()
    source = folder / "paper.docx"
    source.write_bytes(docx)
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [program, f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", target, "--outdir", str(folder / "out"), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return (folder / "out" / f"paper.{target}").read_bytes()


#: A page object of a PDF (not the /Pages tree node).
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_libreoffice_opens_the_paper_with_its_headings_in_at_most_eight_pages(
    lang: str, tmp_path: Path
) -> None:
    report = golden_report(lang)
    docx = render_report("docx", report)
    html = _libreoffice(docx, "html", tmp_path).decode("utf-8")
    # LibreOffice writes a Word "Heading n" paragraph as <hn>: the headings survived.
    found = {
        (int(level), unescape(re.sub(r"<[^>]+>", "", text)).strip())
        for level, text in re.findall(r"<h([1-3])[^>]*>(.*?)</h\1>", html, re.S)
    }
    for key in ("situation", "decisions", "risks", "budget", "unknowns"):
        assert (1, report.t(f"report.h.{key}")) in found, (key, sorted(found))
    assert (2, report.t("report.plan.year1")) in found
    pdf = _libreoffice(docx, "pdf", tmp_path)
    pages = len(PDF_PAGE.findall(pdf))
    assert 1 < pages <= 8, f"{pages} pages in LibreOffice"
