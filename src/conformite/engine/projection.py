"""Cutting context values down to what expressions read.

The CEL binding converts every value handed to it, field by field; the
checker knows statically which fields each expression reads
(``catalogue.cel.check_expression``), so values are projected onto those
fields before they are handed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conformite.catalogue.cel import PRESENCE
from conformite.catalogue.model import CompiledControl

__all__ = ["_project", "paths_tree", "projection"]


#: In a projection, the whole value is kept.
_WHOLE: dict[str, Any] = {}


def projection(controls: list[CompiledControl]) -> dict[str, Any]:
    """A tree of the context fields that ``controls`` read (``_WHOLE`` = keep all).

    The CEL binding converts every value handed to it, field by field; giving
    it only what the controls can read (which the loader knows statically)
    makes a target's conversion several times cheaper.
    """
    return paths_tree(path for control in controls for path in control.paths)


def paths_tree(paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """The projection tree of context paths (see :func:`projection`)."""
    tree: dict[str, Any] = {}
    for path in paths:
        presence = path[-1] == PRESENCE
        fields = path[:-1] if presence else path
        node = tree
        for name in fields[:-1]:
            child = node.get(name)
            if child is _WHOLE:
                break
            node = node.setdefault(name, {})
        else:
            last = fields[-1]
            if not presence:
                node[last] = _WHOLE
            elif last not in node:
                node[last] = {}
    return tree


def _project(value: Any, tree: Any) -> Any:
    """``value`` cut down to the fields in ``tree`` (see :func:`projection`)."""
    if tree is _WHOLE or value is None:
        return value
    if type(value) is dict:
        out = {}
        for key, sub in tree.items():
            if key in value:
                item = value[key]
                # Most fields are kept whole: no call for them (hot path).
                out[key] = item if sub is _WHOLE or item is None else _project(item, sub)
        return out
    if type(value) is list:
        element = tree.get("[]")
        return value if element is None else [_project(v, element) for v in value]
    return value
