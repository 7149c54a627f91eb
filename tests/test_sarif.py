"""``audit --format sarif``: a SARIF 2.1.0 log that code-scanning views accept.

The log is validated against the official OASIS schema (tests/fixtures/sarif/,
see the README there), and its meaning is checked against the JSON result of the
same audit: which findings become results, with which kind, level, location,
fingerprint and suppression.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.inventory.safe_yaml import YamlDocument, load_yaml_text
from conformite.inventory.yaml_marks import locate_paths
from conformite.report.render.sarif import FINGERPRINT_KEY, SECURITY_SEVERITY, rule_name

AS_OF = "2026-11-28"
REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(
    (REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)
LEVEL_OF = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    return result


def audit(*args: str, fmt: str = "sarif") -> Any:
    result = run("audit", *args, "--as-of", AS_OF, "--format", fmt)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo_sarif() -> dict[str, Any]:
    return audit("--demo")


@pytest.fixture(scope="module")
def demo_json() -> dict[str, Any]:
    return audit("--demo", "--schema", "2", fmt="json")  # the full form: findings whole


def results_of(log: dict[str, Any]) -> list[dict[str, Any]]:
    return log["runs"][0]["results"]


def key(result: dict[str, Any]) -> tuple[str, str]:
    return result["ruleId"], result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]


def test_the_demo_log_is_valid_sarif_2_1_0(demo_sarif: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA)
    validator.check_schema(SCHEMA)
    assert SCHEMA["id"].endswith("/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(demo_sarif)]
    assert errors == []
    assert demo_sarif["version"] == "2.1.0"
    # The validator does reject what SARIF does not allow: this test can fail.
    broken = json.loads(json.dumps(demo_sarif))
    broken["runs"][0]["results"][0]["level"] = "critical"
    assert not validator.is_valid(broken)


def test_one_rule_per_evaluated_control_in_the_language(
    demo_sarif: dict[str, Any], demo_json: dict[str, Any], catalogue: Any
) -> None:
    rules = demo_sarif["runs"][0]["tool"]["driver"]["rules"]
    evaluated = sorted({f["control_id"] for f in demo_json["findings"]})
    assert [r["id"] for r in rules] == evaluated
    control = catalogue.get("SVC-BACKUP-RESTORE-TEST").control
    rule = next(r for r in rules if r["id"] == control.id)
    assert rule["name"] == "SvcBackupRestoreTest" == rule_name(control.id)
    assert rule["shortDescription"]["text"] == control.title.fr  # the demo works in French
    assert rule["fullDescription"]["text"].startswith(control.description.fr)
    assert rule["help"]["text"] == control.remediation.fr
    assert rule["helpUri"].endswith(f"/docs/controls/{control.id}.md")
    for rule in rules:  # each shipped control's page exists in the repository
        page = rule["helpUri"].split("/blob/main/", 1)[1]
        assert (REPO / page).is_file(), page
    english = audit("--demo", "--lang", "en")["runs"][0]["tool"]["driver"]["rules"]
    rule = next(r for r in english if r["id"] == control.id)
    assert rule["shortDescription"]["text"] == control.title.en


def test_rule_levels_and_security_severity_follow_the_severity(
    demo_sarif: dict[str, Any], catalogue: Any
) -> None:
    rules = demo_sarif["runs"][0]["tool"]["driver"]["rules"]
    seen = set()
    for rule in rules:
        severity = catalogue.get(rule["id"]).control.severity
        seen.add(severity)
        assert rule["defaultConfiguration"]["level"] == LEVEL_OF[severity]
        assert rule["properties"]["security-severity"] == SECURITY_SEVERITY[severity]
        assert rule["properties"]["tags"][:2] == ["security", rule["properties"]["family"]]
    assert seen == {"critical", "high", "medium", "low"}
    assert {k: float(v) for k, v in SECURITY_SEVERITY.items()} == {
        "critical": 9.5,
        "high": 8.0,
        "medium": 5.5,
        "low": 3.0,
    }


def test_results_are_the_gaps_and_unknowns_with_their_kind_and_level(
    demo_sarif: dict[str, Any], demo_json: dict[str, Any]
) -> None:
    findings = {
        (f["control_id"], f"{f['target_kind']}:{f['target_id']}"): f for f in demo_json["findings"]
    }
    results = results_of(demo_sarif)
    wanted = {
        k for k, f in findings.items() if f["outcome"] in ("fail", "error", "unknown", "waived")
    }
    assert {key(r) for r in results} == wanted
    assert len(results) == len(wanted)  # passing and not applicable findings are left out
    levels = Counter()
    for result in results:
        finding = findings[key(result)]
        assert result["properties"]["outcome"] == finding["outcome"]
        rules = demo_sarif["runs"][0]["tool"]["driver"]["rules"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        if finding["outcome"] == "unknown":
            assert (result["kind"], result["level"]) == ("open", "none")
        elif finding["outcome"] in ("fail", "error"):
            assert result["kind"] == "fail"
            assert result["level"] == LEVEL_OF[finding["severity"]]
            levels[result["level"]] += 1
        assert result["message"]["text"] == "\n".join(finding["messages"])
    assert set(levels) == {"error", "warning", "note"}
    assert [key(r) for r in results] == sorted(key(r) for r in results)


def test_waived_findings_carry_an_accepted_external_suppression(
    demo_sarif: dict[str, Any], demo_json: dict[str, Any]
) -> None:
    waived = {
        (f["control_id"], f"{f['target_kind']}:{f['target_id']}"): f["waiver"]
        for f in demo_json["findings"]
        if f["outcome"] == "waived"
    }
    assert waived  # the demo has waivers applied
    for result in results_of(demo_sarif):
        if key(result) not in waived:
            assert "suppressions" not in result
            continue
        waiver = waived[key(result)]
        [suppression] = result["suppressions"]
        assert suppression["kind"] == "external"
        assert suppression["status"] == "accepted"
        assert suppression["justification"] == waiver["justification"]
        assert suppression["properties"]["expires_on"] == waiver["expires_on"]
        assert result["kind"] in ("fail", "open")
    gis = next(
        r for r in results_of(demo_sarif) if key(r) == ("SVC-BACKUP-RESTORE-TEST", "service:gis")
    )
    assert (gis["kind"], gis["level"]) == ("open", "none")  # a waived "to document"


def test_locations_point_at_where_each_target_is_defined(
    demo_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo_workspace.parent)  # CI runs from the repository's root
    log = audit(str(demo_workspace))
    inventory = demo_workspace / "inventory"
    lines = {f.name: f.read_text(encoding="utf-8").splitlines() for f in inventory.glob("*.yaml")}
    checked = Counter()
    for result in results_of(log):
        [location] = result["locations"]
        kind, _, target = location["logicalLocations"][0]["fullyQualifiedName"].partition(":")
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith("demo/inventory/")
        line = lines[uri.rsplit("/", 1)[1]][physical["region"]["startLine"] - 1]
        column = physical["region"]["startColumn"]
        if kind in ("service", "vendor"):
            assert re.fullmatch(rf"\s*- id: {re.escape(target)}\s*", line), (target, line)
            assert line[column - 1 :].startswith("id:")
        elif kind == "organisation":
            assert line == "organisation:"
        else:
            assert target.removeprefix("mail:") in line, (target, line)
        checked[kind] += 1
    assert set(checked) == {"organisation", "service", "vendor", "endpoint"}


def test_fingerprints_are_stable_across_runs_languages_and_line_moves(
    demo_workspace: Path, demo_sarif: dict[str, Any]
) -> None:
    def prints(log: dict[str, Any]) -> dict[tuple[str, str], str]:
        return {key(r): r["partialFingerprints"][FINGERPRINT_KEY] for r in results_of(log)}

    first = prints(demo_sarif)
    assert len(set(first.values())) == len(first)  # one per finding
    assert prints(audit("--demo")) == first
    assert prints(audit("--demo", "--lang", "de")) == first
    services = demo_workspace / "inventory" / "services.yaml"
    services.write_text("# moved\n\n" + services.read_text(encoding="utf-8"), encoding="utf-8")
    moved = audit(str(demo_workspace))
    assert prints(moved) == first
    before = {
        key(r): r["locations"][0]["physicalLocation"]["region"] for r in results_of(demo_sarif)
    }
    after = {key(r): r["locations"][0]["physicalLocation"]["region"] for r in results_of(moved)}
    gis = ("SVC-BACKUP-RESTORE-TEST", "service:gis")
    assert after[gis]["startLine"] == before[gis]["startLine"] + 2


def test_the_log_is_byte_identical_twice_and_exit_codes_still_apply(tmp_path: Path) -> None:
    paths = [tmp_path / "a.sarif", tmp_path / "b.sarif"]
    codes = [
        run("audit", "--demo", "--as-of", AS_OF, "--format", "sarif", "-o", str(p)).exit_code
        for p in paths
    ]
    assert codes == [0, 0]
    first, second = (p.read_bytes() for p in paths)
    assert first == second
    text = first.decode("utf-8")
    assert AS_OF in text and "startTimeUtc" not in text
    assert str(REPO) not in text  # no absolute path
    result = run("audit", "--demo", "--as-of", AS_OF, "--format", "sarif", "--fail-on", "high")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["version"] == "2.1.0"  # the log is still written, whole
    assert result.stderr.startswith("--fail-on high : ")


def all_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path in a parsed document: the root, each mapping entry and each list item."""
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += all_paths(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += all_paths(v, (*path, i))
    return found


def test_locate_paths_agrees_with_the_loaders_locate() -> None:
    demo = REPO / "src" / "conformite" / "demo" / "inventory"
    for file in ("services.yaml", "vendors.yaml", "organisation.yaml"):
        text = (demo / file).read_text(encoding="utf-8")
        doc = load_yaml_text(text, file)
        paths = all_paths(doc.data)
        found = locate_paths(text, paths)
        assert len(found) == len(paths) > 100
        assert all(found[p] == doc.locate(p) for p in paths)
    tricky = "a: &x {b: 1}\n? [complex, key]\n: {b: 2}\nc: *x\nd:\n  - - 1\n    - 2\n"
    doc = YamlDocument("t.yaml", tricky, None)  # a complex key: for locating only
    paths = [("a", "b"), ("c",), ("d", 0, 1), ("d", 1), ("nope",)]
    assert locate_paths(tricky, paths) == {p: doc.locate(p) for p in paths[:3]}
    assert locate_paths("a: [unclosed", [("a",)]) == {("a",): (1, 1)}


OWN_CONTROL = """\
id: CUS-NEVER
since: "0.1"
family: governance
severity: low
target: service
effort: {person_days: 0.5}
title: {fr: Titre, de: Titel, it: Titolo, en: Title}
description: {fr: D, de: D, it: D, en: D}
rationale: {fr: R, de: R, it: R, en: R}
remediation: {fr: M, de: M, it: M, en: M}
legal_basis:
  - {instrument: nLPD, article: "8", url: "https://www.fedlex.admin.ch/eli/cc/2022/491/fr#art_8"}
requirements:
  - name: never
    expression: "false"
    message: {fr: Jamais, de: Nie, it: Mai, en: Never}
"""


def test_a_workspace_outside_the_current_folder_and_its_own_controls(
    demo_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = demo_workspace / "conformite.toml"
    text = config.read_text(encoding="utf-8") + '\n[catalogue]\nextra = ["my-controls"]\n'
    config.write_text(text, encoding="utf-8")
    (demo_workspace / "my-controls").mkdir()
    (demo_workspace / "my-controls" / "CUS-NEVER.yaml").write_text(OWN_CONTROL, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    log = audit(str(demo_workspace))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results_of(log)
    }
    assert uris == {f"inventory/{n}.yaml" for n in ("organisation", "services", "vendors")}
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "helpUri" not in rules["CUS-NEVER"]  # no page in conformite's docs
    assert rules["CUS-NEVER"]["defaultConfiguration"]["level"] == "note"
    own = [r for r in results_of(log) if r["ruleId"] == "CUS-NEVER"]
    assert len(own) == len(yaml_ids(demo_workspace / "inventory" / "services.yaml"))
    assert {(r["kind"], r["level"], r["message"]["text"]) for r in own} == {
        ("fail", "note", "Jamais")
    }


def yaml_ids(path: Path) -> list[str]:
    return re.findall(r"^  - id: (\S+)$", path.read_text(encoding="utf-8"), flags=re.M)
