"""Outputs that cannot be turned against the reader (issue 11).

Formula injection in XLSX and CSV, temporary files that a planted link cannot
redirect, stale temporaries cleaned, ``-o -`` to standard output (binary
formats refused on a terminal) and a closed pipe that is not an error.
Real files, real pipes, a real pseudo-terminal; no mocks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from conformite._outputs import (
    FORMULA_TRIGGERS,
    csv_cell,
    remove_stale_temporaries,
    write_atomically,
)
from conformite.cli import cli
from test_questionnaire import ANSWERS

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "conformite" / "demo"
TESTS = Path(__file__).resolve().parent
CONFORMITE = Path(sys.executable).parent / "conformite"
AS_OF = "2026-11-28"

#: What an attacker who controls a vendor's answers would name things.
HOSTILE = [
    '=HYPERLINK("http://x","click")',
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
#: The names as the inventory keeps them: it strips surrounding whitespace, so
#: the tab and the carriage return reach the outputs only through other paths
#: (the cell helpers are tested with them below).
KEPT = [name.strip() for name in HOSTILE]


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def hostile_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo commune whose first services and vendors carry the names above."""
    target = tmp_path_factory.mktemp("hostile") / "demo"
    shutil.copytree(DEMO, target)
    for file, key in (("services.yaml", "services"), ("vendors.yaml", "vendors")):
        path = target / "inventory" / file
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry, name in zip(data[key], HOSTILE, strict=False):
            entry["name"] = name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    result = run("validate", str(target))
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="module")
def hostile_outputs(hostile_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    ws = str(hostile_workspace)
    for command, fmt in (("report", "xlsx"), ("report", "csv"), ("register", "xlsx"),
                         ("register", "csv")):  # fmt: skip
        args = [command, ws, "--format", fmt, "--as-of", AS_OF, "-o", str(out / f"{command}.{fmt}")]
        result = run(*args, *(["--no-save"] if command == "report" else []))
        assert result.exit_code == 0, result.output
    return out


# -- formula injection ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report.xlsx", "register.xlsx"])
def test_no_cell_of_the_xlsx_is_a_formula_and_names_are_kept_as_text(
    hostile_outputs: Path, name: str
) -> None:
    workbook = load_workbook(hostile_outputs / name)
    values = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.add(cell.value)
    # every hostile service name is there, unchanged, as text (not '-prefixed)
    assert {n for n in KEPT if n in values} == set(KEPT)


def test_the_xlsx_keeps_numbers_as_numbers(hostile_outputs: Path) -> None:
    sheet = load_workbook(hostile_outputs / "report.xlsx")["Plan d'action"]
    costs = [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert costs and all(isinstance(c, int | float) for c in costs)


@pytest.mark.parametrize("name", ["report.csv", "register.csv"])
def test_no_csv_cell_starts_like_a_formula(hostile_outputs: Path, name: str) -> None:
    text = (hostile_outputs / name).read_text(encoding="utf-8-sig")
    cells = [
        cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=";") for cell in row
    ]
    assert cells
    assert [c for c in cells if c.startswith(FORMULA_TRIGGERS)] == []
    assert {"'" + n for n in KEPT} <= set(cells)


def test_the_one_cell_helper_escapes_text_and_keeps_numbers() -> None:
    assert [csv_cell(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert [csv_cell(v) for v in (-1, -2.5, 0, "Commune", "a=b", None)] == [
        -1, -2.5, 0, "Commune", "a=b", None,
    ]  # fmt: skip
    import xlsxwriter

    from conformite._outputs import SAFE_XLSXWRITER
    from conformite.suppliers.questionnaire_xlsx import _write

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, SAFE_XLSXWRITER)
    sheet = book.add_worksheet()
    date = book.add_format({"num_format": "yyyy-mm-dd"})  # as the questionnaire's dates
    for col, value in enumerate([*HOSTILE, "#N/A", -1, -2.5, dt.date(2026, 1, 2)]):
        _write(sheet, 0, col, value, date if isinstance(value, dt.date) else None)
    book.close()
    cells = next(load_workbook(buffer).active.iter_rows())
    # text cells, as written (a carriage return becomes a line break: still text)
    kept = [*HOSTILE[:5], "\n=1", "#N/A"]
    assert [(c.data_type, c.value) for c in cells[:7]] == [("s", v) for v in kept]
    assert [(c.data_type, c.value) for c in cells[7:9]] == [("n", -1), ("n", -2.5)]
    assert cells[9].is_date


# -- temporary files -----------------------------------------------------------------------


def test_a_link_planted_at_the_old_predictable_temporary_name_is_not_followed(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "questionnaire.xlsx"
    # questionnaire export used .NAME.<pid>.tmp, and the pid is easy to guess
    planted = tmp_path / f".{target.name}.{os.getpid()}.tmp"
    planted.symlink_to(victim)
    result = run("questionnaire", "export", "--lang", "fr", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not target.is_symlink()
    assert load_workbook(target).sheetnames[0]
    assert planted.is_symlink()  # a link is never cleaned either: not ours


def test_a_link_planted_at_the_target_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "questionnaire.yaml"
    target.symlink_to(victim)
    result = run("questionnaire", "export", "--format", "yaml", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not target.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("# ")


def test_stale_temporaries_of_the_target_are_removed_fresh_ones_kept(tmp_path: Path) -> None:
    two_hours_ago = time.time() - 7200
    stale = tmp_path / ".report.html.k3j9x_2a.tmp"
    stale_old_pattern = tmp_path / ".report.html.4242.tmp"
    fresh = tmp_path / ".report.html.fr35hw0n.tmp"  # a concurrent write under way
    other_target = tmp_path / ".report.md.k3j9x_2a.tmp"
    not_ours = tmp_path / ".report.html.notes.tmp"
    victim = tmp_path / "victim.txt"
    link = tmp_path / ".report.html.l1nk0000.tmp"
    for path in (stale, stale_old_pattern, fresh, other_target, not_ours, victim):
        path.write_text("x", encoding="utf-8")
    link.symlink_to(victim)
    for path in (stale, stale_old_pattern, other_target, not_ours, victim, link):
        os.utime(path, (two_hours_ago, two_hours_ago), follow_symlinks=False)

    write_atomically(tmp_path / "report.html", "<p>ok</p>")

    assert not stale.exists() and not stale_old_pattern.exists()
    assert fresh.exists() and other_target.exists() and not_ours.exists()
    assert link.is_symlink() and victim.read_text(encoding="utf-8") == "x"
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "<p>ok</p>"
    assert remove_stale_temporaries(tmp_path / "report.html", older_than=0) == [fresh]


def test_the_report_command_cleans_a_killed_writes_leftover(tmp_path: Path) -> None:
    leftover = tmp_path / ".report.html.a1b2c3d4.tmp"
    leftover.write_text("half a report", encoding="utf-8")
    os.utime(leftover, (time.time() - 7200,) * 2)
    out = tmp_path / "report.html"
    result = run("report", "--demo", "--as-of", AS_OF, "--no-save", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert not leftover.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_keygen_goes_through_the_same_exclusive_temporary(tmp_path: Path) -> None:
    leftover = tmp_path / ".k.a1b2c3d4.tmp"
    leftover.write_text("half a key", encoding="utf-8")
    os.utime(leftover, (time.time() - 7200,) * 2)
    assert run("keygen", str(tmp_path / "k")).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k", "k.pub"]


# -- -o - ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["audit", "--demo", "--format", "json"], "{"),
        (["report", "--demo", "--format", "csv", "--no-save"], "\ufeffGravité;"),
        (["report", "--demo", "--format", "md", "--no-save"], "# "),
        (["register", "--demo", "--format", "md"], "# "),
        (["questionnaire", "export", "--format", "yaml"], "# "),
    ],
)
def test_dash_writes_to_standard_output_not_to_a_file_named_dash(
    args: list[str], start: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*args, "--as-of", AS_OF, "-o", "-"] if "--demo" in args
                                else [*args, "-o", "-"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(start)
    assert not (tmp_path / "-").exists()
    assert "-" not in result.stderr.split()  # no "written to -" message


def test_dash_for_diff_sign_and_questionnaire_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("audit", "--demo", "--format", "json", "--as-of", AS_OF, "-o", "a.json")
    assert result.exit_code == 0, result.output
    diff = run("diff", "a.json", "a.json", "--format", "json", "-o", "-")
    assert diff.exit_code == 0 and diff.stdout.startswith("{")
    assert run("keygen", "k").exit_code == 0
    sign = run("sign", "a.json", "--key", "k", "-o", "-")
    assert sign.exit_code == 0, sign.output
    assert re.fullmatch(r"[A-Za-z0-9+/=]{88}\n", sign.stdout)  # the signature alone
    assert run("questionnaire", "export", "--format", "yaml", "-o", "q.yaml").exit_code == 0
    answers = yaml.safe_load(Path("q.yaml").read_text(encoding="utf-8"))
    for question in answers["questions"]:
        question["answer"] = ANSWERS.get(question["field"])
    Path("q.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    imported = run("questionnaire", "import", "q.yaml", "--id", "nuage", "-o", "-")
    assert imported.exit_code == 0, imported.output
    assert yaml.safe_load(imported.stdout)["vendors"][0]["id"] == "nuage"
    assert not Path("-").exists()


def test_dot_slash_dash_is_still_a_file_named_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("questionnaire", "export", "--format", "yaml", "-o", "./-")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (tmp_path / "-").read_text(encoding="utf-8").startswith("# ")


def test_binary_formats_are_written_as_bytes_to_a_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["report", "--demo", "--format", "xlsx", "--as-of", AS_OF, "--no-save", "-o", "-"]
    )
    assert result.exit_code == 0, result.output
    assert load_workbook(io.BytesIO(result.stdout_bytes)).sheetnames[0] == "Résumé"
    piped = subprocess.run(
        [str(CONFORMITE), "questionnaire", "export", "--format", "xlsx", "-o", "-"],
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert load_workbook(io.BytesIO(piped.stdout)).sheetnames
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--demo", "--format", "xlsx", "--no-save", "--lang", "en"],
        ["register", "--demo", "--format", "xlsx", "--lang", "en"],
        ["questionnaire", "export", "--format", "xlsx", "--lang", "en"],
    ],
)
def test_binary_formats_to_a_terminal_are_refused(tmp_path: Path, args: list[str]) -> None:
    main, terminal = pty.openpty()
    try:
        child = subprocess.run(
            [str(CONFORMITE), *args, "-o", "-"],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        shown = b""
        while select.select([main], [], [], 0.2)[0]:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
        os.close(terminal)
    assert child.returncode == 2
    assert "cannot be shown in a terminal" in child.stderr.decode()
    assert b"Traceback" not in child.stderr
    assert shown == b""
    assert not (tmp_path / "-").exists()


# -- a closed pipe -------------------------------------------------------------------------


def _small_pipe() -> tuple[int, int]:
    """A pipe that holds one page, so that the writer meets the closed end for sure."""
    import fcntl

    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    return read_end, write_end


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["audit", "--demo", "--top", "1000"], 0),  # rich's table
        (["audit", "--demo", "--format", "json"], 0),  # one big write
        (["audit", "--demo", "--top", "1000", "--fail-on", "low"], 1),  # the gate still holds
    ],
)
def test_reading_one_line_then_closing_the_pipe_is_not_an_error(args: list[str], code: int) -> None:
    read_end, write_end = _small_pipe()
    child = subprocess.Popen(
        [str(CONFORMITE), *args, "--as-of", AS_OF],
        stdout=write_end,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(write_end)
    line = b""
    while not line.endswith(b"\n"):
        byte = os.read(read_end, 1)
        assert byte, "the command wrote nothing"
        line += byte
    os.close(read_end)
    _, stderr = child.communicate(timeout=60)
    assert line.strip()
    # No error about the closed pipe; a tripped --fail-on says so on standard error.
    expected = b"--fail-on low : " if code == 1 else b""  # the demo speaks French
    assert stderr.startswith(expected) and b"Erreur" not in stderr and b"Traceback" not in stderr
    assert stderr.count(b"\n") == (1 if code == 1 else 0)
    assert child.returncode == code


def test_probe_saves_its_observations_when_standard_output_is_closed(tmp_path: Path) -> None:
    ws = tmp_path / "testdorf"
    result = run("init", str(ws), "--commune", "Testdorf", "--canton", "BE",
                 "--population", "900", "--lang", "en")  # fmt: skip
    assert result.exit_code == 0, result.output
    organisation = ws / "inventory" / "organisation.yaml"
    text = organisation.read_text(encoding="utf-8")
    organisation.write_text(text.replace("mail_domains: []", "mail_domains: [testdorf.ch]"))
    # The real command line in a child process, with DNS answered from a dict (no network).
    launcher = (
        "import sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "from test_probe_support import FakeResolver\n"
        "import conformite.cli.probe as command\n"
        "from conformite.probe import ProbeSettings\n"
        "records = {'testdorf.ch': ['v=spf1 mx -all'],"
        " '_dmarc.testdorf.ch': ['v=DMARC1; p=reject']}\n"
        "command.make_settings = lambda **kw: ProbeSettings(resolver=FakeResolver(records), **kw)\n"
        "from conformite.cli import main\n"
        f"sys.argv = ['conformite', 'probe', {str(ws)!r}, '--timeout', '2', '--deadline', '20']\n"
        "main()\n"
    )
    read_end, write_end = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", launcher],
        stdout=write_end,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(write_end)
    os.close(read_end)  # `| head -0`: the reader is gone before the first line
    _, stderr = child.communicate(timeout=60)
    assert stderr == b""
    assert child.returncode == 0
    saved = list((ws / "observations").glob("probe-*.json"))
    assert len(saved) == 1
    assert '"dmarc_policy": "reject"' in saved[0].read_text(encoding="utf-8")


def test_writing_to_a_device_or_a_pipe_never_replaces_it(tmp_path: Path) -> None:
    """``-o /dev/null`` (or a named pipe) is written to, not replaced by a plain file."""
    import stat as stat_module

    from conformite._outputs import write_atomically

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_atomically(fifo, "hello\n")
        assert os.read(reader, 100) == b"hello\n"
    finally:
        os.close(reader)
    assert stat_module.S_ISFIFO(fifo.stat().st_mode)
    write_atomically(Path(os.devnull), "nothing\n")
    assert stat_module.S_ISCHR(Path(os.devnull).stat().st_mode)
