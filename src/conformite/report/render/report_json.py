"""``report --format json``: the report as the commission sees it, beside the audit result.

``{"report_schema_version", "report": {...}, "result": {...}}`` where ``result``
is the audit result (the same contract as ``audit --format json``) and
``report`` holds what the report decided from it, in the report's language:
the decisions (motions), the top risks with their cost to fix, what is not
known yet, and the budget plan (``plan.years[]`` with year, external costs,
person-days, days bought; ``plan.actions[]``; ``plan.beyond[]`` and
``plan.credit_requests[]`` for what does not fit). Amounts are CHF, exact.
"""

from __future__ import annotations

import json
from typing import Any

from conformite.report.model import Action, ActionPlan, Report, Risk

__all__ = ["REPORT_SCHEMA_VERSION", "render_report_json"]

#: Version of the ``report`` part (the ``result`` part carries its own).
REPORT_SCHEMA_VERSION = "1.0"


def _action(a: Action) -> dict[str, Any]:
    return {
        "rank": a.rank,
        "year": a.year or None,
        "control_id": a.control_id,
        "kind": a.kind,
        "title": a.title,
        "severity": a.severity,
        "legal_duty": a.legal_duty,
        "critical": a.critical,
        "targets": a.target_names,
        "cash_chf": round(a.cash_chf, 2),
        "person_days": round(a.person_days, 2),
        "bought_days": round(a.bought_days, 2),
        "value_chf": round(a.value_chf, 2),
        "risk": round(a.risk, 2),
        "part": a.part or None,
        "parts": a.parts or None,
        "owners": a.owners,
    }


def _plan(p: ActionPlan) -> dict[str, Any]:
    return {
        "horizon_years": p.horizon_years,
        "horizon_end": p.horizon_end,
        "annual_credit_chf": p.annual_credit,
        "credit_chf_per_inhabitant": p.credit_per_inhabitant,
        "staff_days_per_year": p.staff_days_per_year,
        "person_day_chf": p.person_day_chf,
        "years": [
            {
                "year": y.year,
                "actions": y.actions,
                "cash_chf": y.cash_chf,
                "person_days": y.person_days,
                "bought_days": y.bought_days,
                "credit_chf": y.credit_chf,
                "staff_days": y.staff_days,
            }
            for y in p.years
        ],
        "actions": [_action(a) for a in p.actions],
        "beyond": [_action(a) for a in p.beyond],
        "credit_requests": [_action(a) for a in p.credit_requests],
        "unplanned_value_chf": p.unplanned_value,
    }


def _risk(r: Report, risk: Risk) -> dict[str, Any]:
    fix = r.plan.fix_of(risk.control_id)
    return {
        "control_id": risk.control_id,
        "title": risk.title,
        "severity": risk.severity,
        "targets": risk.target_names,
        "risk": round(risk.risk, 2),
        "why": risk.why,
        "exposure": risk.exposure,
        "fix": {
            "cash_chf": fix.cash_chf,
            "person_days": fix.person_days,
            "years": fix.years,
            "planned": fix.planned,
        },
    }


def render_report_json(r: Report) -> str:
    """Deterministic JSON: the report's decisions, risks and plan, and the audit result."""
    report = {
        "lang": r.lang,
        "as_of": r.as_of,
        "commune": r.commune,
        "canton": r.canton,
        "law": r.law,
        "score": r.score.score,
        "grade": r.score.grade,
        "decisions": r.decisions,
        "risks": [_risk(r, x) for x in r.risks],
        "unknowns": [
            {
                "control_id": u.control_id,
                "title": u.title,
                "targets": u.target_names,
                "missing": u.missing,
                "who": u.who,
            }
            for u in r.unknowns
        ],
        "plan": _plan(r.plan),
    }
    document = {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "report": report,
        "result": json.loads(r.result.to_json()),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
