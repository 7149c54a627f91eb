"""Where given paths are written in a YAML text, found in one pass over the parser's events.

:meth:`YamlDocument.locate <conformite.inventory.safe_yaml.YamlDocument.locate>`
composes the whole node tree to place one error, which takes most of a second
on an inventory of 1,000 services. Placing every target of an audit (for SARIF)
needs the positions of a few thousand paths: reading libyaml's event stream and
keeping only the positions asked for is two to three times faster, and builds
nothing but those positions.

The positions are those ``locate`` gives: a mapping entry is placed at its key,
a sequence item at its first character (the ``id`` of ``- id: ...``).
"""

from __future__ import annotations

from collections.abc import Collection

import yaml

__all__ = ["Path", "locate_paths"]

Path = tuple[str | int, ...]

_PARSER = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader
_NODES = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)
_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class _Frame:
    """An open mapping or sequence: its path (None when nothing below it is wanted)."""

    __slots__ = ("index", "key", "key_mark", "mapping", "path")

    def __init__(self, path: Path | None, mapping: bool) -> None:
        self.path = path
        self.mapping = mapping
        self.index = 0  # sequences: the next item's index
        self.key: str | None = None  # mappings: the key whose value comes next, if any
        self.key_mark: yaml.Mark | None = None


def locate_paths(text: str, wanted: Collection[Path]) -> dict[Path, tuple[int, int]]:
    """1-based ``(line, column)`` of each path of ``wanted`` written in ``text``.

    Paths that are not in the text are left out; so is everything when the text
    is not YAML (it was read and checked before: this is only for pointing at it).
    """
    wanted = set(wanted)
    prefixes = {path[:n] for path in wanted for n in range(len(path) + 1)}
    found: dict[Path, tuple[int, int]] = {}
    stack: list[_Frame] = []
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            if isinstance(event, _ENDS):
                stack.pop()
                continue
            if not isinstance(event, _NODES):
                continue
            path: Path | None = ()
            mark = event.start_mark
            if stack:
                frame = stack[-1]
                if frame.mapping and frame.key_mark is None:  # this node is a key
                    frame.key = event.value if isinstance(event, yaml.ScalarEvent) else None
                    frame.key_mark = mark
                    if isinstance(event, _STARTS):  # a complex key: nothing to find in it
                        stack.append(_Frame(None, isinstance(event, yaml.MappingStartEvent)))
                    continue
                if frame.mapping:
                    key, mark = frame.key, frame.key_mark
                    frame.key_mark = None
                    path = None if frame.path is None or key is None else (*frame.path, key)
                else:
                    path = None if frame.path is None else (*frame.path, frame.index)
                    frame.index += 1
            if path is not None and path in wanted:
                assert mark is not None
                found.setdefault(path, (mark.line + 1, mark.column + 1))
            if isinstance(event, _STARTS):
                below = path if path is not None and path in prefixes else None
                stack.append(_Frame(below, isinstance(event, yaml.MappingStartEvent)))
    except yaml.YAMLError:
        return found
    return found
