"""Stage 2 of the flow: run every control on every target it applies to.

One CEL context per target kind is built once (:mod:`conformite.engine.targets`)
and reused; per target only the target's own variables change (parameters and
variables are compiled into each control's programs), and each control decides
(:mod:`conformite.engine.verdict`). A large audit is split between two
processes, with an identical result. A workspace's own controls run apart, in
a child process with time and memory limits (:mod:`conformite.engine.guard`).

Outcomes:

* ``not_applicable``: an ``applies_when`` condition is false;
* ``pass``: every requirement is true;
* ``fail``: at least one requirement is false; its message (with the facts
  that failed) is reported;
* ``unknown``: to document: a requirement or condition depends on facts
  nobody gave (see :mod:`conformite.engine.unknowns`), or an ``unknown_when``
  condition holds (an endpoint never probed); the message names the missing
  facts and who can give them;
* ``error``: an expression could not be evaluated or did not give a boolean,
  a control's comprehensions would visit more list elements on the target
  than the budget (:mod:`conformite.catalogue.cost`; not evaluated), or a
  workspace's own control went over a limit. An error is never counted as a pass.

Waivers (``waived``) are applied afterwards by :mod:`conformite.engine.waivers`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from conformite.catalogue.model import Catalogue, CompiledControl
from conformite.engine import guard
from conformite.engine.children import (
    Incomplete,
    pieces_received,
    reap,
    send_in_pieces,
)
from conformite.engine.derive import derive
from conformite.engine.projection import LeafHandover, functions_called
from conformite.engine.results import FactResult, Finding
from conformite.engine.sharing import Shared
from conformite.engine.targets import (
    EvaluationInput,
    Target,
    _base_context,
    iter_targets,
    organisation_context,
    projection,
)
from conformite.engine.verdict import (
    _ControlStatics,
    _decide,
    _observation_note,
    _statics,
    budget_values,
    decide_with_unknowns,
    over_budget,
    provenance_of,
)
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.inventory.model import Inventory
from conformite.inventory.observations import Observation, latest_observations

__all__ = [
    "evaluate",
    "evaluate_workspace",
    "evaluation_input",
    "evaluation_size",
    "observations_for_context",
]


@dataclass(frozen=True)
class _Plan:
    """Everything needed to evaluate a list of targets, fixed before any work starts."""

    data: EvaluationInput
    targets: list[Target]
    by_kind: dict[str, list[CompiledControl]]
    projections: dict[str, Any]
    statics: dict[str, _ControlStatics]
    #: The organisation as the ``org`` variable holds it (for unknown facts).
    organisation: dict[str, Any]
    #: The texts and facts the findings share (see engine.sharing).
    shared: Shared = field(default_factory=Shared)


_NONE: list[str] = []  # the unknown facts of a finding that reads none (shared)
#: Outcomes whose messages and facts are made for the finding (else the control's).
_MADE_FOR_IT = ("fail", "unknown", "error")
#: The provenance of a finding no supplier profile is involved in (shared: most
#: findings; one empty dict each was 24 MiB on 10,000 services). Never mutated.
_NO_SOURCES: dict[str, str] = {}


def _evaluate_targets(
    plan: _Plan,
    targets: list[Target],
    progress: Callable[[int], None] | None,
    decide: Callable[..., Any] = _decide,
) -> list[Finding]:
    findings: list[Finding] = []
    append = findings.append
    lang = plan.data.lang
    as_of = plan.data.as_of.isoformat()
    scratches: dict[str, Any] = {}  # per kind, where unknown facts are tried
    memo: dict[Any, Any] = {}  # answers of expressions reading unknown facts
    handovers: dict[str, LeafHandover] = {}  # per kind, what its context holds
    budget: dict[str, Any] | None = None  # for cost formulas (catalogue.cost)
    shared = plan.shared
    for target in targets:
        kind = target.kind
        controls = plan.by_kind[kind]
        if not controls:
            continue
        target = target.with_facts()  # dropped with the next target (memory)
        tree = plan.projections[kind]
        handover = handovers.get(kind)
        if handover is None:
            context = _base_context(plan.data, tree, functions_called(controls))
            handover = handovers[kind] = LeafHandover(context, tree, controls)
        handover.hand(target.variables)
        context = handover.context
        note = _observation_note(target, lang)
        target_id, target_name, needs = target.id, target.name, target.needs
        sources = target.provenance
        counted: dict[Any, int] = {}  # the target's list lengths
        known = target.facts
        counts = known.counts if known is not None else {}
        if known is not None and not known.unknown:
            known = None
        variables: dict[str, Any] | None = None
        for control in controls:
            statics = plan.statics[control.id]
            unknown_facts = _NONE
            decision = None
            if control.cost is not None:
                if budget is None:
                    budget = budget_values(plan.data)
                decision = over_budget(control, target.variables, budget, counted, lang)
            if decision is not None:
                outcome, messages, facts = decision
            elif known is not None and statics.reads.touches(known):
                if variables is None:
                    variables = {**target.variables, "org": plan.organisation}
                scratch = scratches.get(kind)
                if scratch is None:
                    scratch = scratches[kind] = _base_context(
                        plan.data, tree, functions_called(controls)
                    )
                outcome, messages, facts, unknown_facts = decide_with_unknowns(
                    control, statics, context, lang, target, variables, scratch, as_of, memo
                )
            else:
                outcome, messages, facts = decide(control, statics, context, lang)
            if note is not None and outcome in ("pass", "fail"):
                messages = [*messages, note]
            if outcome in _MADE_FOR_IT:
                shared.texts_in(messages), shared.facts_in(facts), shared.texts_in(unknown_facts)
            if not messages:
                messages = _NONE  # one empty list for every finding without message
            objectives = statics.objectives
            if not objectives:
                need = target.need
            elif len(objectives) == 1:
                need = needs[objectives[0]]
            else:
                need = max([needs[o] for o in objectives])
            # Positional, in field order: the hot path of a large audit.
            append(
                Finding(
                    statics.id,
                    statics.family,
                    objectives,
                    statics.severity,
                    statics.title,
                    kind,
                    target_id,
                    target_name,
                    need,
                    outcome,
                    statics.citations,
                    messages,
                    facts,
                    0.0,
                    None,
                    None,
                    (provenance_of(statics.vendor_paths, sources) or _NO_SOURCES)
                    if sources
                    else _NO_SOURCES,
                    sum([counts.get(norm, 0) for norm in statics.fact_norms]),
                    unknown_facts,
                )
            )
        if progress is not None:
            progress(len(controls))
    return findings


#: Below this many evaluations a second process costs more than it saves.
PARALLEL_THRESHOLD = 20_000
#: The parent's part of the evaluations: it also unpacks the worker's findings,
#: while the worker packs them, so an even split leaves the parent waiting.
#: Benchmark, evaluation alone: 0.5 → 0.40 s, 0.56 → 0.38 s, 0.6 → 0.37 s, 0.65 → 0.39 s.
PARENT_SHARE = 0.6


def _worker_count(evaluations: int) -> int:
    """Processes to use: 2 on a large audit where fork is safe, else 1.

    ``CONFORMITE_WORKERS`` overrides it (1 forces a single process).
    """
    configured = os.environ.get("CONFORMITE_WORKERS")
    if configured and configured.isdigit():
        return max(1, min(int(configured), 2))
    if evaluations < PARALLEL_THRESHOLD or sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        return 1
    return 2


_Packed = tuple[Any, ...]


def _pack(plan: _Plan, findings: list[Finding]) -> list[_Packed]:
    """Findings as plain tuples of str, int, bool, list and dict: what ``marshal``
    writes and reads several times faster than ``pickle`` writes dataclasses.

    The facts of a passing finding and the messages and facts of a
    not-applicable one are the control's shared lists: they travel as
    ``None`` and as the condition's index, and are shared again on arrival.
    """
    packed: list[_Packed] = []
    for f in findings:
        statics = plan.statics[f.control_id]
        facts: Any = None
        if f.facts is not statics.all_met:
            facts = next(
                (i for i, c in enumerate(statics.conditions) if f.facts is c[3]),
                None,
            )
            if facts is None:
                facts = [(x.name, x.kind, x.met, x.details) for x in f.facts]
        packed.append(
            (
                f.control_id,
                f.target_kind,
                f.target_id,
                f.target_name,
                f.protection_need,
                f.outcome,
                f.messages,
                facts,
                f.provenance,
                f.facts_read,
                f.unknown_facts,
            )
        )
    return packed


def _unpack(plan: _Plan, packed: _Packed) -> Finding:
    (
        control_id,
        kind,
        target_id,
        name,
        need,
        outcome,
        messages,
        facts,
        provenance,
        facts_read,
        unknown_facts,
    ) = packed
    statics = plan.statics[control_id]
    if facts is None:
        facts = statics.all_met
    elif type(facts) is int:
        _, _, messages, facts = statics.conditions[facts]
    else:
        facts = [FactResult(*fact) for fact in facts]
        plan.shared.facts_in(facts)
    plan.shared.texts_in(messages), plan.shared.texts_in(unknown_facts)
    return Finding(
        control_id=control_id,
        family=statics.family,
        objectives=statics.objectives,
        severity=statics.severity,
        title=statics.title,
        target_kind=kind,
        target_id=target_id,
        target_name=name,
        protection_need=need,
        outcome=outcome,
        legal_basis=statics.citations,
        messages=messages or _NONE,
        facts=facts,
        provenance=provenance or _NO_SOURCES,
        facts_read=facts_read,
        unknown_facts=unknown_facts or _NONE,
    )


def _evaluate_in_two_processes(
    plan: _Plan, split: int, progress: Callable[[int], None] | None
) -> list[Finding]:
    """Evaluate ``plan.targets[:split]`` here and the rest in a forked child.

    The child inherits the plan (compiled CEL programs cannot be pickled),
    sends its findings back through a pipe in ``marshal`` pieces and exits
    without running any clean-up of the parent's. If it fails for any reason,
    its part is evaluated here: the result never depends on the split. If
    this process's own part raises (an interrupted progress callback), the
    child is stopped and reaped before the exception goes on.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_end)
            packed = _pack(plan, _evaluate_targets(plan, plan.targets[split:], None))
            with os.fdopen(write_end, "wb") as pipe:
                send_in_pieces(pipe, packed)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    received: list[Finding] | None = None
    finished = False
    try:
        findings = _evaluate_targets(plan, plan.targets[:split], progress)
        with os.fdopen(read_end, "rb") as pipe:
            read_end = -1  # closed with the file object
            received = _receive(plan, pipe)
        finished = True
    finally:
        if read_end != -1:
            os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        status = reap(pid)
    if received is None or status not in (0, None):
        findings.extend(_evaluate_targets(plan, plan.targets[split:], None))
    else:
        findings.extend(received)
    return findings


def _receive(plan: _Plan, pipe: Any) -> list[Finding] | None:
    """The worker's findings, unpacked one piece at a time; None if any is missing."""
    findings: list[Finding] = []
    try:
        for piece in pieces_received(pipe):
            findings.extend(_unpack(plan, packed) for packed in piece)
    except Incomplete:
        return None
    return findings


def _grouped_by_vendor(targets: list[Target]) -> list[Target]:
    """Services next to the other services of their vendor, everything else in place.

    Consecutive services of one vendor share its value in the CEL context,
    which is then converted once (see ``_evaluate_targets``). The order of
    evaluation does not show: findings are sorted afterwards.
    """
    services = [t for t in targets if t.kind == "service"]
    if not services:
        return targets
    first = targets.index(services[0])
    services.sort(key=lambda t: (t.variables.get("vendor") or {}).get("id") or "")
    others = [t for t in targets if t.kind != "service"]
    return others[:first] + services + others[first:]


def evaluate(
    catalogue: Catalogue,
    data: EvaluationInput,
    progress: Callable[[int], None] | None = None,
) -> list[Finding]:
    """Every finding of every control on every target, in a stable order.

    On large audits the targets are split between this process and one forked
    child (the machine this runs on typically has two cores); the result is
    identical to a single-process run.
    """
    derived = derive(data.inventory, data.reference)
    canton = str(data.commune.get("canton", "")) or None
    by_kind = {
        kind: catalogue.for_target(kind, canton)
        for kind in ("organisation", "service", "vendor", "endpoint")
    }
    statics = {
        control.id: _statics(catalogue, control, canton or "", data.lang, data.as_of)
        for controls in by_kind.values()
        for control in controls
    }
    targets = _grouped_by_vendor(list(iter_targets(data, derived)))
    custom: list[Finding] = []
    if guard.available() and any(not c.builtin for cs in by_kind.values() for c in cs):
        # A workspace's own controls run apart, with limits (see engine.guard).
        custom_plan = _plan(data, targets, by_kind, statics, lambda c: not c.builtin)
        custom = _evaluate_guarded(custom_plan)
        if progress is not None:
            progress(sum(len(custom_plan.by_kind[t.kind]) for t in targets))
        by_kind = {kind: [c for c in cs if c.builtin] for kind, cs in by_kind.items()}
    plan = _plan(data, targets, by_kind, statics, lambda c: True)
    weights = [len(by_kind[t.kind]) for t in plan.targets]
    total = sum(weights)
    if _worker_count(total) == 1:
        findings = _evaluate_targets(plan, plan.targets, progress)
    else:
        # Split so that both processes finish at about the same time.
        done = 0
        split = len(plan.targets)
        for index, weight in enumerate(weights):
            done += weight
            if done >= total * PARENT_SHARE:
                split = index + 1
                break
        findings = _evaluate_in_two_processes(plan, split, progress)
        if progress is not None:
            progress(total - done)
    findings.extend(custom)
    findings.sort(key=attrgetter("control_id", "target_kind", "target_id"))
    _apply_dependencies(catalogue, findings, data.lang)
    return findings


def _apply_dependencies(catalogue: Catalogue, findings: list[Finding], lang: str) -> None:
    """A finding whose control ``depends_on`` another that does not pass on the
    same target is not counted (``not_applicable``) and says why: the security
    clauses of an agreement are not judged apart from a missing agreement."""
    dependent = {c.id: c.control.depends_on for c in catalogue.controls if c.control.depends_on}
    if not dependent:
        return
    needed = {d for ids in dependent.values() for d in ids}
    outcomes = {
        (f.control_id, f.target_kind, f.target_id): f.outcome
        for f in findings
        if f.control_id in needed
    }
    for finding in findings:
        for other in dependent.get(finding.control_id, ()):
            outcome = outcomes.get((other, finding.target_kind, finding.target_id))
            if outcome is None or outcome in ("pass", "not_applicable"):
                continue
            if finding.outcome in ("pass", "fail", "unknown"):
                finding.outcome = "not_applicable"
                finding.messages = [
                    translate(
                        "finding.depends_on",
                        lang,
                        control=other,
                        outcome=translate(f"outcome.{outcome}", lang),
                    )
                ]
                finding.facts = [FactResult(other, "dependency", False, [])]
                finding.unknown_facts = []
            break


def _plan(
    data: EvaluationInput,
    targets: list[Target],
    by_kind: dict[str, list[CompiledControl]],
    statics: dict[str, _ControlStatics],
    keep: Callable[[CompiledControl], bool],
) -> _Plan:
    kept = {kind: [c for c in controls if keep(c)] for kind, controls in by_kind.items()}
    return _Plan(
        data=data,
        targets=targets,
        by_kind=kept,
        projections={kind: projection(controls) for kind, controls in kept.items()},
        statics=statics,
        organisation=organisation_context(data)[0],
    )


def _evaluate_guarded(plan: _Plan) -> list[Finding]:
    """The findings of ``plan``'s controls, run in a limited child (engine.guard);
    a control stopped at a limit is an ``error`` on each of its targets."""
    limit = guard.limits()

    def work(active: set[str], decide: Callable[..., Any]) -> list[_Packed]:
        part = _plan(plan.data, plan.targets, plan.by_kind, plan.statics, lambda c: c.id in active)
        return _pack(part, _evaluate_targets(part, part.targets, None, decide))

    ids = sorted({c.id for controls in plan.by_kind.values() for c in controls})
    packed, stopped = guard.run_guarded(ids, work, _decide, limit)
    findings = [_unpack(plan, p) for p in packed]
    lang = plan.data.lang
    for target in plan.targets:
        for control in plan.by_kind[target.kind]:
            if control.id in stopped:
                detail = guard.stopped_message(control.id, stopped[control.id], limit, lang)
                findings.append(_error_finding(plan.statics[control.id], target, detail, lang))
    return findings


def _error_finding(statics: _ControlStatics, target: Target, detail: str, lang: str) -> Finding:
    objectives = statics.objectives
    need = max((target.needs[o] for o in objectives), default=target.need)
    return Finding(
        statics.id,
        statics.family,
        objectives,
        statics.severity,
        statics.title,
        target.kind,
        target.id,
        target.name,
        need,
        "error",
        statics.citations,
        [translate("finding.error", lang, detail=detail)],
        [],
        0.0,
        None,
        None,
        provenance_of(statics.vendor_paths, target.provenance) if target.provenance else {},
    )


def evaluation_size(catalogue: Catalogue, inventory: Inventory) -> int:
    """How many (control, target) pairs an audit evaluates: for progress bars."""
    counts = {
        "organisation": 1,
        "service": len(inventory.services),
        "vendor": len(inventory.vendors),
        "endpoint": len(
            {e.url for s in inventory.services for e in s.endpoints}
            | {v.portal_url for v in inventory.vendors if v.portal_url}
            | {f"mail:{d}" for d in inventory.organisation.mail_domains}
        ),
    }
    return sum(counts[c.control.target] for c in catalogue.controls)  # upper bound


def observations_for_context(
    observations: dict[str, Observation], as_of: dt.date, stale_after_days: int
) -> dict[str, Any]:
    """Observations as the ``observation`` variable sees them, with their age."""
    out = {}
    for url, observation in observations.items():
        data = observation.model_dump(mode="json")
        age = (as_of - observation.observed_at.date()).days
        data["age_days"] = age
        data["stale"] = age > stale_after_days
        out[url] = data
    return out


def evaluation_input(workspace: Workspace, as_of: dt.date, lang: str) -> EvaluationInput:
    commune = workspace.config.commune
    observations = observations_for_context(
        latest_observations(workspace.directory), as_of, workspace.config.probe.stale_after_days
    )
    return EvaluationInput(
        inventory=workspace.inventory,
        reference=workspace.reference,
        commune={
            "name": commune.name,
            "canton": commune.canton,
            "population": commune.population,
            "language": commune.language,
        },
        as_of=as_of,
        lang=lang,
        observations=observations,
    )


def evaluate_workspace(
    workspace: Workspace, as_of: dt.date, lang: str, progress: Callable[[int], None] | None = None
) -> list[Finding]:
    """Evaluate a loaded workspace's catalogue against its inventory."""
    return evaluate(workspace.catalogue, evaluation_input(workspace, as_of, lang), progress)
