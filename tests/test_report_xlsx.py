"""The XLSX report, read back with openpyxl: sheets, headers, filters, frozen panes, types."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

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


def test_findings_sheet_has_every_open_finding() -> None:
    report = golden_report("en")
    sheet = _workbook()["Findings"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Severity", "Control", "Title"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == report.open_findings
    assert rows[0][1] == "SVC-CRITICAL-VULNS"
    assert {r[1] for r in rows} >= {"SUP-DPA", "DP-RETENTION", "GOV-COMMISSION-REVIEW"}
    owner = header.index("Owner")
    assert all(r[owner] for r in rows)
    links = header.index("Links to the texts")
    assert all(str(r[links]).startswith("https://") for r in rows)


def test_action_plan_amounts_are_numbers() -> None:
    sheet = _workbook()["Action plan"]
    header = [c.value for c in sheet[1]]
    cost = header.index("Cost")
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert all(isinstance(r[cost], float | int) for r in rows)
    assert sum(r[cost] for r in rows) == golden_report("en").plan.total_cost
    assert sheet.cell(row=2, column=cost + 1).number_format == "#,##0.00"


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
