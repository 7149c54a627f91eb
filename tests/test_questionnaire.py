"""Vendor questionnaires: export, fill, import, screen (real files, CliRunner)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from conformite.cli import cli
from conformite.inventory.model import VendorsFile
from conformite.suppliers.questionnaire import QUESTIONS, TABLES

AS_OF = "2026-11-28"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def export_xlsx(tmp_path: Path, lang: str = "fr") -> Path:
    path = tmp_path / f"questionnaire-{lang}.xlsx"
    result = run("questionnaire", "export", "--lang", lang, "--format", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.output
    return path


ANSWERS: dict[str, object] = {
    "name": "Nuage Suisse SA",
    "country": "CH",
    "parent.name": "Nuage Holding AG",
    "parent.country": "DE",
    "dpa.signed_on": dt.date(2026, 3, 1),
    "dpa.security_measures_documented": "oui",
    "dpa.sub_processor_approval": "general",
    "dpf.certified": "non",
    "fdpic_clauses": "oui",
    "breach_notification_hours": 24,
    "audit_rights": "oui",
    "exit.data_return_format": "CSV",
    "exit.deletion_confirmation": "oui",
    "exit.notice_days": 180,
    "contract_end_on": dt.date(2029, 12, 31),
    "data_location.stored_in": "CH",
    "data_location.processed_in": "CH, DE",
    "data_location.support_access_from": "CH",
}


def fill(path: Path, answers: dict[str, object], subs: list, certs: list) -> None:  # type: ignore[type-arg]
    workbook = load_workbook(path)
    sheet = workbook["vendor"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in answers:
            row[2].value = answers[row[0].value]
    for table, rows in (("sub_processors", subs), ("certifications", certs)):
        ws = workbook[table]
        for r, values in enumerate(rows, start=2):
            for c, value in enumerate(values, start=1):
                ws.cell(row=r, column=c, value=value)
    workbook.save(path)


def test_export_yaml_has_every_question_in_the_language() -> None:
    result = run("questionnaire", "export", "--lang", "de", "--format", "yaml")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.output)
    assert [q["field"] for q in data["questions"]] == [q.field for q in QUESTIONS]
    by_field = {q["field"]: q for q in data["questions"]}
    assert by_field["dpa.signed_on"]["question"].startswith("Datum")
    assert by_field["audit_rights"]["allowed"] == ["ja", "nein"]
    assert "iso27001" in data["certifications"]["columns"][0]["allowed"]
    assert all(q["help"] for q in data["questions"])
    assert set(TABLES) <= set(data)


def test_export_xlsx_layout(tmp_path: Path) -> None:
    workbook = load_workbook(export_xlsx(tmp_path, "it"))
    assert workbook.sheetnames == ["vendor", "sub_processors", "certifications"]
    sheet = workbook["vendor"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == [
        "Campo",
        "Domanda (* obbligatoria)",
        "Risposta",
        "Risposte possibili",
        "Aiuto",
    ]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {q.field for q in QUESTIONS}
    assert rows["dpa.signed_on"][2].number_format == "yyyy-mm-dd"
    assert rows["audit_rights"][4].value  # help text
    validations = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    yes_no = validations[rows["audit_rights"][2].coordinate]
    assert yes_no.type == "list" and yes_no.formula1 == '"sì,no"'
    assert validations[rows["dpa.signed_on"][2].coordinate].type == "date"
    assert validations[rows["breach_notification_hours"][2].coordinate].type == "whole"
    certs = workbook["certifications"]
    assert certs.freeze_panes == "A2"
    cert_lists = [dv for dv in certs.data_validations.dataValidation if dv.type == "list"]
    assert cert_lists and "iso27001" in cert_lists[0].formula1


def test_xlsx_to_stdout_is_refused() -> None:
    result = run("questionnaire", "export", "--format", "xlsx")
    assert result.exit_code == 2
    assert "-o" in result.output


def test_round_trip_xlsx_export_fill_import_screen(tmp_path: Path) -> None:
    path = export_xlsx(tmp_path)
    fill(
        path,
        ANSWERS,
        subs=[
            ["Datacentre Alpin SA", "CH", "Hébergement", "non", None],
            ["Sauvegardes Rhénanes GmbH", "DE", "Sauvegardes", "non", "Datacentre Alpin SA"],
        ],
        certs=[["iso27001", "Plateforme", dt.date(2028, 6, 30)]],
    )
    out = tmp_path / "nuage.yaml"
    result = run("questionnaire", "import", str(path), "--id", "nuage", "-o", str(out))
    assert result.exit_code == 0, result.output
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    vendors = VendorsFile.model_validate({"vendors": written["vendors"]}).vendors
    vendor = vendors[0]
    assert vendor.id == "nuage"
    assert vendor.dpa.signed_on == dt.date(2026, 3, 1)
    assert vendor.dpa.security_measures_documented is True
    assert vendor.fdpic_clauses and vendor.audit_rights
    assert vendor.breach_notification_hours == 24
    assert vendor.parent is not None and vendor.parent.country == "DE"
    assert vendor.certifications[0].valid_until == dt.date(2028, 6, 30)
    assert [s.name for s in vendor.sub_processors] == ["Datacentre Alpin SA"]
    assert vendor.sub_processors[0].sub_processors[0].country == "DE"
    assert written["data_location"]["processed_in"] == ["CH", "DE"]
    # The commune has not approved the sub-processors yet: a clause, not a blocker.
    screened = run(
        "screen",
        str(out),
        "--use",
        "Guichet virtuel",
        "--data",
        "identity,contact",
        "--canton",
        "VD",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert screened.exit_code == 3, screened.output
    assert '"SUP-SUBPROC-APPROVAL"' in screened.output


def test_round_trip_yaml(tmp_path: Path) -> None:
    exported = run("questionnaire", "export", "--lang", "en", "--format", "yaml")
    data = yaml.safe_load(exported.output)
    answers = {**ANSWERS, "dpa.security_measures_documented": "yes", "audit_rights": True}
    for question in data["questions"]:
        question["answer"] = answers.get(question["field"])
    data["certifications"]["rows"] = [{"standard": "bsi_c5", "valid_until": "2027-12-31"}]
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("questionnaire", "import", str(path))
    assert result.exit_code == 0, result.output
    written = yaml.safe_load(result.output)
    vendor = VendorsFile.model_validate({"vendors": written["vendors"]}).vendors[0]
    assert vendor.id == "nuage-suisse-sa"  # from the name
    assert vendor.certifications[0].standard == "bsi_c5"
    assert vendor.audit_rights is True


def test_import_reports_every_wrong_cell(tmp_path: Path) -> None:
    path = export_xlsx(tmp_path)
    answers = {
        **ANSWERS,
        "dpa.signed_on": "le 3 mars",
        "audit_rights": "peut-être",
        "parent.country": "Allemagne",
        "breach_notification_hours": -4,
        "name": None,
    }
    fill(path, answers, subs=[["Sans pays", None, "Support", None, "Inconnu"]], certs=[["iso9001"]])
    result = run("questionnaire", "import", str(path), "--lang", "fr")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    rows = {q.field: i for i, q in enumerate(QUESTIONS, start=2)}
    for field in ("dpa.signed_on", "audit_rights", "parent.country", "name"):
        assert f"vendor!C{rows[field]} ({field})" in result.output, field
    assert "réponse non valable" in result.output  # the workspace's language, message included
    assert "attendu : date AAAA-MM-JJ" in result.output
    assert "trouvé : 'le 3 mars'" in result.output
    assert "attendu : oui / non" in result.output
    assert "sub_processors!B2 (country)" in result.output
    assert "sub_processors!E2 (under)" in result.output
    assert "certifications!A2 (standard)" in result.output
    assert f"vendor!C{rows['breach_notification_hours']}" in result.output


@pytest.mark.parametrize("name", ["not-a-workbook.xlsx", "answers.txt", "missing.yaml"])
def test_import_of_unusable_files_exits_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name != "missing.yaml":
        path.write_text("hello", encoding="utf-8")
    result = run("questionnaire", "import", str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_import_yaml_errors_are_located(tmp_path: Path) -> None:
    exported = run("questionnaire", "export", "--format", "yaml")
    data = yaml.safe_load(exported.output)
    for question in data["questions"]:
        question["answer"] = {"name": "X", "country": "CH", "contract_end_on": "tomorrow"}.get(
            question["field"]
        )
    data["sub_processors"]["rows"] = [{"name": "A", "country": "CH", "purpos": "typo"}]
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run("questionnaire", "import", str(path))
    assert result.exit_code == 2, result.output
    index = [q.field for q in QUESTIONS].index("contract_end_on")
    assert f"questions[{index}].answer (contract_end_on)" in result.output
    assert f"{path}:" in result.output  # with a line number
    assert "unknown column 'purpos'" in result.output
    assert "did you mean 'purpose'?" in result.output


# --------------------------------------------------------------------------
# One vendor of the workspace: known facts pre-filled, unknown ones open
# --------------------------------------------------------------------------

#: The facts vendors.yaml of the demo leaves unknown for arbonne-it, among the
#: questions (written out by hand from the file, not computed).
ARBONNE_OPEN = [  # a Swiss vendor: the DPF (US) and PIPEDA (Canada) questions are not open
    "dpa.sub_processor_approval",
    "fdpic_clauses",
    "breach_notification_hours",
    "exit.data_return_format",
    "data_location.stored_in",
    "data_location.processed_in",
    "data_location.support_access_from",
]
HIGHLIGHT = "FFFFF2CC"


def demo_entry(vendor_id: str, directory: Path | None = None) -> dict:  # type: ignore[type-arg]
    """The vendor's item as vendors.yaml writes it."""
    from conformite._paths import demo_dir

    folder = directory or demo_dir()
    raw = yaml.safe_load((folder / "inventory" / "vendors.yaml").read_text(encoding="utf-8"))
    return next(v for v in raw["vendors"] if v["id"] == vendor_id)


def copy_demo(tmp_path: Path, change: dict[str, dict]) -> Path:  # type: ignore[type-arg]
    """A copy of the demo workspace, some vendors' keys replaced."""
    import shutil

    from conformite._paths import demo_dir

    folder = tmp_path / "commune"
    shutil.copytree(demo_dir(), folder)
    path = folder / "inventory" / "vendors.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for vendor in raw["vendors"]:
        vendor.update(change.get(vendor["id"], {}))
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def export_vendor(tmp_path: Path, vendor_id: str, *extra: str, fmt: str = "xlsx") -> Path:
    path = tmp_path / f"{vendor_id}.{fmt}"
    args = ("questionnaire", "export", "--vendor", vendor_id, "--format", fmt, "-o", str(path))
    result = run(*args, *(extra or ("--demo",)))
    assert result.exit_code == 0, result.output
    return path


def import_vendor(path: Path, *extra: str):  # type: ignore[no-untyped-def]
    """The vendor entry ``questionnaire import`` writes, as a model."""
    from conformite.inventory.model import Vendor

    result = run("questionnaire", "import", str(path), *(extra or ("--demo",)))
    assert result.exit_code == 0, result.output
    written = yaml.safe_load(result.stdout)
    assert list(written) == ["vendors"]  # data_location is the vendor's, inside the entry
    return Vendor.model_validate(written["vendors"][0])


def main_rows(path: Path) -> list[tuple]:  # type: ignore[type-arg]
    sheet = load_workbook(path)["vendor"]
    return [tuple(c for c in row) for row in sheet.iter_rows(min_row=2)]


def test_vendor_questionnaire_prefills_what_the_inventory_knows(tmp_path: Path) -> None:
    path = export_vendor(tmp_path, "arbonne-it")  # the demo's language: fr
    rows = {row[0].value: row for row in main_rows(path)}
    answer = {field: row[2].value for field, row in rows.items()}
    assert answer["name"] == "Arbonne Informatique Services Sàrl"
    assert answer["country"] == "CH"
    assert answer["contact"] == "hotline@arbonne-informatique.example.ch"
    assert answer["dpa.signed_on"] == dt.datetime(2019, 5, 20)
    assert rows["dpa.signed_on"][2].number_format == "yyyy-mm-dd"
    assert answer["dpa.security_measures_documented"] == "non"
    assert answer["audit_rights"] == "non"
    assert answer["exit.notice_days"] == 90
    assert answer["contract_end_on"] == dt.datetime(2027, 3, 31)
    assert answer["id"] == "arbonne-it"
    assert rows["id"][5].value == "référence de la commune, à laisser tel quel"
    assert answer["parent.name"] is None and rows["parent.name"][5].value == "si applicable"
    workbook = load_workbook(path)
    subs = [[c.value for c in row] for row in workbook["sub_processors"].iter_rows(min_row=2)]
    assert [row[:5] for row in subs if any(row)] == [
        ["Coffre-Fort Numérique SA", "CH", "Stockage externalisé des copies de sauvegarde",
         None, None],
        ["Datacentre Alpin SA", "CH", "Colocation des serveurs de stockage", None,
         "Coffre-Fort Numérique SA"],
        ["Nimbus NOC Services Pvt Ltd", "IN", "Supervision du pare-feu 24 h/24 et support à "
         "distance hors des heures ouvrables", None, None],
        ["TicketHive Inc.", "US", "Outil de gestion des tickets (contient des extraits de "
         "journaux et des captures d'écran)", "non", "Nimbus NOC Services Pvt Ltd"],
    ]  # fmt: skip
    # dpf_certified is unknown for the first three, but they are not US companies:
    # blank and not asked (not highlighted); the US one answered it.
    dpf = [workbook["sub_processors"].cell(row=r, column=4).fill.fgColor.rgb for r in (2, 5)]
    assert dpf == ["00000000", "00000000"]
    certs = export_vendor(tmp_path, "altocumulus")
    cert_rows = list(load_workbook(certs)["certifications"].iter_rows(min_row=2, max_row=5))
    assert [r[0].value for r in cert_rows] == ["iso27001", "iso27018", "soc2_type2", "bsi_c5"]
    assert cert_rows[0][2].value == dt.datetime(2027, 10, 31)
    assert [r[2].fill.fgColor.rgb for r in cert_rows] == ["00000000"] * 2 + [HIGHLIGHT] + [
        "00000000"
    ]  # soc2_type2 has no validity date


def test_open_questions_are_exactly_the_unknown_facts_and_come_first(tmp_path: Path) -> None:
    rows = main_rows(export_vendor(tmp_path, "arbonne-it", "--demo", "--lang", "en"))
    fields = [row[0].value for row in rows]
    assert fields[: len(ARBONNE_OPEN)] == ARBONNE_OPEN
    assert sorted(fields) == sorted(q.field for q in QUESTIONS)
    assert fields[-1] == "id"
    opened = [row[0].value for row in rows if row[5].value == "TO ANSWER"]
    highlighted = [row[0].value for row in rows if row[2].fill.fgColor.rgb == HIGHLIGHT]
    blank = {row[0].value for row in rows if row[2].value is None}
    assert opened == highlighted == ARBONNE_OPEN
    assert set(ARBONNE_OPEN) <= blank
    assert blank - set(ARBONNE_OPEN) == {
        "parent.name",
        "parent.country",
        "portal_url",
        "dpf.certified",  # unknown, but only a US organisation can answer it
        "dpf.valid_until",
        "canada_pipeda",  # likewise, a Canadian one
    }
    assert {row[5].value for row in rows[len(ARBONNE_OPEN) :]} == {
        "to confirm",
        "if any",
        "the commune's reference, keep as is",
    }
    exported = run("questionnaire", "export", "--vendor", "arbonne-it", "--demo", "--format",
                   "yaml")  # fmt: skip
    assert exported.exit_code == 0, exported.output
    data = yaml.safe_load(exported.stdout)
    assert data["vendor"] == "arbonne-it" and data["open_questions"] == len(ARBONNE_OPEN)
    assert [q["field"] for q in data["questions"] if q["open"]] == ARBONNE_OPEN
    assert all(q["answer"] is None for q in data["questions"] if q["open"])
    by_field = {q["field"]: q for q in data["questions"]}
    assert by_field["audit_rights"]["answer"] == "non" and not by_field["audit_rights"]["open"]
    assert by_field["dpa.signed_on"]["answer"] == dt.date(2019, 5, 20)
    assert "open" not in data["sub_processors"]["rows"][0]  # a Swiss sub-processor
    assert "open" not in data["sub_processors"]["rows"][3]


def test_round_trip_xlsx_gives_the_inventory_entry_plus_the_answers(tmp_path: Path) -> None:
    from conformite.inventory.model import Vendor

    path = export_vendor(tmp_path, "logiciels-lemaniques")
    fill(
        path,
        {
            "breach_notification_hours": 48,  # open, answered
            "data_location.stored_in": "CH",  # open, answered
            "exit.notice_days": 120,  # pre-filled 90, changed by the vendor
        },
        subs=[["Datacentre Alpin SA", "CH", "Hébergement", "non", None]],
        certs=[],
    )
    vendor = import_vendor(path)
    expected = demo_entry("logiciels-lemaniques")
    expected["breach_notification_hours"] = 48
    expected["data_location"] = {"stored_in": ["CH"]}
    expected["exit"]["notice_days"] = 120
    expected["sub_processors"] = [
        {"name": "Datacentre Alpin SA", "country": "CH", "purpose": "Hébergement",
         "dpf_certified": False}
    ]  # fmt: skip
    assert vendor == Vendor.model_validate(expected)
    # Left blank: still unknown, never turned into "no" or 0.
    assert vendor.fdpic_clauses is None and vendor.dpf.certified is None
    assert vendor.data_location.processed_in is None
    assert vendor.last_review_on == dt.date(2023, 3, 8)  # the commune's own fact, kept


def test_round_trip_yaml_keeps_what_only_the_commune_knows(tmp_path: Path) -> None:
    from conformite.inventory.model import Vendor

    path = export_vendor(tmp_path, "arbonne-it", "--demo", "--lang", "de", fmt="yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    answers = {"fdpic_clauses": "ja", "data_location.processed_in": "CH, IN", "country": "LI"}
    for question in data["questions"]:
        if question["field"] in answers:
            question["answer"] = answers[question["field"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    vendor = import_vendor(path, "--demo", "--lang", "de")
    expected = demo_entry("arbonne-it")
    expected.update(fdpic_clauses=True, country="LI", data_location={"processed_in": ["CH", "IN"]})
    assert vendor == Vendor.model_validate(expected)
    assert [s.approved for s in vendor.sub_processors] == [True, False]  # not asked, kept


def test_every_demo_vendor_round_trips_unchanged(tmp_path: Path) -> None:
    from conformite.inventory.model import Vendor, VendorsFile

    raw = yaml.safe_load(
        (Path(__file__).parents[1] / "src/conformite/demo/inventory/vendors.yaml").read_text(
            encoding="utf-8"
        )
    )
    for entry in raw["vendors"]:
        for fmt in ("xlsx", "yaml"):
            path = export_vendor(tmp_path, entry["id"], "--demo", "--lang", "it", fmt=fmt)
            assert import_vendor(path) == Vendor.model_validate(entry), (entry["id"], fmt)
    assert len(VendorsFile.model_validate(raw).vendors) == 12


@pytest.mark.parametrize(("lang", "word"), [("en", "never"), ("fr", "jamais")])
def test_never_is_shown_in_the_language_and_read_back(tmp_path: Path, lang: str, word: str) -> None:
    folder = copy_demo(tmp_path, {"roomly": {"dpa": {"signed_on": "never"}}})
    path = export_vendor(tmp_path, "roomly", "--workspace", str(folder), "--lang", lang)
    rows = {row[0].value: row for row in main_rows(path)}
    assert rows["dpa.signed_on"][2].value == word
    assert rows["dpa.signed_on"][5].value != "TO ANSWER"  # never is a fact, not an unknown
    assert import_vendor(path, "--workspace", str(folder)).dpa.signed_on == "never"


@pytest.mark.parametrize("word", ["never", "jamais", "Nie", "mai"])
def test_an_open_event_date_may_be_answered_never_in_any_language(
    tmp_path: Path, word: str
) -> None:
    path = export_vendor(tmp_path, "formbridge")
    fill(path, {"dpa.signed_on": word}, subs=[], certs=[])
    vendor = import_vendor(path)
    assert vendor.dpa.signed_on == "never"


def test_never_is_refused_for_a_date_that_is_not_an_event(tmp_path: Path) -> None:
    path = export_vendor(tmp_path, "formbridge")
    fill(path, {"contract_end_on": "jamais"}, subs=[], certs=[])
    result = run("questionnaire", "import", str(path), "--demo")
    assert result.exit_code == 2, result.output
    assert "(contract_end_on)" in result.output and "trouvé : 'jamais'" in result.output


def test_unknown_vendor_exits_2_with_a_suggestion_in_the_language() -> None:
    result = run("questionnaire", "export", "--vendor", "arbone-it", "--demo", "--format", "yaml")
    assert result.exit_code == 2
    assert "Erreur :" in result.output
    assert "inventory/vendors.yaml : aucun fournisseur « arbone-it »" in result.output
    assert "vouliez-vous dire 'arbonne-it' ?" in result.output
    result = run("questionnaire", "export", "--vendor", "zzz", "--demo", "--lang", "de")
    assert result.exit_code == 2
    assert "kein Lieferant «zzz»" in result.output and "roomly" in result.output


def test_import_into_the_workspace_needs_a_vendor_it_has(tmp_path: Path) -> None:
    path = export_vendor(tmp_path, "formbridge", fmt="yaml")
    result = run("questionnaire", "import", str(path), "--demo", "--id", "formbrige")
    assert result.exit_code == 2
    assert "aucun fournisseur « formbrige »" in result.output
    assert "vouliez-vous dire 'formbridge' ?" in result.output


def test_workspace_options_need_a_vendor_and_exclude_each_other(tmp_path: Path) -> None:
    result = run("questionnaire", "export", "--demo", "--format", "yaml")
    assert result.exit_code == 2 and "--vendor" in result.output
    result = run("questionnaire", "export", "--vendor", "roomly", "--demo", "--workspace",
                 str(tmp_path), "--format", "yaml")  # fmt: skip
    assert result.exit_code == 2 and "--demo" in result.output


def test_formula_looking_text_is_written_as_text(tmp_path: Path) -> None:
    import zipfile

    name = '=HYPERLINK("https://evil.example","click")'
    folder = copy_demo(
        tmp_path,
        {
            "roomly": {
                "name": name,
                "sub_processors": [{"name": "+1+1", "country": "US", "purpose": "@SUM(A1)"}],
            }
        },
    )
    path = export_vendor(tmp_path, "roomly", "--workspace", str(folder))
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
    workbook = load_workbook(path)
    cell = next(row[2] for row in workbook["vendor"].iter_rows(min_row=2) if row[0].value == "name")
    assert cell.value == name and cell.data_type == "s"
    sub = workbook["sub_processors"]["A2"]
    assert sub.value == "+1+1" and sub.data_type == "s"
    vendor = import_vendor(path, "--workspace", str(folder))
    assert vendor.name == name and vendor.sub_processors[0].purpose == "@SUM(A1)"


def test_the_same_vendor_gives_the_same_bytes(tmp_path: Path) -> None:
    import time
    import zipfile

    first = export_vendor(tmp_path / "a", "altocumulus").read_bytes()
    time.sleep(1.1)  # the workbook's own timestamps have a resolution of one second
    second = export_vendor(tmp_path / "b", "altocumulus").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a" / "altocumulus.xlsx") as archive:
        core = archive.read("docProps/core.xml").decode()
        assert {i.date_time for i in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    assert "2000-01-01T00:00:00Z" in core
    one = export_vendor(tmp_path / "a", "altocumulus", fmt="yaml").read_bytes()
    two = export_vendor(tmp_path / "b", "altocumulus", fmt="yaml").read_bytes()
    assert one == two


@pytest.mark.parametrize(
    ("country", "asked", "not_asked"),
    [
        ("US", {"dpf.certified", "dpf.valid_until"}, {"canada_pipeda"}),
        ("CA", {"canada_pipeda"}, {"dpf.certified", "dpf.valid_until"}),
        ("CH", set(), {"canada_pipeda", "dpf.certified", "dpf.valid_until"}),
    ],
)
def test_country_specific_questions_are_open_only_for_that_country(
    country: str, asked: set[str], not_asked: set[str]
) -> None:
    from conformite._paths import builtin_catalogue_dir
    from conformite.inventory.model import Vendor
    from conformite.inventory.reference import load_reference
    from conformite.suppliers.prefill import prefill

    vendor = Vendor.model_validate({"id": "v", "name": "V Inc.", "country": country})
    reference = load_reference(builtin_catalogue_dir() / "reference")
    opened = prefill(vendor, "en", reference).open
    assert asked <= opened
    assert not (not_asked & opened)
    assert "audit_rights" in opened  # an ordinary unknown fact is open whatever the country
