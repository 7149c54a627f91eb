"""A large audit runs in two processes; its result must be identical to one process."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from conformite._paths import demo_dir
from conformite.engine.audit import run_audit
from conformite.engine.derive import derive
from conformite.engine.workspace import load_workspace


@pytest.mark.skipif(sys.platform != "linux", reason="the forked worker is used on Linux only")
def test_parallel_and_serial_results_are_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = load_workspace(demo_dir())
    # Forty copies of the demo's services: enough targets for a real split.
    services = workspace.inventory.services
    workspace.inventory.services = [
        s.model_copy(update={"id": f"{s.id}-{i}"}) for i in range(40) for s in services
    ]
    as_of = dt.date(2026, 11, 28)
    monkeypatch.setenv("CONFORMITE_WORKERS", "1")
    serial = run_audit(workspace, as_of, "en").to_json()
    monkeypatch.setenv("CONFORMITE_WORKERS", "2")
    calls: list[int] = []
    result = run_audit(workspace, as_of, "en", calls.append)
    assert result.to_json() == serial
    assert sum(calls) == len(result.findings)  # progress saw every evaluation


@pytest.mark.skipif(sys.platform != "linux", reason="the forked worker is used on Linux only")
def test_a_failing_worker_is_made_up_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from conformite.engine import evaluation

    workspace = load_workspace(demo_dir())
    services = workspace.inventory.services
    workspace.inventory.services = [
        s.model_copy(update={"id": f"{s.id}-{i}"}) for i in range(40) for s in services
    ]
    as_of = dt.date(2026, 11, 28)
    monkeypatch.setenv("CONFORMITE_WORKERS", "1")
    serial = run_audit(workspace, as_of, "en").to_json()

    def broken(*args: object) -> None:
        raise RuntimeError("the worker fails")

    # The forked child inherits the broken packer and exits with an error:
    # the parent evaluates the child's part itself.
    monkeypatch.setattr(evaluation, "_pack", broken)
    evaluated_here: list[int] = []  # filled in this process only, not in the child
    real = evaluation._evaluate_targets

    def counting(plan, targets, progress):  # type: ignore[no-untyped-def]
        evaluated_here.append(len(targets))
        return real(plan, targets, progress)

    monkeypatch.setattr(evaluation, "_evaluate_targets", counting)
    monkeypatch.setenv("CONFORMITE_WORKERS", "2")
    assert run_audit(workspace, as_of, "en").to_json() == serial
    # Two calls here (its own part, then the child's), covering every target.
    data = evaluation.evaluation_input(workspace, as_of, "en")
    targets = list(evaluation.iter_targets(data, derive(data.inventory, data.reference)))
    assert len(evaluated_here) == 2
    assert sum(evaluated_here) == len(targets)


@pytest.mark.skipif(sys.platform != "linux", reason="the forked worker is used on Linux only")
def test_an_interrupted_audit_leaves_no_child_and_no_open_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    from pathlib import Path

    workspace = load_workspace(demo_dir())
    services = workspace.inventory.services
    workspace.inventory.services = [
        s.model_copy(update={"id": f"{s.id}-{i}"}) for i in range(40) for s in services
    ]
    monkeypatch.setenv("CONFORMITE_WORKERS", "2")

    def interrupt(_: int) -> None:
        raise KeyboardInterrupt

    def children() -> set[str]:
        """Processes whose parent is this one (alive or not yet reaped)."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == str(os.getpid()):
                found.add(stat.parent.name)
        return found

    open_before = len(list(Path("/proc/self/fd").iterdir()))
    children_before = children()
    for _ in range(3):
        with pytest.raises(KeyboardInterrupt):
            run_audit(workspace, dt.date(2026, 11, 28), "en", interrupt)
    assert len(list(Path("/proc/self/fd").iterdir())) == open_before
    assert children() <= children_before  # every forked child was stopped and reaped
