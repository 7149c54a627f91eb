"""A large result is written piece by piece, byte for byte what ``to_json`` gives,
and atomically (a failure half-way leaves the target as it was)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite._outputs import write_atomically
from conformite.cli import cli
from conformite.engine import results
from conformite.engine.results import AuditResult
from test_report import golden_results

AS_OF = "2026-11-28"


@pytest.fixture
def written_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Results of any size written without indentation, in pieces of 7 findings
    (a large audit's path, on the demo's few hundred findings)."""
    monkeypatch.setattr(results, "COMPACT_ABOVE", 0)
    monkeypatch.setattr(results, "_CHUNK", 7)


def _with_an_odd_finding(result: AuditResult) -> AuditResult:
    """The result with one finding whose control data differ from its control's
    first finding (the compact form then writes them in its row)."""
    first = result.findings[0]
    twin = next(f for f in result.findings[1:] if f.control_id == first.control_id)
    index = result.findings.index(twin)
    changed = dataclasses.replace(twin, title="Another title", severity="critical")
    findings = [*result.findings[:index], changed, *result.findings[index + 1 :]]
    return result.model_copy(update={"findings": findings})


@pytest.mark.usefixtures("written_in_pieces")
@pytest.mark.parametrize("schema", [3, 2])
def test_the_pieces_make_the_same_text(schema: int) -> None:
    _, current = golden_results("en")
    for result in (current, _with_an_odd_finding(current)):
        pieces = list(result.json_chunks(schema))
        assert len(pieces) > 3
        text = result.to_json(schema)
        assert not text.startswith('{\n  "')  # the unindented form of large results
        assert b"".join(pieces) == text.encode("utf-8")
        assert json.loads(text)["schema_version"] == f"{schema}.0"


@pytest.mark.parametrize("schema", [3, 2])
def test_a_small_result_is_one_indented_piece(schema: int) -> None:
    _, current = golden_results("en")
    pieces = list(current.json_chunks(schema))
    assert pieces == [current.to_json(schema).encode("utf-8")]
    assert pieces[0].startswith(b'{\n  "schema_version"')


@pytest.mark.usefixtures("written_in_pieces")
@pytest.mark.parametrize("schema", ["3", "2"])
def test_the_command_writes_to_a_file_what_it_prints(schema: str, tmp_path: Path) -> None:
    common = ["audit", "--demo", "--as-of", AS_OF, "--format", "json", "--schema", schema]
    printed = CliRunner().invoke(cli, common)
    assert printed.exit_code == 0, printed.output
    out = tmp_path / "audit.json"
    written = CliRunner().invoke(cli, [*common, "-o", str(out)])
    assert written.exit_code == 0, written.output
    assert out.read_text(encoding="utf-8") == printed.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]
    # Standard output gets the same pieces, never joined first (-o - or no -o).
    dashed = CliRunner().invoke(cli, [*common, "-o", "-"])
    assert dashed.exit_code == 0, dashed.output
    assert dashed.stdout == printed.stdout
    assert json.loads(printed.stdout)["schema_version"] == f"{schema}.0"


def test_a_failure_half_way_leaves_the_target_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    target.write_text("previous\n", encoding="utf-8")

    def pieces() -> Iterator[bytes]:
        yield b'{"schema_version":'
        raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError):
        write_atomically(target, pieces())
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]


def test_pieces_are_written_in_order(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomically(target, iter([b"[1,", b"2,", b"3]\n"]))
    assert target.read_bytes() == b"[1,2,3]\n"
