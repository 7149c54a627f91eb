"""Benchmark: conformite's CEL evaluation against Google's CEL C++ runtime.

    pip install cel-expr-python        # optional, never a conformite dependency
    python benchmarks/bench_cel_runtimes.py
    python benchmarks/bench_cel_runtimes.py --nested   # (a') as before flat variables

On the generated workspace of ``bench_audit.py`` (1,000 services, 300
vendors), six controls (their ``applies_when`` conditions and requirements,
as the loaded catalogue compiles them: parameters and variables written in,
field selections as map indexing) are evaluated on every target:

* (a) conformite's engine itself (``_evaluate_targets``: unknown facts,
  messages and facts of failures included);
* (a') the same ``common-expression-language`` contexts the engine builds,
  running only the conditions and requirements (what (b) runs): leaf fields
  as flat variables (``catalogue.leaves``), nested maps where a chain breaks;
  with ``--nested``, every target's variables as maps and the programs as
  written, as before flat variables existed;
* (b) ``cel-expr-python`` (the CEL C++ runtime), each expression compiled
  once, one activation per target holding the same projected values. It runs
  in a child process (``bench_cel_cpp.py``), which imports neither conformite
  nor the other binding: two CEL runtimes loaded in one process crashed on
  compile. The child is given the targets, projection trees and bound
  expressions in a JSON file and gives back its outcomes and times in another.

Every outcome of (b) must equal (a')'s and (a)'s; a mismatch is printed
with its control and target and the script exits with status 1. The part
of (a')'s time spent handing values to the binding is measured apart, and
split into projecting them (Python), converting them (``add_variable``) and
the copy of the context the binding makes at the next evaluation.
Each timing is the best of five runs, in CPU time of the process (the
development machine is shared: wall-clock times vary by half). Finally a field typo shows what each
runtime says about it when the expression is loaded.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audit import AS_OF, generate
from bench_cel_cpp import best, decide

from conformite._gc import freeze_after_pauses
from conformite.catalogue import cel as _cel
from conformite.catalogue.celbinding import cel
from conformite.catalogue.context import NEVER
from conformite.catalogue.leaves import LeafContext
from conformite.catalogue.model import CompiledControl
from conformite.engine.derive import derive
from conformite.engine.evaluation import (
    _evaluate_targets,
    _grouped_by_vendor,
    _Plan,
    _plan,
    evaluation_input,
)
from conformite.engine.projection import _WHOLE, Handover, LeafHandover, functions_called
from conformite.engine.targets import _base_context, _project, iter_targets, shared_values
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
#: ``--nested``: (a') hands maps and runs the programs as written (the way before).
NESTED = "--nested" in sys.argv


def best_of(func: Callable[[], Any]) -> float:
    """Best CPU time of :data:`RUNS` calls."""
    return best(RUNS, func)


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


def run_engine(plan: _Plan) -> Outcomes:
    """(a): conformite's engine, one process."""
    findings = _evaluate_targets(plan, plan.targets, None)
    return {(f.control_id, f.target_id): f.outcome for f in findings}


def _binding_contexts(plan: _Plan, inert: bool = False) -> Callable[[Any], Any]:
    """The engine's per-kind contexts, handed each target as ``_evaluate_targets`` does;
    with ``inert``, contexts that keep nothing (to time the projection alone)."""
    handovers: dict[str, Any] = {}

    def context_for(target: Any) -> Any:
        kind = target.kind
        handover = handovers.get(kind)
        if handover is None:
            tree = plan.projections[kind]
            controls = plan.by_kind[kind]
            context = (
                _Inert() if inert else _base_context(plan.data, tree, functions_called(controls))
            )
            handover = handovers[kind] = (
                Handover(context, tree) if NESTED else LeafHandover(context, tree, controls)
            )
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


def _programs(controls: list[CompiledControl]) -> list[Any]:
    return [p for c in controls for _, p in c.conditions] + [
        r.program for c in controls for r in c.requirements
    ]


def _cel_context(context: Any, programs: list[Any]) -> Any:
    """The binding's context behind ``context``, with the target's nested maps
    handed too when one of ``programs`` would run nested on it (an upper
    bound: a condition that is false spares the requirements)."""
    if type(context) is not LeafContext:
        return context
    for program in programs:
        if program.flat is None or not context.broken.isdisjoint(program.leaves):
            context.nested(program.roots)
    return context.cel


def conversion_time(plan: _Plan) -> tuple[float, float, float]:
    """Time (a') spends handing each target's values to the binding: contexts
    updated and a trivial program run per target (the binding copies a changed
    context at its next evaluation), less the same trivial runs on unchanged
    contexts; and within it, projecting the values (Python) and converting
    them (``add_variable``). The rest is the copy at the first evaluation."""
    trivial = cel.compile("true")
    targets = [t for t in plan.targets if plan.by_kind[t.kind]]
    programs = {kind: _programs(controls) for kind, controls in plan.by_kind.items()}

    def hand(execute: bool, inert: bool = False) -> None:
        context_for = _binding_contexts(plan, inert)
        for target in targets:
            context = _cel_context(context_for(target), programs[target.kind])
            if execute:
                trivial.execute(context)

    def without() -> None:
        context_for = _binding_contexts(plan)
        context = {t.kind: _cel_context(context_for(t), []) for t in targets}
        start = time.process_time()
        for target in targets:
            trivial.execute(context[target.kind])
        without.spent = time.process_time() - start  # type: ignore[attr-defined]

    handing = best_of(lambda: hand(True))
    added = best_of(lambda: hand(False))
    projecting = best_of(lambda: hand(False, inert=True))
    spent = []
    for _ in range(RUNS):
        without()
        spent.append(without.spent)  # type: ignore[attr-defined]
    return handing - min(spent), projecting, added - projecting


def _tree_json(tree: Any) -> Any:
    """A projection tree as JSON: ``null`` where the whole value is kept."""
    if tree is _WHOLE:
        return None
    return {name: _tree_json(sub) for name, sub in tree.items()}


TYPO = "vendor.dpa.signd_on != null"


def cpp_runtime(plan: _Plan, tmp: Path) -> dict[str, Any] | None:
    """(b): the CEL C++ runtime, run in a child process (``bench_cel_cpp.py``);
    None when cel-expr-python is not installed. Its outcomes, keyed
    ``(control, target)``, its best times and its answer to the field typo."""
    if importlib.util.find_spec("cel_expr_python") is None:
        return None
    kinds = {}
    for kind, controls in plan.by_kind.items():
        if controls:
            tree = plan.projections[kind]
            kinds[kind] = {
                "trees": {name: _tree_json(sub) for name, sub in tree.items()},
                "shared": {
                    name: _project(value, tree[name])
                    for name, value in shared_values(plan.data).items()
                    if name in tree
                },
            }
    controls = {}
    for kind, kind_controls in plan.by_kind.items():
        for control in kind_controls:
            conditions, requirements = bound_sources(control)
            controls[control.id] = {
                "kind": kind,
                "conditions": conditions,
                "requirements": requirements,
            }

    def variables(target: Any) -> dict[str, Any]:
        tree = plan.projections[target.kind]
        return {name: value for name, value in target.variables.items() if name in tree}

    vendor = next(t for t in plan.targets if t.kind == "vendor")
    spec = {
        "as_of": AS_OF.isoformat(),
        "never": NEVER,
        "runs": RUNS,
        "kinds": kinds,
        "controls": controls,
        "targets": [
            {"kind": t.kind, "id": t.id, "variables": variables(t)}
            for t in plan.targets
            if t.kind in kinds
        ],
        "typo": {"indexed": _cel.index_fields(TYPO), "variables": variables(vendor)},
    }
    given, answer = tmp / "cpp-in.json", tmp / "cpp-out.json"
    given.write_text(json.dumps(spec), encoding="utf-8")
    child = Path(__file__).resolve().with_name("bench_cel_cpp.py")
    subprocess.run([sys.executable, str(child), str(given), str(answer)], check=True)
    result: dict[str, Any] = json.loads(answer.read_text(encoding="utf-8"))
    result["outcomes"] = {
        tuple(key.split("\t")): outcome for key, outcome in result["outcomes"].items()
    }
    return result


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


def typo_demo(cpp: dict[str, Any] | None) -> None:
    """What each runtime says about a misspelt field when the expression is loaded."""
    print(f"\nfield typo at load time: {TYPO!r} (SUP-DPA's requirement misspelt)")
    try:
        _cel.compile_checked(TYPO, "vendor", parameters={}, variables={})
        print("  conformite: accepted")
    except _cel.ExpressionError as exc:
        print(f"  conformite: refused at load: {exc.message} ({exc.hint})")
    for line in cpp["typo"] if cpp is not None else []:
        print(line)


def main() -> None:
    freeze_after_pauses()
    with tempfile.TemporaryDirectory() as tmp:
        workspace_dir = Path(tmp) / "big"
        generate(workspace_dir)
        workspace = load_workspace(workspace_dir)
        plan = build_plan(workspace)
        cpp = cpp_runtime(plan, Path(tmp))
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
    if cpp is None:
        print("(b)  cel-expr-python: not installed, skipped (pip install cel-expr-python)")
    else:
        cpp_outcomes = cpp["outcomes"]
        if cpp["unchecked"]:
            print(
                f"(b)  {len(cpp['unchecked'])} expression(s) compiled with disable_check=True, "
                "the checker"
            )
            print(f"     refusing them: {cpp['unchecked'][0]}")
        line("(b)  cel-expr-python (CEL C++), compiled once", cpp["run"])
        line("       of which converting values (activation, first read)", cpp["activations"])
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
        print(f"ratio (a') / (b): {binding_time / cpp['run']:.2f}; handing values / converting")
        print(f"  them in (b): {converting[0] / cpp['activations']:.2f}")
    typo_demo(cpp)
    if failures:
        print(f"\n{failures} mismatching outcome(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
