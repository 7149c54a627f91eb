"""Year on year: compare.py and ``conformite diff``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.engine.results import AuditResult
from conformite.report.compare import compare
from test_report import golden_results


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def results(tmp_path: Path) -> tuple[Path, Path]:
    previous, current = golden_results("fr")
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(previous.to_json(), encoding="utf-8")
    new.write_text(current.to_json(), encoding="utf-8")
    return old, new


def test_compare_sorts_findings_into_new_resolved_still_open() -> None:
    previous, current = golden_results("en")
    comparison = compare(previous, current)
    assert [(c.control_id, c.target_id) for c in comparison.new] == [
        ("SUP-DPA", "nimbus"),  # its waiver expired
        ("SUP-CERT-VALID", "swiss-gov-soft"),  # its certificate expired
        ("GOV-COMMISSION-REVIEW", "organisation"),  # the review is now overdue
    ]
    assert comparison.resolved == []
    assert len(comparison.still_open) == 7
    assert [(c.control_id, c.new_outcome) for c in comparison.set_aside] == [("SVC-MFA", "waived")]
    assert comparison.overall.delta == pytest.approx(-4.8)
    families = {c.key: c for c in comparison.by_family}
    assert families["governance"].old == 100.0 and families["governance"].new == 0.0


def test_compare_the_other_way_round_resolves() -> None:
    previous, current = golden_results("en")
    comparison = compare(current, previous)
    assert {c.control_id for c in comparison.resolved} == {
        "SUP-CERT-VALID",
        "GOV-COMMISSION-REVIEW",
    }
    assert comparison.overall.delta == pytest.approx(4.8)


def test_compare_matches_across_languages_and_removed_targets() -> None:
    previous, _ = golden_results("fr")
    _, current = golden_results("de")
    trimmed = current.model_copy(
        update={"findings": [f for f in current.findings if f.target_id != "school-admin"]}
    )
    comparison = compare(previous, trimmed)
    gone = [c for c in comparison.set_aside if c.new_outcome is None]
    assert {c.target_id for c in gone} == {"school-admin"}
    assert not any(c.target_id == "school-admin" for c in comparison.new)
    assert comparison.same_catalogue


def test_diff_table(results: tuple[Path, Path]) -> None:
    old, new = results
    result = run("diff", str(old), str(new))
    assert result.exit_code == 0, result.output
    assert "Comparaison des audits du 28.11.2025 et du 28.11.2026" in result.output
    assert "Écarts nouveaux (3)" in result.output
    assert "SUP-CERT-VALID" in result.output


def test_diff_json(results: tuple[Path, Path]) -> None:
    old, new = results
    result = run("diff", str(old), str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"] == {"new": 3, "resolved": 0, "still_open": 7, "set_aside": 1}
    assert data["scores"]["overall"]["delta"] == pytest.approx(-4.8)
    assert data["old"]["as_of"] == "2025-11-28"


def test_diff_md_in_the_chosen_language(results: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = results
    out = tmp_path / "changes.md"
    result = run("--lang", "de", "diff", str(old), str(new), "--format", "md", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Vergleich der Prüfungen vom 28.11.2025 und vom 28.11.2026")
    assert "| Gesamtpunktzahl | 58.5 | 53.7 | −4.8 |" in text


def test_diff_warns_about_different_communes(results: tuple[Path, Path]) -> None:
    old, new = results
    data = json.loads(new.read_text(encoding="utf-8"))
    data["workspace"]["commune"] = "Autre"
    new.write_text(json.dumps(data), encoding="utf-8")
    result = run("diff", str(old), str(new))
    assert result.exit_code == 0
    assert "Autre" in result.output


def test_diff_notes_a_catalogue_change(results: tuple[Path, Path]) -> None:
    old, new = results
    data = json.loads(new.read_text(encoding="utf-8"))
    data["catalogue"]["version"] = "golden-2"
    new.write_text(json.dumps(data), encoding="utf-8")
    result = run("--lang", "en", "diff", str(old), str(new))
    assert "golden-1 → golden-2" in result.output


@pytest.mark.parametrize(
    "content",
    ["", "{not json", "[]", '{"schema_version": "1.0"}', "\xff\xfe"],
)
def test_diff_bad_input_is_a_located_exit_2(results: tuple[Path, Path], content: str) -> None:
    old, new = results
    old.write_bytes(content.encode("latin-1"))
    result = run("diff", str(old), str(new))
    assert result.exit_code == 2
    assert "old.json" in result.output
    assert "Traceback" not in result.output


def test_diff_missing_file_is_exit_2(results: tuple[Path, Path], tmp_path: Path) -> None:
    _, new = results
    result = run("diff", str(tmp_path / "nope.json"), str(new))
    assert result.exit_code == 2
    assert "nope.json" in result.output


def test_findings_are_dataclasses_so_changes_serialise() -> None:
    previous, current = golden_results("en")
    change = compare(previous, current).new[0]
    assert dataclasses.asdict(change)["control_id"] == "SUP-DPA"
    assert isinstance(current, AuditResult)
