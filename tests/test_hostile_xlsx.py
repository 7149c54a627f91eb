"""Hostile XLSX questionnaires: refused in bounded time and memory, with a located error.

Each test builds its hostile workbook from a real exported questionnaire (filled
in with openpyxl, as a vendor would) by patching the XML inside the zip, or from
``zipfile`` directly, then runs ``conformite questionnaire import`` in a child
process under a 1 GiB address-space limit and a time-out, so that the attacks
that took minutes and gigabytes before the fix fail the test instead of taking
the machine down. The child reports its own peak memory (``ru_maxrss``) and
time; the test checks exit code 2, no traceback, the located message
(``file: sheet!CELL`` or the zip member), and the bounds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conformite.cli import cli

#: Each hostile file is refused within this many seconds (measured in the child,
#: imports excluded) ...
MAX_SECONDS = 5.0
#: ... with a peak resident memory below this (a bare import of the CLI and
#: openpyxl is about 80 MiB, a refused bomb peaked at 255 MiB once on a loaded
#: machine; the attacks reached 1.1 to 3.3 GB).
MAX_RSS_MIB = 400
#: The child may not map more than this: an unbounded read fails fast instead of
#: swapping the machine.
ADDRESS_SPACE = 1024**3
#: Hard stop for the child.
TIMEOUT = 60

VENDOR = "xl/worksheets/sheet1.xml"
SUB_PROCESSORS = "xl/worksheets/sheet2.xml"

CHILD = """
import atexit, json, resource, sys, time
start = time.perf_counter()
def report():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("@@" + json.dumps({"seconds": time.perf_counter() - start, "rss_mib": peak}),
          file=sys.stderr)
from conformite.cli import main
atexit.register(report)
start = time.perf_counter()
sys.argv = ["conformite", *sys.argv[1:]]
main()
"""


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float
    rss_mib: float

    def describe(self) -> str:
        return (
            f"exit {self.returncode}, {self.seconds:.1f} s, {self.rss_mib:.0f} MiB\n{self.output}"
        )


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def import_in_child(path: Path) -> Run:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, "questionnaire", "import", str(path)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer within {TIMEOUT} s")
    stats = {"seconds": float("inf"), "rss_mib": float("inf")}
    lines = []
    for line in done.stderr.splitlines():
        if line.startswith("@@"):
            stats = json.loads(line[2:])
        else:
            lines.append(line)
    return Run(done.returncode, done.stdout + "\n".join(lines), **stats)


def assert_refused(run: Run, *fragments: str) -> None:
    """Exit 2, no traceback, every fragment in the message, within time and memory."""
    assert run.returncode == 2, run.describe()
    assert "Traceback" not in run.output, run.describe()
    for fragment in fragments:
        assert fragment in run.output, f"{fragment!r} missing\n{run.describe()}"
    assert run.seconds < MAX_SECONDS, run.describe()
    assert run.rss_mib < MAX_RSS_MIB, run.describe()


# --------------------------------------------------------------------------
# building workbooks
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A questionnaire exported by conformite and filled in validly with openpyxl."""
    path = tmp_path_factory.mktemp("filled") / "answers.xlsx"
    result = CliRunner().invoke(
        cli, ["questionnaire", "export", "--lang", "en", "--format", "xlsx", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(path)
    sheet = workbook["vendor"]
    answers = {"id": "nuage", "name": "Nuage SA", "country": "CH", "contract_end_on": None}
    answers["contract_end_on"] = dt.date(2029, 12, 31)
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in answers:
            row[2].value = answers[row[0].value]
    subs = workbook["sub_processors"]
    subs.append(["Datacentre Alpin SA", "CH", "Hosting", "no", None])
    workbook.save(path)
    return path


@pytest.fixture
def workbook(filled: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "answers.xlsx"
    shutil.copy(filled, copy)
    return copy


def rewrite(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one member of the zip at ``path`` (deflated), the others as they are."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    assert member in [info.filename for info, _ in members], member
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info.filename, change(data) if info.filename == member else data)


def add_rows(rows_xml: str) -> Callable[[bytes], bytes]:
    """Append raw ``<row>`` elements at the end of a sheet's data."""

    def change(xml: bytes) -> bytes:
        assert b"</sheetData>" in xml
        return xml.replace(b"</sheetData>", rows_xml.encode() + b"</sheetData>")

    return change


def patch_headers(path: Path, member: str, local: int, central: int, value: bytes) -> None:
    """Overwrite bytes at offset ``local`` of ``member``'s local header and ``central``
    of its central-directory entry (the two places a zip reader looks)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        start = archive.getinfo(member).header_offset
    assert data[start : start + 4] == b"PK\x03\x04"
    data[start + local : start + local + len(value)] = value
    entry = data.find(b"PK\x01\x02")
    found = False
    while entry != -1:
        name_length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        if data[entry + 46 : entry + 46 + name_length] == member.encode():
            data[entry + central : entry + central + len(value)] = value
            found = True
        entry = data.find(b"PK\x01\x02", entry + 4)
    assert found, member
    path.write_bytes(bytes(data))


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def test_the_filled_workbook_imports(workbook: Path) -> None:
    """The baseline every hostile variant starts from is accepted."""
    run = import_in_child(workbook)
    assert run.returncode == 0, run.describe()
    assert "name: Nuage SA" in run.output
    assert run.seconds < MAX_SECONDS and run.rss_mib < MAX_RSS_MIB, run.describe()


# --------------------------------------------------------------------------
# far cells and many rows
# --------------------------------------------------------------------------


def test_cell_at_xfd1048576_is_refused_without_building_the_grid(workbook: Path) -> None:
    """Before: 3.3 GB after 120 s (openpyxl built the declared 16384 x 1048576 grid)."""

    def change(xml: bytes) -> bytes:
        xml = add_rows(row(1048576, cell("XFD1048576", "x")))(xml)
        xml, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
        assert count == 1
        return xml

    rewrite(workbook, VENDOR, change)
    assert_refused(import_in_child(workbook), f"{workbook}: vendor!XFD1048576:")


def test_far_column_in_an_answer_row_is_refused(workbook: Path) -> None:
    rewrite(workbook, VENDOR, add_rows(row(30, cell("A30", "note"), cell("XFD30", "x"))))
    assert_refused(
        import_in_child(workbook), "vendor!XFD30:", "outside the expected cells (columns A-F)"
    )


def test_cell_at_a1048576_in_sub_processors_is_refused(workbook: Path) -> None:
    """Before: 46 s and 1.15 GB."""
    rewrite(workbook, SUB_PROCESSORS, add_rows(row(1048576, cell("A1048576", "Far SA"))))
    assert_refused(import_in_child(workbook), "sub_processors!A1048576:", "more than 1,000 rows")


def test_rows_beyond_the_limit_are_refused(workbook: Path) -> None:
    rows = "".join(
        row(n, cell(f"A{n}", f"Sub {n}"), cell(f"B{n}", "CH"), cell(f"C{n}", "Hosting"))
        for n in range(3, 5_000)
    )
    rewrite(workbook, SUB_PROCESSORS, add_rows(rows))
    assert_refused(import_in_child(workbook), "sub_processors!A1002:", "more than 1,000 rows")


def test_300000_rows_are_refused_before_parsing(workbook: Path) -> None:
    """Before: accepted after 70 s. Now the file's size alone refuses it."""
    rows = "".join(
        row(n, cell(f"A{n}", f"Sub {n}"), cell(f"B{n}", "CH"), cell(f"C{n}", "Hosting"))
        for n in range(3, 300_003)
    )
    rewrite(workbook, SUB_PROCESSORS, add_rows(rows))
    assert workbook.stat().st_size > 2 * 1024 * 1024
    assert_refused(import_in_child(workbook), f"{workbook}: file is", "MiB limit")


def test_overlong_cell_text_is_refused(workbook: Path) -> None:
    rewrite(workbook, VENDOR, add_rows(row(30, cell("E30", "x" * 6_000))))
    assert_refused(import_in_child(workbook), "vendor!E30:", "6,000 characters")


# --------------------------------------------------------------------------
# zip bombs and other containers
# --------------------------------------------------------------------------


def test_whitespace_zip_bomb_is_refused_from_its_declared_size(workbook: Path) -> None:
    """Before: a 1 MB zip of 1 GB whitespace was accepted (1.1 GB of memory).

    The same bomb with 64 MiB (same structure, a fraction of the test's time).
    """
    padding = b" " * (64 * 1024 * 1024)
    rewrite(workbook, VENDOR, lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>"))
    assert workbook.stat().st_size < 1024 * 1024
    assert_refused(import_in_child(workbook), f"{VENDOR}:", "zip bomb")


def test_highly_compressed_member_is_refused_by_ratio(workbook: Path) -> None:
    padding = b" " * (4 * 1024 * 1024)  # within the size limits, but 1,000:1
    rewrite(workbook, VENDOR, lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>"))
    assert_refused(import_in_child(workbook), f"{VENDOR}:", "compressed", "times")


def test_member_larger_than_declared_is_refused(workbook: Path) -> None:
    """A zip whose headers understate a member's size (the declared size may lie)."""
    padding = b" " * (6 * 1024 * 1024)
    rewrite(workbook, VENDOR, lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>"))
    # Uncompressed size: offset 22 in the local header, 24 in the central directory.
    patch_headers(workbook, VENDOR, 22, 24, (100_000).to_bytes(4, "little"))
    with zipfile.ZipFile(workbook) as archive:
        assert archive.getinfo(VENDOR).file_size == 100_000
    assert_refused(import_in_child(workbook), f"{VENDOR}:", "damaged zip member")


def test_xml_entity_bomb_is_refused(workbook: Path) -> None:
    entities = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    bomb = (entities + "]>").encode()

    def change(xml: bytes) -> bytes:
        head, declaration, body = xml.partition(b"?>")
        if not declaration:  # no XML declaration: the DTD goes first
            head, body = b"", xml
        else:
            head += declaration
        return head + bomb + body.replace(b"<t>Nuage SA</t>", b"<t>&i;</t>")

    rewrite(workbook, VENDOR, change)
    assert_refused(import_in_child(workbook), f"{VENDOR}:", "DTD")


def test_too_large_file_is_refused(workbook: Path) -> None:
    import os

    with zipfile.ZipFile(workbook, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/image1.png", os.urandom(3 * 1024 * 1024))
    assert_refused(import_in_child(workbook), str(workbook), "MiB limit")


def test_too_many_members_are_refused(workbook: Path) -> None:
    with zipfile.ZipFile(workbook, "a", zipfile.ZIP_DEFLATED) as archive:
        for n in range(200):
            archive.writestr(f"customXml/item{n}.xml", b"<a/>")
        count = len(archive.infolist())
    assert_refused(import_in_child(workbook), f"holds {count} files")


def test_encrypted_zip_member_is_refused(workbook: Path) -> None:
    # General-purpose flag bit 0 (encrypted): offset 6 locally, 8 in the central directory.
    patch_headers(workbook, VENDOR, 6, 8, (1).to_bytes(2, "little"))
    assert_refused(import_in_child(workbook), f"{VENDOR}:", "encrypted")


def test_password_protected_workbook_is_refused(tmp_path: Path) -> None:
    """An encrypted XLSX is an OLE compound file, not a zip."""
    path = tmp_path / "answers.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    assert_refused(import_in_child(path), str(path), "password-protected")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"name,country\nNuage,CH\n", id="csv"),
        pytest.param(b"PK\x03\x04" + bytes(100), id="truncated-zip"),
        pytest.param(b"", id="empty"),
    ],
)
def test_non_zip_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "answers.xlsx"
    path.write_bytes(content)
    assert_refused(import_in_child(path), str(path), "XLSX workbook")


def test_deflate64_member_is_refused(workbook: Path) -> None:
    # Compression method 9 (deflate64): offset 8 locally, 10 in the central directory.
    patch_headers(workbook, VENDOR, 8, 10, (9).to_bytes(2, "little"))
    assert_refused(import_in_child(workbook), f"{VENDOR}:", "compression method")


# --------------------------------------------------------------------------
# duplicates: an error naming both places
# --------------------------------------------------------------------------


def test_repeated_id_row_names_both_cells(workbook: Path) -> None:
    """Before: the last 'id' row silently won."""
    rewrite(workbook, VENDOR, add_rows(row(30, cell("A30", "id"), cell("C30", "autre"))))
    assert_refused(
        import_in_child(workbook),
        "vendor!A30:",
        "the field 'id' is answered twice: vendor!A2 and vendor!A30",
    )


def test_repeated_field_row_names_both_cells(workbook: Path) -> None:
    rewrite(workbook, VENDOR, add_rows(row(31, cell("A31", "country"), cell("C31", "US"))))
    assert_refused(
        import_in_child(workbook), "the field 'country' is answered twice: vendor!A4 and vendor!A31"
    )


def test_repeated_sub_processor_names_both_cells(workbook: Path) -> None:
    rewrite(
        workbook,
        SUB_PROCESSORS,
        add_rows(row(3, cell("A3", "Datacentre Alpin SA"), cell("B3", "US"), cell("C3", "Backup"))),
    )
    assert_refused(
        import_in_child(workbook),
        "sub_processors!A3 (name):",
        "'Datacentre Alpin SA' is listed twice: sub_processors!A2 and sub_processors!A3",
    )


def test_repeated_field_in_yaml_answers_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "questions:\n"
        "- field: name\n"
        "  answer: Nuage SA\n"
        "- field: country\n"
        "  answer: CH\n"
        "- field: name\n"
        "  answer: Autre SA\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["questionnaire", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:6:3: questions[2].field:" in result.output, result.output
    assert "answered twice: questions[0].answer (line 3) and questions[2] (line 6)" in (
        result.output
    )


def test_openpyxl_parses_with_defusedxml() -> None:
    """defusedxml (a dependency) makes openpyxl refuse DTDs in every XML it parses."""
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_a_chartsheet_where_a_table_is_expected_is_located(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "vendor"
    sheet.append(["field", "question", "answer"])
    sheet.append(["name", "", "Nuage SA"])
    sheet.append(["country", "", "CH"])
    book.create_chartsheet("sub_processors").add_chart(BarChart())
    path = tmp_path / "answers.xlsx"
    book.save(path)
    result = CliRunner().invoke(cli, ["questionnaire", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}: sub_processors: not a readable XLSX workbook" in result.output


def test_a_utf16_member_cannot_hide_a_dtd(workbook: Path) -> None:
    """The DTD check reads bytes: a member re-encoded in UTF-16 would hide its markup."""

    def change(xml: bytes) -> bytes:
        text = xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        return b"\xff\xfe" + text.encode("utf-16-le")

    rewrite(workbook, VENDOR, change)
    assert_refused(import_in_child(workbook), f"{VENDOR}:", "not in UTF-8")
