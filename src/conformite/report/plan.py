"""The action plan: one action per failed control, costed and set against the credit."""

from __future__ import annotations

from conformite.engine.results import Finding
from conformite.engine.workspace import Workspace
from conformite.report.common import Owners, compiled_control
from conformite.report.model import _SEVERITY_RANK, Action, ActionPlan, YearBudget

__all__ = ["action_plan"]


def action_plan(
    workspace: Workspace, open_findings: list[Finding], owners: Owners, lang: str
) -> ActionPlan:
    options = workspace.config.report
    population = workspace.config.commune.population
    annual_credit = round(options.framework_credit_chf_per_inhabitant * population, 2)
    by_control: dict[str, list[Finding]] = {}
    for f in open_findings:
        by_control.setdefault(f.control_id, []).append(f)
    drafts = []
    for control_id, fs in by_control.items():
        compiled = compiled_control(workspace, control_id)
        days_each = compiled.control.effort.person_days if compiled else 0.0
        external_each = compiled.control.effort.external_chf if compiled else 0
        days = days_each * len(fs)
        external = float(external_each * len(fs))
        cost = round(days * options.person_day_chf + external, 2)
        weight = sum(f.weight for f in fs)
        action_owners: list[str] = []
        for f in sorted(fs, key=lambda f: (-f.weight, f.target_name)):
            owner = owners(f.target_kind, f.target_id)
            if owner not in action_owners:
                action_owners.append(owner)
        drafts.append(
            (
                (
                    -_SEVERITY_RANK[fs[0].severity],
                    -max(f.protection_need for f in fs),
                    -(weight / cost if cost else float("inf")),
                    control_id,
                ),
                fs,
                days,
                external,
                cost,
                weight,
                action_owners,
                compiled,
            )
        )
    drafts.sort(key=lambda d: d[0])
    actions: list[Action] = []
    year, spent = 1, 0.0
    years: list[YearBudget] = []
    for rank, (_, fs, days, external, cost, weight, action_owners, compiled) in enumerate(
        drafts, start=1
    ):
        if annual_credit > 0 and spent > 0 and spent + cost > annual_credit:
            year += 1
            spent = 0.0
        spent += cost
        if not years or years[-1].year != year:
            years.append(YearBudget(year=year, actions=0, cost_chf=0.0, person_days=0.0))
        years[-1].actions += 1
        years[-1].cost_chf = round(years[-1].cost_chf + cost, 2)
        years[-1].person_days += days
        ordered = sorted(fs, key=lambda f: (-f.weight, f.target_name))
        actions.append(
            Action(
                rank=rank,
                control_id=fs[0].control_id,
                title=fs[0].title,
                severity=fs[0].severity,
                targets=len(fs),
                target_names=[f.target_name for f in ordered],
                person_days=days,
                external_chf=external,
                cost_chf=cost,
                year=year,
                owners=action_owners,
                remediation=compiled.control.remediation.get(lang) if compiled else "",
                weight=round(weight, 2),
            )
        )
    return ActionPlan(
        actions=actions,
        person_day_chf=options.person_day_chf,
        credit_per_inhabitant=options.framework_credit_chf_per_inhabitant,
        annual_credit=annual_credit,
        total_days=sum(a.person_days for a in actions),
        total_external=sum(a.external_chf for a in actions),
        total_cost=round(sum(a.cost_chf for a in actions), 2),
        years=years,
    )
