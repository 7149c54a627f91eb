"""The CEL C++ runtime's side of ``bench_cel_runtimes.py``, in a process of its own.

    python benchmarks/bench_cel_cpp.py IN.json OUT.json

Two CEL runtimes must not share a process (loaded together they crashed on
compile): this script imports ``cel-expr-python`` (in :func:`main` only: the
parent imports :func:`decide` and :func:`best` from here) and the standard
library, never conformite (whose catalogue loads the ``common-expression-language``
binding). ``bench_cel_runtimes.py`` writes IN.json: per target kind the
variables, their projection trees (``null`` = keep the whole value) and the
values every target shares; per control its kind and the conditions' and
requirements' CEL as conformite's loader binds them; the targets' raw
variables in evaluation order; the audit date; how many runs to time. This
script writes OUT.json: each (control, target) outcome, the best times of
(b) and of its activations, and what the runtime says of the field typo.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cut(value: Any, tree: Any) -> Any:
    """``value`` reduced to the fields in ``tree`` (as conformite's projection)."""
    if tree is None or value is None:
        return value
    if isinstance(value, dict):
        return {k: cut(value[k], sub) for k, sub in tree.items() if k in value}
    if isinstance(value, list):
        return value if "[]" not in tree else [cut(v, tree["[]"]) for v in value]
    return value


def decide(conditions: list[Any], requirements: list[Any], value: Callable[[Any], Any]) -> str:
    """conformite's outcome: the conditions in order, then every requirement."""
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


def best(runs: int, func: Callable[[], Any]) -> float:
    """Best CPU time of ``runs`` calls (the machine is shared)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return min(times)


def main(source: str, target: str) -> None:
    """Run (b) on the targets of ``source``; write its outcomes and times to ``target``."""
    from cel_expr_python import cel as cpp
    from cel_expr_python.ext.ext_strings import ExtStrings

    spec = json.loads(Path(source).read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(spec["as_of"])
    never = spec["never"]

    def since(value: Any) -> int:
        return never if value is None else (as_of - dt.date.fromisoformat(value[:10])).days

    def until(value: Any) -> int:
        return never if value is None else (dt.date.fromisoformat(value[:10]) - as_of).days

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

    def checked_or_not(env: Any, text: str) -> Any:
        """Compiled with the type checker, or without it where the checker refuses
        a comprehension over a ``dyn`` value (``vendor["certifications"].exists``)."""
        try:
            return env.compile(text)
        except RuntimeError as exc:
            unchecked.append(str(exc).splitlines()[0])
            return env.compile(text, disable_check=True)

    kinds = spec["kinds"]
    envs = {
        kind: cpp.NewEnv(
            variables=dict.fromkeys(info["trees"], cpp.Type.DYN),
            extensions=[ExtStrings()],
            functions=functions,
        )
        for kind, info in kinds.items()
    }
    compiled = {
        control_id: (
            [checked_or_not(envs[c["kind"]], s) for s in c["conditions"]],
            [checked_or_not(envs[c["kind"]], s) for s in c["requirements"]],
        )
        for control_id, c in spec["controls"].items()
    }
    by_kind: dict[str, list[str]] = {}
    for control_id, c in spec["controls"].items():
        by_kind.setdefault(c["kind"], []).append(control_id)
    targets = [t for t in spec["targets"] if t["kind"] in by_kind]

    def value(expression: Any, activation: Any) -> Any:
        result = expression.eval(activation)
        return result.value() if result.type() == cpp.Type.BOOL else result

    def activation_of(target: dict[str, Any]) -> Any:
        trees = kinds[target["kind"]]["trees"]
        data = dict(kinds[target["kind"]]["shared"])
        for name, raw in target["variables"].items():
            if name in trees:
                data[name] = cut(raw, trees[name])
        return envs[target["kind"]].Activation(data)

    # The activation converts a variable when an expression first reads it (then
    # keeps it): reading every variable once measures the conversion.
    readers = {
        kind: env.compile(f"size([{', '.join(kinds[kind]['trees'])}]) >= 0")
        for kind, env in envs.items()
    }

    def activations() -> None:
        for target in targets:
            readers[target["kind"]].eval(activation_of(target))

    def run() -> dict[str, str]:
        outcomes = {}
        for target in targets:
            activation = activation_of(target)
            for control_id in by_kind[target["kind"]]:
                outcomes[f"{control_id}\t{target['id']}"] = decide(
                    *compiled[control_id],
                    lambda expression: value(expression, activation),  # noqa: B023
                )
        return outcomes

    outcomes = run()
    runs = spec["runs"]
    result = {
        "outcomes": outcomes,
        "run": best(runs, run),
        "activations": best(runs, activations),
        "unchecked": unchecked,
        "typo": typo(cpp, spec["typo"], kinds.get("vendor")),
    }
    Path(target).write_text(json.dumps(result), encoding="utf-8")


def typo(cpp: Any, spec: dict[str, Any], vendor: dict[str, Any] | None) -> list[str]:
    """What the runtime says of a misspelt field and of a misspelt variable."""
    if vendor is None:
        return []
    env = cpp.NewEnv(variables=dict.fromkeys(vendor["trees"], cpp.Type.DYN))
    expression = env.compile(spec["indexed"])
    lines = ["  cel-expr-python (variables declared dyn): compiled without complaint"]
    data = {n: cut(v, vendor["trees"][n]) for n, v in spec["variables"].items()}
    lines.append(f"    on a vendor at run time: {expression.eval(env.Activation(data)).value()}")
    try:
        env.compile("vendr.dpa.signed_on != null")
        lines.append("  cel-expr-python, misspelt variable: accepted")
    except RuntimeError as exc:
        lines.append(f"  cel-expr-python, misspelt variable 'vendr': {str(exc).splitlines()[0]}")
    return lines


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
