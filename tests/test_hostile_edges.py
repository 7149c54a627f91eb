"""Edges found by reviewing the hostile-input work: each once gave a traceback or hung."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.profiles.index import ProfileError, verify_index_signature
from conformite.profiles.sync import STALE_AFTER_SECONDS, remove_stale_copies
from conformite.signing import generate_keypair

DEMO = Path(__file__).resolve().parents[1] / "src" / "conformite" / "demo"


def run(*args: str):
    return CliRunner().invoke(cli, ["--lang", "en", *args])


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(DEMO, target)
    return target


def test_an_unsigned_deeply_nested_index_is_refused_not_a_traceback() -> None:
    """The bytes of an index whose signature fails are attacker's bytes: a nested
    document deep enough to exhaust the JSON parser's recursion is still a refusal."""
    keys = generate_keypair()
    with pytest.raises(ProfileError) as refused:
        verify_index_signature(b"[" * 200_000, b"not a signature", keys.public_pem.decode())
    assert refused.value.key.startswith("profiles.")


def test_a_control_character_in_a_name_is_a_located_input_error(ws: Path) -> None:
    vendors = ws / "inventory" / "vendors.yaml"
    text = vendors.read_text(encoding="utf-8")
    first_name = next(line for line in text.splitlines() if line.strip().startswith("name:"))
    indent = first_name.split("name:")[0]
    evil = text.replace(first_name, indent + 'name: "Evil\\x01 SA"', 1)  # YAML escape
    vendors.write_text(evil, encoding="utf-8")
    result = run("validate", str(ws))
    assert result.exit_code == 2, result.output
    assert "vendors.yaml:" in result.output
    assert "U+0001" in result.output


def test_spreadsheet_cells_replace_characters_xlsx_cannot_hold() -> None:
    import io

    import openpyxl
    import xlsxwriter

    from conformite._outputs import SAFE_XLSXWRITER
    from conformite.suppliers.questionnaire_xlsx import _write

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, SAFE_XLSXWRITER)
    sheet = book.add_worksheet()
    for col, value in enumerate(["Evil\x01 SA", "=1", -1]):
        _write(sheet, 0, col, value, None)
    book.close()
    read = openpyxl.load_workbook(buffer).active
    assert [cell.value for cell in read[1]] == ["Evil\ufffd SA", "=1", -1]
    assert read["B1"].data_type == "s"


def test_a_fifo_given_as_a_file_is_refused_at_once(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer comes: never open one."""
    fifo = tmp_path / "vendor.yaml"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "conformite", "--lang", "en", "screen", str(fifo),
         "--use", "payroll", "--data", "identity"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert time.monotonic() - started < 10
    assert result.returncode == 2, result.stderr
    assert "vendor.yaml" in result.stderr and "not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [pytest.param(None, id="a directory"), pytest.param(b"[" * 100_000, id="deeply nested")],
)
def test_a_broken_observation_file_is_a_located_error(ws: Path, content: bytes | None) -> None:
    folder = ws / "observations"
    folder.mkdir(exist_ok=True)
    path = folder / "probe-20991231T000000Z.json"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = run("audit", str(ws), "--as-of", "2026-11-28")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "probe-20991231T000000Z.json" in result.output


def test_copies_left_by_a_killed_sync_are_removed_after_an_hour(tmp_path: Path) -> None:
    base = tmp_path / "assoc"
    base.mkdir()
    in_use = base / "v3-0123abcd"
    in_use.mkdir()
    (base / "current").symlink_to(in_use.name)
    stale = base / "v4-89abcdef"
    (stale / "profiles").mkdir(parents=True)
    fresh = base / "v5-fedcba98"
    fresh.mkdir()
    link = base / ".current-00112233"
    link.symlink_to("nowhere")
    other = base / "notes"
    other.mkdir()
    old = time.time() - STALE_AFTER_SECONDS - 60
    for path in (in_use, stale, other):
        os.utime(path, (old, old))
    os.utime(link, (old, old), follow_symlinks=False)

    removed = remove_stale_copies(base)

    assert removed == [".current-00112233", "v4-89abcdef"]
    assert in_use.is_dir() and fresh.is_dir() and other.is_dir()
    assert not stale.exists() and not link.is_symlink()
    assert (base / "current").resolve() == in_use.resolve()


def _fifo_run(args: list[str]) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "conformite", "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert time.monotonic() - started < 10
    assert "Traceback" not in result.stderr
    return result


def test_a_fifo_as_a_saved_result_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "old.json"
    os.mkfifo(fifo)
    result = _fifo_run(["diff", str(fifo), str(fifo)])
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr


def test_a_fifo_as_a_workbook_is_refused_by_the_safe_reader(tmp_path: Path) -> None:
    """The questionnaire command checks for a file first; the reader itself must not
    block either (a later inventory import will call it directly)."""
    from conformite.errors import InputError
    from conformite.inventory.safe_xlsx import open_workbook

    fifo = tmp_path / "answers.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as refused:
        open_workbook(fifo)
    assert "not a regular file" in refused.value.problems[0].message


def test_a_fifo_as_a_file_to_sign_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert run("keygen", str(key)).exit_code == 0
    fifo = tmp_path / "report.html"
    os.mkfifo(fifo)
    result = _fifo_run(["sign", str(fifo), "--key", str(key)])
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr


def test_a_directory_named_conformite_toml_is_a_located_error(ws: Path) -> None:
    config = ws / "conformite.toml"
    config.unlink()
    config.mkdir()
    result = run("validate", str(ws))
    assert result.exit_code == 2, result.output
    assert "conformite.toml" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_unsigned_meta_file_nested_too_deep_is_ignored_not_a_traceback(tmp_path: Path) -> None:
    """meta.json (ETag, versions) is not signed: whatever its bytes, it is only a hint."""
    from conformite.profiles.sync import _read_meta

    (tmp_path / "meta.json").write_bytes(b"[" * 200_000)
    assert _read_meta(tmp_path) == {}
    (tmp_path / "meta.json").unlink()
    os.mkfifo(tmp_path / "meta.json")
    assert _read_meta(tmp_path) == {}  # a FIFO is refused, not opened
