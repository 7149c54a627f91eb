"""docs/controls/ holds one generated page per control; it must match the catalogue.

Regenerate after changing a control: ``.venv/bin/conformite controls docs docs/controls``.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conformite.cli import cli

DOCS = Path(__file__).resolve().parents[1] / "docs" / "controls"


def test_reference_pages_are_up_to_date() -> None:
    result = CliRunner().invoke(cli, ["controls", "docs", str(DOCS), "--check"])
    assert result.exit_code == 0, (
        f"{result.output}regenerate with: conformite controls docs docs/controls"
    )


def test_docs_command_writes_pages_and_check_detects_drift(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["controls", "docs", str(tmp_path)]).exit_code == 0
    page = tmp_path / "SUP-DPA.md"
    text = page.read_text(encoding="utf-8")
    for expected in ("## Legal basis", "## Français", "## Deutsch", "## Italiano", "dpa_signed"):
        assert expected in text
    # The problem statement, in each language, under its label.
    assert "*Risk if not met.* The vendor handles data without a signed processing" in text
    assert "*Risiko bei Nichterfüllung.* Der Lieferant bearbeitet Daten ohne" in text
    assert runner.invoke(cli, ["controls", "docs", str(tmp_path), "--check"]).exit_code == 0
    page.write_text(text + "edited by hand\n", encoding="utf-8")
    assert runner.invoke(cli, ["controls", "docs", str(tmp_path), "--check"]).exit_code == 1
