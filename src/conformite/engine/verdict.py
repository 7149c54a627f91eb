"""How one control decides on one target: its outcome, messages and facts.

Per control, what does not depend on the target (title, citations, the
messages of a not-applicable finding) is prepared once
(:func:`_statics`); :func:`_decide` then runs the control's conditions and
requirements in a target's CEL context. An expression that cannot be
evaluated, or does not give a boolean, is an ``error``: never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformite.catalogue.cel import PRESENCE
from conformite.catalogue.cost import MAX_VISITS, visits
from conformite.catalogue.model import Catalogue, CompiledControl, CompiledRequirement
from conformite.engine.results import FactResult, LegalCitation
from conformite.engine.targets import EvaluationInput, Target
from conformite.i18n import translate
from conformite.i18n.formats import format_number

__all__ = ["NOT_STATED", "provenance_of"]


class _EvaluationError(Exception):
    pass


def _as_facts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _format_message(template: str, facts: list[str], parameters: dict[str, str]) -> str:
    """Fill a requirement's message; ``parameters`` are already rendered as text."""
    return template.format_map({**parameters, "facts": "; ".join(facts) if facts else "-"})


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


def _statics(
    catalogue: Catalogue, control: CompiledControl, canton: str, lang: str
) -> _ControlStatics:
    spec = control.control
    met = tuple(FactResult(r.name, "requirement", True, []) for r in control.requirements)
    return _ControlStatics(
        id=spec.id,
        title=spec.title.get(lang),
        family=spec.family,
        severity=spec.severity,
        objectives=list(spec.objectives),
        citations=[
            LegalCitation(citation=citation, url=url, canton=where)
            for citation, url, where in catalogue.citations(spec, canton, lang)
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
                _format_message(requirement.message.get(lang), details, statics.parameters)
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
