"""Expressions that read a target's leaf fields as variables of their own.

The CEL binding converts a map field by field, each key included (about
0.5 µs a key, 0.8 µs a string or map, see README "CEL runtimes compared").
Most expressions only select scalar paths (``service.security.mfa.enabled``);
handing each such path as its own variable (``service__security__mfa__enabled``)
converts no map and no key. When the catalogue loads, each expression is
therefore compiled twice:

* as written (*nested*), reading the target's variables as maps, as always;
* *flat*: every chain of field selections rooted in a target variable
  (``service``, ``vendor``, ``derived``...) is replaced by one variable
  holding the value at the end of the chain. A root used without fields
  (``vendor != null``, ``vendor_services.exists(...)``) or with one field
  inside ``has()`` becomes ``vendor__``: the root itself, projected to what
  those uses read.

The flat form means exactly the nested one when every map along every chain
it replaced is there and has the field: the engine checks this per target
(:class:`LeafContext` ``broken``) and runs the nested program where it does
not hold (a service without vendor, a null ``security``), so a missing or
null intermediate map fails as it always did, with the same error. The
rewriting works on the expression's tokens with every string literal and
comment blanked (``catalogue.cel._blank_strings``): a path-like text inside
a literal is never touched. Names with ``__`` in an expression, or a
comprehension variable named like a target variable, keep it nested only.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from typing import Any, Union

from pydantic import BaseModel

__all__ = ["FLAT_ROOTS", "Dual", "LeafContext", "cut_after", "flat_name", "flatten"]

#: The variables a target sets, per kind of target, whose chains are flattened.
#: The organisation is one target: nothing to gain there; an endpoint's maps
#: are small (measured: handing 11 endpoints flat took 2.1 ms, nested 0.8 ms).
FLAT_ROOTS = {
    "service": frozenset({"service", "vendor", "derived"}),
    "vendor": frozenset({"vendor", "vendor_services", "derived"}),
}

_ROOT = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_DOT = re.compile(r"\s*\.\s*([A-Za-z_]\w*)")
#: ``["field"]``, as ``catalogue.cel.index_fields`` writes a selection (read in
#: the expression; the blanked text must show a literal starting there).
_INDEX = re.compile(r"\s*\[\s*\"([A-Za-z_]\w*)\"\s*\]")
_CALL = re.compile(r"\s*\(")
_HAS_BEFORE = re.compile(r"(?<![\w.])has\s*\(\s*$")
_SAFE_FIELD = re.compile(r"[A-Za-z0-9](?:_?[A-Za-z0-9])*")


def flat_name(root: str, fields: tuple[str, ...]) -> str:
    """The variable holding ``root.fields...`` (``vendor__`` for the root itself)."""
    return root + "__" + "__".join(fields)


def _record_types(target: str) -> dict[str, type[BaseModel]]:
    from conformite.inventory import model as inv

    return {
        "service": {"service": inv.Service, "vendor": inv.Vendor},
        "vendor": {"vendor": inv.Vendor},
    }.get(target, {})


@functools.cache
def cut_after(target: str) -> frozenset[tuple[str, ...]]:
    """The paths (``("vendor", "parent")``) after which a chain stays a selection on
    the flat variable (``vendor__parent.country``): maps the model lets be null,
    and maps of any keys. A chain through them would break on many targets and
    run nested; stopped there, the selection on null fails as the nested one."""
    out: set[tuple[str, ...]] = set()

    def walk(model: type[BaseModel], path: tuple[str, ...], seen: frozenset[type]) -> None:
        for name, field in model.model_fields.items():
            annotation, nullable = field.annotation, False
            while typing.get_origin(annotation) is typing.Annotated:
                annotation = typing.get_args(annotation)[0]
            if typing.get_origin(annotation) in (Union, types.UnionType):
                args = [a for a in typing.get_args(annotation) if a is not type(None)]
                nullable = len(args) < len(typing.get_args(annotation))
                annotation = args[0] if len(args) == 1 else Any
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                if nullable or annotation in seen:
                    out.add((*path, name))
                else:
                    walk(annotation, (*path, name), seen | {annotation})
            elif typing.get_origin(annotation) is dict or annotation in (dict, Any):
                out.add((*path, name))

    for root, model in _record_types(target).items():
        walk(model, (root,), frozenset({model}))
    return frozenset(out)


def _steps(
    expression: str, blanked: str, position: int, root: str, cut: frozenset[tuple[str, ...]]
) -> list[tuple[str, int, bool]]:
    """The field selections from ``position`` on: (field, end offset, written with a
    dot), up to a method call, anything else, a field no flat name can hold, or
    after a path in ``cut``."""
    steps: list[tuple[str, int, bool]] = []
    path: tuple[str, ...] = (root,)
    while True:
        dot = _DOT.match(blanked, position)
        if dot is not None:
            if _CALL.match(blanked, dot.end()):
                return steps  # a method: ``.exists(``, ``.size(``
            name, end, with_dot = dot.group(1), dot.end(), True
        else:
            index = _INDEX.match(expression, position)
            if index is None or blanked[index.start(1) - 1 : index.start(1) + 1] != '""':
                return steps
            name, end, with_dot = index.group(1), index.end(), False
        if not _SAFE_FIELD.fullmatch(name):
            return steps  # ``a_.b`` and ``a._b`` would give the same name
        steps.append((name, end, with_dot))
        position = end
        path = (*path, name)
        if path in cut:
            return steps


def flatten(
    expression: str,
    blanked: str,
    roots: frozenset[str],
    cut: frozenset[tuple[str, ...]] = frozenset(),
) -> tuple[str, str, dict[str, tuple[str, tuple[str, ...]]]] | None:
    """``expression`` with its chains on ``roots`` replaced by flat variables.

    ``blanked`` is ``expression`` with its literals and comments blanked (same
    offsets). A chain is the root followed by ``.field`` or ``["field"]``
    selections; a method call, an index of another kind or any operator ends
    it, and applies to the flat variable as it applied to the map; so does
    what follows a path in ``cut`` (see :func:`cut_after`). Returns
    the flat source, the same blanked, and for each flat variable the root
    and fields it stands for; None when the expression must stay nested.
    """
    if "__" in blanked or _binds_a_root(blanked, roots):
        return None
    leaves: dict[str, tuple[str, tuple[str, ...]]] = {}
    out: list[str] = []
    blank: list[str] = []  # the same, with the literals blanked
    last = 0
    for match in _ROOT.finditer(blanked):
        root = match.group(0)
        if root not in roots:
            continue
        if _CALL.match(blanked, match.end()):
            return None  # a root called as a function: leave it to the checker
        steps = _steps(expression, blanked, match.end(), root, cut)
        end = steps[-1][1] if steps else match.end()
        kept = ""
        if steps and _HAS_BEFORE.search(blanked, 0, match.start()) and _closed(blanked, end):
            # has() needs a selection: the last field stays one.
            if not steps[-1][2]:
                return None
            kept = "." + steps.pop()[0]
        fields = tuple(name for name, _, _ in steps)
        name = flat_name(root, fields)
        leaves[name] = (root, fields)
        out += (expression[last : match.start()], name + kept)
        blank += (blanked[last : match.start()], name + kept)
        last = end
    out.append(expression[last:])
    blank.append(blanked[last:])
    return "".join(out), "".join(blank), leaves


def _binds_a_root(blanked: str, roots: frozenset[str]) -> bool:
    """Whether a root's name is followed by a comma: what a comprehension's
    variables (``exists(vendor, ...)``, ``all(i, service, ...)``) and
    ``cel.bind(service, ...)`` look like, where the name is another value.
    (A root passed as an argument looks alike: it then stays nested too.)"""
    return any(
        match.group(0) in roots and blanked[match.end() :].lstrip().startswith(",")
        for match in _ROOT.finditer(blanked)
    )


def _closed(blanked: str, end: int) -> bool:
    """Whether a closing parenthesis follows ``end`` (``has(a.b)``: the chain is whole)."""
    return re.match(r"\s*\)", blanked[end:]) is not None


class LeafContext:
    """A target's CEL context holding flat variables, the nested ones on demand.

    ``broken``: the flat variables whose chain does not reach its end on this
    target (a null or missing map on the way); a program reading one runs
    nested. ``nested`` hands the target's variables a program reads as maps
    (``hand_nested(roots)``, None: all of them), each once per target.
    """

    __slots__ = ("_hand_nested", "_handed", "broken", "cel")

    def __init__(
        self, cel_context: Any, hand_nested: Callable[[frozenset[str] | None], None]
    ) -> None:
        self.cel = cel_context
        self.broken: set[str] | frozenset[str] = frozenset()
        self._hand_nested = hand_nested
        self._handed: frozenset[str] | None = frozenset()  # None: every root

    def next_target(self, broken: set[str] | frozenset[str]) -> None:
        """A new target's flat variables are in; its nested ones not yet."""
        self.broken = broken
        self._handed = frozenset()

    def nested(self, roots: frozenset[str] | None) -> Any:
        """The context with the target's variables ``roots`` (None: all) handed as maps."""
        handed = self._handed
        if handed is not None and (roots is None or not roots <= handed):
            self._hand_nested(roots)
            self._handed = None if roots is None else handed | roots
        return self.cel


class Dual:
    """A compiled expression: its nested program and, when it has one, its flat one.

    ``execute`` runs the flat program in a :class:`LeafContext` where none of
    its chains is broken, the nested one everywhere else (any plain context:
    the three-valued pass, fixtures, benchmarks).
    """

    __slots__ = ("flat", "leaves", "nested", "roots")

    def __init__(
        self,
        nested: Any,
        flat: Any | None = None,
        leaves: dict[str, tuple[str, tuple[str, ...]]] | None = None,
    ) -> None:
        self.nested = nested
        self.flat = flat
        #: Flat variable -> (root, fields) it stands for.
        self.leaves = leaves or {}
        #: The target variables the nested program reads (None: not known, all).
        self.roots = (
            frozenset(root for root, _ in self.leaves.values()) if flat is not None else None
        )

    def execute(self, context: Any) -> Any:
        """The expression's value in ``context`` (see the class)."""
        if type(context) is LeafContext:
            if self.flat is not None and context.broken.isdisjoint(self.leaves):
                return self.flat.execute(context.cel)
            return self.nested.execute(context.nested(self.roots))
        return self.nested.execute(context)

    def functions(self) -> Any:
        """The functions the expression calls (``Program.functions()``)."""
        return self.nested.functions()
