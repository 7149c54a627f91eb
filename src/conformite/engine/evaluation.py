"""Stage 2 of the flow: run every control on every target it applies to.

One CEL context per target kind is built once (reference data, organisation,
functions) and reused; per target only the target's own variables change
(parameters and variables are compiled into each control's programs). Handing
Python values to CEL is the costliest step, so the context holds only the
fields the kind's controls read (:func:`projection`), and a large audit is
split between two processes.

Outcomes:

* ``not_applicable``: an ``applies_when`` condition is false;
* ``pass``: every requirement is true;
* ``fail``: at least one requirement is false; its message (with the facts
  that failed) is reported;
* ``error``: an expression could not be evaluated or did not give a boolean.
  An error is never counted as a pass.

Waivers (``waived``) are applied afterwards by :mod:`conformite.engine.waivers`.
"""

from __future__ import annotations

import datetime as dt
import marshal
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from conformite.catalogue.cel import PRESENCE
from conformite.catalogue.celbinding import add_stdlib_to_context, cel
from conformite.catalogue.context import make_functions
from conformite.catalogue.model import Catalogue, CompiledControl, CompiledRequirement
from conformite.engine.derive import Derived, derive
from conformite.engine.results import FactResult, Finding, LegalCitation
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.inventory.model import Inventory
from conformite.inventory.observations import Observation, latest_observations
from conformite.inventory.reference import LEVELS, ReferenceData

__all__ = ["EvaluationInput", "Target", "evaluate", "evaluate_workspace", "iter_targets"]


@dataclass(frozen=True)
class Target:
    """One thing a control is applied to."""

    kind: str
    id: str
    name: str
    variables: dict[str, Any]
    need: int  # highest effective protection need, 1..3 (organisation: 1)
    needs: dict[str, int]
    #: Vendor field path -> where the fact comes from (vendors built on a profile).
    provenance: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationInput:
    inventory: Inventory
    reference: ReferenceData
    commune: dict[str, Any]
    as_of: dt.date
    lang: str
    observations: dict[str, Any] | None = None


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


def iter_targets(data: EvaluationInput, derived: Derived) -> Iterator[Target]:
    """Every target of every kind, in a stable order."""
    inventory = data.inventory
    services = {s.id: _dump(s) for s in inventory.services}
    vendors = {v.id: _dump(v) for v in inventory.vendors}
    sensitive = sorted(sid for sid, facts in derived.services.items() if facts.sensitive)
    max_need = max((f.max_need for f in derived.services.values()), default=1)
    flat_needs = dict.fromkeys(("confidentiality", "integrity", "availability", "traceability"), 1)
    yield Target(
        kind="organisation",
        id="organisation",
        name=str(data.commune.get("name", "")),
        variables={
            "services": list(services.values()),
            "vendors": list(vendors.values()),
            "derived": {
                "sensitive_services": sensitive,
                "large_scale_sensitive": any(
                    f.sensitive and f.large_scale for f in derived.services.values()
                ),
                "max_need": max_need,
            },
        },
        need=1,
        needs=flat_needs,
    )
    for service in inventory.services:
        facts = derived.services[service.id]
        yield Target(
            kind="service",
            id=service.id,
            name=service.name,
            variables={
                "service": services[service.id],
                "vendor": vendors.get(service.vendor) if service.vendor else None,
                "derived": facts.as_context(),
            },
            need=facts.max_need,
            needs=facts.needs,
            provenance=inventory.provenance.get(service.vendor, {}) if service.vendor else {},
        )
    for vendor in inventory.vendors:
        vfacts = derived.vendors[vendor.id]
        yield Target(
            kind="vendor",
            id=vendor.id,
            name=vendor.name,
            variables={
                "vendor": vendors[vendor.id],
                "vendor_services": [services[sid] for sid in vfacts.service_ids],
                "derived": vfacts.as_context(),
            },
            need=vfacts.max_need,
            needs=vfacts.needs,
            provenance=inventory.provenance.get(vendor.id, {}),
        )
    observations = data.observations or {}
    seen: set[str] = set()
    endpoints: list[tuple[str, str, str, str]] = []
    for service in inventory.services:
        for endpoint in service.endpoints:
            endpoints.append((endpoint.url, endpoint.kind, "service", service.id))
    for vendor in inventory.vendors:
        if vendor.portal_url:
            endpoints.append((vendor.portal_url, "portal", "vendor", vendor.id))
    for domain in inventory.organisation.mail_domains:
        endpoints.append((f"mail:{domain}", "mail_domain", "organisation", "organisation"))
    for url, kind, owner_kind, owner_id in endpoints:
        if url in seen:
            continue
        seen.add(url)
        if owner_kind == "service":
            need, needs = derived.services[owner_id].max_need, derived.services[owner_id].needs
        elif owner_kind == "vendor":
            need, needs = derived.vendors[owner_id].max_need, derived.vendors[owner_id].needs
        else:
            need, needs = 1, flat_needs
        yield Target(
            kind="endpoint",
            id=url,
            name=url,
            variables={
                "endpoint": {
                    "url": url,
                    "host": url.removeprefix("mail:")
                    if kind == "mail_domain"
                    else urlsplit(url).hostname or "",
                    "kind": kind,
                    "owner_kind": owner_kind,
                    "owner_id": owner_id,
                },
                "observation": observations.get(url),
            },
            need=need,
            needs=needs,
        )


#: In a projection, the whole value is kept.
_WHOLE: dict[str, Any] = {}


def projection(controls: list[CompiledControl]) -> dict[str, Any]:
    """A tree of the context fields that ``controls`` read (``_WHOLE`` = keep all).

    The CEL binding converts every value handed to it, field by field; giving
    it only what the controls can read (which the loader knows statically)
    makes a target's conversion several times cheaper.
    """
    tree: dict[str, Any] = {}
    for control in controls:
        for path in control.paths:
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


def _base_context(data: EvaluationInput, tree: dict[str, Any]) -> Any:
    """The variables shared by every target of a kind, cut to what its controls read.

    The binding copies every variable in full whenever the context changes
    (once per target), so what no control reads is left out.
    """
    context = cel.Context()
    add_stdlib_to_context(context, ["core", "strings", "math", "sets", "lists"])
    for name, function in make_functions(data.as_of).items():
        context.add_function(name, function)
    shared = {
        "as_of": data.as_of.isoformat(),
        "commune": data.commune,
        "org": _dump(data.inventory.organisation),
        "ref": data.reference.as_context(),
        "NORMAL": LEVELS["normal"],
        "HIGH": LEVELS["high"],
        "VERY_HIGH": LEVELS["very_high"],
    }
    for name, value in shared.items():
        if name in tree:
            context.add_variable(name, _project(value, tree[name]))
    return context


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
    except Exception as exc:  # the binding raises many types; all are evaluation errors
        text = str(exc).split(". CEL does not coerce", 1)[0]
        detail = f"{where}: {type(exc).__name__}: {text}"
        return "error", [translate("finding.error", lang, detail=detail)], facts
    if outcome == "pass":
        return outcome, messages, statics.all_met
    return outcome, messages, facts


@dataclass(frozen=True)
class _Plan:
    """Everything needed to evaluate a list of targets, fixed before any work starts."""

    data: EvaluationInput
    targets: list[Target]
    by_kind: dict[str, list[CompiledControl]]
    projections: dict[str, Any]
    statics: dict[str, _ControlStatics]


def _evaluate_targets(
    plan: _Plan, targets: list[Target], progress: Callable[[int], None] | None
) -> list[Finding]:
    findings: list[Finding] = []
    append = findings.append
    lang = plan.data.lang
    contexts: dict[str, Any] = {}
    #: Per kind, the raw value last handed to CEL under each name: a value
    #: shared by consecutive targets (the vendor of services) is converted once.
    handed: dict[str, dict[str, Any]] = {}
    for target in targets:
        kind = target.kind
        controls = plan.by_kind[kind]
        if not controls:
            continue
        tree = plan.projections[kind]
        context = contexts.get(kind)
        if context is None:
            context = contexts[kind] = _base_context(plan.data, tree)
            handed[kind] = {}
        last = handed[kind]
        for name, value in target.variables.items():
            if name in tree and (name not in last or last[name] is not value):
                context.add_variable(name, _project(value, tree[name]))
                last[name] = value
        note = _observation_note(target, lang)
        target_id, target_name, needs = target.id, target.name, target.needs
        sources = target.provenance
        for control in controls:
            statics = plan.statics[control.id]
            outcome, messages, facts = _decide(control, statics, context, lang)
            if note is not None and outcome in ("pass", "fail"):
                messages = [*messages, note]
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
                    provenance_of(statics.vendor_paths, sources) if sources else {},
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
            )
        )
    return packed


def _unpack(plan: _Plan, packed: _Packed) -> Finding:
    control_id, kind, target_id, name, need, outcome, messages, facts, provenance = packed
    statics = plan.statics[control_id]
    if facts is None:
        facts = statics.all_met
    elif type(facts) is int:
        _, _, messages, facts = statics.conditions[facts]
    else:
        facts = [FactResult(*fact) for fact in facts]
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
        messages=messages,
        facts=facts,
        provenance=provenance,
    )


def _evaluate_in_two_processes(
    plan: _Plan, split: int, progress: Callable[[int], None] | None
) -> list[Finding]:
    """Evaluate ``plan.targets[:split]`` here and the rest in a forked child.

    The child inherits the plan (compiled CEL programs cannot be pickled),
    sends its findings back through a pipe as one ``marshal`` blob and exits
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
            blob = marshal.dumps(_pack(plan, _evaluate_targets(plan, plan.targets[split:], None)))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(blob)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    blob = b""
    finished = False
    try:
        findings = _evaluate_targets(plan, plan.targets[:split], progress)
        with os.fdopen(read_end, "rb") as pipe:
            read_end = -1  # closed with the file object
            blob = pipe.read()
        finished = True
    finally:
        if read_end != -1:
            os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        status = _reap(pid)
    child = _unmarshal(blob) if status in (0, None) else None
    if child is None:
        findings.extend(_evaluate_targets(plan, plan.targets[split:], None))
    else:
        findings.extend(_unpack(plan, packed) for packed in child)
    return findings


def _reap(pid: int) -> int | None:
    """Wait for a child; its exit status, or None when the system reaped it already
    (an embedding program that ignores SIGCHLD)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _unmarshal(blob: bytes) -> list[_Packed] | None:
    """The child's findings, or None if it sent nothing usable."""
    if not blob:
        return None
    try:
        packed = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None
    return packed if isinstance(packed, list) else None


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
    plan = _Plan(
        data=data,
        targets=_grouped_by_vendor(list(iter_targets(data, derived))),
        by_kind=by_kind,
        projections={kind: projection(controls) for kind, controls in by_kind.items()},
        statics={
            control.id: _statics(catalogue, control, canton or "", data.lang)
            for controls in by_kind.values()
            for control in controls
        },
    )
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
    findings.sort(key=attrgetter("control_id", "target_kind", "target_id"))
    return findings


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
