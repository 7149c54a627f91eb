"""Stage 4 of the flow: turn an :class:`AuditResult` into something to read.

One renderer per format, registered by name, so every command that writes
results offers the same ``--format`` choices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

    from conformite.engine.results import AuditResult
    from conformite.report.model import Report
    from conformite.report.register import Register

__all__ = [
    "FORMATS",
    "REGISTER_FORMATS",
    "REPORT_FORMATS",
    "render",
    "render_register",
    "render_report",
]

FORMATS = ("table", "json", "oscal")
#: Formats of ``conformite report``, with the file extension of each.
REPORT_FORMATS = {
    "html": "html",
    "pdf": "pdf",
    "md": "md",
    "xlsx": "xlsx",
    "csv": "csv",
    "json": "json",
    "docx": "docx",
}
#: Formats of ``conformite register``, with the file extension of each.
REGISTER_FORMATS = {"md": "md", "xlsx": "xlsx", "csv": "csv", "html": "html"}


def render(fmt: str, result: AuditResult, lang: str, target: Any = None, top: int = 10) -> str:
    """Render ``result`` in ``fmt`` and return the text.

    The table renderer prints to ``target`` (a rich console) when one is given;
    ``top`` is how many findings it lists.
    """
    if fmt == "json":
        from conformite.report.render.json import render_json

        return render_json(result)
    if fmt == "oscal":
        from conformite.report.render.oscal import render_oscal

        return render_oscal(result, lang)
    if fmt == "table":
        from conformite.report.render.table import render_table

        return render_table(result, lang, target, top=top)
    raise ValueError(f"unknown format {fmt!r}")


def render_report(
    fmt: str, report: Report, plain_csv: bool = False, with_annex: bool = False
) -> bytes:
    """Render the Commission's report in ``fmt`` (see ``REPORT_FORMATS``), as bytes.

    CSV is for Swiss Excel (``;``, UTF-8 with a byte-order mark) unless ``plain_csv``
    (RFC 4180: ``,``, no byte-order mark). DOCX is the decision paper, with the annex
    when ``with_annex``."""
    if fmt == "html":
        from conformite.report.render.html import render_html

        return render_html(report).encode("utf-8")
    if fmt == "md":
        from conformite.report.render.markdown import render_markdown

        return render_markdown(report).encode("utf-8")
    if fmt == "csv":
        from conformite.report.render.csv import render_csv

        return render_csv(report, plain_csv).encode("utf-8")
    if fmt == "xlsx":
        from conformite.report.render.xlsx import render_xlsx

        return render_xlsx(report)
    if fmt == "pdf":
        from conformite.report.render.pdf import render_pdf

        return render_pdf(report)
    if fmt == "docx":
        from conformite.report.render.docx import render_docx

        return render_docx(report, with_annex)
    if fmt == "json":
        from conformite.report.render.report_json import render_report_json

        return render_report_json(report).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}")


#: Formats of the public summary (``report --audience public``).
PUBLIC_FORMATS = ("html", "md", "pdf")


def render_public(fmt: str, report: Report) -> bytes:
    """The public summary of ``report`` (aggregates only) in ``fmt`` (``PUBLIC_FORMATS``)."""
    from conformite.report.public import public_summary

    summary = public_summary(report)
    if fmt == "md":
        from conformite.report.render.markdown_plan import render_public_markdown

        return render_public_markdown(summary).encode("utf-8")
    from conformite.report.render.html import render_public_html

    html = render_public_html(summary)
    if fmt == "html":
        return html.encode("utf-8")
    if fmt == "pdf":
        from conformite.report.render.pdf import html_to_pdf

        return html_to_pdf(html, report.as_of)
    raise ValueError(f"no public summary in format {fmt!r}")


def render_register(fmt: str, register: Register, as_of: dt.date, plain_csv: bool = False) -> bytes:
    """Render the record of processing activities in ``fmt`` (see ``REGISTER_FORMATS``)."""
    if fmt == "md":
        from conformite.report.render.markdown import render_register_markdown

        return render_register_markdown(register).encode("utf-8")
    if fmt == "html":
        from conformite.report.render.html import render_register_html

        return render_register_html(register).encode("utf-8")
    if fmt == "csv":
        from conformite.report.render.csv import render_register_csv

        return render_register_csv(register, plain_csv).encode("utf-8")
    if fmt == "xlsx":
        from conformite.report.render.xlsx import render_register_xlsx

        return render_register_xlsx(register, as_of)
    raise ValueError(f"unknown register format {fmt!r}")
