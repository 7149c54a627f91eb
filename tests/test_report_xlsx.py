"""The XLSX report, read back with openpyxl: sheets, headers, filters, frozen panes, types."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from conformite.report.register import build_register
from conformite.report.render import render_register, render_report
from test_report import AS_OF, golden_report, golden_workspace


def _workbook(lang: str = "en"):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(render_report("xlsx", golden_report(lang))))


def test_sheets_in_the_report_language() -> None:
    assert _workbook("en").sheetnames == [
        "Summary",
        "Scores",
        "Findings",
        "Action plan",
        "Waivers",
        "Suppliers",
        "Register",
    ]
    assert _workbook("de").sheetnames[2] == "Abweichungen"


def test_every_list_has_a_filter_and_a_frozen_header() -> None:
    workbook = _workbook()
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        last = sheet.auto_filter.ref.split(":")[1]
        assert int("".join(c for c in last if c.isdigit())) == sheet.max_row, sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title


def test_findings_sheet_has_every_open_finding_with_its_kind() -> None:
    report = golden_report("en")
    sheet = _workbook()["Findings"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Severity", "Control", "Title"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == report.open_findings + report.unknown_findings == 14
    assert rows[0][1] == "SVC-CRITICAL-VULNS"
    kind, outcome = header.index("Kind"), header.index("Outcome")
    missing, who = header.index("Missing facts"), header.index("Who can answer")
    # confirmed gaps first, then the facts to document
    assert [r[kind] for r in rows] == ["confirmed gap"] * 4 + ["to document"] * 10
    assert {r[outcome] for r in rows[:4]} == {"fail"}
    assert {r[outcome] for r in rows[4:]} == {"to document"}
    assert {r[1] for r in rows} >= {"SUP-DPA", "DP-RETENTION", "GOV-COMMISSION-REVIEW"}
    dpa = next(r for r in rows if r[1] == "SUP-DPA")
    assert dpa[missing] == "vendor.dpa.signed_on" and "Nimbus Cloud Ireland Ltd" in dpa[who]
    assert all(r[missing] for r in rows[4:]) and not any(r[missing] for r in rows[:4])
    owner = header.index("Owner")
    assert all(r[owner] for r in rows)
    links = header.index("Links to the texts")
    assert all(str(r[links]).startswith("https://") for r in rows)
    risk = header.index("Risk")
    assert rows[0][risk] == 15.0


def test_scores_and_summary_carry_gaps_unknown_and_coverage() -> None:
    workbook = _workbook()
    header = [c.value for c in workbook["Scores"][1]]
    assert header[4:] == [
        "Passed", "Confirmed gaps", "To document", "Waived", "Coverage", "Grade capped",
    ]  # fmt: skip
    rows = list(workbook["Scores"].iter_rows(min_row=2, values_only=True))
    school = next(r for r in rows if r[1] == "Administration scolaire")
    assert school[2:] == (0.0, "E", 0, 2, 3, 0, 41.7, "no")
    summary = dict(workbook["Summary"].iter_rows(min_row=2, values_only=True))
    assert (summary["Confirmed gaps"], summary["To document"], summary["Coverage"]) == (4, 10, 56.2)


def test_csv_carries_kind_and_outcome() -> None:
    import csv

    text = render_report("csv", golden_report("fr"), plain_csv=True).decode("utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    kind, outcome = header.index("Type"), header.index("Résultat")
    assert [r[kind] for r in rows[1:]] == ["écart confirmé"] * 4 + ["à documenter"] * 10
    assert {r[outcome] for r in rows[5:]} == {"à documenter"}
    assert rows[5][header.index("Faits manquants")] == (
        "service.security.patching.open_critical_vulnerabilities"
    )


def test_action_plan_is_a_typed_working_list() -> None:
    sheet = _workbook()["Action plan"]
    header = [c.value for c in sheet[1]]
    cash, days, year = header.index("External costs"), header.index("Person-days"), 1
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    kind = header.index("Kind")
    assert {r[kind] for r in rows} == {"fix", "find out"}
    assert all(isinstance(r[cash], float | int) and isinstance(r[days], float | int) for r in rows)
    plan = golden_report("en").plan
    assert sum(r[cash] for r in rows) == pytest.approx(sum(a.cash_chf for a in plan.all_actions))
    assert [r[year] for r in rows] == [a.year or None for a in plan.all_actions]
    assert sheet.cell(row=2, column=cash + 1).number_format == "#,##0"
    # The columns the IT manager fills in, the status from a drop-down.
    assert header[-4:] == ["Status", "Due date", "Assigned to", "Comment"]
    assert {r[-4] for r in rows} == {"to do"}
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert lists and lists[0].formula1 == '"to do,in progress,done"'
    assert any(v.type == "date" for v in sheet.data_validations.dataValidation)


def test_sheets_print_on_a4_landscape_with_the_header_repeated_and_rows_sized() -> None:
    workbook = _workbook()
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        # Fit to one page wide (1 is the default width, left out of the XML), any height.
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert sheet.freeze_panes == "A2"
    findings = workbook["Findings"]
    wrapped = [r for r in range(2, findings.max_row + 1) if findings.row_dimensions[r].height]
    assert wrapped, "long texts get a row height (LibreOffice does not compute them)"
    summary = dict(workbook["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["Population"] == 1850 and isinstance(summary["As of"], dt.datetime)


def test_waiver_dates_are_dates() -> None:
    sheet = _workbook()["Waivers"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "SUP-DPA"
    assert rows[0][-1] == dt.datetime(2026, 9, 30)


def test_suppliers_and_register_sheets() -> None:
    workbook = _workbook()
    suppliers = list(workbook["Suppliers"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in suppliers] == ["Swiss Gov Soft SA", "Nimbus Cloud Ireland Ltd"]
    register = list(workbook["Register"].iter_rows(values_only=True))
    assert register[0][0] == "Reference"
    assert register[1][0] == "RT-01" and len(register) == 4


def test_register_alone() -> None:
    data = render_register("xlsx", build_register(golden_workspace(), AS_OF, "it"), AS_OF)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Registro"]


def test_xlsx_is_byte_identical_and_dated_by_the_audit() -> None:
    first = render_report("xlsx", golden_report("fr"))
    assert first == render_report("xlsx", golden_report("fr"))
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
        assert "2026-11-28T00:00:00Z" in core
        assert {i.date_time[:3] for i in archive.infolist()} == {(2026, 11, 28)}
