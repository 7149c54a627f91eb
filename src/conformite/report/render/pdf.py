"""PDF through WeasyPrint, an optional extra: ``pip install 'conformite[pdf]'``.

The PDF is the HTML report laid out with its print CSS (A4). WeasyPrint needs
the Pango library from the system (Debian: ``libpango-1.0-0
libpangoft2-1.0-0``). Without it, :func:`require_weasyprint` raises
:class:`PdfUnavailable` with the reason, and the command says how to get it.

The document's metadata carry the audit date, not the clock, so the same
inputs give the same bytes. So do the embedded fonts: without the system's
HarfBuzz-Subset library (Debian: ``libharfbuzz-subset0``) WeasyPrint subsets
fonts with fontTools, which stamps the clock into each font's ``head`` table
unless ``SOURCE_DATE_EPOCH`` is set; it is set to the audit date while the
PDF is written.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformite.report.model import Report

__all__ = ["PdfUnavailable", "html_to_pdf", "render_pdf", "require_weasyprint"]


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

    return html_to_pdf(render_html(report), report.as_of)


def html_to_pdf(html: str, as_of: str) -> bytes:
    """An HTML document of conformite printed to PDF, dated ``as_of`` (deterministic)."""
    weasyprint = require_weasyprint()
    stamp = f"{as_of}T00:00:00Z"
    document = weasyprint.HTML(string=html).render()
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.generator = "conformite"
    epoch = calendar.timegm(dt.date.fromisoformat(str(as_of)).timetuple())
    with _source_date_epoch(epoch):
        return bytes(document.write_pdf(pdf_identifier=f"conformite-{as_of}".encode()))


@contextlib.contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to ``epoch`` for the duration, then as it was."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
