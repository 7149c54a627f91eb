"""The evaluation budget: how many list elements a control's comprehensions visit.

:func:`cel.check_cost` bounds, when the catalogue loads, what is written in an
expression. The lists that come from the inventory (``vendor.sub_processors``,
``services``, ``derived.chain`` ...) are only known per target. For each
control the loader derives a *cost formula* from its expressions
(:func:`formula`); before the control runs on a target the engine evaluates it
with the lengths of the target's lists (:func:`visits`), and a control over
:data:`MAX_VISITS` is an ``error`` for that target, not evaluated.

A formula is a sum of terms, one per comprehension (``all``, ``exists``,
``exists_one``, ``map``, ``filter``); a term is the product of the sizes of the
lists iterated by the comprehension and by those enclosing it. A size is a
constant (a list written in the expression) plus the lengths of context lists
named by path: ``("vendor", "sub_processors")``; ``"[]"`` stands for each
element, and a path through ``"[]"`` counts the elements of all the sub-lists
(``s.sub_processors`` under ``vendor.sub_processors.exists(s, ...)`` is
``("vendor", "sub_processors", "[]", "sub_processors")``, which replaces the
outer list's factor: the sub-lists' total is exactly what the two visit).
A list the analysis cannot name (a comprehension variable ranging over
computed values) counts as every list the expression reads, put together.
The result only depends on the expression and the target's values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformite.catalogue.cel import _blank_strings, _top_level_parts
from conformite.catalogue.context import ANY, Shape, context_shape

__all__ = ["MAX_VISITS", "Formula", "combine", "expression_formula", "formula", "visits"]

#: Most list elements the comprehensions of one control may visit on one
#: target (conditions, requirements and facts together). The demo's largest is
#: 242 (SUP-DISCLOSURE-ABROAD on a vendor) and the 1,000-service benchmark's
#: 2,580 (GOV-PORTABILITY on the organisation). A million visits of a simple
#: body (two comparisons of record fields) take 0.6 to 0.9 s on the machine
#: the benchmark runs on: about the 1 s per finding of engine.guard.
MAX_VISITS = 1_000_000

Path = tuple[str, ...]
#: A list's size: a constant plus the lengths of context lists.
Factor = tuple[int, tuple[Path, ...]]
Term = tuple[Factor, ...]
#: Terms (from :func:`formula`), or (count, term) pairs (from :func:`combine`).
Formula = tuple[Any, ...]

_MACRO = re.compile(r"\.\s*(all|exists|exists_one|map|filter)\s*\(")
_VARIABLE = re.compile(r"\(\s*([A-Za-z_]\w*)\s*,")
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)*)(\s*\()?")
_SEGMENT = re.compile(r"\.\s*([A-Za-z_]\w*)")
#: A field path, with indices (``a.b[0].c``: an element of ``a.b``, any of them).
_PATH = re.compile(r"([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*|\s*\[[^\[\]]*\])*)")
_STEP = re.compile(r"\.\s*([A-Za-z_]\w*)|\[[^\[\]]*\]")
_MORE = re.compile(r"(?:\s*\.\s*[A-Za-z_]\w*|\s*\[[^\[\]]*\])+")
_RANGE = re.compile(r"lists\s*\.\s*range\s*\(\s*(\d+)\s*\)")
#: Methods whose list is no longer than their receiver's.
_SAME_SIZE = re.compile(r"\.\s*(?:distinct|reverse|sort)\s*\(\s*\)")
_UNKNOWN: Factor = (-1, ())  # replaced by every list the expression reads
#: A list's size, what its elements are (a path ending in "[]") and, for a
#: field of a comprehension variable's elements, the list the variable ranges over.
_Sized = tuple[Factor, "Path | None", "Path | None"]


@dataclass
class _Macro:
    dot: int
    open: int
    close: int
    kind: str
    var: str | None
    size: Factor = (1, ())
    element: Path | None = None  # what the variable ranges over, if a context list
    relative: Path | None = None  # the list whose elements' sub-lists it iterates
    term: Term = ()


def _closing(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] in "([{":
            depth += 1
        elif text[index] in ")]}":
            depth -= 1
            if depth == 0:
                return index
    return len(text)


def _opening(text: str, closing: int) -> int:
    depth = 0
    for index in range(closing, -1, -1):
        if text[index] in ")]}":
            depth += 1
        elif text[index] in "([{":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _name_start(text: str, end: int) -> int:
    while end > 0 and _word(text[end - 1]):
        end -= 1
    return end


def _receiver_start(text: str, dot: int) -> int:
    """Where the postfix expression ending at ``dot`` (``a.b``, ``f(x)``, ``(…)``) starts."""
    end = dot
    while True:
        while end > 0 and text[end - 1].isspace():
            end -= 1
        if end == 0:
            return 0
        char = text[end - 1]
        if char in ")]}":
            start = _opening(text, end - 1)
            if start < 0:
                return end
            if char == "]" and start > 0 and (text[start - 1] in ")]" or _word(text[start - 1])):
                end = start  # an index, a[0]: the receiver goes on before it
                continue
            start = _name_start(text, start)  # a call f(x) or a message T{...}
        elif _word(char):
            start = _name_start(text, end)
        elif char == '"' and end > 1 and text[end - 2] == '"':
            start = end - 2  # a (blanked) string literal
        else:
            return end
        before = start
        while before > 0 and text[before - 1].isspace():
            before -= 1
        if before > 0 and text[before - 1] == ".":
            end = before - 1
            continue
        return start


class _Analysis:
    """The comprehensions of one expression (strings blanked, variables written in)."""

    def __init__(self, text: str, roots: dict[str, Shape]) -> None:
        self.text = text
        self.roots = roots
        self.macros: list[_Macro] = []
        for match in _MACRO.finditer(text):
            opening = match.end() - 1
            var = _VARIABLE.match(text, opening)
            self.macros.append(
                _Macro(
                    match.start(),
                    opening,
                    _closing(text, opening),
                    match.group(1),
                    var.group(1) if var else None,
                )
            )
        self.by_close = {m.close: m for m in self.macros}
        for macro in self.macros:  # in text order: enclosing ones first
            start = _receiver_start(text, macro.dot)
            macro.size, macro.element, macro.relative = self._size(start, macro.dot)

    def resolve(self, root: str, fields: list[str], position: int) -> Path | None:
        """The context path of ``root.fields`` at ``position``; None if not a context list."""
        for macro in reversed(self.macros):
            if macro.var == root and macro.open < position < macro.close:
                return None if macro.element is None else (*macro.element, *fields)
        if root in self.roots:
            return (root, *fields)
        return None

    def _size(self, start: int, end: int) -> _Sized:
        """The size of the list written in ``text[start:end]``, what its elements
        are, and the list whose elements it is a field of (``s.tags`` where ``s``
        ranges over ``vendor.items``: ``("vendor", "items")``)."""
        text = self.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        segment = text[start:end]
        path = _PATH.fullmatch(segment)
        if path and path.group(1) not in ("true", "false", "null"):
            steps = _steps(path.group(2))
            resolved = self.resolve(path.group(1), steps, start)
            if resolved is None:
                unknown = self._is_variable(path.group(1), start)
                return (_UNKNOWN if unknown else (1, ())), None, None
            relative = None
            # A field of each element the variable ranges over; not of one (a[0]).
            if self._is_variable(path.group(1), start) and "[]" not in steps:
                relative = resolved[: len(resolved) - len(steps) - 1]
            return (0, (resolved,)), (*resolved, "[]"), relative
        if _RANGE.fullmatch(segment):
            return (int(_RANGE.fullmatch(segment).group(1)), ()), None, None  # type: ignore[union-attr]
        if segment.endswith(")"):
            macro = self.by_close.get(end - 1)
            if macro is not None and macro.kind in ("map", "filter"):
                element = macro.element if macro.kind == "filter" else None
                return macro.size, element, macro.relative
            same = _SAME_SIZE.search(segment)
            if same and same.end() == len(segment):
                return self._size(start, start + same.start())
        if segment[:1] in "([" and _closing(text, start) == end - 1:
            inner = segment[1:-1]
            if segment[0] == "[":
                parts = _top_level_parts(inner, ",")
                return (len(parts) - (0 if parts[-1].strip() else 1), ()), None, None
            parts = _top_level_parts(inner, "+")
            if len(parts) == 1 and "?" not in inner:
                return self._size(start + 1, end - 1)
            if "?" not in inner:
                sizes, offset = [], start + 1
                for part in parts:
                    sizes.append(self._size(offset, offset + len(part)))
                    offset += len(part) + 1
                if all(size != _UNKNOWN for size, _, _ in sizes):
                    total = sum(c for (c, _), _, _ in sizes)
                    paths = tuple(p for (_, ps), _, _ in sizes for p in ps)
                    relatives = {r for _, _, r in sizes}
                    relative = relatives.pop() if len(relatives) == 1 and total == 0 else None
                    return (total, paths), None, relative
        return self._read_lists(start, end), None, None

    def _is_variable(self, name: str, position: int) -> bool:
        return any(m.var == name and m.open < position < m.close for m in self.macros)

    def _read_lists(self, start: int, end: int) -> Factor:
        """What a list computed in ``text[start:end]`` may hold: the lists it reads."""
        paths = self.paths(start, end)
        return (0, paths) if paths else (1, ())

    def paths(self, start: int = 0, end: int | None = None) -> tuple[Path, ...]:
        """The context lists read in ``text[start:end]``, by path."""
        found: set[Path] = set()
        stop = len(self.text) if end is None else end
        for match in _CHAIN.finditer(self.text, start, stop):
            fields = _SEGMENT.findall(match.group(2) or "")
            if match.group(3):
                fields = fields[:-1]
            elif (more := _MORE.match(self.text, match.end(), stop)) is not None:
                # a.b[0].c: the rest of the path, through any element.
                steps = _steps(more.group(0))
                called = _CALL_AFTER.match(self.text, more.end())
                fields += steps[:-1] if called and steps[-1] != "[]" else steps
            path = self.resolve(match.group(1), fields, match.start())
            if path is not None and path[-1] != "[]" and _is_list(self.roots, path):
                found.add(path)
        return tuple(sorted(found))

    def terms(self) -> list[Term]:
        out = []
        for macro in self.macros:
            size = (0, self.paths()) if macro.size == _UNKNOWN else macro.size
            enclosing = [m for m in self.macros if m.open < macro.open < m.close]
            outer = list(enclosing[-1].term) if enclosing else []
            if macro.relative is not None and (0, (macro.relative,)) in outer:
                # s.list under x.exists(s, ...): the sub-lists' total counts both.
                outer.remove((0, (macro.relative,)))
            macro.term = (*outer, size)
            out.append(macro.term)
        return out


_CALL_AFTER = re.compile(r"\s*\(")


def _steps(text: str) -> list[str]:
    """The fields of ``.a[0].b`` (an index is ``"[]"``: any element)."""
    return [m.group(1) or "[]" for m in _STEP.finditer(text)]


def _is_list(roots: dict[str, Shape], path: Path) -> bool:
    shape: Shape = roots.get(path[0], ANY)
    for name in path[1:]:
        if shape == ANY:
            return True
        if name == "[]":
            shape = shape[0] if isinstance(shape, list) else ANY
        elif isinstance(shape, dict):
            shape = shape.get(name, ANY)
        else:
            return False
    return shape == ANY or isinstance(shape, list)


def formula(text: str, roots: dict[str, Shape]) -> Formula:
    """The cost formula of an expression (``text``: strings blanked, variables
    and parameters written in; ``roots``: the context variables' shapes)."""
    return tuple(_Analysis(text, roots).terms())


#: ``a["b"]``, as :func:`cel.index_fields` writes ``a.b``.
_INDEXED = re.compile(r'\[\s*"([A-Za-z_]\w*)"\s*\]')


def expression_formula(bound: str, target: str) -> Formula:
    """The cost formula of a compiled expression (``bound``, as ``compile_checked``
    returns it) of a control on ``target``."""
    if _MACRO.search(bound) is None:
        return ()  # no comprehension (most expressions): nothing to blank or read
    text = _blank_strings(_INDEXED.sub(r".\1", bound))
    return formula(text, context_shape(target))


def combine(formulas: Iterable[Formula]) -> Formula | None:
    """A control's formula from its expressions', each distinct term once with
    how many times it occurs (``(count, term)``); None when no term depends on
    the target (the loader's static check bounds those)."""
    counts: dict[Term, int] = {}
    for f in formulas:
        for term in f:
            counts[term] = counts.get(term, 0) + 1
    if any(paths for term in counts for _, paths in term):
        return tuple((count, term) for term, count in counts.items())
    return None


def _count(value: Any, path: Path, index: int) -> int:
    while index < len(path):
        part = path[index]
        if part == "[]":  # each element (or each value of a map: m[k])
            if type(value) is dict:
                value = list(value.values())
            elif type(value) is not list:
                return 0
            return sum(_count(item, path, index + 1) for item in value)
        if type(value) is not dict:
            return 0
        value = value.get(part)
        index += 1
    return len(value) if type(value) in (list, dict) else 0


def visits(
    cost: Formula, variables: dict[str, Any], shared: dict[str, Any], memo: dict[Path, int]
) -> int:
    """How many list elements ``cost`` visits on a target at most (``memo``: the
    target's list lengths already counted)."""
    total = 0
    for repeated, term in cost:
        product = repeated
        for constant, paths in term:
            size = constant
            for path in paths:
                count = memo.get(path)
                if count is None:
                    root = path[0]
                    value = variables[root] if root in variables else shared.get(root)
                    count = memo[path] = _count(value, path, 1)
                size += count
            product *= size
        total += product
    return total
