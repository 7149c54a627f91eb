"""How one control decides on one target: its outcome, messages and facts.

Per control, what does not depend on the target (title, citations, the
messages of a not-applicable finding) is prepared once
(:func:`_statics`); :func:`_decide` then runs the control's conditions and
requirements in a target's CEL context. An expression that cannot be
evaluated, or does not give a boolean, is an ``error``: never a pass.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from conformite.catalogue.cel import PRESENCE
from conformite.catalogue.cost import MAX_VISITS, visits
from conformite.catalogue.model import Catalogue, CompiledControl, CompiledRequirement
from conformite.engine.results import FactResult, LegalCitation
from conformite.engine.targets import EvaluationInput, Target
from conformite.engine.unknowns import (
    DERIVED_FACTS,
    ORGANISATION_FACTS,
    SERVICE_FACTS,
    VENDOR_FACTS,
    ExpressionReads,
    display_path,
    expression_reads,
    tri_state,
)
from conformite.i18n import messages, translate
from conformite.i18n.formats import format_number
from conformite.inventory.facts import FactKind, ListOf

__all__ = ["NOT_STATED", "provenance_of"]


class _EvaluationError(Exception):
    pass


def _as_facts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


#: Prefixes of message keys that name inventory values in words (``subject.pupils`` →
#: "élèves", ``category.health`` → "santé", ``indicator.profiling``).
_VALUE_WORDS = ("subject", "category", "indicator", "value")
#: A value id standing alone in a fact: not a path segment (``dpa.signed_on``), not a key
#: (``data_subject_count: 4000``).
_VALUE_TOKEN = re.compile(r"(?<![\w.])[a-z][a-z0-9_]*(?![\w.:])")


@functools.cache
def _value_words(lang: str) -> dict[str, str]:
    table = messages()
    words: dict[str, str] = {}
    for key, entry in table.items():
        prefix, _, value = key.partition(".")
        if prefix in _VALUE_WORDS and value not in words:
            words[value] = entry.get(lang) or entry["en"]
    return words


@functools.lru_cache(maxsize=8192)  # the same facts recur across targets
def _in_words(fact: str, lang: str) -> str:
    """``pupils`` → ``élèves``, ``vulnerable_sensitive (health; pupils)`` → ``données
    sensibles de personnes vulnérables (santé; élèves)``; anything else in a fact
    (``dpa.signed_on: never``, ``US``, numbers) as it is. The finding's facts keep the
    values themselves (machine-readable); only the message, which people read, gets
    the words."""
    words = _value_words(lang)
    return _VALUE_TOKEN.sub(lambda m: words.get(m.group(0), m.group(0)), fact)


def _format_message(
    template: str, facts: list[str], parameters: dict[str, str], lang: str = "en"
) -> str:
    """Fill a requirement's message; ``parameters`` are already rendered as text."""
    words = "; ".join(_in_words(f, lang) for f in facts) if facts else "-"
    return template.format_map({**parameters, "facts": words})


def _param_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class _ControlStatics:
    """What a finding takes from its control, computed once per audit, not per target.

    The lists are shared by the findings of the control (findings are read,
    never changed in place: waivers replace them), which saves allocating
    them tens of thousands of times on a large audit.
    """

    id: str
    title: str
    family: str
    severity: str
    objectives: list[str]
    citations: list[LegalCitation]
    parameters: dict[str, str]  # as text, for messages
    vendor_paths: tuple[str, ...]  # vendor fields the control reads ("" = all)
    #: Each requirement with the FactResult it gives when met (identical every
    #: time) and its label in error messages (``requirements.NAME``).
    requirements: tuple[tuple[CompiledRequirement, FactResult, str], ...]
    #: Every requirement met: the facts of a passing finding.
    all_met: list[FactResult]
    #: Each condition: program, label (``applies_when.NAME``), and the messages
    #: and facts of a finding it makes not applicable.
    conditions: tuple[tuple[Any, str, list[str], list[FactResult]], ...]
    #: ``unknown_when``: program, label, and the message of an unknown finding.
    unknown_when: tuple[tuple[Any, str, list[str]], ...]
    #: What the control's conditions and requirements read (fast test for unknowns).
    reads: ExpressionReads
    condition_reads: tuple[ExpressionReads, ...]
    requirement_reads: tuple[ExpressionReads, ...]
    #: The fact fields the control reads (normalised paths): a finding's facts_read.
    fact_norms: tuple[tuple[str, ...], ...]


#: Derived facts and the vendor fields they are computed from.
_DERIVED_FROM = {
    "chain": ("sub_processors",),
    "countries": ("country", "parent", "sub_processors"),
    "foreign_countries": ("country", "parent", "sub_processors"),
}


def _vendor_paths(control: CompiledControl) -> tuple[str, ...]:
    """The vendor fields (``dpa.signed_on``) a control's expressions read."""
    out: set[str] = set()
    for path in control.paths:
        if not path:
            continue
        fields: list[str] = []
        for part in path[1:]:
            if part in (PRESENCE, "[]"):
                break
            fields.append(part)
        if path[0] == "vendor":
            out.add(".".join(fields))
        elif path[0] == "derived" and fields and control.control.target in ("vendor", "service"):
            out.update(_DERIVED_FROM.get(fields[0], ()))
    return tuple(sorted(out))


#: Provenance of a fact neither the inventory nor the profile states (a default).
NOT_STATED = "not stated"


def provenance_of(paths: tuple[str, ...], sources: dict[str, str]) -> dict[str, str]:
    """The sources of the facts under ``paths`` (a fact inside, or holding, a path)."""
    if not sources or not paths:
        return {}
    out = {}
    covered: set[str] = set()
    for key, source in sources.items():
        for path in paths:
            if not path or key == path or key.startswith(path + ".") or path.startswith(key + "."):
                out[f"vendor.{key}"] = source
                covered.add(path)
    for path in paths:
        if path and path not in covered:
            out[f"vendor.{path}"] = NOT_STATED
    return dict(sorted(out.items()))


def _norms(tree: dict[str, Any]) -> list[tuple[str, ...]]:
    """The normalised paths of every fact in ``tree`` (a shared subtree once)."""
    out: list[tuple[str, ...]] = []
    seen: set[int] = set()

    def walk(node: dict[str, Any]) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for child in node.values():
            if type(child) is FactKind:
                out.append(child.norm)
            elif type(child) is ListOf:
                walk(child.element)
            else:
                walk(child)

    walk(tree)
    return out


def _fact_universe(kind: str) -> list[tuple[str, ...]]:
    """Every fact field a control on ``kind`` targets can read, as a normalised path."""
    roots: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    if kind == "service":
        roots += [(("service",), SERVICE_FACTS), (("vendor",), VENDOR_FACTS)]
        roots.append((("derived",), DERIVED_FACTS))
    elif kind == "vendor":
        roots += [(("vendor",), VENDOR_FACTS), (("derived",), DERIVED_FACTS)]
        roots.append((("vendor_services", "[]"), SERVICE_FACTS))
    elif kind == "organisation":
        roots += [(("org",), ORGANISATION_FACTS), (("services", "[]"), SERVICE_FACTS)]
        roots.append((("vendors", "[]"), VENDOR_FACTS))
    return [(*prefix, *norm) for prefix, tree in roots for norm in _norms(tree)]


def _read_facts(reads: ExpressionReads, kind: str) -> tuple[tuple[str, ...], ...]:
    return tuple(
        norm
        for norm in _fact_universe(kind)
        if norm in reads.prefixes or any(norm[:i] in reads.whole for i in range(1, len(norm)))
    )


def _statics(
    catalogue: Catalogue,
    control: CompiledControl,
    canton: str,
    lang: str,
    as_of: dt.date | None = None,
) -> _ControlStatics:
    spec = control.control
    condition_reads = tuple(expression_reads(p) for p in control.condition_paths)
    requirement_reads = tuple(expression_reads(r.paths) for r in control.requirements)
    everything = expression_reads(
        [p for paths in control.condition_paths for p in paths]
        + [p for r in control.requirements for p in r.paths]
    )
    met = tuple(FactResult(r.name, "requirement", True, []) for r in control.requirements)
    return _ControlStatics(
        id=spec.id,
        title=spec.title.get(lang),
        family=spec.family,
        severity=spec.severity,
        objectives=list(spec.objectives),
        citations=[
            LegalCitation(citation=citation, url=url, canton=where)
            for citation, url, where in catalogue.citations(spec, canton, lang, as_of)
        ],
        parameters={name: _param_text(value) for name, value in control.parameters.items()},
        vendor_paths=_vendor_paths(control),
        requirements=tuple(
            (requirement, met_fact, f"requirements.{requirement.name}")
            for requirement, met_fact in zip(control.requirements, met, strict=True)
        ),
        all_met=list(met),
        conditions=tuple(
            (
                program,
                f"applies_when.{name}",
                [
                    spec.not_applicable_reason.get(lang)
                    if spec.not_applicable_reason
                    else translate("finding.not_applicable", lang, condition=name)
                ],
                [FactResult(name, "condition", False, [])],
            )
            for name, program in control.conditions
        ),
        unknown_when=tuple(
            (program, f"unknown_when.{name}", [message.get(lang)])
            for name, program, message in control.unknown_when
        ),
        reads=everything,
        condition_reads=condition_reads
        if len(condition_reads) == len(control.conditions)
        else tuple(expression_reads(control.paths) for _ in control.conditions),
        requirement_reads=requirement_reads,
        fact_norms=_read_facts(everything, spec.target),
    )


def _observation_note(target: Target, lang: str) -> str | None:
    """For an endpoint: how old the probe observation the finding rests on is."""
    observation = target.variables.get("observation") if target.kind == "endpoint" else None
    if observation is None:
        return None
    key = "finding.observation_stale" if observation["stale"] else "finding.observation_age"
    return translate(
        key, lang, date=str(observation["observed_at"])[:10], days=observation["age_days"]
    )


_Decision = tuple[str, list[str], list[FactResult]]


def _decide(
    control: CompiledControl, statics: _ControlStatics, context: Any, lang: str
) -> _Decision:
    """Outcome, messages and facts: conditions in order, then every requirement.

    The messages and facts of a not-applicable finding, and the facts of a
    passing one, are the control's shared lists (see ``_ControlStatics``).
    """
    facts: list[FactResult] = []
    messages: list[str] = []
    outcome = "pass"
    where = ""  # the step being run, named in an error's message
    try:
        for program, where, reason, condition in statics.conditions:
            value = program.execute(context)
            if value is True:
                continue
            if value is not False:
                raise _EvaluationError(f"{where}: expected true or false, got {value!r}")
            return "not_applicable", reason, condition
        for program, where, message in statics.unknown_when:
            value = program.execute(context)
            if value is True:
                return "unknown", message, []
            if value is not False:
                raise _EvaluationError(f"{where}: expected true or false, got {value!r}")
        for requirement, met, label in statics.requirements:
            where = label
            value = requirement.program.execute(context)
            if value is True:
                facts.append(met)
                continue
            if value is not False:
                raise _EvaluationError(f"{where}: expected true or false, got {value!r}")
            details: list[str] = []
            if requirement.facts is not None:
                where = f"{label}.facts"
                details = _as_facts(requirement.facts.execute(context))
            outcome = "fail"
            facts.append(FactResult(requirement.name, "requirement", False, details))
            where = f"{label}.message"
            messages.append(
                _format_message(requirement.message.get(lang), details, statics.parameters, lang)
            )
    except _EvaluationError as exc:
        return "error", [translate("finding.error", lang, detail=str(exc))], facts
    except BaseException as exc:  # the binding raises many types; all are evaluation errors
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise  # (a Rust panic in the binding is a BaseException too)
        text = str(exc).split(". CEL does not coerce", 1)[0]
        detail = f"{where}: {type(exc).__name__}: {text}"
        return "error", [translate("finding.error", lang, detail=detail)], facts
    if outcome == "pass":
        return outcome, messages, statics.all_met
    return outcome, messages, facts


def budget_values(data: EvaluationInput) -> dict[str, Any]:
    """The context values every target shares, whose lists cost formulas may count."""
    return {
        "org": data.inventory.organisation.model_dump(mode="json"),
        "ref": data.reference.as_context(),
        "commune": data.commune,
    }


def over_budget(
    control: CompiledControl,
    variables: dict[str, Any],
    shared: dict[str, Any],
    memo: dict[Any, int],
    lang: str,
) -> _Decision | None:
    """An ``error`` decision when ``control`` (which has a cost formula) would
    visit more than :data:`MAX_VISITS` list elements on a target with these
    ``variables``; None when within the budget. ``memo``: the target's list
    lengths counted so far."""
    assert control.cost is not None
    count = visits(control.cost, variables, shared, memo)
    if count <= MAX_VISITS:
        return None
    detail = translate(
        "finding.cel_budget",
        lang,
        control=control.id,
        visits=format_number(count, lang),
        budget=format_number(MAX_VISITS, lang),
    )
    return "error", [translate("finding.error", lang, detail=detail)], []


#: At most this many facts are named in one message; the finding lists them all.
_NAMED_IN_MESSAGE = 6


def _fact_list(names: list[str], lang: str) -> str:
    shown = ", ".join(names[:_NAMED_IN_MESSAGE])
    if len(names) > _NAMED_IN_MESSAGE:
        shown += " " + translate(
            "finding.and_more", lang, count=format_number(len(names) - _NAMED_IN_MESSAGE, lang)
        )
    return shown


def who_can_answer(roots: set[str], variables: dict[str, Any], lang: str) -> list[str]:
    """Who can give the missing facts: the service owner, the vendor, the administration."""
    out = []
    service = variables.get("service")
    vendor = variables.get("vendor")
    if "service" in roots and isinstance(service, dict):
        out.append(translate("finding.ask_service_owner", lang, owner=service.get("owner", "")))
    if isinstance(vendor, dict) and ("vendor" in roots or "location" in roots):
        out.append(
            translate(
                "finding.ask_vendor", lang, vendor=vendor.get("name", ""), id=vendor.get("id", "")
            )
        )
    if roots & {"org", "services", "vendors", "vendor_services", "derived"}:
        out.append(translate("finding.ask_administration", lang))
    return out


class _Names:
    """Display names of unknown facts, in first-seen order, without repeats."""

    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables
        self.names: dict[str, str] = {}  # display name -> root

    def add(self, items: list[Any]) -> list[str]:
        out = []
        for _, concrete, _ in items:
            name, root = _source_of(concrete, self.variables)
            self.names.setdefault(name, root)
            if name not in out:
                out.append(name)
        return out


def _source_of(concrete: tuple[Any, ...], variables: dict[str, Any]) -> tuple[str, str]:
    """The inventory fact behind an unknown one, as people read it, and its root.

    Derived facts are named by the fact they come from: whether the processing
    is large-scale by the service's number of data subjects; a sub-processor
    of the flattened chain by its place in the vendor's list.
    """
    if concrete[0] == "derived" and len(concrete) >= 2:
        if concrete[1] == "large_scale":
            return "service.data_subject_count", "service"
        if concrete[1] == "chain" and len(concrete) == 4:
            chain = (variables.get("derived") or {}).get("chain") or []
            index = concrete[2]
            element = chain[index] if isinstance(index, int) and index < len(chain) else {}
            label = element.get("path") or element.get("name") or index
            return f"vendor.sub_processors[{label}].{concrete[3]}", "vendor"
    return display_path(concrete, variables), str(concrete[0])


def decide_with_unknowns(
    control: CompiledControl,
    statics: _ControlStatics,
    context: Any,
    lang: str,
    target: Target,
    variables: dict[str, Any],
    scratch: Any,
    as_of: str,
    memo: dict[Any, Any],
) -> tuple[str, list[str], list[FactResult], list[str]]:
    """Like :func:`_decide` on a target whose unknown facts the control reads.

    Each condition and requirement reading unknown facts is decided three-valued
    (:func:`conformite.engine.unknowns.tri_state`). A requirement known to be
    unmet fails the finding even when others are unknown, unless an undecided
    condition leaves open whether the control applies. Returns also the names
    of the unknown facts the verdict depends on (an unknown fact it reads but
    that changes nothing, such as the DPF certification of a Swiss vendor, is
    not one of them).
    """
    facts_of_target = target.facts
    assert facts_of_target is not None
    decisive = _Names(variables)
    pending = False
    where = ""

    def value_of(program: Any, reads: ExpressionReads, label: str) -> bool | None:
        if reads.touches(facts_of_target):
            items = reads.relevant(facts_of_target)
            value, fields = tri_state(program, scratch, reads, items, variables, as_of, memo)
            if value is None:
                decisive.add([item for item in items if item[0] in fields])
            return value
        value = program.execute(context)
        if value is not True and value is not False:
            raise _EvaluationError(f"{label}: expected true or false, got {value!r}")
        return value

    results: list[FactResult] = []
    messages: list[str] = []
    failed = undecided = False
    try:
        for (program, where, reason, condition), reads in zip(
            statics.conditions, statics.condition_reads, strict=True
        ):
            value = value_of(program, reads, where)
            if value is None:
                pending = True
            elif value is False:
                return "not_applicable", reason, condition, list(decisive.names)
        for program, where, message in statics.unknown_when:
            value = program.execute(context)
            if value is True:
                return "unknown", message, [], list(decisive.names)
            if value is not False:
                raise _EvaluationError(f"{where}: expected true or false, got {value!r}")
        for (requirement, met, label), reads in zip(
            statics.requirements, statics.requirement_reads, strict=True
        ):
            where = label
            before = set(decisive.names)
            value = value_of(requirement.program, reads, label)
            if value is True:
                results.append(met)
            elif value is None:
                undecided = True
                names = [n for n in decisive.names if n not in before] or list(decisive.names)
                results.append(FactResult(requirement.name, "requirement", None, names))
            else:
                failed = True
                details: list[str] = []
                if requirement.facts is not None:
                    try:  # the facts of a decided failure, unknown ones shown as null
                        details = _as_facts(requirement.facts.execute(context))
                    except Exception:
                        details = []
                results.append(FactResult(requirement.name, "requirement", False, details))
                messages.append(
                    _format_message(
                        requirement.message.get(lang), details, statics.parameters, lang
                    )
                )
    except _EvaluationError as exc:
        return "error", [translate("finding.error", lang, detail=str(exc))], results, []
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        detail = f"{where}: {type(exc).__name__}: {exc}"
        return "error", [translate("finding.error", lang, detail=detail)], results, []
    names = list(decisive.names)
    roots = {decisive.names[n] for n in names}
    if any(n.startswith("service.data_location.") for n in names):
        roots.add("location")  # what the vendor says of its location holds for its services
    if failed and not pending:
        if names:
            messages.append(
                translate("finding.also_to_document", lang, facts=_fact_list(names, lang))
            )
        return "fail", messages, results, list(decisive.names)
    if failed or undecided or pending:
        text = translate("finding.to_document", lang, facts=_fact_list(names, lang))
        return (
            "unknown",
            [text, *who_can_answer(roots, variables, lang)],
            results,
            list(decisive.names),
        )
    return "pass", [], statics.all_met, list(decisive.names)
