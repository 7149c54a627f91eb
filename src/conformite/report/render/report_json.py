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
from typing import Any, Literal

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from 3.12

from conformite._json_schema import publish
from conformite.catalogue.model import Language, Severity
from conformite.engine.results import FULL_SCHEMA_VERSION, AuditResult, Grade
from conformite.report.model import Action, ActionPlan, Report, Risk

__all__ = ["REPORT_SCHEMA_VERSION", "render_report_json", "report_schema"]

#: Version of the ``report`` part (the ``result`` part carries its own).
REPORT_SCHEMA_VERSION = "1.0"

# The shape of the document, key by key: the functions below build these dicts
# and :func:`report_schema` publishes them (every key required, no other key).
_closed = with_config(ConfigDict(extra="forbid"))


@_closed
class ActionJson(TypedDict):
    rank: int
    year: int | None
    control_id: str
    kind: Literal["fix", "find_out"]
    title: str
    severity: Severity
    legal_duty: bool
    critical: bool
    targets: list[str]
    cash_chf: float
    person_days: float
    bought_days: float
    value_chf: float
    risk: float
    part: int | None
    parts: int | None
    owners: list[str]


@_closed
class YearJson(TypedDict):
    year: int
    actions: int
    cash_chf: float
    person_days: float
    bought_days: float
    credit_chf: float
    staff_days: float


@_closed
class PlanJson(TypedDict):
    horizon_years: int
    horizon_end: str
    annual_credit_chf: float
    credit_chf_per_inhabitant: float
    staff_days_per_year: float
    person_day_chf: float
    years: list[YearJson]
    actions: list[ActionJson]
    beyond: list[ActionJson]
    credit_requests: list[ActionJson]
    unplanned_value_chf: float


@_closed
class FixJson(TypedDict):
    cash_chf: float
    person_days: float
    years: list[int]
    planned: bool


@_closed
class RiskJson(TypedDict):
    control_id: str
    title: str
    severity: Severity
    targets: list[str]
    risk: float
    why: str
    exposure: list[str]
    fix: FixJson


@_closed
class UnknownJson(TypedDict):
    control_id: str
    title: str
    targets: list[str]
    missing: list[str]
    who: str


@_closed
class ReportJson(TypedDict):
    lang: Language
    as_of: str
    commune: str
    canton: str
    law: list[str]
    score: float | None
    grade: Grade | None
    decisions: list[str]
    risks: list[RiskJson]
    unknowns: list[UnknownJson]
    plan: PlanJson


@_closed
class ReportDocument(TypedDict):
    """The report as the commission reads it (conformite report --format json):
    decisions, top risks with their cost to fix, facts to document and the budget plan,
    in the report's language, beside the audit result."""

    report_schema_version: str
    report: ReportJson
    result: AuditResult


def report_schema() -> dict[str, Any]:
    """The published JSON Schema of ``report --format json``."""
    schema = publish(
        ReportDocument,
        kind="report",
        version=REPORT_SCHEMA_VERSION,
        version_key="report_schema_version",
    )
    result = schema["$defs"]["AuditResult"]["properties"]
    result["schema_version"] = {"const": FULL_SCHEMA_VERSION}
    return schema


def _action(a: Action) -> ActionJson:
    return {
        "rank": a.rank,
        "year": a.year or None,
        "control_id": a.control_id,
        "kind": a.kind,  # type: ignore[typeddict-item]
        "title": a.title,
        "severity": a.severity,  # type: ignore[typeddict-item]
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


def _plan(p: ActionPlan) -> PlanJson:
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


def _risk(r: Report, risk: Risk) -> RiskJson:
    fix = r.plan.fix_of(risk.control_id)
    return {
        "control_id": risk.control_id,
        "title": risk.title,
        "severity": risk.severity,  # type: ignore[typeddict-item]
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
    report: ReportJson = {
        "lang": r.lang,  # type: ignore[typeddict-item]
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
    document: dict[str, Any] = {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "report": report,
        "result": json.loads(r.result.to_json(schema=2)),  # the full form (2.0)
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
