"""Stage 4, the report: what the Commission numérique and the IT manager read.

Takes in a loaded workspace, its :class:`~conformite.engine.results.AuditResult`
and, when there is one, last year's result. :func:`build_report`
(:mod:`.build`) assembles a :class:`Report` (:mod:`.model`) part by part:
the summary and decisions (:mod:`.summary`), findings by control and the
waivers (:mod:`.findings`), the action plan (:mod:`.plan`), the suppliers
(:mod:`.suppliers`), the methodology (:mod:`.methodology`), with the record
of processing activities (:mod:`.register`) and the year-on-year comparison
(:mod:`.compare`). :mod:`.render` lays a report, a register or a result out
in each format (table, JSON, HTML, PDF, Markdown, XLSX, CSV).

Every figure and sentence is decided once here; renderers only lay out.
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "build": ["build_report"],
        "compare": ["Comparison", "compare"],
        "model": ["Report"],
        "register": ["Register", "build_register"],
        "render": ["render", "render_register", "render_report"],
    },
)
