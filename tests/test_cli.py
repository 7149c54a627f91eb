"""The command line, driven through click's CliRunner on real files."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from conformite import __version__
from conformite.cli import cli

AS_OF = "2026-11-28"


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env)


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "path", [p for p, c in _all_commands(cli) if not isinstance(c, click.Group)]
)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"{' '.join(path)} --help shows no example"


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_audit_demo_table_in_the_workspace_language() -> None:
    result = run("audit", "--demo", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "Score global" in result.output  # the demo commune works in French
    assert "Val-d'Arbonne" in result.output


def test_audit_lang_option_overrides_the_workspace() -> None:
    result = run("--lang", "de", "audit", "--demo", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "Gesamtpunktzahl" in result.output


def test_audit_json_is_byte_identical_across_runs(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        result = run(
            "audit", "--demo", "--as-of", AS_OF, "--format", "json", "--schema", "2", "-o", str(out)
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text(encoding="utf-8"))
    assert data["schema_version"] == "2.0"
    assert data["as_of"] == AS_OF
    assert data["catalogue"]["sha256"]
    assert data["findings"], "the demo commune has findings"
    finding = data["findings"][0]
    for key in (
        "control_id",
        "target_kind",
        "target_id",
        "outcome",
        "severity",
        "legal_basis",
        "messages",
        "facts",
    ):
        assert key in finding


def test_audit_json_to_stdout_is_parseable() -> None:
    result = run("audit", "--demo", "--as-of", AS_OF, "--format", "json", "--schema", "2")
    assert result.exit_code == 0
    assert json.loads(result.output)["workspace"]["services"] > 0


def test_fail_on_and_fail_under_exit_1() -> None:
    assert run("audit", "--demo", "--as-of", AS_OF, "--fail-on", "low").exit_code == 1
    assert run("audit", "--demo", "--as-of", AS_OF, "--fail-under", "100").exit_code == 1
    assert run("audit", "--demo", "--as-of", AS_OF, "--fail-under", "0").exit_code == 0


def test_demo_waivers_are_shown_with_their_status() -> None:
    result = run("audit", "--demo", "--as-of", AS_OF, "--format", "json", "--schema", "2")
    waivers = json.loads(result.output)["waivers"]
    statuses = {w["control_id"]: w["status"] for w in waivers}
    assert statuses["SUP-DPA"] == "expired"
    assert statuses["SVC-MFA"] == "applied"


def test_validate_demo() -> None:
    result = run("validate", "--demo")
    assert result.exit_code == 0, result.output
    assert "24" in result.output


def test_init_writes_a_valid_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = run(
        "init",
        str(ws),
        "--commune",
        "Grellingen",
        "--canton",
        "BL",
        "--population",
        "1900",
        "--lang",
        "de",
    )
    assert result.exit_code == 0, result.output
    config = tomllib.loads((ws / "conformite.toml").read_text(encoding="utf-8"))
    assert config["commune"] == {
        "name": "Grellingen",
        "canton": "BL",
        "population": 1900,
        "language": "de",
    }
    for name in ("organisation", "services", "vendors", "waivers"):
        assert (ws / "inventory" / f"{name}.yaml").is_file()
    assert run("validate", str(ws)).exit_code == 0
    audit = run("audit", str(ws), "--as-of", AS_OF)
    assert audit.exit_code == 0, audit.output
    assert "Konformitätsprüfung" in audit.output
    # init invents no fact: every yes/no, count and date it writes is unknown,
    # so no organisation finding passes on a fresh workspace.
    org = yaml.safe_load((ws / "inventory" / "organisation.yaml").read_text(encoding="utf-8"))

    def scalars(node: object) -> list[object]:
        if isinstance(node, dict):
            return [v for value in node.values() for v in scalars(value)]
        return [] if isinstance(node, list) else [node]

    assert set(scalars(org["organisation"])) == {None}
    report = json.loads(
        run("audit", str(ws), "--as-of", AS_OF, "--format", "json", "--schema", "2").output
    )
    organisation = [f for f in report["findings"] if f["target_kind"] == "organisation"]
    assert organisation
    assert not [f["control_id"] for f in organisation if f["outcome"] == "pass"]
    assert sum(f["outcome"] == "unknown" for f in organisation) >= len(organisation) // 2


def test_init_demo_copies_the_demo(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    assert run("init", "--demo", str(ws)).exit_code == 0
    assert run("validate", str(ws)).exit_code == 0


def test_init_without_options_is_a_usage_error(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "x")).exit_code == 2


def test_schema_prints_json_schema_with_vocabularies() -> None:
    result = run("schema", "services")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    categories = schema["$defs"]["Service"]["properties"]["data_categories"]["items"]["enum"]
    assert "religious_beliefs" in categories


def test_controls_list_and_show() -> None:
    listed = run("controls", "list", "--format", "json")
    assert listed.exit_code == 0
    ids = [c["id"] for c in json.loads(listed.output)["controls"]]
    assert "SUP-DPA" in ids
    shown = run("--lang", "de", "controls", "show", "SUP-DPA")
    assert shown.exit_code == 0
    assert "Auftragsbearbeitungsvertrag" in shown.output
    assert "revDSG Art. 9" in shown.output
    assert "Risiko bei Nichterfüllung:" in shown.output
    assert "ohne unterzeichneten" in shown.output


def test_controls_show_unknown_id_suggests() -> None:
    result = run("controls", "show", "SUP-DPB")
    assert result.exit_code == 2
    assert "SUP-DPA" in result.output


def test_no_color_is_respected() -> None:
    result = run("audit", "--demo", "--as-of", AS_OF, env={"NO_COLOR": "1"})
    assert "\x1b[" not in result.output


def test_output_file_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "audit.json"
    result = run(
        "audit", "--demo", "--as-of", AS_OF, "--format", "json", "--schema", "2", "-o", str(out)
    )
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["as_of"] == AS_OF
    assert [p.name for p in out.parent.iterdir()] == ["audit.json"]


def test_lang_option_after_the_command() -> None:
    shown = run("controls", "show", "SUP-DPA", "--lang", "it")
    assert shown.exit_code == 0
    assert "responsabile del trattamento" in shown.output or "trattamento" in shown.output
    listed = run("controls", "list", "--canton", "VD", "--lang", "de", "--format", "json")
    data = json.loads(listed.output)
    assert data["canton"] == "VD"
    dpa = next(c for c in data["controls"] if c["id"] == "SUP-DPA")
    assert dpa["title"].startswith("Mit dem Lieferanten")
    assert any(b["canton"] == "VD" for b in dpa["legal_basis"]), "VD overlay cites SUP-DPA"


def test_command_errors_are_said_in_the_chosen_language() -> None:
    result = run("--lang", "fr", "controls", "show", "NOPE-X")
    assert result.exit_code == 2
    assert result.output.startswith("Erreur :")


def test_output_files_get_the_usual_permissions(tmp_path: Path) -> None:
    import os
    import stat

    out = tmp_path / "audit.json"
    assert (
        run(
            "audit", "--demo", "--as-of", AS_OF, "--format", "json", "--schema", "2", "-o", str(out)
        ).exit_code
        == 0
    )
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
