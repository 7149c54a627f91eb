"""The action plan: fix the confirmed gaps, document the missing facts, against the credit.

Two kinds of action, one per control and kind:

* **fix** the control's confirmed gaps (``fail``, ``error``): the control's
  effort estimate (person-days and external costs) per target concerned;
* **find out** the facts its ``unknown`` findings depend on:
  :data:`FIND_OUT_PERSON_DAYS` per target (asking the service owner, sending
  the vendor questionnaire, looking it up), no external cost.

Actions are ordered by risk (:mod:`conformite.report.risk`: severity ×
protection need × exposure, summed over the targets); at equal risk a fix
comes before a finding-out, then the risk removed per franc decides. Years
take actions in that order as long as the annual framework credit lasts.
"""

from __future__ import annotations

from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.report.common import compiled_control
from conformite.report.model import Action, ActionPlan, FindingGroup, YearBudget

__all__ = ["FIND_OUT_PERSON_DAYS", "action_plan"]

#: Effort to document the missing facts of one finding (one control on one target).
FIND_OUT_PERSON_DAYS = 0.25
_KIND_ORDER = {"fix": 0, "find_out": 1}


def _draft(workspace: Workspace, group: FindingGroup, person_day_chf: float, lang: str) -> Action:
    compiled = compiled_control(workspace, group.control_id)
    targets = len(group.items)
    owners: list[str] = []
    for item in group.items:  # riskiest first
        if item.owner not in owners:
            owners.append(item.owner)
    if group.kind == "gap":
        kind = "fix"
        days = (compiled.control.effort.person_days if compiled else 0.0) * targets
        external = float((compiled.control.effort.external_chf if compiled else 0) * targets)
        title = group.title
        remediation = compiled.control.remediation.get(lang) if compiled else ""
    else:
        kind = "find_out"
        days = FIND_OUT_PERSON_DAYS * targets
        external = 0.0
        title = translate("report.plan.find_out", lang, title=group.title)
        facts: list[str] = []
        answers: list[str] = []
        for item in group.items:
            facts += [x for x in item.unknown_facts if x not in facts]
            answers += [x for x in item.answer if x not in answers]
        remediation = translate(
            "report.plan.find_out_what",
            lang,
            facts=", ".join(facts) or "–",
            who=(" ".join(answers[:3]) + (" …" if len(answers) > 3 else "")) or ", ".join(owners),
        )
    return Action(
        rank=0,
        control_id=group.control_id,
        title=title,
        severity=group.severity,
        targets=targets,
        target_names=[i.target_name for i in group.items],
        person_days=days,
        external_chf=external,
        cost_chf=round(days * person_day_chf + external, 2),
        year=0,
        owners=owners,
        remediation=remediation,
        weight=round(group.weight, 2),
        kind=kind,
        risk=group.risk,
        expired_waiver=bool(group.expired_waivers),
    )


def action_plan(
    workspace: Workspace,
    gap_groups: list[FindingGroup],
    unknown_groups: list[FindingGroup],
    lang: str,
) -> ActionPlan:
    """The plan: one action per group (fix a control's gaps, or document its facts), costed."""
    options = workspace.config.report
    population = workspace.config.commune.population
    annual_credit = round(options.framework_credit_chf_per_inhabitant * population, 2)
    drafts = [
        _draft(workspace, g, options.person_day_chf, lang) for g in (*gap_groups, *unknown_groups)
    ]
    drafts.sort(
        key=lambda a: (
            -a.risk,
            _KIND_ORDER[a.kind],
            -(a.risk / a.cost_chf if a.cost_chf else float("inf")),
            a.control_id,
        )
    )
    year, spent = 1, 0.0
    years: list[YearBudget] = []
    for rank, action in enumerate(drafts, start=1):
        if annual_credit > 0 and spent > 0 and spent + action.cost_chf > annual_credit:
            year += 1
            spent = 0.0
        spent += action.cost_chf
        if not years or years[-1].year != year:
            years.append(YearBudget(year=year, actions=0, cost_chf=0.0, person_days=0.0))
        years[-1].actions += 1
        years[-1].cost_chf = round(years[-1].cost_chf + action.cost_chf, 2)
        years[-1].person_days += action.person_days
        action.rank, action.year = rank, year
    return ActionPlan(
        actions=drafts,
        person_day_chf=options.person_day_chf,
        credit_per_inhabitant=options.framework_credit_chf_per_inhabitant,
        annual_credit=annual_credit,
        total_days=sum(a.person_days for a in drafts),
        total_external=sum(a.external_chf for a in drafts),
        total_cost=round(sum(a.cost_chf for a in drafts), 2),
        years=years,
    )
