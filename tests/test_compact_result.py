"""The compact result (schema 3.0): nothing of the full form (2.0) is lost, both are read.

``audit --format json`` writes 3.0; ``--schema 2`` writes the full form as
before. Expanding a 3.0 document gives exactly the 2.0 document's findings;
every reader (``diff``, ``report --previous``, ``AuditResult.from_json``)
takes either form.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformite._paths import demo_dir
from conformite.cli import cli
from conformite.engine.results import AuditResult
from test_report import golden_results

AS_OF = "2026-11-28"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def audit_json(*args: str) -> str:
    result = run("audit", "--demo", "--as-of", AS_OF, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


@pytest.fixture(scope="module")
def forms() -> dict[str, str]:
    """The demo's result in both forms, as written by the command."""
    return {"3": audit_json(), "2": audit_json("--schema", "2")}


def test_default_is_the_compact_form(forms: dict[str, str]) -> None:
    compact, full = json.loads(forms["3"]), json.loads(forms["2"])
    assert forms["3"].startswith('{\n  "schema_version": "3.0",\n')
    assert full["schema_version"] == "2.0"
    assert set(compact) - set(full) == {"controls", "targets", "messages", "facts", "vendors"}
    # What names the commune and its vendors across communes (for a roll-up) is
    # written in the compact form only: 2.0 stays byte for byte as it was.
    assert compact["workspace"] == {**full["workspace"], "bfs_number": None}
    assert {
        "id": "helvetic-gov",
        "name": "Helvetic Gov Solutions SA",
        "uid": "CHE-999.999.996",
        "profile": None,
    } in compact["vendors"]
    assert len(compact["vendors"]) == full["workspace"]["vendors"]
    assert len(compact["findings"]) == len(full["findings"])
    assert len(compact["controls"]) == len({f["control_id"] for f in full["findings"]})
    # The point of it: a third of the size or less.
    assert len(forms["3"]) * 3 < len(forms["2"])


def test_expanding_the_compact_form_gives_the_full_forms_findings(forms: dict[str, str]) -> None:
    expanded = AuditResult.from_json(forms["3"])
    assert expanded.schema_version == "2.0"
    full = json.loads(forms["2"])
    assert json.loads(expanded.to_json(schema=2))["findings"] == full["findings"]
    assert expanded.to_json(schema=2) == forms["2"]
    # ... and the expanded result writes the same compact text again.
    assert expanded.to_json() == forms["3"]
    # And back: the full form read and written compact gives the same document,
    # but for the vendors' identities, which 2.0 does not carry.
    from_full = json.loads(AuditResult.from_json(forms["2"]).to_json())
    assert from_full["vendors"] == []
    assert from_full == {**json.loads(forms["3"]), "vendors": []}


def test_the_full_form_is_written_as_before(forms: dict[str, str]) -> None:
    """--schema 2 is what every earlier version wrote: the model serialised whole."""
    result = AuditResult.from_json(forms["2"])
    assert forms["2"] == result.model_dump_json(indent=2) + "\n"


def test_compact_form_is_deterministic(forms: dict[str, str]) -> None:
    assert audit_json() == forms["3"]


def test_a_finding_unlike_its_controls_first_keeps_its_own_data() -> None:
    """One audit applies one catalogue, so a control's data are the same in all its
    findings; should they differ, the finding carries its own and nothing is lost."""
    _, current = golden_results("en")
    first = current.findings[0]
    twin = next(f for f in current.findings[1:] if f.control_id == first.control_id)
    index = current.findings.index(twin)
    changed = dataclasses.replace(twin, title="Another title", severity="critical")
    result = current.model_copy(
        update={"findings": [*current.findings[:index], changed, *current.findings[index + 1 :]]}
    )
    text = result.to_json()
    row = json.loads(text)["findings"][index]
    assert row["title"] == "Another title" and row["severity"] == "critical"
    assert "family" not in row and "legal_basis" not in row
    assert AuditResult.from_json(text).to_json(schema=2) == result.to_json(schema=2)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_diff_reads_both_forms_alike(tmp_path: Path) -> None:
    previous, current = golden_results("en")
    outputs = set()
    for old_form, new_form in ((3, 3), (2, 3), (3, 2), (2, 2)):
        old = _write(tmp_path / "old.json", previous.to_json(schema=old_form))
        new = _write(tmp_path / "new.json", current.to_json(schema=new_form))
        result = run("--lang", "en", "diff", str(old), str(new), "--format", "json")
        assert result.exit_code == 0, result.output
        outputs.add(result.stdout)
    assert len(outputs) == 1, "the same comparison whatever the forms"
    assert json.loads(outputs.pop())["findings"]["new"], "the golden years differ"


def test_diff_reads_the_result_inside_a_report_json(tmp_path: Path, forms: dict[str, str]) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(demo_dir(), workspace)
    report = tmp_path / "report.json"
    made = run("report", str(workspace), "--as-of", AS_OF, "--format", "json", "-o", str(report))
    assert made.exit_code == 0, made.output
    assert json.loads(report.read_text("utf-8"))["result"]["schema_version"] == "2.0"
    compact = _write(tmp_path / "compact.json", forms["3"])
    result = run("--lang", "en", "diff", str(report), str(compact), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"]["new"] == []
    assert json.loads(result.stdout)["findings"]["resolved"] == []


@pytest.mark.parametrize("schema", ["2", "3"])
def test_report_reads_a_previous_result_of_either_form(tmp_path: Path, schema: str) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(demo_dir(), workspace)
    old = tmp_path / "old.json"
    written = run(
        "audit", str(workspace), "--as-of", "2025-11-28", "--format", "json",
        "--schema", schema, "-o", str(old),
    )  # fmt: skip
    assert written.exit_code == 0, written.output
    result = run(
        "report", str(workspace), "--as-of", AS_OF, "--format", "md", "--previous", str(old)
    )
    assert result.exit_code == 0, result.output
    md = (workspace / "reports" / "2026" / "report-2026-11-28.fr.md").read_text(encoding="utf-8")
    assert "depuis le rapport du 28.11.2025" in md
    # The result report saves beside it for next year is the compact form.
    saved = workspace / "reports" / "2026" / "audit-2026-11-28.json"
    assert json.loads(saved.read_text("utf-8"))["schema_version"] == "3.0"


BROKEN = {
    "unknown control": lambda d: d["findings"][0].update(c="NO-SUCH-CONTROL"),
    "target out of range": lambda d: d["findings"][0].update(t=len(d["targets"])),
    "message out of range": lambda d: d["findings"][0].update(m=[len(d["messages"])]),
    "fact out of range": lambda d: d["findings"][0].update(f=[len(d["facts"])]),
    "negative position": lambda d: d["findings"][0].update(t=-1),
    "full-form key in a row": lambda d: d["findings"][0].update(target_id="x"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_compact_result_is_a_located_error(
    tmp_path: Path, forms: dict[str, str], name: str
) -> None:
    document = json.loads(forms["3"])
    BROKEN[name](document)
    broken = _write(tmp_path / "broken.json", json.dumps(document))
    good = _write(tmp_path / "good.json", forms["3"])
    result = run("--lang", "en", "diff", str(broken), str(good))
    assert result.exit_code == 2
    assert "broken.json" in result.output and "findings.0" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("output_format", ["table", "sarif", "oscal"])
def test_schema_with_another_format_is_a_usage_error(output_format: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "--lang", "en", "audit", "--demo", "--as-of", "2026-11-28", "--format", output_format,
        "--schema", "2", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--schema chooses the version of the JSON result" in result.output
    assert f"(not {output_format})" in result.output
    assert not out.exists()  # nothing written


def test_the_default_schema_needs_no_json_format() -> None:
    result = run("--lang", "en", "audit", "--demo", "--as-of", "2026-11-28", "--top", "1")
    assert result.exit_code == 0, result.output


def test_the_commune_number_from_init_reaches_the_compact_result(tmp_path: Path) -> None:
    """bfs_number names the commune across years in a roll-up: init writes it, the
    compact result carries it, the full form does not."""
    folder = tmp_path / "commune"
    made = run(
        "init",
        str(folder),
        "--commune",
        "Lausanne",
        "--canton",
        "VD",
        "--population",
        "140000",
        "--bfs-number",
        "5586",
    )
    assert made.exit_code == 0, made.output
    assert "bfs_number = 5586" in (folder / "conformite.toml").read_text("utf-8")
    out = tmp_path / "audit.json"
    done = run("audit", str(folder), "--as-of", AS_OF, "--format", "json", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text("utf-8"))["workspace"]["bfs_number"] == 5586
    refused = run(
        "init",
        str(tmp_path / "other"),
        "--commune",
        "X",
        "--canton",
        "VD",
        "--population",
        "10",
        "--bfs-number",
        "10000",
    )
    assert refused.exit_code == 2
    assert "10000" in refused.output
