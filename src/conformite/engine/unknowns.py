"""Deciding with facts nobody gave: the three-valued verdict of a requirement.

A requirement (or an ``applies_when`` condition) that reads no unknown fact
is evaluated once, as it always was. One that reads unknown facts is
evaluated with every combination of the values those facts could take
(:func:`conformite.inventory.facts.candidates`): if every combination gives
the same answer, the known facts decide it (MFA known to be off fails,
whatever its unknown scope); if not, it is *unknown*: a fact to document,
never a pass. Above :data:`MAX_COMBINATIONS` combinations the requirement is
unknown without trying.

Paths: a fact is named by its path in the CEL context, ``("service",
"security", "mfa", "enabled")``; in lists the element's index is concrete
(``("vendor", "sub_processors", 2, "approved")``) and ``"[]"`` in the
normalised path a control's expressions are checked against.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformite.catalogue.cel import PRESENCE
from conformite.engine.projection import _project, paths_tree
from conformite.inventory.facts import FactKind, ListOf, candidates, fact_tree
from conformite.inventory.model import Organisation, Service, Vendor

__all__ = [
    "DERIVED_FACTS",
    "MAX_COMBINATIONS",
    "ORGANISATION_FACTS",
    "SERVICE_FACTS",
    "VENDOR_FACTS",
    "ExpressionReads",
    "TargetFacts",
    "display_path",
    "expression_reads",
    "tri_state",
]

SERVICE_FACTS = fact_tree(Service)
VENDOR_FACTS = fact_tree(Vendor)
ORGANISATION_FACTS = fact_tree(Organisation)
#: Derived facts that carry an unknown inventory fact along (engine.derive).
DERIVED_FACTS = {
    "large_scale": FactKind("bool", ("large_scale",)),
    "chain": ListOf(
        {
            "approved": FactKind("bool", ("chain", "[]", "approved")),
            "dpf_certified": FactKind("bool", ("chain", "[]", "dpf_certified")),
            "canada_pipeda": FactKind("bool", ("chain", "[]", "canada_pipeda")),
        }
    ),
}

#: Beyond this many combinations of candidate values, a requirement reading
#: unknown facts is unknown without being tried (it would cost too much).
MAX_COMBINATIONS = 512

Norm = tuple[str, ...]
Concrete = tuple[str | int, ...]


def _prefixes(path: Norm) -> Iterable[Norm]:
    return (path[:i] for i in range(1, len(path) + 1))


@dataclass(frozen=True, slots=True)
class ExpressionReads:
    """What one expression reads, in the forms :class:`TargetFacts` checks fast."""

    #: Paths read whole (an unknown fact anywhere below them matters).
    whole: frozenset[Norm]
    #: Every prefix of every path read (an unknown record above them matters).
    prefixes: frozenset[Norm]
    #: Paths only compared with null (``x == null``): null is a candidate there.
    presence: frozenset[Norm]
    #: The projection of the expression's paths, and the variables they start from.
    tree: dict[str, Any]
    roots: tuple[str, ...]
    #: Unknown fields of a target -> those this expression reads (see relevant()).
    seen: dict[frozenset[Norm], list[Norm]] = field(default_factory=dict, compare=False, hash=False)

    def touches(self, facts: TargetFacts) -> bool:
        """True when the expression reads an unknown fact of the target."""
        return not (
            self.whole.isdisjoint(facts.unknown_prefixes)
            and self.prefixes.isdisjoint(facts.unknown_norms)
        )

    def relevant(self, facts: TargetFacts) -> list[tuple[Norm, Concrete, FactKind]]:
        """The target's unknown facts this expression reads."""
        # Many targets lack the same facts: which fields matter is worked out
        # once per set of unknown fields.
        norms = self.seen.get(facts.unknown_norms)
        if norms is None:
            norms = self.seen[facts.unknown_norms] = [
                norm
                for norm in facts.by_norm  # the model's order: the same for equal sets
                if norm in self.prefixes or not self.whole.isdisjoint(_prefix_set(norm))
            ]
        by_norm = facts.by_norm
        if len(norms) == 1:
            return by_norm[norms[0]]
        return [item for norm in norms for item in by_norm[norm]]


_PREFIX_SETS: dict[Norm, frozenset[Norm]] = {}
_UNKNOWN_PREFIXES: dict[frozenset[Norm], frozenset[Norm]] = {}
#: Record root -> path below it -> the whole path (built once, shared by targets).
_KEYS: dict[Norm, dict[Norm, Norm]] = {}


def _prefix_set(norm: Norm) -> frozenset[Norm]:
    found = _PREFIX_SETS.get(norm)
    if found is None:
        found = _PREFIX_SETS[norm] = frozenset(_prefixes(norm))
    return found


#: Variables a target sets (the others are shared by every target of a kind).
_TARGET_ROOTS = frozenset(
    {"service", "vendor", "derived", "services", "vendors", "vendor_services", "org"}
)


def expression_reads(paths: Iterable[tuple[str, ...]]) -> ExpressionReads:
    """Sort the checker's paths (see ``catalogue.cel.check_expression``)."""
    whole: set[Norm] = set()
    prefixes: set[Norm] = set()
    presence: set[Norm] = set()
    paths = list(paths)
    for path in paths:
        if path and path[-1] == PRESENCE:
            path = path[:-1]
            presence.add(path)
        elif path and path[-1] != "[]":
            whole.add(path)
        prefixes.update(_prefixes(path))
    tree = paths_tree(p for p in paths if p and p[0] in _TARGET_ROOTS)
    return ExpressionReads(
        frozenset(whole), frozenset(prefixes), frozenset(presence), tree, tuple(sorted(tree))
    )


@dataclass(slots=True)
class TargetFacts:
    """The unknown facts of one target, with the fact counts of its records."""

    unknown: list[tuple[Norm, Concrete, FactKind]]
    unknown_norms: frozenset[Norm]
    unknown_prefixes: frozenset[Norm]
    #: Normalised path -> how many facts of that field the target has.
    counts: dict[Norm, int]
    #: The unknown facts by normalised path.
    by_norm: dict[Norm, list[tuple[Norm, Concrete, FactKind]]]

    @classmethod
    def build(cls, parts: Iterable[tuple[Concrete, Norm, Any]]) -> TargetFacts:
        """From (concrete root, normalised root, :class:`Scan`) of each record."""
        unknown: list[tuple[Norm, Concrete, FactKind]] = []
        counts: dict[Norm, int] = {}
        for concrete_root, norm_root, found in parts:
            for path, fact in found.unknown:
                unknown.append(((*norm_root, *fact.norm), (*concrete_root, *path), fact))
            keys = _KEYS.get(norm_root)
            if keys is None:
                keys = _KEYS[norm_root] = {}
            for norm, count in found.counts.items():
                key = keys.get(norm)
                if key is None:
                    key = keys[norm] = (*norm_root, *norm)
                counts[key] = counts.get(key, 0) + count
        by_norm: dict[Norm, list[tuple[Norm, Concrete, FactKind]]] = {}
        for item in unknown:
            by_norm.setdefault(item[0], []).append(item)
        norms = frozenset(by_norm)
        prefixes = _UNKNOWN_PREFIXES.get(norms)
        if prefixes is None:
            prefixes = _UNKNOWN_PREFIXES[norms] = frozenset(
                p for norm in norms for p in _prefix_set(norm)
            )
        return cls(unknown, norms, prefixes, counts, by_norm)


def display_path(path: Concrete, roots: dict[str, Any]) -> str:
    """A fact's path as people read it: ``vendor.sub_processors[Azure].approved``.

    A list element is named by its ``id`` or ``name`` when it has one.
    """
    text = str(path[0]) if path[0] != "org" else "organisation"
    value: Any = roots.get(str(path[0]))
    for part in path[1:]:
        if isinstance(part, int):
            element = value[part] if isinstance(value, list) and part < len(value) else None
            label = None
            if isinstance(element, dict):
                label = element.get("id") or element.get("name")
            text += f"[{label if label is not None else part}]"
            value = element
        else:
            text += f".{part}"
            value = value.get(part) if isinstance(value, dict) else None
    return text


def _with(value: Any, path: Concrete, leaf: Any) -> Any:
    """A copy of ``value`` with ``leaf`` at ``path`` (copies only along the path)."""
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        copy_list = list(value)
        copy_list[head] = _with(copy_list[head], rest, leaf)  # type: ignore[index]
        return copy_list
    copy_dict = dict(value or {})
    copy_dict[head] = _with(copy_dict.get(head), rest, leaf)  # type: ignore[arg-type]
    return copy_dict


def tri_state(
    program: Any,
    scratch: Any,
    reads: ExpressionReads,
    items: list[tuple[Norm, Concrete, FactKind]],
    roots: dict[str, Any],
    as_of: str,
    memo: dict[Any, tuple[bool | None, frozenset[Norm]]],
) -> tuple[bool | None, frozenset[Norm]]:
    """The expression's value whatever the unknown ``items`` are; None if it depends,
    with the unknown fields it depends on (those whose value alone can change it).

    Each unknown *field* (normalised path) is one variable: list elements
    with the same field unknown take the same value together. The
    combinations run in ``scratch``, a context of the target's kind kept
    apart from the one the other controls use: the target's variables are
    handed to it cut down to what this expression reads, which costs little,
    and the main context needs no restoring. An evaluation error in any
    combination makes the result unknown (a candidate the expression cannot
    take is not a verdict).

    ``memo`` keeps the answers of the audit: targets with the same values for
    what the expression reads, and the same unknown facts, get the same answer.
    """
    tree = reads.tree
    presence = reads.presence
    handed = [(root, _project(roots.get(root), tree[root])) for root in reads.roots]
    key = (id(program), repr(handed), tuple([item[1] for item in items]))
    if key in memo:
        return memo[key]
    fields: dict[Norm, list[Concrete]] = {}
    kinds: dict[Norm, FactKind] = {}
    for norm, concrete, fact in items:
        fields.setdefault(norm, []).append(concrete)
        kinds[norm] = fact
    domains = [candidates(kinds[n], as_of, n in presence) for n in fields]
    total = 1
    for domain in domains:
        total *= len(domain)
    if total > MAX_COMBINATIONS:
        memo[key] = answer = (None, frozenset(fields))
        return answer
    for root, value in handed:
        scratch.add_variable(root, value)
    memo[key] = answer = _try_all(program, scratch, tree, fields, domains, roots)
    return answer


def _try_all(
    program: Any,
    scratch: Any,
    tree: dict[str, Any],
    fields: dict[Norm, list[Concrete]],
    domains: list[tuple[Any, ...]],
    roots: dict[str, Any],
) -> tuple[bool | None, frozenset[Norm]]:
    norms = list(fields)
    results: dict[tuple[int, ...], bool | None] = {}
    for indexes in itertools.product(*(range(len(d)) for d in domains)):
        combination = [domain[i] for domain, i in zip(domains, indexes, strict=True)]
        results[indexes] = _evaluate(program, scratch, tree, fields, norms, combination, roots)
    answers = set(results.values())
    if len(answers) == 1 and None not in answers:
        return answers.pop(), frozenset()
    return None, frozenset(
        norm for position, norm in enumerate(norms) if _matters(results, position)
    ) or frozenset(norms)


def _matters(results: dict[tuple[int, ...], bool | None], position: int) -> bool:
    """Whether changing the field at ``position`` alone changes some result."""
    groups: dict[tuple[int, ...], set[bool | None]] = {}
    for indexes, result in results.items():
        rest = indexes[:position] + indexes[position + 1 :]
        groups.setdefault(rest, set()).add(result)
    return any(len(values) > 1 for values in groups.values())


def _evaluate(
    program: Any,
    scratch: Any,
    tree: dict[str, Any],
    fields: dict[Norm, list[Concrete]],
    norms: list[Norm],
    combination: list[Any],
    roots: dict[str, Any],
) -> bool | None:
    """The expression with the unknown fields set to ``combination``; None on an error."""
    changed: dict[str, Any] = {}
    for norm, value in zip(norms, combination, strict=True):
        for concrete in fields[norm]:
            root = str(concrete[0])
            base = changed.get(root, roots.get(root))
            changed[root] = _with(base, concrete[1:], value)
    for root, value in changed.items():
        if root in tree:
            scratch.add_variable(root, _project(value, tree[root]))
    try:
        result = program.execute(scratch)
    except BaseException as exc:  # the binding raises many types
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        return None
    return result if result is True or result is False else None
