"""The budget plan: two budgets a year over the horizon, legal duties first, motions.

The scheduler is checked on made-up actions (every rule in isolation) and on the
golden and demo communes (the invariants a commission relies on: no year over
either budget, every legal duty in year 1 or 2 or put to a vote, nothing
silently dropped).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from conformite.report.build import build_report
from conformite.report.model import Action, ActionPlan
from conformite.report.plan import _Budgets, _schedule
from test_report import (
    AS_OF,
    golden_report,
    golden_results,
    golden_workspace,
    render_text,
    run,
)

RATE = 800.0


def action(
    control_id: str,
    cash: float = 0.0,
    days: float = 0.0,
    targets: int = 1,
    risk: float = 10.0,
    kind: str = "fix",
    legal: bool = False,
    critical: bool = False,
) -> Action:
    return Action(
        rank=0, control_id=control_id, title=control_id, severity="high", targets=targets,
        target_names=[f"{control_id}-{i}" for i in range(targets)], person_days=days,
        cash_chf=cash, value_chf=cash + days * RATE, year=0, owners=["IT"], remediation="",
        weight=1.0, kind=kind, risk=risk, legal_duty=legal, critical=critical,
    )  # fmt: skip


def schedule(
    actions: list[Action], credit: float, staff: float, years: int = 4, buy: bool = False
) -> tuple[list[Action], list[Action], list[Action]]:
    return _schedule(actions, _Budgets(years, credit, staff, RATE if buy else None), years)


def test_an_action_that_does_not_fit_does_not_close_the_year() -> None:
    big, small = action("BIG", cash=900), action("SMALL", cash=100)
    planned, beyond, _ = schedule([action("FIRST", cash=500), big, small], credit=1000, staff=0)
    years = {a.control_id: a.year for a in planned}
    assert years == {"FIRST": 1, "BIG": 2, "SMALL": 1}  # SMALL fills year 1 after BIG moved on
    assert beyond == []


def test_internal_days_are_not_charged_to_the_credit() -> None:
    planned, beyond, _ = schedule([action("A", cash=0, days=30)], credit=100, staff=40)
    assert [(a.year, a.cash_chf, a.person_days) for a in planned] == [(1, 0, 30)]
    # Without staff time and without buying days, it cannot be planned at all.
    planned, beyond, requests = schedule([action("A", days=30)], credit=100_000, staff=10)
    assert planned == [] and beyond == [] and [a.control_id for a in requests] == ["A"]


def test_days_are_bought_on_the_credit_only_when_staff_time_is_used_up() -> None:
    planned, _, _ = schedule(
        [action("A", days=10), action("B", days=5, cash=100)], credit=10_000, staff=10, buy=True
    )
    a, b = planned
    assert (a.person_days, a.bought_days, a.cash_chf) == (10, 0, 0)
    assert (b.year, b.person_days, b.bought_days, b.cash_chf) == (1, 0, 5, 100 + 5 * RATE)
    # Finding out is the commune's own work: never bought.
    planned, beyond, _ = schedule(
        [action("A", days=10), action("ASK", days=1, kind="find_out")],
        credit=10_000, staff=10, years=1, buy=True,
    )  # fmt: skip
    assert [x.control_id for x in beyond] == ["ASK"]


def test_an_action_larger_than_a_year_is_split_by_target() -> None:
    planned, beyond, requests = schedule([action("WIDE", cash=5000, targets=10)], 1200, 0)
    assert requests == []
    assert [(a.year, a.targets, a.part, a.parts) for a in planned] == [
        (1, 2, 1, 5), (2, 2, 2, 5), (3, 2, 3, 5), (4, 2, 4, 5)
    ]  # fmt: skip
    assert [(a.targets, a.cash_chf, a.part, a.parts) for a in beyond] == [(2, 1000.0, 5, 5)]
    names = [n for a in (*planned, *beyond) for n in a.target_names]
    assert names == [f"WIDE-{i}" for i in range(10)]  # every target once, in order


def test_one_target_larger_than_a_year_is_a_separate_credit_request() -> None:
    planned, beyond, requests = schedule([action("HUGE", cash=70_000, targets=2)], 31_200, 40)
    assert planned == [] and beyond == []  # CHF 35'000 a target: more than a year's credit
    assert [(a.control_id, a.cash_chf) for a in requests] == [("HUGE", 70_000)]


def test_legal_duties_and_critical_gaps_come_first_and_within_two_years() -> None:
    from conformite.report.plan import _priority

    actions = [
        action("CHEAP-RISK", cash=10, risk=50),
        action("DUTY", cash=600, risk=1, legal=True),
        action("CRITICAL", cash=600, risk=1, critical=True),
        action("LATE-DUTY", cash=900, risk=1, legal=True),
    ]
    actions.sort(key=_priority)
    assert [a.control_id for a in actions][-1] == "CHEAP-RISK"
    planned, beyond, _ = schedule(actions, credit=1000, staff=0)
    years = {a.control_id: a.year for a in planned}
    assert years["DUTY"] in (1, 2) and years["CRITICAL"] in (1, 2)
    # No room left in years 1-2: the legal duty is put to the commission, not pushed to year 3.
    assert [a.control_id for a in beyond] == ["LATE-DUTY"]
    assert years["CHEAP-RISK"] == 1


def _check_invariants(plan: ActionPlan) -> None:
    assert len(plan.years) == plan.horizon_years
    for year in plan.years:
        in_year = [a for a in plan.actions if a.year == year.year]
        assert year.actions == len(in_year)
        assert year.cash_chf == pytest.approx(sum(a.cash_chf for a in in_year))
        assert year.person_days == pytest.approx(sum(a.person_days for a in in_year))
        assert year.cash_chf <= plan.annual_credit + 0.01
        assert year.person_days <= plan.staff_days_per_year + 0.01
    for a in plan.actions:
        assert 1 <= a.year <= plan.horizon_years
        if a.first:
            assert a.year <= 2
    assert all(a.year == 0 for a in plan.unplanned)
    ranks = [a.rank for a in plan.all_actions]
    assert ranks == list(range(1, len(ranks) + 1))


def test_golden_plan_keeps_both_budgets_and_puts_the_critical_gap_first() -> None:
    report = golden_report("en")
    plan = report.plan
    _check_invariants(plan)
    assert plan.annual_credit == 18_500.0 and plan.staff_days_per_year == 40.0
    assert (plan.actions[0].control_id, plan.actions[0].kind) == ("SVC-CRITICAL-VULNS", "fix")
    assert plan.horizon_end == "2030-11-27"
    assert report.decisions[0] == (
        "The commission has the critical gap “No known critical vulnerability is left open” "
        "(Administration scolaire) fixed first: planned in year 1, CHF 1'000 of external costs "
        "and 1 person-day."
    )
    assert report.decisions[1].startswith("The commission approves the year-1 plan: 10 actions, ")


def test_a_tight_budget_fills_every_year_and_puts_the_rest_to_a_vote() -> None:
    workspace = golden_workspace()
    config = workspace.config.model_copy(deep=True)
    config.report.framework_credit_chf_per_inhabitant = 0.5  # CHF 925 a year
    config.report.staff_days_per_year = 1.5
    config.report.planning_horizon_years = 2
    _, current = golden_results("en")
    report = build_report(dataclasses.replace(workspace, config=config), current, None, "en")
    plan = report.plan
    _check_invariants(plan)
    assert plan.unplanned, "a tight budget leaves work for the commission to decide on"
    budgets_left = {
        y.year: (plan.annual_credit - y.cash_chf, plan.staff_days_per_year - y.person_days)
        for y in plan.years
    }
    for a in plan.beyond:  # nothing left over fits in a year with room for it
        for cash_left, days_left in budgets_left.values():
            fits_staff = a.cash_chf <= cash_left + 0.01 and a.person_days <= days_left + 0.01
            fits_bought = a.kind == "fix" and a.value_chf <= cash_left + 0.01
            assert not (fits_staff or fits_bought), a.control_id
    motion = next(d for d in report.decisions if "either requests an extra credit" in d)
    assert "until 27 Nov 2028" in motion and "approved by:" in motion


def test_demo_plan_meets_the_issue_conditions() -> None:
    from conformite._paths import demo_dir
    from conformite.engine.audit import run_audit
    from conformite.engine.workspace import load_workspace

    workspace = load_workspace(demo_dir())
    result = run_audit(workspace, AS_OF, "fr")
    plan = build_report(workspace, result, None, "fr").plan
    _check_invariants(plan)
    assert plan.horizon_years == 4
    legal = [a for a in plan.all_actions if a.legal_duty]
    assert legal and all(a.year in (1, 2) or a in plan.unplanned for a in legal)
    register = [a for a in plan.actions if a.control_id == "GOV-PROCESSING-REGISTER"]
    assert all(a.year <= 2 for a in register)


def test_report_json_carries_the_plan_decisions_and_risks_beside_the_result(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report.json"
    result = run(
        "report", "--demo", "--as-of", "2026-11-28", "--format", "json", "-o", str(out),
        "--no-save", "--lang", "en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["report_schema_version"] == "1.0"
    report, audit = document["report"], document["result"]
    assert audit["schema_version"].startswith("2.") and audit["workspace"]["canton"] == "VD"
    plan = report["plan"]
    assert [y["year"] for y in plan["years"]] == [1, 2, 3, 4]
    for year in plan["years"]:
        assert year["cash_chf"] <= plan["annual_credit_chf"] + 0.01
        assert year["person_days"] <= plan["staff_days_per_year"] + 0.01
        actions = [a for a in plan["actions"] if a["year"] == year["year"]]
        assert year["actions"] == len(actions)
    assert all(a["year"] is None for a in plan["beyond"] + plan["credit_requests"])
    assert report["decisions"] and report["decisions"][0].startswith("The commission ")
    assert all({"control_id", "title", "targets", "fix"} <= set(r) for r in report["risks"])
    # Next year, the report JSON may serve as the previous result.
    again = run(
        "report", "--demo", "--as-of", "2027-11-28", "--format", "md", "-o", "-", "--no-save",
        "--lang", "en", "--previous", str(out),
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "Trend since the previous report" in again.stdout and "28 Nov 2026" in again.stdout


@pytest.mark.parametrize(("plain", "separator"), [(False, ";"), (True, ",")])
def test_csv_for_swiss_excel_by_default_and_plain_on_request(
    tmp_path: Path, plain: bool, separator: str
) -> None:
    out = tmp_path / "findings.csv"
    args = ["report", "--demo", "--as-of", "2026-11-28", "--format", "csv", "-o", str(out)]
    result = run(*args, "--no-save", *(["--plain-csv"] if plain else []))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") is not plain
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=separator))
    assert len(rows) > 100 and all(len(r) == len(rows[0]) for r in rows)
    assert rows[0][0] == "Gravité"  # the demo's language, accents intact


def test_decision_paper_and_annex_in_markdown() -> None:
    md = render_text("md", golden_report("en"))
    paper, annex = md.split("# Annex for the IT manager", 1)
    for heading in ("## The situation", "## Decisions the commission", "## The risks that",
                    "## Budget plan", "## What we do not know yet"):  # fmt: skip
        assert heading in paper, heading
    assert "To fix: CHF 1'000 of external costs and 1 person-day, planned in year 1." in paper
    assert "## Action plan" in annex and "## Confirmed gaps" in annex


def test_a_duty_the_cantons_law_does_not_have_is_not_a_legal_duty() -> None:
    from conformite._paths import demo_dir
    from conformite.engine.audit import run_audit
    from conformite.engine.workspace import load_workspace

    workspace = load_workspace(demo_dir())  # Vaud: LPrD in force since 1 Oct 2018
    overlay = workspace.catalogue.overlays["VD"]
    duties = overlay.version_on(AS_OF).duties
    assert duties["dpia"].status == "no_equivalent" and duties["processor"].status == "cited"
    plan = build_report(workspace, run_audit(workspace, AS_OF, "en"), None, "en").plan
    kinds = {(a.control_id, a.legal_duty) for a in plan.all_actions}
    assert ("DP-DPIA", False) in kinds and ("DP-DPIA", True) not in kinds
    assert ("SUP-DPA", True) in kinds
    assert all(not a.legal_duty for a in plan.all_actions if a.control_id.startswith("SVC-MFA"))
