"""The inventory as a workbook: ``conformite inventory export`` / ``import`` / ``init --from``.

Real workbooks written by the command, edited with openpyxl as a person would
in a spreadsheet, read back by the command; the demo commune's round trip is
checked on the audit's JSON, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conformite._paths import demo_dir
from conformite.cli import cli

AS_OF = "2026-11-28"
SERVICES_XML = "xl/worksheets/sheet7.xml"  # Help, Lists, Organisation, ..., Services


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "inventaire.xlsx"
    code, output = run("inventory", "export", "--demo", "--format", "xlsx", "-o", str(path))
    assert code == 0, output
    return path


@pytest.fixture
def workbook(exported: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "inventaire.xlsx"
    shutil.copy(exported, copy)
    return copy


def column(sheet, key: str) -> int:  # type: ignore[no-untyped-def]
    return [c.value for c in sheet[1]].index(key) + 1


def row_of(sheet, record_id: str) -> int:  # type: ignore[no-untyped-def]
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == record_id)


# --------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------


def test_demo_round_trip_gives_the_same_audit(exported: Path, tmp_path: Path) -> None:
    """Export, import into an empty folder: the audit JSON is byte-identical.

    The probe's saved observations are not inventory (the workbook does not carry
    them): they are copied beside both workspaces, so that everything else, every
    score, finding and waiver, is compared exactly."""
    original = tmp_path / "original"
    shutil.copytree(demo_dir(), original)
    target = tmp_path / "imported"
    code, output = run("inventory", "import", str(exported), str(target))
    assert code == 0, output
    assert sorted(p.name for p in (target / "inventory").iterdir()) == [
        "organisation.yaml",
        "services.yaml",
        "vendors.yaml",
        "waivers.yaml",
    ]
    shutil.copytree(demo_dir() / "observations", target / "observations")
    audits = []
    for folder in (original, target):
        code, output = run("audit", str(folder), "--as-of", AS_OF, "--format", "json")
        assert code in (0, 1), output
        audits.append(output)
    assert audits[0] == audits[1]
    assert '"services": 24' in audits[1]


def test_export_is_deterministic(exported: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    code, output = run("inventory", "export", "--demo", "-o", str(again))
    assert code == 0, output
    assert again.read_bytes() == exported.read_bytes()


def test_cells_are_typed_and_unknown_facts_empty(exported: Path) -> None:
    book = load_workbook(exported)
    vendors = book["Vendors"]
    video = row_of(vendors, "securite-video-romande")
    assert vendors.cell(video, column(vendors, "dpa.signed_on")).value is None  # null: unknown
    assert vendors.cell(video, column(vendors, "audit_rights")).value == "non"  # false: no
    assert vendors.cell(video, column(vendors, "contract_end_on")).value == dt.datetime(2028, 6, 30)
    assert vendors.cell(video, column(vendors, "exit.notice_days")).value == 30
    services = book["Services"]
    tax = row_of(services, "tax-billing")
    assert services.cell(tax, column(services, "security.last_vulnerability_scan_on")).value is None
    assert services.cell(tax, column(services, "dpia.done_on")).value == "never"
    cats = services.cell(tax, column(services, "data_categories")).value
    assert cats == "identity, contact, tax, financial, property"
    assert services.freeze_panes == "B2"
    assert services.auto_filter.ref.startswith("A1:")
    sources = {str(v.formula1) for v in services.data_validations.dataValidation}
    assert any("Lists!" in s for s in sources)
    assert "'Vendors'!$A$2:$A$2000" in sources
    lists = book["Lists"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(r, 1).value for r in (2, 3)] == ["oui", "non"]
    hosting = next(v for v in services.data_validations.dataValidation if "F2" in str(v.sqref))
    letter = re.search(r"\$([A-Z]+)\$2", str(hosting.formula1))[1]  # type: ignore[index]
    values = [c.value for c in lists[letter][1:] if c.value]
    assert values == ["on_premises", "vendor_hosted", "saas"]


def test_help_is_in_the_workspace_language(exported: Path) -> None:
    book = load_workbook(exported)
    services = book["Services"]
    comment = services.cell(1, column(services, "security.mfa.enabled")).comment
    assert comment is not None
    assert comment.text.startswith("si l'authentification multifacteur est activée\noui ou non.")
    assert "Vide : pas connu." in comment.text
    assert book.sheetnames[0] == "Help"
    assert book["Help"]["A1"].value == "Inventaire de la commune"
    organisation = book["Organisation"]
    assert organisation["A1"].value == "Champ"
    assert organisation["A2"].value == "commune.name"
    assert organisation["B2"].value == "Val-d'Arbonne"


# --------------------------------------------------------------------------
# located errors
# --------------------------------------------------------------------------


def test_bad_cells_are_all_reported_at_their_cells(workbook: Path, tmp_path: Path) -> None:
    book = load_workbook(workbook)
    services = book["Services"]
    tax = row_of(services, "tax-billing")
    register = row_of(services, "resident-register")
    library = row_of(services, "library")
    services.cell(tax, column(services, "hosting")).value = "cloud"
    services.cell(register, column(services, "security.last_access_review_on")).value = "31.02.2026"
    services.cell(library, column(services, "vendor")).value = "biblionett"
    services.cell(library, column(services, "name")).value = "=1+1"
    book.save(workbook)
    target = tmp_path / "ws"
    code, output = run("--lang", "en", "inventory", "import", str(workbook), str(target))
    assert code == 2, output
    hosting = f"Services!F{tax} (hosting): value not allowed"
    date = f"Services!S{register} (security.last_access_review_on): not a real date"
    vendor = f"Services!E{library} (vendor): unknown vendor 'biblionett'"
    formula = f"Services!B{library} (name): a formula is not an inventory value"
    for expected in (hosting, date, vendor, formula):
        assert f"{workbook}: {expected}" in output, output
    assert "expected: 'on_premises', 'vendor_hosted' or 'saas'" in output
    assert "hint: did you mean 'biblionet'?" in output
    assert "4 problems" in output
    assert not target.exists()


def test_errors_in_the_readers_language(workbook: Path, tmp_path: Path) -> None:
    book = load_workbook(workbook)
    services = book["Services"]
    services.cell(2, column(services, "security.mfa.enabled")).value = "peut-être"
    book["Endpoints"].cell(2, 1).value = "inconnu"
    book.save(workbook)
    code, output = run("inventory", "import", str(workbook), str(tmp_path / "ws"))
    assert code == 2, output
    assert "Services!X2 (security.mfa.enabled): ni oui ni non" in output
    assert "attendu : oui ou non" in output
    assert (
        "Endpoints!A2 (service): « inconnu » n'est pas un identifiant de la feuille Services"
        in (output)
    )


def test_existing_files_are_kept_without_force(exported: Path, tmp_path: Path) -> None:
    target = tmp_path / "ws"
    assert run("init", "--demo", str(target))[0] == 0
    services = target / "inventory" / "services.yaml"
    before = services.read_bytes()
    code, output = run("--lang", "en", "inventory", "import", str(exported), str(target))
    assert code == 2
    assert "already exists (--force to overwrite it; nothing was written)" in output
    assert services.read_bytes() == before
    code, output = run("--lang", "en", "inventory", "import", str(exported), str(target), "--force")
    assert code == 0, output
    assert services.read_text(encoding="utf-8").startswith("# Written by conformite")
    assert "conformite.toml already exists: kept as it is" in output
    assert run("validate", str(target))[0] == 0


def test_sub_processor_chain_survives(exported: Path, tmp_path: Path) -> None:
    target = tmp_path / "ws"
    assert run("inventory", "import", str(exported), str(target))[0] == 0
    text = (target / "inventory" / "vendors.yaml").read_text(encoding="utf-8")
    # arbonne-it: Nimbus (IN) holds TicketHive (US) as its own sub-processor.
    assert re.search(
        r"name: Nimbus NOC Services Pvt Ltd\n(    .*\n)*?    sub_processors:\n"
        r"    - name: TicketHive Inc\.",
        text,
    ), text


# --------------------------------------------------------------------------
# template
# --------------------------------------------------------------------------


def test_template_imports_to_an_empty_inventory(tmp_path: Path) -> None:
    template = tmp_path / "modele.xlsx"
    code, output = run("--lang", "fr", "inventory", "export", "--template", "-o", str(template))
    assert code == 0, output
    book = load_workbook(template)
    assert [c.value for c in book["Services"][1]][:3] == ["id", "name", "owner"]
    assert book["Services"].max_row == 1
    assert book["Help"]["A1"].value == "Inventaire de la commune"
    # Into a workspace that has its conformite.toml: an empty, valid inventory.
    workspace = tmp_path / "ws"
    code, output = run(
        "init", str(workspace), "--commune", "Grellingen", "--canton", "BL", "--population", "1900"
    )
    assert code == 0, output
    code, output = run("inventory", "import", str(template), str(workspace), "--force")
    assert code == 0, output
    code, output = run("--lang", "en", "validate", str(workspace))
    assert code == 0, output
    assert "0 services, 0 vendors, 0 waivers" in output
    # Into an empty folder: the commune's rows must be filled in first.
    code, output = run("--lang", "en", "inventory", "import", str(template), str(tmp_path / "new"))
    assert code == 2
    assert "Organisation!B2 (commune.name): missing required field 'name'" in output, output
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------
# hostile workbooks
# --------------------------------------------------------------------------


def _rewrite(path: Path, member: str, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, change(data) if name == member else data)


def test_cell_at_xfd1048576_is_refused(workbook: Path, tmp_path: Path) -> None:
    def far(xml: bytes) -> bytes:
        cell = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
        return xml.replace(b"</sheetData>", cell + b"</sheetData>")

    _rewrite(workbook, SERVICES_XML, far)
    start = time.perf_counter()
    code, output = run("--lang", "en", "inventory", "import", str(workbook), str(tmp_path / "ws"))
    assert code == 2
    assert f"{workbook}: Services!XFD1048576:" in output, output
    assert time.perf_counter() - start < 20
    assert not (tmp_path / "ws").exists()


def test_zip_bomb_is_refused(workbook: Path, tmp_path: Path) -> None:
    padding = b" " * (64 * 1024 * 1024)
    _rewrite(
        workbook, SERVICES_XML, lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>")
    )
    assert workbook.stat().st_size < 1024 * 1024
    code, output = run("--lang", "en", "inventory", "import", str(workbook), str(tmp_path / "ws"))
    assert code == 2
    assert f"{workbook}: {SERVICES_XML}:" in output and "zip bomb" in output, output
    assert not (tmp_path / "ws").exists()


# --------------------------------------------------------------------------
# init --from
# --------------------------------------------------------------------------


def test_init_from_a_workbook(exported: Path, tmp_path: Path) -> None:
    target = tmp_path / "ws"
    code, output = run("init", "--from", str(exported), str(target))
    assert code == 0, output
    assert 'name = "Val-d\'Arbonne"' in (target / "conformite.toml").read_text(encoding="utf-8")
    code, output = run("--lang", "en", "validate", str(target))
    assert code == 0, output
    assert "24 services, 12 vendors, 3 waivers" in output
    code, output = run("init", "--from", str(exported), str(target))
    assert code == 2 and "existe déjà" in output, output


def test_init_from_the_template_with_the_commune_given(tmp_path: Path) -> None:
    template = tmp_path / "modele.xlsx"
    assert run("inventory", "export", "--template", "-o", str(template))[0] == 0
    target = tmp_path / "ws"
    code, output = run(
        "init", "--from", str(template), str(target), "--commune", "Grellingen",
        "--canton", "bl", "--population", "1900", "--lang", "de",
    )  # fmt: skip
    assert code == 0, output
    config = (target / "conformite.toml").read_text(encoding="utf-8")
    assert 'canton = "BL"' in config and 'language = "de"' in config
    code, output = run("validate", str(target))
    assert code == 0, output
    assert output.startswith("Arbeitsbereich gültig: 0 Leistungen, 0 Lieferanten"), output


def test_none_is_an_empty_country_list_and_a_chain_needs_its_parent(
    workbook: Path, tmp_path: Path
) -> None:
    book = load_workbook(workbook)
    services = book["Services"]
    register = row_of(services, "resident-register")
    services.cell(register, column(services, "data_location.support_access_from")).value = "none"
    book["Sub-processors"].cell(3, 2).value = "7.1"
    book.save(workbook)
    target = tmp_path / "ws"
    code, output = run("--lang", "en", "inventory", "import", str(workbook), str(target))
    assert code == 2
    assert "Sub-processors!B3 (number): invalid place number" in output, output
    assert "1 problem in the input" in output
    book = load_workbook(workbook)
    book["Sub-processors"].cell(3, 2).value = "2"
    book.save(workbook)
    code, output = run("--lang", "en", "inventory", "import", str(workbook), str(target))
    assert code == 0, output
    text = (target / "inventory" / "services.yaml").read_text(encoding="utf-8")
    assert "    support_access_from: []\n" in text
