"""A workspace's own controls: loaded from [catalogue] extra, checked like the built-in ones."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformite.cli import cli

AS_OF = "2026-11-28"

CONTROL = """\
id: CUS-OWNER
since: "0.1"
family: governance
severity: medium
target: service
effort: {{person_days: 0.5}}
title: {{fr: Titre, de: Titel, it: Titolo, en: Title}}
description: {{fr: D, de: D, it: D, en: D}}
rationale: {{fr: R, de: R, it: R, en: R}}
remediation: {{fr: M, de: M, it: M, en: M}}
legal_basis:
  - {{instrument: nLPD, article: "8", url: "https://www.fedlex.admin.ch/eli/cc/2022/491/fr#art_8"}}
requirements:
  - name: check
    expression: {expression}
    message: {{fr: "{{facts}}", de: "{{facts}}", it: "{{facts}}", en: "owner is {{facts}}"}}
    facts: {facts}
"""


def _workspace(tmp_path: Path, expression: str, facts: str = "service.owner") -> Path:
    ws = tmp_path / "ws"
    runner = CliRunner()
    assert (
        runner.invoke(
            cli, ["init", str(ws), "--commune", "T", "--canton", "BE", "--population", "900"]
        ).exit_code
        == 0
    )
    config = ws / "conformite.toml"
    config.write_text(config.read_text().replace("extra = []", 'extra = ["my-controls"]'))
    (ws / "my-controls").mkdir()
    (ws / "my-controls" / "CUS-OWNER.yaml").write_text(
        CONTROL.format(expression=expression, facts=facts)
    )
    (ws / "inventory" / "services.yaml").write_text(
        "services:\n  - {id: a, name: A, owner: Greffe, purpose: P, hosting: saas}\n"
    )
    return ws


def _finding(ws: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        cli, ["audit", str(ws), "--as-of", AS_OF, "--format", "json", "--schema", "2"]
    )
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)["findings"]
    return next(f for f in findings if f["control_id"] == "CUS-OWNER")


def test_custom_control_runs_and_names_failed_facts(tmp_path: Path) -> None:
    finding = _finding(_workspace(tmp_path, '''service.owner == "Informatique"'''))
    assert finding["outcome"] == "fail"
    assert finding["messages"] == ["owner is Greffe"]
    assert finding["facts"] == [
        {"name": "check", "kind": "requirement", "met": False, "details": ["Greffe"]}
    ]


def test_custom_control_passes(tmp_path: Path) -> None:
    assert _finding(_workspace(tmp_path, '''service.owner == "Greffe"'''))["outcome"] == "pass"


def test_evaluation_error_is_an_error_never_a_pass(tmp_path: Path) -> None:
    finding = _finding(_workspace(tmp_path, "int(service.owner) > 0"))
    assert finding["outcome"] == "error"
    assert "requirements.check" in finding["messages"][0]


def test_an_error_names_the_expression_that_raised(tmp_path: Path) -> None:
    # The requirement is evaluated (false), then its facts raise.
    finding = _finding(_workspace(tmp_path, 'service.owner == "X"', facts="int(service.owner)"))
    assert finding["outcome"] == "error"
    assert "requirements.check.facts:" in finding["messages"][0]


def test_non_boolean_requirement_is_an_error(tmp_path: Path) -> None:
    finding = _finding(_workspace(tmp_path, "service.owner"))
    assert finding["outcome"] == "error"
    assert "expected true or false" in finding["messages"][0]


def test_custom_control_shows_in_the_catalogue(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, '''service.owner == "Greffe"''')
    result = CliRunner().invoke(
        cli, ["controls", "list", "--workspace", str(ws), "--format", "json"]
    )
    assert "CUS-OWNER" in result.output


def test_custom_control_without_problem_statement_is_shown_and_documented(
    tmp_path: Path,
) -> None:
    # The problem statement is optional for a workspace's own controls: no label, no gap.
    ws = _workspace(tmp_path, '''service.owner == "Greffe"''')
    runner = CliRunner()
    shown = runner.invoke(cli, ["controls", "show", "CUS-OWNER", "--workspace", str(ws)])
    assert shown.exit_code == 0, shown.output
    assert "Title" in shown.output
    assert "Risk if not met" not in shown.output
    docs = tmp_path / "docs"
    result = runner.invoke(cli, ["controls", "docs", str(docs), "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    page = (docs / "CUS-OWNER.md").read_text(encoding="utf-8")
    assert "**Title**" in page
    assert "Risk if not met" not in page
    assert "*Risk if not met.*" in (docs / "SUP-DPA.md").read_text(encoding="utf-8")


def test_readme_custom_control_example_works(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("# my-controls/CUS-ARCHIVE.yaml\n", 1)[1].split("```", 1)[0]
    ws = _workspace(tmp_path, '''service.owner == "Greffe"''')
    (ws / "my-controls" / "CUS-ARCHIVE.yaml").write_text(block, encoding="utf-8")
    (ws / "inventory" / "services.yaml").write_text(
        "services:\n  - {id: a, name: A, owner: Greffe, purpose: P, hosting: saas,"
        " data_categories: [identity]}\n"
        "  - {id: b, name: B, owner: Greffe, purpose: P, hosting: saas,"
        " data_categories: [identity], retention: {basis: Loi sur l'archivage}}\n"
    )
    result = CliRunner().invoke(
        cli, ["audit", str(ws), "--as-of", AS_OF, "--format", "json", "--schema", "2"]
    )
    assert result.exit_code == 0, result.output
    findings = {
        f["target_id"]: f
        for f in json.loads(result.output)["findings"]
        if f["control_id"] == "CUS-ARCHIVE"
    }
    # A basis nobody recorded is to document, never a pass; one recorded passes.
    assert findings["a"]["outcome"] == "unknown"
    assert findings["a"]["unknown_facts"] == ["service.retention.basis"]
    assert findings["b"]["outcome"] == "pass"


def test_an_expression_problem_is_reported_in_the_reader_language(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "service.securty.mfa.enabled == true")
    result = CliRunner().invoke(cli, ["--lang", "fr", "audit", str(ws), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    assert "champ inconnu 'securty' dans 'service'" in result.output
    assert "vouliez-vous dire 'service.security'" in result.output
    english = CliRunner().invoke(cli, ["--lang", "en", "audit", str(ws), "--as-of", AS_OF])
    assert "unknown field 'securty' on 'service'" in english.output
