"""Year on year: compare.py and ``conformite diff``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.engine.audit import run_audit
from conformite.engine.results import AuditResult
from conformite.report.compare import compare
from test_report import AS_OF, changed_workspace, golden_results, workspace_at


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
        ("SUP-CERT-VALID", "swiss-gov-soft"),  # its certificate expired
        ("GOV-COMMISSION-REVIEW", "organisation"),  # the review is now overdue
    ]
    assert comparison.resolved == []
    assert [(c.control_id, c.target_id) for c in comparison.still_open] == [
        ("SVC-CRITICAL-VULNS", "school-admin"),
        ("SVC-MFA", "school-admin"),
    ]
    assert [(c.control_id, c.new_outcome) for c in comparison.set_aside] == [("SVC-MFA", "waived")]
    # the facts nobody gave last year are still missing: neither new nor still open
    assert len(comparison.still_to_document) == 9
    assert {c.new_outcome for c in comparison.still_to_document} == {"unknown"}
    assert comparison.documented == []
    # last year's waiver covered Nimbus's agreement, still to document; it has expired
    assert [(c.control_id, c.target_id, c.old_outcome) for c in comparison.to_document] == [
        ("SUP-DPA", "nimbus", "waived")
    ]
    assert comparison.overall.delta == pytest.approx(-4.6)
    assert comparison.overall.old_coverage == comparison.overall.new_coverage == 56.2
    families = {c.key: c for c in comparison.by_family}
    assert families["governance"].old == 100.0 and families["governance"].new == 0.0


def test_compare_the_other_way_round_resolves() -> None:
    previous, current = golden_results("en")
    comparison = compare(current, previous)
    assert {c.control_id for c in comparison.resolved} == {
        "SUP-CERT-VALID",
        "GOV-COMMISSION-REVIEW",
    }
    assert comparison.overall.delta == pytest.approx(4.6)


@pytest.fixture
def documented(tmp_path: Path) -> tuple[AuditResult, AuditResult]:
    """Last year's golden result, and this year's once the vulnerability counts are known:
    none in the mail, 2 in the register, and the school's count no longer known."""
    directory = changed_workspace(
        tmp_path,
        services=[
            "      backup: {enabled: false}\n=>      backup: {enabled: false}\n"
            "      patching: {open_critical_vulnerabilities: 0}\n",
            "patching: {cadence_days: 30,=>patching: {open_critical_vulnerabilities: 2, "
            "cadence_days: 30,",
            "patching: {open_critical_vulnerabilities: 1, vendor_supported: false}"
            "=>patching: {vendor_supported: false}",
        ],
    )
    previous, _ = golden_results("en")
    return previous, run_audit(workspace_at(directory), AS_OF, "en")


def test_learning_a_fact_is_documented_not_resolved_nor_new(
    documented: tuple[AuditResult, AuditResult],
) -> None:
    comparison = compare(*documented)
    vulns = [
        (c.target_id, c.old_outcome, c.new_outcome)
        for c in comparison.documented
        if c.control_id == "SVC-CRITICAL-VULNS"
    ]
    assert vulns == [("email", "unknown", "pass"), ("population-register", "unknown", "fail")]
    assert [c.target_id for c in comparison.documented_gaps] == ["population-register"]
    for category in (comparison.new, comparison.resolved, comparison.still_open):
        assert not any(c.control_id == "SVC-CRITICAL-VULNS" for c in category)
    # a confirmed gap whose fact is no longer known is to document, not resolved
    assert [(c.control_id, c.target_id, c.old_outcome) for c in comparison.to_document] == [
        ("SVC-CRITICAL-VULNS", "school-admin", "fail"),
        ("SUP-DPA", "nimbus", "waived"),  # last year's waiver has expired
    ]
    assert len(comparison.still_to_document) == 7
    data = comparison.to_dict()
    assert data["counts"]["documented"] == 2 and data["counts"]["documented_gaps"] == 1
    assert data["findings"]["to_document"][0]["old_outcome"] == "fail"


def test_diff_shows_the_documented_findings_apart(
    documented: tuple[AuditResult, AuditResult], tmp_path: Path
) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(documented[0].to_json(), encoding="utf-8")
    new.write_text(documented[1].to_json(), encoding="utf-8")
    result = run("--lang", "en", "diff", str(old), str(new), "--format", "md")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "## Documented since: to document before, decided now (2)" in text
    assert "| critical | SVC-CRITICAL-VULNS | service: Messagerie en ligne |" in text
    assert "| to document | pass |" in text and "| to document | fail |" in text
    assert "## Newly to document (2)" in text and "| fail | to document |" in text
    assert "## New confirmed gaps (2)" in text and "## Resolved gaps (0)" in text
    table = run("--lang", "fr", "diff", str(old), str(new))
    assert "Documentés depuis : autrefois à documenter, tranchés aujourd'hui (2)" in table.output


def test_a_result_written_before_unknowns_still_compares(results: tuple[Path, Path]) -> None:
    old, new = results
    data = json.loads(AuditResult.from_json(old.read_bytes()).to_json(schema=2))
    data["schema_version"] = "1.2"
    for finding in data["findings"]:
        del finding["facts_read"], finding["unknown_facts"]
        if finding["outcome"] == "unknown":  # 1.x knew no unknown: absent facts failed
            finding["outcome"] = "fail"
    for score in [data["scores"]["overall"], *data["scores"]["by_family"].values()]:
        for key in ("unknown", "weight_failed", "weight_unknown", "facts_read"):
            del score[key]
        for key in ("facts_unknown", "coverage", "grade_capped"):
            del score[key]
    old.write_text(json.dumps(data), encoding="utf-8")
    result = run("--lang", "en", "diff", str(old), str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)["counts"]
    # what failed for want of a fact then is to document now: not "resolved"
    assert counts["to_document"] == 10 and counts["resolved"] == 0
    assert json.loads(result.output)["scores"]["overall"]["old_coverage"] is None


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
    assert "Écarts confirmés nouveaux (2)" in result.output
    assert "Toujours à documenter (9)" in result.output
    assert "SUP-CERT-VALID" in result.output


def test_diff_json(results: tuple[Path, Path]) -> None:
    old, new = results
    result = run("diff", str(old), str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"] == {
        "new": 2,
        "resolved": 0,
        "still_open": 2,
        "documented": 0,
        "to_document": 1,
        "still_to_document": 9,
        "set_aside": 1,
        "documented_gaps": 0,
    }
    assert data["scores"]["overall"]["delta"] == pytest.approx(-4.6)
    assert data["old"]["as_of"] == "2025-11-28"


def test_diff_md_in_the_chosen_language(results: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = results
    out = tmp_path / "changes.md"
    result = run("--lang", "de", "diff", str(old), str(new), "--format", "md", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Vergleich der Prüfungen vom 28.11.2025 und vom 28.11.2026")
    assert "| Gesamtpunktzahl | 24.8 | 20.2 | −4.6 |" in text
    assert "## Weiterhin zu dokumentieren (9)" in text


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
    assert dataclasses.asdict(change)["control_id"] == "SUP-CERT-VALID"
    assert isinstance(current, AuditResult)
