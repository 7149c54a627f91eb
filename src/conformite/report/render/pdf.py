"""PDF through WeasyPrint, an optional extra: ``pip install 'conformite[pdf]'``.

The PDF is the HTML report laid out with its print CSS (A4). WeasyPrint needs
the Pango library from the system (Debian: ``libpango-1.0-0
libpangoft2-1.0-0``). Without it, :func:`require_weasyprint` raises
:class:`PdfUnavailable` with the reason, and the command says how to get it.

The document's metadata carry the audit date, not the clock, so the same
inputs give the same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformite.report.reporting import Report

__all__ = ["PdfUnavailable", "render_pdf", "require_weasyprint"]


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or a library it needs) is not installed."""


def require_weasyprint() -> Any:
    """The ``weasyprint`` module, or :class:`PdfUnavailable` saying why not."""
    try:
        import weasyprint
    except ImportError as exc:
        raise PdfUnavailable(f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:  # the Python package is there, Pango is not
        raise PdfUnavailable(f"{type(exc).__name__}: {exc}") from None
    return weasyprint


def render_pdf(report: Report) -> bytes:
    """The HTML report, printed to PDF."""
    from conformite.report.render.html import render_html

    weasyprint = require_weasyprint()
    html = render_html(report)
    stamp = f"{report.as_of}T00:00:00Z"
    document = weasyprint.HTML(string=html).render()
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.generator = "conformite"
    return bytes(document.write_pdf(pdf_identifier=f"conformite-{report.as_of}".encode()))
