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
    assert "expected: date AAAA-MM-JJ" in result.output
    assert "found: 'le 3 mars'" in result.output
    assert "expected: oui / non" in result.output
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
