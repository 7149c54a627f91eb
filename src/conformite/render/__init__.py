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


def render(fmt: str, result: AuditResult, lang: str, target: Any = None, top: int = 10) -> str:
    """Render ``result`` in ``fmt`` and return the text.

    The table renderer prints to ``target`` (a rich console) when one is given;
    ``top`` is how many findings it lists.
    """
    if fmt == "json":
        from conformite.render.json import render_json

        return render_json(result)
    if fmt == "table":
        from conformite.render.table import render_table

        return render_table(result, lang, target, top=top)
    raise ValueError(f"unknown format {fmt!r}")
