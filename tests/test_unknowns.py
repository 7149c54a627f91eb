"""Unknown facts: what nobody gave stays unknown, and is never read as yes or no."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from conformite.catalogue.model import Catalogue
from conformite.engine.evaluation import evaluate
from conformite.engine.scoring import score_findings
from conformite.engine.targets import EvaluationInput
from conformite.engine.unknowns import MAX_COMBINATIONS, tri_state
from conformite.inventory.facts import FactKind, candidates, fact_tree, scan
from conformite.inventory.model import Inventory, Organisation, Service, Vendor

AS_OF = dt.date(2026, 11, 28)


def _service(**extra: Any) -> dict[str, Any]:
    base = {"id": "s", "name": "Guichet", "owner": "Greffe", "purpose": "P", "hosting": "saas"}
    return base | extra


def _evaluate(
    catalogue: Catalogue,
    reference: Any,
    control_ids: list[str],
    services: list[dict[str, Any]],
    vendors: list[dict[str, Any]] | None = None,
) -> list[Any]:
    only = Catalogue(
        version=catalogue.version,
        controls=[catalogue.get(c) for c in control_ids],  # type: ignore[misc]
        digest="",
        sources=[],
    )
    inventory = Inventory(
        organisation=Organisation(),
        services=[Service.model_validate(s) for s in services],
        vendors=[Vendor.model_validate(v) for v in vendors or []],
        waivers=[],
    )
    data = EvaluationInput(
        inventory=inventory,
        reference=reference,
        commune={"name": "X", "canton": "VD", "population": 1000, "language": "en"},
        as_of=AS_OF,
        lang="en",
    )
    return evaluate(only, data)


def test_null_and_absent_facts_load_as_unknown() -> None:
    service = Service.model_validate(
        _service(security={"mfa": {"enabled": None}, "patching": {"last_patched_on": "never"}})
    )
    assert service.security.mfa.enabled is None
    assert service.security.patching.open_critical_vulnerabilities is None
    assert service.security.patching.last_patched_on == "never"
    assert service.security.backup.enabled is None


def test_scan_lists_unknown_facts_and_reads_never_as_null() -> None:
    value = Service.model_validate(
        _service(security={"mfa": {"enabled": True}, "last_access_review_on": "never"})
    ).model_dump(mode="json")
    found = scan(value, fact_tree(Service))
    unknown = {path for path, _ in found.unknown}
    assert ("security", "mfa", "scope") in unknown
    assert ("security", "mfa", "enabled") not in unknown
    # "never" is a known fact: the controls see it as null, as an event that never happened.
    assert ("security", "last_access_review_on") not in unknown
    assert value["security"]["last_access_review_on"] is None
    # A field whose null is a choice is not a fact to document.
    assert ("vendor",) not in unknown
    assert found.counts[("security", "mfa", "enabled")] == 1


def test_an_event_date_may_never_have_happened_and_a_text_may_be_absent() -> None:
    event = FactKind("event", ("x",))
    assert None in candidates(event, "2026-11-28", presence_read=False)
    count = FactKind("int", ("x",))
    assert None not in candidates(count, "2026-11-28", presence_read=False)
    assert None in candidates(count, "2026-11-28", presence_read=True)


def test_known_failure_is_decided_whatever_the_unknown_scope(catalogue, reference) -> None:
    [finding] = _evaluate(
        catalogue, reference, ["SVC-MFA"], [_service(security={"mfa": {"enabled": False}})]
    )
    assert finding.outcome == "fail"
    assert finding.unknown_facts == []


def test_unknown_fact_is_to_document_and_names_who_can_answer(catalogue, reference) -> None:
    [finding] = _evaluate(
        catalogue, reference, ["SVC-MFA"], [_service(security={"mfa": {"enabled": True}})]
    )
    assert finding.outcome == "unknown"
    assert finding.unknown_facts == ["service.security.mfa.scope"]
    assert any("service.security.mfa.scope" in m for m in finding.messages)
    assert any("Greffe" in m for m in finding.messages)  # the service owner answers
    [requirement] = [f for f in finding.facts if f.met is None]
    assert requirement.details == ["service.security.mfa.scope"]


def test_never_and_unknown_differ_on_targets_with_the_same_values(catalogue, reference) -> None:
    """The answers kept for identical targets must tell 'never' from 'not known'."""
    never = _service(
        id="a", security={"access_control": "role_based", "last_access_review_on": "never"}
    )
    unknown = _service(id="b", security={"access_control": "role_based"})
    findings = _evaluate(catalogue, reference, ["SVC-ACCESS-REVIEW"], [never, unknown, never])
    assert [(f.target_id, f.outcome) for f in findings] == [
        ("a", "fail"),
        ("a", "fail"),
        ("b", "unknown"),
    ]


def test_vendor_data_location_is_inherited_field_by_field(catalogue, reference) -> None:
    vendor = {
        "id": "v",
        "name": "Vendor",
        "country": "CH",
        "data_location": {"stored_in": ["CH"], "processed_in": ["CH"]},
    }
    inherits = _service(id="inherits", vendor="v")
    overrides = _service(id="overrides", vendor="v", data_location={"stored_in": ["US"]})
    from conformite.engine.derive import derive

    inventory = Inventory(
        organisation=Organisation(),
        services=[Service.model_validate(s) for s in (inherits, overrides)],
        vendors=[Vendor.model_validate(vendor)],
        waivers=[],
    )
    derived = derive(inventory, reference)
    assert derived.services["inherits"].countries == ["CH"]
    assert derived.services["inherits"].location_known
    assert derived.services["overrides"].foreign_countries == ["US"]


def test_too_many_combinations_are_unknown_without_trying() -> None:
    facts = [FactKind("int", (f"f{i}",)) for i in range(12)]
    items = [((f"f{i}",), ("service", f"f{i}"), fact) for i, fact in enumerate(facts)]
    assert MAX_COMBINATIONS < 3**12

    class NeverRun:
        def execute(self, context: Any) -> bool:
            raise AssertionError("must not be evaluated")

    from conformite.engine.unknowns import expression_reads

    reads = expression_reads([("service", f"f{i}") for i in range(12)])
    value, fields = tri_state(NeverRun(), None, reads, items, {}, "2026-11-28", {})
    assert value is None
    assert len(fields) == 12


def test_coverage_is_recomputable_from_the_json(tmp_path, catalogue, reference) -> None:
    findings = _evaluate(
        catalogue,
        reference,
        ["SVC-MFA", "SVC-CRITICAL-VULNS", "SVC-ACCESS-REVIEW"],
        [_service(security={"mfa": {"enabled": True}})],
    )
    _, scores = score_findings(findings)
    counted = [f for f in findings if f.outcome != "not_applicable"]
    read = sum(f.facts_read for f in counted)
    unknown = sum(len(f.unknown_facts) for f in counted)
    assert unknown > 0
    assert scores.overall.coverage == round(100 * (1 - unknown / read), 1)
    assert scores.overall.facts_unknown == unknown


@pytest.mark.parametrize("value", ["2026-02-30", "jamais", "yes"])
def test_a_bad_event_date_is_one_located_error(tmp_path, value: str) -> None:
    from click.testing import CliRunner

    from conformite.cli import cli

    runner = CliRunner()
    workspace = tmp_path / "ws"
    created = runner.invoke(
        cli,
        ["init", str(workspace), "--commune", "X", "--canton", "VD", "--population", "5"],
    )
    assert created.exit_code == 0, created.output
    (workspace / "inventory" / "services.yaml").write_text(
        "services:\n"
        "  - id: s\n    name: S\n    owner: O\n    purpose: P\n    hosting: saas\n"
        f"    security:\n      last_penetration_test_on: {value}\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["validate", str(workspace), "--lang", "en"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "last_penetration_test_on" in line]
    assert len(lines) == 1, result.output
    assert "services.yaml:8:" in lines[0]
    assert "never" in result.output  # what is expected names the word


def test_audit_json_carries_unknown_outcomes_and_coverage(tmp_path) -> None:
    from click.testing import CliRunner

    from conformite.cli import cli

    out = tmp_path / "audit.json"
    result = CliRunner().invoke(
        cli,
        [
            "audit",
            "--demo",
            "--as-of",
            "2026-11-28",
            "--format",
            "json",
            "--schema",
            "2",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema_version"] == "2.0"
    outcomes = {f["outcome"] for f in data["findings"]}
    assert {"pass", "fail", "unknown"} <= outcomes
    overall = data["scores"]["overall"]
    assert overall["unknown"] == sum(f["outcome"] == "unknown" for f in data["findings"])
    assert 0 < overall["coverage"] < 100


def test_a_result_written_before_schema_2_is_still_read(tmp_path) -> None:
    """Last year's JSON (schema 1.2, no unknown outcome) can be compared with this year's."""
    from pathlib import Path

    from click.testing import CliRunner

    from conformite.cli import cli
    from conformite.engine.results import AuditResult

    old = Path(__file__).parent / "fixtures" / "results" / "audit-schema-1.2.json"
    result = AuditResult.from_json(old.read_bytes())
    assert result.schema_version == "1.2"
    assert result.scores.overall.unknown == 0
    assert result.scores.overall.coverage is None
    new = tmp_path / "new.json"
    written = CliRunner().invoke(
        cli,
        [
            "audit",
            "--demo",
            "--as-of",
            "2026-11-28",
            "--format",
            "json",
            "--schema",
            "2",
            "-o",
            str(new),
        ],
    )
    assert written.exit_code == 0, written.output
    compared = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", "json"])
    assert compared.exit_code == 0, compared.output
