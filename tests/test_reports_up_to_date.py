"""``reports/demo/`` holds the demo commune's real output, ``reports/demo-rollup/`` the
roll-up of four variants of it; they must match the code.

After a change to the catalogue, the demo or a renderer, regenerate with:

    CONFORMITE_UPDATE_REPORTS=1 .venv/bin/pytest tests/test_reports_up_to_date.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "demo"
AS_OF = "2026-11-28"
#: file name -> command line that produces it (written with -o FILE).
REPORTS_AND_COMMANDS = {
    f"audit-{AS_OF}.json": ["audit", "--demo", "--as-of", AS_OF, "--format", "json"],
    f"audit-{AS_OF}.fr.txt": ["--lang", "fr", "audit", "--demo", "--as-of", AS_OF, "--top", "25"],
    f"audit-{AS_OF}.en.txt": ["--lang", "en", "audit", "--demo", "--as-of", AS_OF, "--top", "25"],
    f"report-{AS_OF}.fr.html": ["report", "--demo", "--as-of", AS_OF, "--no-save"],
    f"report-{AS_OF}.de.html": ["report", "--demo", "--as-of", AS_OF, "--lang", "de", "--no-save"],
    f"report-{AS_OF}.fr.md": ["report", "--demo", "--as-of", AS_OF, "--format", "md", "--no-save"],
    f"register-{AS_OF}.fr.md": ["register", "--demo", "--as-of", AS_OF, "--format", "md"],
}


@pytest.mark.parametrize("name", sorted(REPORTS_AND_COMMANDS))
def test_demo_report_is_up_to_date(name: str, tmp_path: Path) -> None:
    out = tmp_path / name
    result = CliRunner().invoke(cli, [*REPORTS_AND_COMMANDS[name], "-o", str(out)])
    assert result.exit_code == 0, result.output
    committed = REPORTS / name
    if os.environ.get("CONFORMITE_UPDATE_REPORTS") == "1":
        REPORTS.mkdir(parents=True, exist_ok=True)
        committed.write_bytes(out.read_bytes())
    assert committed.is_file(), f"{committed} missing: regenerate (see this file's docstring)"
    assert out.read_bytes() == committed.read_bytes(), (
        f"{committed} is out of date: regenerate (see this file's docstring)"
    )


ROLLUP = REPORTS.parent / "demo-rollup"
#: file name -> options of the roll-up of the demo's variants that produces it.
ROLLUP_OUTPUTS = {
    "rollup.fr.html": ["--lang", "fr"],
    "rollup.de.xlsx": ["--lang", "de"],
    "rollup.json": ["--lang", "en"],
}


@pytest.fixture(scope="module")
def demo_variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four variants of the demo commune audited (see tests/rollup_fixtures.py), and
    the first one's result of the year before: the results folder."""
    from rollup_fixtures import build

    files = build(tmp_path_factory.mktemp("demo-rollup"))
    return files["a"].parent


@pytest.mark.parametrize("name", sorted(ROLLUP_OUTPUTS))
def test_demo_rollup_is_up_to_date(
    name: str, demo_variants: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """reports/demo-rollup/: what an association sees for four communes (vendor
    concentration, percentiles, the trend)."""
    monkeypatch.chdir(demo_variants)  # relative names in the sources, as a user gives them
    out = tmp_path / name
    inputs = ["a.json", "b.json", "c.json", "d.json", "../older/a-2025.json"]
    result = CliRunner().invoke(cli, ["rollup", *inputs, *ROLLUP_OUTPUTS[name], "-o", str(out)])
    assert result.exit_code == 0, result.output
    committed = ROLLUP / name
    if os.environ.get("CONFORMITE_UPDATE_REPORTS") == "1":
        ROLLUP.mkdir(parents=True, exist_ok=True)
        committed.write_bytes(out.read_bytes())
    assert committed.is_file(), f"{committed} missing: regenerate (see this file's docstring)"
    assert out.read_bytes() == committed.read_bytes(), (
        f"{committed} is out of date: regenerate (see this file's docstring)"
    )
