"""Markdown text helpers: escaping and GitHub tables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["esc", "table"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def esc(text: object) -> str:
    """Escape Markdown syntax and fold line breaks, for text inside a paragraph or a cell."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[int] = ()) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    for row in rows:
        lines.append("| " + " | ".join(cell if cell else "–" for cell in row) + " |")
    return "\n".join(lines)
