"""The action plan: a budget plan the commission can vote on.

Two kinds of action, one per control and kind:

* **fix** the control's confirmed gaps (``fail``, ``error``): the control's
  effort estimate (internal person-days and external costs) per target concerned;
* **find out** the facts its ``unknown`` findings depend on:
  :data:`FIND_OUT_PERSON_DAYS` per target (asking the service owner, sending
  the vendor questionnaire, looking it up), no external cost.

Two budgets, every year of the planning horizon (``[report]`` in
``conformite.toml``): the **framework credit** is cash (CHF per inhabitant ×
population) and pays the external costs only; the **staff capacity** (days per
year of the IT function) takes the internal person-days. Internal time is
never charged to the credit.

Order: legal duties (controls under a commune duty of ``controls/duties.yaml``
other than the risk-based "security" duty, unless the canton's law in force has
no such duty) and critical gaps first, then the
risk removed per franc (risk ÷ external costs and internal days valued at
``person_day_chf``), then the risk. Each action goes to the first year where
both budgets still have room, so a year that cannot take one action still
takes the next ones. Legal duties and critical gaps must land in year 1 or 2.
An action larger than a whole year's budget is split by target over the years;
when even one target is larger, it becomes a separate credit request. What does
not fit in the horizon is listed (``beyond``) for the commission to decide:
extra credit, or accept the risk until a date.
"""

from __future__ import annotations

import datetime as dt

from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.report.common import compiled_control, first_few, overlay_of
from conformite.report.model import Action, ActionPlan, FindingGroup, YearBudget
from conformite.report.summary import fact_list, years_after

__all__ = ["FIND_OUT_PERSON_DAYS", "LEGAL_DEADLINE_YEARS", "action_plan"]

#: Effort to document the missing facts of one finding (one control on one target).
FIND_OUT_PERSON_DAYS = 0.25
#: Legal duties and critical gaps are planned within this many years, or decided on.
LEGAL_DEADLINE_YEARS = 2
#: The commune duty whose measures are risk-based (OPDo art. 1-3): not a "legal duty" here.
_RISK_BASED_DUTY = "security"
_KIND_ORDER = {"fix": 0, "find_out": 1}
#: Rounding slack when comparing sums of francs and days with a budget.
_EPSILON = 1e-6


def _legal_duties(workspace: Workspace, control_id: str, as_of: str) -> list[str]:
    """The commune duties ``control_id`` checks that bind the commune on ``as_of``: every
    duty except the risk-based security measures, and except those the canton's law in
    force says it does not have (``no_equivalent``); a duty not checked in the cantonal
    text counts as binding (unknown is not no)."""
    duties = [d for d in workspace.catalogue.duties.of(control_id) if d != _RISK_BASED_DUTY]
    overlay = overlay_of(workspace)
    version = overlay.version_on(dt.date.fromisoformat(as_of)) if overlay else None
    if version is None:
        return duties
    return [
        d for d in duties if d not in version.duties or version.duties[d].status != "no_equivalent"
    ]


def _draft(
    workspace: Workspace, group: FindingGroup, person_day_chf: float, lang: str, as_of: str
) -> Action:
    compiled = compiled_control(workspace, group.control_id)
    targets = len(group.items)
    owners: list[str] = []
    for item in group.items:  # riskiest first
        if item.owner not in owners:
            owners.append(item.owner)
    duties = _legal_duties(workspace, group.control_id, as_of)
    if group.kind == "gap":
        kind = "fix"
        days = (compiled.control.effort.person_days if compiled else 0.0) * targets
        cash = float((compiled.control.effort.external_chf if compiled else 0) * targets)
        title = group.title
        remediation = compiled.control.remediation.get(lang) if compiled else ""
    else:
        kind = "find_out"
        days = FIND_OUT_PERSON_DAYS * targets
        cash = 0.0
        title = translate("report.plan.find_out", lang, title=group.title)
        facts: list[str] = []
        answers: list[str] = []
        for item in group.items:
            facts += [x for x in item.unknown_facts if x not in facts]
            answers += [x for x in item.answer if x not in answers]
        remediation = translate(
            "report.plan.find_out_what",
            lang,
            facts=fact_list(facts, lang) or "–",
            who=first_few(answers, " ") or ", ".join(owners),
        )
    return Action(
        rank=0,
        control_id=group.control_id,
        title=title,
        severity=group.severity,
        targets=targets,
        target_names=[i.target_name for i in group.items],
        person_days=days,
        cash_chf=cash,
        value_chf=round(days * person_day_chf + cash, 2),
        year=0,
        owners=owners,
        remediation=remediation,
        weight=round(group.weight, 2),
        kind=kind,
        risk=group.risk,
        expired_waiver=bool(group.expired_waivers),
        legal_duty=bool(duties),
        critical=kind == "fix" and group.severity == "critical",
    )


def _priority(action: Action) -> tuple[object, ...]:
    per_franc = action.risk / action.value_chf if action.value_chf else float("inf")
    return (not action.first, -per_franc, -action.risk, _KIND_ORDER[action.kind], action.control_id)


class _Budgets:
    """What is left of each year's credit and staff capacity."""

    def __init__(self, years: int, credit: float, staff_days: float, day_chf: float | None) -> None:
        self.credit, self.staff_days = credit, staff_days
        #: The price of a bought day, or None when days may not be bought.
        self.day_chf = day_chf
        self.cash = [0.0] * years
        self.days = [0.0] * years

    def fits_empty(self, cash: float, days: float, can_buy: bool) -> bool:
        if cash <= self.credit + _EPSILON and days <= self.staff_days + _EPSILON:
            return True
        return self._buyable(can_buy) and cash + days * self.day_chf <= self.credit + _EPSILON  # type: ignore[operator]

    def _buyable(self, can_buy: bool) -> bool:
        return can_buy and self.day_chf is not None

    def allocation(
        self, year: int, cash: float, days: float, can_buy: bool
    ) -> tuple[float, float, float] | None:
        """(cash, internal days, bought days) if the work fits in ``year``: on staff time
        first, else with its days bought from outside on the credit."""
        if (
            self.cash[year] + cash <= self.credit + _EPSILON
            and self.days[year] + days <= self.staff_days + _EPSILON
        ):
            return cash, days, 0.0
        if self._buyable(can_buy) and days > 0:
            bought = cash + days * self.day_chf  # type: ignore[operator]
            if self.cash[year] + bought <= self.credit + _EPSILON:
                return round(bought, 2), 0.0, days
        return None

    def take(self, year: int, cash: float, days: float) -> None:
        self.cash[year] += cash
        self.days[year] += days


def _placed(
    action: Action, names: list[str], year: int, allocation: tuple[float, float, float]
) -> Action:
    """The share of ``action`` on the targets ``names``, placed in ``year``."""
    share = len(names) / action.targets
    cash, days, bought = allocation
    return Action(
        **{
            **action.__dict__,
            "targets": len(names),
            "target_names": names,
            "person_days": days,
            "bought_days": bought,
            "cash_chf": round(cash, 2),
            "value_chf": round(action.value_chf * share, 2),
            "year": year,
        }
    )


def _schedule(
    drafts: list[Action], budgets: _Budgets, horizon: int
) -> tuple[list[Action], list[Action], list[Action]]:
    """Place the actions: (planned, beyond the horizon, separate credit requests)."""
    planned: list[Action] = []
    beyond: list[Action] = []
    requests: list[Action] = []
    for action in drafts:
        deadline = min(LEGAL_DEADLINE_YEARS, horizon) if action.first else horizon
        # Finding out is the commune's own work: its days are never bought.
        can_buy = action.kind == "fix"
        cash, days = action.cash_chf, action.person_days
        if budgets.fits_empty(cash, days, can_buy):
            for year in range(deadline):
                allocation = budgets.allocation(year, cash, days, can_buy)
                if allocation:
                    budgets.take(year, allocation[0], allocation[1])
                    planned.append(_placed(action, action.target_names, year + 1, allocation))
                    break
            else:
                beyond.append(action)
            continue
        cash_each, days_each = cash / action.targets, days / action.targets
        if not budgets.fits_empty(cash_each, days_each, can_buy):
            requests.append(action)  # one target alone is more than a year's budget
            continue
        remaining = list(action.target_names)
        parts: list[Action] = []
        for year in range(deadline):
            while remaining:
                count, allocation = 0, None
                for n in range(len(remaining), 0, -1):
                    allocation = budgets.allocation(year, cash_each * n, days_each * n, can_buy)
                    if allocation:
                        count = n
                        break
                if not allocation:
                    break
                budgets.take(year, allocation[0], allocation[1])
                parts.append(_placed(action, remaining[:count], year + 1, allocation))
                remaining = remaining[count:]
            if not remaining:
                break
        if remaining:
            rest = (cash_each * len(remaining), days_each * len(remaining), 0.0)
            parts.append(_placed(action, remaining, 0, rest))
        for number, part in enumerate(parts, start=1):
            part.part, part.parts = (number, len(parts)) if len(parts) > 1 else (0, 0)
        beyond += [p for p in parts if not p.year]
        parts = [p for p in parts if p.year]
        planned += parts
    return planned, beyond, requests


def horizon_end(as_of: str, years: int) -> dt.date:
    """The last day of a plan of ``years`` years starting on the audit date."""
    return years_after(as_of, years) - dt.timedelta(days=1)


def action_plan(
    workspace: Workspace,
    gap_groups: list[FindingGroup],
    unknown_groups: list[FindingGroup],
    lang: str,
    as_of: str,
) -> ActionPlan:
    """The plan: one action per group (fix a control's gaps, or document its facts),
    placed in the years of the horizon within both budgets."""
    options = workspace.config.report
    population = workspace.config.commune.population
    annual_credit = round(options.framework_credit_chf_per_inhabitant * population, 2)
    horizon = options.planning_horizon_years
    drafts = [
        _draft(workspace, g, options.person_day_chf, lang, as_of)
        for g in (*gap_groups, *unknown_groups)
    ]
    drafts.sort(key=_priority)
    budgets = _Budgets(
        horizon,
        annual_credit,
        options.staff_days_per_year,
        options.person_day_chf if options.buy_missing_days else None,
    )
    planned, beyond, requests = _schedule(drafts, budgets, horizon)
    order = {a.control_id + a.kind: i for i, a in enumerate(drafts)}
    planned.sort(key=lambda a: (a.year, order[a.control_id + a.kind], a.part))
    for rank, action in enumerate([*planned, *beyond, *requests], start=1):
        action.rank = rank
    years = []
    for year in range(1, horizon + 1):
        in_year = [a for a in planned if a.year == year]
        years.append(
            YearBudget(
                year=year,
                actions=len(in_year),
                cash_chf=round(sum(a.cash_chf for a in in_year), 2),
                person_days=round(sum(a.person_days for a in in_year), 2),
                bought_days=round(sum(a.bought_days for a in in_year), 2),
                credit_chf=annual_credit,
                staff_days=options.staff_days_per_year,
            )
        )
    return ActionPlan(
        actions=planned,
        beyond=beyond,
        credit_requests=requests,
        horizon_years=horizon,
        horizon_end=horizon_end(as_of, horizon).isoformat(),
        person_day_chf=options.person_day_chf,
        credit_per_inhabitant=options.framework_credit_chf_per_inhabitant,
        annual_credit=annual_credit,
        staff_days_per_year=options.staff_days_per_year,
        years=years,
        find_out_person_days=FIND_OUT_PERSON_DAYS,
    )
