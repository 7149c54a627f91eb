"""Stage 4 of the flow: turn an :class:`AuditResult` into something to read.

One renderer per format, registered by name, so every command that writes
results offers the same ``--format`` choices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformite.results import AuditResult

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json")


def render(fmt: str, result: AuditResult, lang: str, target: Any = None) -> str:
    """Render ``result`` in ``fmt``; the table renderer prints to a rich console."""
    if fmt == "json":
        from conformite.render.json import render_json

        return render_json(result)
    if fmt == "table":
        from conformite.render.table import render_table

        return render_table(result, lang, target)
    raise ValueError(f"unknown format {fmt!r}")
