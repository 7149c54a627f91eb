"""Cutting context values down to what expressions read.

The CEL binding converts every value handed to it, field by field; the
checker knows statically which fields each expression reads
(``catalogue.cel.check_expression``), so values are projected onto those
fields before they are handed over.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Iterator
from typing import Any

from conformite.catalogue.cel import PRESENCE
from conformite.catalogue.leaves import LeafContext
from conformite.catalogue.model import CompiledControl

__all__ = ["Handover", "LeafHandover", "_project", "functions_called", "paths_tree", "projection"]


#: In a projection, the whole value is kept.
_WHOLE: dict[str, Any] = {}


def projection(controls: list[CompiledControl]) -> dict[str, Any]:
    """A tree of the context fields that ``controls`` read (``_WHOLE`` = keep all).

    The CEL binding converts every value handed to it, field by field; giving
    it only what the controls can read (which the loader knows statically)
    makes a target's conversion several times cheaper.
    """
    return paths_tree(path for control in controls for path in control.paths)


def functions_called(controls: Iterable[CompiledControl]) -> frozenset[str]:
    """The names of the functions the controls' programs call (``Program.functions()``).

    A context then holds only those (see ``celbinding.add_functions``).
    """
    names: set[str] = set()
    for program in _programs(controls):
        names.update(program.functions())
    return frozenset(names)


def _programs(controls: Iterable[CompiledControl]) -> Iterator[Any]:
    for control in controls:
        yield from (program for _, program in control.conditions)
        yield from (program for _, program, _ in control.unknown_when)
        for requirement in control.requirements:
            yield requirement.program
            if requirement.facts is not None:
                yield requirement.facts


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


_ABSENT = object()


class Handover:
    """Hands the targets of one kind, one after the other, to the kind's CEL context.

    The binding converts a value field by field when it is added (0.5 to
    0.8 µs for each string, list, map and map key: it tries several numeric
    and date types first) and copies the whole context at the next
    evaluation. A variable is handed again only when it changed: the same
    object as the last target's (the vendor of consecutive services) is
    skipped at once; a projected value equal to the last one (compared
    type-strictly, by its ``marshal`` bytes: ``1``, ``1.0`` and ``true``
    differ in CEL) is not converted again.
    """

    __slots__ = ("_raw", "_sent", "context", "tree")

    def __init__(self, context: Any, tree: dict[str, Any]) -> None:
        self.context = context
        self.tree = tree
        self._raw: dict[str, Any] = {}  # the value last handed under each name
        self._sent: dict[str, bytes | None] = {}  # its projection, marshalled

    def hand(self, variables: dict[str, Any]) -> None:
        """Set the target's ``variables`` that its kind's controls read."""
        tree, raw, sent = self.tree, self._raw, self._sent
        for name, value in variables.items():
            sub = tree.get(name, _ABSENT)
            if sub is _ABSENT or raw.get(name, _ABSENT) is value:
                continue
            projected = _project(value, sub)
            try:
                # Version 2 writes no back-references, whose flags depend on
                # reference counts: equal values give equal bytes.
                key: bytes | None = marshal.dumps(projected, 2)
            except ValueError:  # not a JSON-like value: always converted
                key = None
            if key is None or sent.get(name) != key:
                sent[name] = None  # until the binding holds it
                self.context.add_variable(name, projected)
                sent[name] = key
            raw[name] = value


def _subtree(tree: Any, fields: tuple[str, ...]) -> Any:
    """The projection ``tree`` of a variable, walked down ``fields``."""
    for name in fields:
        if tree is _WHOLE:
            break
        tree = tree.get(name, _WHOLE)  # every chain's fields are in the tree
    return tree


class LeafHandover:
    """Hands targets of one kind as flat variables (see ``catalogue.leaves``).

    Each flat variable the kind's programs read gets the value at the end of
    its chain, projected as the nested value is there (the kind's tree, walked
    down the chain): the very value the nested program reaches; it is converted only when
    it changed (compared type-strictly); a chain that does not reach its end
    (a null or missing map) is *broken* on the target, and the programs
    reading it run nested: the target's variables are then handed as maps
    too (those the program reads), by a :class:`Handover`, once per target at most.
    """

    __slots__ = ("_items", "_sent", "_variables", "context", "flat_roots", "nested")

    def __init__(self, context: Any, tree: dict[str, Any], controls: list[CompiledControl]):
        self.nested = Handover(context, tree)
        leaves: dict[str, tuple[str, tuple[str, ...]]] = {}
        for program in _programs(controls):
            if getattr(program, "flat", None) is not None:
                leaves.update(program.leaves)
        self._items = [
            (name, root, fields, _subtree(tree.get(root, _WHOLE), fields))
            for name, (root, fields) in sorted(leaves.items())
        ]
        self.flat_roots = frozenset(root for root, _ in leaves.values())
        self._sent: dict[str, Any] = {}  # flat variable -> value or marshal bytes held
        self._variables: dict[str, Any] = {}
        self.context: Any = LeafContext(context, self._hand_nested) if leaves else context

    def _hand_nested(self, roots: frozenset[str] | None) -> None:
        variables = self._variables
        if roots is not None:
            variables = {name: variables[name] for name in roots if name in variables}
        self.nested.hand(variables)

    def hand(self, variables: dict[str, Any]) -> None:
        """Set the target's variables: flat ones, and nested ones of other roots."""
        if not self._items:
            self.nested.hand(variables)
            return
        self._variables = variables
        flat_roots = self.flat_roots
        others = {k: v for k, v in variables.items() if k not in flat_roots}
        if others:
            self.nested.hand(others)
        sent = self._sent
        context = self.context.cel
        broken: set[str] = set()
        for name, root, fields, sub in self._items:
            value = variables.get(root)
            for field in fields:
                if type(value) is not dict or field not in value:
                    broken.add(name)
                    break
                value = value[field]
            else:
                if sub is not _WHOLE and value is not None:
                    value = _project(value, sub)
                kind = type(value)
                previous = sent.get(name, _ABSENT)
                if kind is str or kind is int or kind is bool or value is None:
                    if type(previous) is kind and previous == value:
                        continue
                    key: Any = value
                else:
                    try:
                        key = (marshal.dumps(value, 2),)
                    except ValueError:  # not a JSON-like value: always converted
                        key = _ABSENT
                    if key is not _ABSENT and previous == key:
                        continue
                sent[name] = _ABSENT  # until the binding holds it
                context.add_variable(name, value)
                sent[name] = key
        self.context.next_target(broken)
