"""Supplier profiles: the shipped files, the model, merging into the inventory,
provenance in the audit result, and located errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite._paths import builtin_profiles_dir
from conformite.cli import cli
from conformite.engine.results import FULL_SCHEMA_VERSION, AuditResult
from conformite.errors import InputError
from conformite.profiles.model import (
    ProfileRegistry,
    flatten_facts,
    load_profile_file,
    load_profiles,
)

VALID_PROFILE = """\
profile:
  id: test-vendor
  version: 1
  publisher: Test publisher
  vetted_on: 2026-06-01
  valid_until: 2027-06-01
  sources:
    name: [{url: "https://example.ch/a", checked_on: 2026-05-30}]
    country: [{document: "Registre du commerce", checked_on: 2026-05-30}]
    audit_rights: [{document: "Contrat, art. 4", checked_on: 2026-05-30}]
vendor:
  name: Test Vendor SA
  country: CH
  audit_rights: true
"""


def _workspace(tmp_path: Path, vendors: str) -> Path:
    folder = tmp_path / "ws"
    result = CliRunner().invoke(
        cli,
        ["init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"],
    )
    assert result.exit_code == 0, result.output
    (folder / "inventory" / "vendors.yaml").write_text(vendors, encoding="utf-8")
    return folder


def _audit(folder: Path, as_of: str = "2026-11-28") -> dict:
    result = CliRunner().invoke(
        cli, ["audit", str(folder), "--as-of", as_of, "--format", "json", "--schema", "2"]
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _finding(audit: dict, control: str, target: str) -> dict:
    return next(
        f for f in audit["findings"] if f["control_id"] == control and f["target_id"] == target
    )


def test_five_shipped_profiles_load_and_every_fact_is_sourced():
    from conformite.errors import ProblemCollector

    registry = ProfileRegistry()
    problems = ProblemCollector()
    load_profiles(builtin_profiles_dir(), registry, problems)
    assert problems.problems == []
    assert registry.refs() == [
        "infogerance-leman@4",
        "logiciel-rive@1",
        "nuage-alpin@2",
        "postbridge-us@3",
        "wolke-eu@1",
    ]
    countries = {p.facts["country"] for p in registry.profiles.values()}
    assert countries >= {"CH", "DE", "US"}
    for profile in registry.profiles.values():
        assert "FICTITIOUS" in Path(profile.file).read_text(encoding="utf-8")
        assert profile.meta.vetted_on < profile.meta.valid_until
        for source_list in profile.meta.sources.values():
            assert all(s.checked_on <= profile.meta.vetted_on for s in source_list)


def test_unknown_key_in_a_profile_is_a_located_error_with_a_hint(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_text(VALID_PROFILE.replace("  audit_rights: true", "  audit_right: true"))
    with pytest.raises(InputError) as caught:
        load_profile_file(path)
    rendered = [p.render() for p in caught.value.problems]
    assert any(
        "p.yaml:14:3" in r and "vendor.audit_right" in r and "did you mean 'audit_rights'" in r
        for r in rendered
    ), rendered


def test_a_fact_without_source_and_a_source_without_fact_are_errors(tmp_path: Path):
    path = tmp_path / "p.yaml"
    text = VALID_PROFILE.replace(
        '    audit_rights: [{document: "Contrat, art. 4", checked_on: 2026-05-30}]\n',
        '    exit: [{document: "Contrat, art. 9", checked_on: 2026-05-30}]\n',
    )
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_profile_file(path)
    messages = sorted(p.message for p in caught.value.problems)
    assert messages == [
        "fact 'audit_rights' has no source",
        "source for 'exit', which the profile does not state",
    ]


def test_a_source_needs_a_url_or_a_document(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_text(VALID_PROFILE.replace('{url: "https://example.ch/a", ', "{"))
    with pytest.raises(InputError) as caught:
        load_profile_file(path)
    assert "either 'url' or 'document'" in caught.value.problems[0].message
    assert caught.value.problems[0].line == 8


def test_flatten_facts_treats_lists_as_leaves():
    assert flatten_facts({"a": 1, "b": {"c": 2, "d": [1]}, "e": {}}) == ["a", "b.c", "b.d", "e"]


def test_inventory_facts_override_the_profile_and_provenance_is_in_the_json(tmp_path: Path):
    folder = _workspace(
        tmp_path,
        """\
vendors:
  - id: nuage
    profile: nuage-alpin@2
    dpa: {signed_on: 2026-01-10}
    breach_notification_hours: 96
  - id: plain
    name: Plain SA
    country: CH
""",
    )
    audit = _audit(folder)
    assert audit["schema_version"] == FULL_SCHEMA_VERSION == "2.0"  # --schema 2
    publisher = "profile nuage-alpin@2 (Exemple d'association de communes (fictive))"
    # The inventory's 96 hours win over the profile's 24: the control fails on it.
    notice = _finding(audit, "SUP-BREACH-NOTICE", "nuage")
    dpa = _finding(audit, "SUP-DPA", "nuage")
    assert dpa["outcome"] == "pass"
    # dpa.signed_on is the inventory's; the rest of dpa (deep merge) the profile's.
    assert dpa["provenance"]["vendor.dpa.signed_on"] == "inventory"
    assert dpa["provenance"]["vendor.name"] == publisher
    exit_terms = _finding(audit, "SUP-EXIT-TERMS", "nuage")
    assert exit_terms["provenance"]["vendor.exit.notice_days"] == publisher
    assert notice["provenance"].get("vendor.breach_notification_hours") in (None, "inventory")
    valid = _finding(audit, "SUP-PROFILE-VALID", "nuage")
    assert valid["outcome"] == "pass"
    assert valid["provenance"]["vendor.profile_valid_until"] == publisher
    # A vendor without a profile carries no provenance; its control is not applicable.
    assert _finding(audit, "SUP-DPA", "plain")["provenance"] == {}
    assert _finding(audit, "SUP-PROFILE-VALID", "plain")["outcome"] == "not_applicable"
    # Keys are sorted: the JSON is deterministic.
    assert list(dpa["provenance"]) == sorted(dpa["provenance"])


def test_the_merged_vendor_keeps_profile_facts_not_overridden(tmp_path: Path):
    from conformite.engine.workspace import load_workspace

    folder = _workspace(
        tmp_path,
        "vendors:\n  - id: leman\n    profile: infogerance-leman@4\n"
        "    sub_processors: []\n    dpa: {signed_on: 2026-02-01}\n",
    )
    vendor = load_workspace(folder).inventory.vendors[0]
    assert vendor.name == "Infogérance Léman SA"
    assert vendor.parent is not None and vendor.parent.country == "FR"
    assert vendor.sub_processors == []  # a list written in the inventory replaces the profile's
    assert vendor.dpa.signed_on.isoformat() == "2026-02-01"
    assert vendor.dpa.security_measures_documented is True  # from the profile
    assert vendor.profile_valid_until.isoformat() == "2027-01-31"


def test_expired_profile_is_a_finding_on_the_audit_date(tmp_path: Path):
    folder = _workspace(tmp_path, "vendors:\n  - id: leman\n    profile: infogerance-leman@4\n")
    audit = _audit(folder, as_of="2027-03-01")
    finding = _finding(audit, "SUP-PROFILE-VALID", "leman")
    assert finding["outcome"] == "fail"
    assert "infogerance-leman@4, valid_until: 2027-01-31" in finding["messages"][0]
    assert finding["legal_basis"][0]["citation"] == "revFADP art. 9 para. 2"


def test_unknown_profile_version_is_a_located_error_with_did_you_mean(tmp_path: Path):
    folder = _workspace(
        tmp_path,
        "vendors:\n  - id: nuage\n    name: Nuage\n    country: CH\n    profile: nuage-alpin@3\n",
    )
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert re.search(
        r"vendors.yaml:5:\d+: vendors\[0\]\.profile: unknown supplier profile 'nuage-alpin@3'",
        result.output,
    ), result.output
    assert "did you mean 'nuage-alpin@2'?" in result.output


def test_unknown_profile_id_suggests_the_closest(tmp_path: Path):
    folder = _workspace(
        tmp_path, "vendors:\n  - id: w\n    name: W\n    country: DE\n    profile: wolke-ue@1\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "did you mean 'wolke-eu@1'?" in result.output


def test_malformed_profile_reference_and_hand_written_validity_are_errors(tmp_path: Path):
    folder = _workspace(
        tmp_path,
        "vendors:\n  - id: a\n    profile: nuage-alpin@2\n    profile_valid_until: 2030-01-01\n"
        "  - id: b\n    name: B\n    country: CH\n    profile: Nuage Alpin\n",
    )
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "vendors[0].profile_valid_until: 'profile_valid_until' comes from the profile" in (
        result.output
    )
    assert "vendors[1].profile: value has the wrong form" in result.output


def test_results_without_provenance_still_load(tmp_path: Path):
    folder = _workspace(tmp_path, "vendors:\n  - id: nuage\n    profile: nuage-alpin@2\n")
    audit = _audit(folder)
    audit["schema_version"] = "1.1"
    for finding in audit["findings"]:
        del finding["provenance"]
    result = AuditResult.from_json(json.dumps(audit))
    assert all(f.provenance == {} for f in result.findings)


def test_every_profiles_command_has_an_example():
    group = cli.commands["profiles"]
    for name in ["", *group.commands]:
        args = ["profiles", name, "--help"] if name else ["profiles", "--help"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0
        assert "Example:" in result.output, name


def test_profiles_list_shows_the_shipped_profiles(tmp_path: Path):
    folder = _workspace(tmp_path, "vendors: []\n")
    result = CliRunner().invoke(cli, ["profiles", "list", str(folder), "--lang", "en"])
    assert result.exit_code == 0, result.output
    for ref in ("nuage-alpin@2", "wolke-eu@1", "postbridge-us@3"):
        assert ref in result.output
    assert "built-in" in result.output
