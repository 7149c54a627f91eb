"""A large audit runs in two processes; its result must be identical to one process."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from conformite.audit import run_audit
from conformite.cli._common import demo_dir
from conformite.load import load_workspace


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
