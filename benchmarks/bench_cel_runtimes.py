"""Benchmark: conformite's CEL evaluation against Google's CEL C++ runtime.

    pip install cel-expr-python        # optional, never a conformite dependency
    python benchmarks/bench_cel_runtimes.py

On the generated workspace of ``bench_audit.py`` (1,000 services, 300
vendors), six controls (their ``applies_when`` conditions and requirements,
as the loaded catalogue compiles them: parameters and variables written in,
field selections as map indexing) are evaluated on every target:

* (a) conformite's engine itself (``_evaluate_targets``: unknown facts,
  messages and facts of failures included);
* (a') the same ``common-expression-language`` contexts the engine builds,
  running only the conditions and requirements (what (b) runs);
* (b) ``cel-expr-python`` (the CEL C++ runtime), each expression compiled
  once, one activation per target holding the same projected values.

Every outcome of (b) must equal (a')'s and (a)'s; a mismatch is printed
with its control and target and the script exits with status 1. The part
of (a')'s time spent handing values to the binding is measured apart, and
split into projecting them (Python), converting them (``add_variable``) and
the copy of the context the binding makes at the next evaluation.
Each timing is the best of five runs. Finally a field typo shows what each
runtime says about it when the expression is loaded.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audit import AS_OF, generate
from bench_audit import best_of as _best_of

from conformite._gc import freeze_after_pauses
from conformite.catalogue import cel as _cel
from conformite.catalogue.celbinding import cel
from conformite.catalogue.context import NEVER
from conformite.catalogue.model import CompiledControl
from conformite.engine.derive import derive
from conformite.engine.evaluation import (
    _evaluate_targets,
    _grouped_by_vendor,
    _Plan,
    _plan,
    evaluation_input,
)
from conformite.engine.projection import Handover, functions_called
from conformite.engine.targets import _base_context, _project, iter_targets
from conformite.engine.verdict import _statics
from conformite.engine.workspace import load_workspace

CONTROLS = (
    "SUP-DPA",
    "SVC-MFA",
    "SVC-BACKUP-RESTORE-TEST",
    "SUP-CERT-VALID",
    "SUP-REVIEW-CADENCE",
    "SUP-DISCLOSURE-ABROAD",
)
RUNS = 5


def best_of(func: Callable[[], Any]) -> float:
    return _best_of(RUNS, func)


Outcomes = dict[tuple[str, str], str]


def build_plan(workspace: Any) -> _Plan:
    """The engine's plan for the six controls, built as ``evaluate`` builds it."""
    data = evaluation_input(workspace, AS_OF, "en")
    catalogue = workspace.catalogue
    canton = str(data.commune.get("canton", "")) or ""
    by_kind = {
        kind: [c for c in catalogue.for_target(kind, canton or None) if c.id in CONTROLS]
        for kind in ("organisation", "service", "vendor", "endpoint")
    }
    statics = {
        c.id: _statics(catalogue, c, canton, "en", AS_OF) for cs in by_kind.values() for c in cs
    }
    targets = _grouped_by_vendor(list(iter_targets(data, derive(data.inventory, data.reference))))
    return _plan(data, targets, by_kind, statics, lambda c: True)


def bound_sources(control: CompiledControl) -> tuple[list[str], list[str]]:
    """The conditions' and requirements' CEL as the loader compiles them."""
    spec = control.control
    kwargs: dict[str, Any] = {"parameters": control.parameters, "variables": {}}
    for variable in spec.variables:
        _, bound, _ = _cel.compile_checked(variable.expression, spec.target, **kwargs)
        kwargs["variables"][variable.name] = bound
    conditions = [
        _cel.compile_checked(c.expression, spec.target, **kwargs)[1] for c in spec.applies_when
    ]
    requirements = [
        _cel.compile_checked(r.expression, spec.target, **kwargs)[1] for r in spec.requirements
    ]
    return conditions, requirements


def decide(conditions: list[Any], requirements: list[Any], value: Callable[[Any], Any]) -> str:
    """``_decide``'s outcome: the conditions in order, then every requirement;
    ``value(program)`` is the program's value on the target (an exception or an
    error value when it fails)."""
    for program in conditions:
        result = value(program)
        if result is False:
            return "not_applicable"
        if result is not True:
            return "error"
    outcome = "pass"
    for program in requirements:
        result = value(program)
        if result is False:
            outcome = "fail"
        elif result is not True:
            return "error"
    return outcome


def run_engine(plan: _Plan) -> Outcomes:
    """(a): conformite's engine, one process."""
    findings = _evaluate_targets(plan, plan.targets, None)
    return {(f.control_id, f.target_id): f.outcome for f in findings}


def _binding_contexts(plan: _Plan, inert: bool = False) -> Callable[[Any], Any]:
    """The engine's per-kind contexts, handed each target as ``_evaluate_targets`` does;
    with ``inert``, contexts that keep nothing (to time the projection alone)."""
    handovers: dict[str, Handover] = {}

    def context_for(target: Any) -> Any:
        kind = target.kind
        handover = handovers.get(kind)
        if handover is None:
            tree = plan.projections[kind]
            context = (
                _Inert()
                if inert
                else _base_context(plan.data, tree, functions_called(plan.by_kind[kind]))
            )
            handover = handovers[kind] = Handover(context, tree)
        handover.hand(target.variables)
        return handover.context

    return context_for


class _Inert:
    """A context that keeps nothing: what handing values costs without the binding."""

    def add_variable(self, name: str, value: Any) -> None:
        pass


def _execute(program: Any, context: Any) -> Any:
    try:
        return program.execute(context)
    except BaseException as exc:  # as _decide: every failure of the binding is an error
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        return exc


def run_binding(plan: _Plan) -> Outcomes:
    """(a'): conformite's contexts, the conditions and requirements only."""
    context_for = _binding_contexts(plan)
    outcomes: Outcomes = {}
    for target in plan.targets:
        controls = plan.by_kind[target.kind]
        if not controls:
            continue
        context = context_for(target)
        for control in controls:
            outcomes[control.id, target.id] = decide(
                [program for _, program in control.conditions],
                [requirement.program for requirement in control.requirements],
                lambda program: _execute(program, context),  # noqa: B023 (called at once)
            )
    return outcomes


def conversion_time(plan: _Plan) -> tuple[float, float, float]:
    """Time (a') spends handing each target's values to the binding: contexts
    updated and a trivial program run per target (the binding copies a changed
    context at its next evaluation), less the same trivial runs on unchanged
    contexts; and within it, projecting the values (Python) and converting
    them (``add_variable``). The rest is the copy at the first evaluation."""
    trivial = cel.compile("true")
    targets = [t for t in plan.targets if plan.by_kind[t.kind]]

    def hand(execute: bool, inert: bool = False) -> None:
        context_for = _binding_contexts(plan, inert)
        for target in targets:
            context = context_for(target)
            if execute:
                trivial.execute(context)

    def without() -> None:
        context_for = _binding_contexts(plan)
        context = {t.kind: context_for(t) for t in targets}
        start = time.perf_counter()
        for target in targets:
            trivial.execute(context[target.kind])
        without.spent = time.perf_counter() - start  # type: ignore[attr-defined]

    handing = best_of(lambda: hand(True))
    added = best_of(lambda: hand(False))
    projecting = best_of(lambda: hand(False, inert=True))
    spent = []
    for _ in range(RUNS):
        without()
        spent.append(without.spent)  # type: ignore[attr-defined]
    return handing - min(spent), projecting, added - projecting


def cpp_runtime(plan: _Plan) -> tuple[Callable[[], Outcomes], Callable[[], None]] | None:
    """(b): the CEL C++ runtime, or None when cel-expr-python is not installed."""
    try:
        from cel_expr_python import cel as cpp
        from cel_expr_python.ext.ext_strings import ExtStrings
    except ImportError:
        return None

    def since(value: Any) -> int:
        return NEVER if value is None else (AS_OF - dt.date.fromisoformat(value[:10])).days

    def until(value: Any) -> int:
        return NEVER if value is None else (dt.date.fromisoformat(value[:10]) - AS_OF).days

    functions = [
        cpp.FunctionDecl(
            name,
            [
                cpp.Overload(f"{name}_{kind}", cpp.Type.INT, [of], impl=impl)
                for kind, of in (("string", cpp.Type.STRING), ("null", cpp.Type.NULL))
            ],
        )
        for name, impl in (("days_since", since), ("days_until", until))
    ]
    unchecked: list[str] = []

    def checked_or_not(env: Any, source: str) -> Any:
        """Compiled with the type checker, or without it where the checker refuses
        a comprehension over a ``dyn`` value (``vendor["certifications"].exists``)."""
        try:
            return env.compile(source)
        except RuntimeError as exc:
            unchecked.append(str(exc).splitlines()[0])
            return env.compile(source, disable_check=True)

    envs: dict[str, Any] = {}
    shared: dict[str, dict[str, Any]] = {}
    compiled: dict[str, tuple[list[Any], list[Any]]] = {}
    for kind, controls in plan.by_kind.items():
        if not controls:
            continue
        tree = plan.projections[kind]
        env = envs[kind] = cpp.NewEnv(
            variables=dict.fromkeys(tree, cpp.Type.DYN),
            extensions=[ExtStrings()],
            functions=functions,
        )
        shared[kind] = {
            name: _project(value, tree[name])
            for name, value in _shared_values(plan).items()
            if name in tree
        }
        for control in controls:
            conditions, requirements = bound_sources(control)
            compiled[control.id] = (
                [checked_or_not(env, s) for s in conditions],
                [checked_or_not(env, s) for s in requirements],
            )

    def value(expression: Any, activation: Any) -> Any:
        result = expression.eval(activation)
        return result.value() if result.type() == cpp.Type.BOOL else result

    def activation_of(target: Any) -> Any:
        tree = plan.projections[target.kind]
        data = dict(shared[target.kind])
        for name, raw in target.variables.items():
            if name in tree:
                data[name] = _project(raw, tree[name])
        return envs[target.kind].Activation(data)

    # The activation converts a variable when an expression first reads it (then
    # keeps it): reading every variable once measures the conversion.
    readers = {
        kind: env.compile(f"size([{', '.join(plan.projections[kind])}]) >= 0")
        for kind, env in envs.items()
    }

    def activations() -> None:
        for target in plan.targets:
            if plan.by_kind[target.kind]:
                readers[target.kind].eval(activation_of(target))

    def run() -> Outcomes:
        outcomes: Outcomes = {}
        for target in plan.targets:
            controls = plan.by_kind[target.kind]
            if not controls:
                continue
            activation = activation_of(target)
            for control in controls:
                outcomes[control.id, target.id] = decide(
                    *compiled[control.id],
                    lambda expression: value(expression, activation),  # noqa: B023
                )
        return outcomes

    if unchecked:
        print(f"(b)  {len(unchecked)} expression(s) compiled with disable_check=True, the checker")
        print(f"     refusing them: {unchecked[0]}")
    return run, activations


def _shared_values(plan: _Plan) -> dict[str, Any]:
    """The variables ``_base_context`` sets for every target."""
    from conformite.engine.targets import organisation_context
    from conformite.inventory.reference import LEVELS

    data = plan.data
    return {
        "as_of": data.as_of.isoformat(),
        "commune": data.commune,
        "org": organisation_context(data)[0],
        "ref": data.reference.as_context(),
        "NORMAL": LEVELS["normal"],
        "HIGH": LEVELS["high"],
        "VERY_HIGH": LEVELS["very_high"],
    }


def compare(name: str, reference: Outcomes, other: Outcomes, *, engine: bool = False) -> int:
    """Print the mismatches between two runtimes' outcomes; return their number.

    With ``engine``, ``reference`` is the engine's: its ``unknown`` findings
    come from the three-valued pass over unknown facts (null in the context),
    which a plain run of the expressions does not have; they are not compared.
    """
    mismatches = 0
    for key in sorted(reference.keys() | other.keys()):
        expected, got = reference.get(key), other.get(key)
        if engine and expected == "unknown":
            continue
        if expected != got:
            mismatches += 1
            print(f"  MISMATCH {name}: {key[0]} on {key[1]}: {expected} vs {got}")
    return mismatches


def typo_demo(plan: _Plan) -> None:
    """What each runtime says about a misspelt field when the expression is loaded."""
    typo = "vendor.dpa.signd_on != null"
    print(f"\nfield typo at load time: {typo!r} (SUP-DPA's requirement misspelt)")
    try:
        _cel.compile_checked(typo, "vendor", parameters={}, variables={})
        print("  conformite: accepted")
    except _cel.ExpressionError as exc:
        print(f"  conformite: refused at load: {exc.message} ({exc.hint})")
    try:
        from cel_expr_python import cel as cpp
    except ImportError:
        return
    tree = plan.projections["vendor"]
    env = cpp.NewEnv(variables=dict.fromkeys(tree, cpp.Type.DYN))
    expression = env.compile(_cel.index_fields(typo))
    print("  cel-expr-python (variables declared dyn): compiled without complaint")
    target = next(t for t in plan.targets if t.kind == "vendor")
    data = {n: _project(v, tree[n]) for n, v in target.variables.items() if n in tree}
    print(f"    on a vendor at run time: {expression.eval(env.Activation(data)).value()}")
    try:
        env.compile("vendr.dpa.signed_on != null")
        print("  cel-expr-python, misspelt variable: accepted")
    except RuntimeError as exc:
        print(f"  cel-expr-python, misspelt variable 'vendr': {str(exc).splitlines()[0]}")


def main() -> None:
    freeze_after_pauses()
    with tempfile.TemporaryDirectory() as tmp:
        workspace_dir = Path(tmp) / "big"
        generate(workspace_dir)
        workspace = load_workspace(workspace_dir)
    plan = build_plan(workspace)
    engine = run_engine(plan)
    binding = run_binding(plan)
    findings = len(engine)
    kinds = {k: sum(1 for t in plan.targets if t.kind == k) for k in ("service", "vendor")}
    print(
        f"{len(CONTROLS)} controls, {kinds['service']} services, {kinds['vendor']} vendors: "
        f"{findings:,} findings"
    )
    counts: dict[str, int] = {}
    for outcome in engine.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    print("outcomes (a): ", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    counts_binding: dict[str, int] = {}
    for outcome in binding.values():
        counts_binding[outcome] = counts_binding.get(outcome, 0) + 1
    print("outcomes (a'):", ", ".join(f"{k} {v}" for k, v in sorted(counts_binding.items())))
    failures = compare("(a) engine vs (a') binding", engine, binding, engine=True)
    unknown = counts.get("unknown", 0)
    print(
        f"(a) vs (a'): {findings - unknown:,} findings compared; the {unknown:,} unknown ones "
        "come from the three-valued pass (engine/unknowns.py), which (a') and (b) lack"
    )
    engine_time = best_of(lambda: run_engine(plan))
    binding_time = best_of(lambda: run_binding(plan))
    converting = conversion_time(plan)

    def line(label: str, seconds: float) -> None:
        print(f"{label:58} {seconds:6.3f} s  {seconds / findings * 1e6:5.1f} µs/finding")

    print()
    line("(a)  conformite engine (unknowns, messages, facts)", engine_time)
    line("(a') common-expression-language, same expressions only", binding_time)
    line("       of which handing values to the binding", converting[0])
    line("         projecting them (Python)", converting[1])
    line("         converting them (add_variable)", converting[2])
    line("         copying the context (first evaluation)", converting[0] - sum(converting[1:]))
    cpp = cpp_runtime(plan)
    if cpp is None:
        print("(b)  cel-expr-python: not installed, skipped (pip install cel-expr-python)")
    else:
        run_cpp, activations = cpp
        cpp_outcomes = run_cpp()
        line("(b)  cel-expr-python (CEL C++), compiled once", best_of(run_cpp))
        line("       of which converting values (activation, first read)", best_of(activations))
        failures += compare("(a') vs (b) cel-expr-python", binding, cpp_outcomes)
        failures += compare("(a) vs (b) cel-expr-python", engine, cpp_outcomes, engine=True)
        same = sum(1 for key, outcome in binding.items() if cpp_outcomes.get(key) == outcome)
        print(f"outcomes compared (a') vs (b): {len(binding):,}, identical: {same:,}")
        same = sum(
            1
            for key, outcome in engine.items()
            if outcome != "unknown" and cpp_outcomes.get(key) == outcome
        )
        print(f"outcomes compared (a) vs (b), unknown left out: {findings - unknown:,}, ", end="")
        print(f"identical: {same:,}")
    typo_demo(plan)
    if failures:
        print(f"\n{failures} mismatching outcome(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
