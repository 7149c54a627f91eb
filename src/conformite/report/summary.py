"""The executive summary: the risks that matter most, the trend, the decisions asked for."""

from __future__ import annotations

import datetime as dt

from conformite.engine.results import AuditResult, Finding
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.i18n.formats import (
    format_chf,
    format_date,
    format_delta,
    format_score,
)
from conformite.report.common import control_text, first_sentence
from conformite.report.compare import compare
from conformite.report.model import (
    _SEVERITY_RANK,
    EXPIRY_WARNING_DAYS,
    TOP_RISKS,
    ActionPlan,
    Risk,
    Trend,
    WaiverRow,
)

__all__ = ["decisions", "next_year", "top_risks", "trend_of"]


def top_risks(workspace: Workspace, open_findings: list[Finding], lang: str) -> list[Risk]:
    groups: dict[str, list[Finding]] = {}
    for f in open_findings:
        groups.setdefault(f.control_id, []).append(f)
    ranked = sorted(
        groups.values(),
        key=lambda fs: (
            -sum(f.weight for f in fs),
            -_SEVERITY_RANK[fs[0].severity],
            fs[0].control_id,
        ),
    )
    risks = []
    for fs in ranked[:TOP_RISKS]:
        first = fs[0]
        ordered = sorted(fs, key=lambda f: (-f.weight, f.target_name))
        rationale = control_text(workspace, first.control_id, "rationale", lang)
        risks.append(
            Risk(
                control_id=first.control_id,
                title=first.title,
                severity=first.severity,
                targets=len(fs),
                target_names=[f.target_name for f in ordered],
                why=first_sentence(rationale) if rationale else "",
                weight=round(sum(f.weight for f in fs), 2),
            )
        )
    return risks


def trend_of(result: AuditResult, previous: AuditResult | None, lang: str) -> Trend | None:
    if previous is None:
        return None
    comparison = compare(previous, result)
    delta = comparison.overall.delta
    date = format_date(previous.as_of, lang)
    if delta is None:
        sentence = translate("report.trend.no_score", lang, date=date)
    elif delta > 0:
        sentence = translate(
            "report.trend.up", lang, date=date, delta=format_score(delta, lang),
            old=format_score(comparison.overall.old, lang),
        )  # fmt: skip
    elif delta < 0:
        sentence = translate(
            "report.trend.down", lang, date=date, delta=format_score(-delta, lang),
            old=format_score(comparison.overall.old, lang),
        )  # fmt: skip
    else:
        sentence = translate(
            "report.trend.same", lang, date=date, old=format_score(comparison.overall.old, lang)
        )
    sentence += " " + translate(
        "report.trend.counts",
        lang,
        new=len(comparison.new),
        resolved=len(comparison.resolved),
        still_open=len(comparison.still_open),
    )
    note = None
    if not comparison.same_catalogue:
        note = translate(
            "report.trend.catalogue_changed",
            lang,
            old=comparison.old_catalogue,
            new=comparison.new_catalogue,
        )
    return Trend(
        comparison=comparison, previous_as_of=previous.as_of, sentence=sentence, catalogue_note=note
    )


def decisions(
    result: AuditResult,
    trend: Trend | None,
    plan: ActionPlan,
    waivers: list[WaiverRow],
    open_findings: list[Finding],
    lang: str,
) -> list[str]:
    out: list[str] = []
    critical = sorted({f.control_id for f in open_findings if f.severity == "critical"})
    if critical:
        count = sum(1 for f in open_findings if f.severity == "critical")
        out.append(
            translate("report.decision.critical", lang, count=count, controls=", ".join(critical))
        )
    if plan.actions:
        first = plan.years[0]
        out.append(
            translate(
                "report.decision.plan",
                lang,
                count=first.actions,
                cost=format_chf(first.cost_chf, lang),
                credit=format_chf(plan.annual_credit, lang),
            )
        )
        if plan.years_needed > 1:
            out.append(
                translate(
                    "report.decision.funding",
                    lang,
                    total=format_chf(plan.total_cost, lang),
                    years=plan.years_needed,
                )
            )
    expired = [w for w in waivers if w.expired]
    if len(expired) > 3:
        out.append(translate("report.decision.expired_many", lang, count=len(expired)))
    else:
        for w in expired:
            out.append(
                translate(
                    "report.decision.expired",
                    lang,
                    control=w.control_id,
                    target=w.target,
                    date=format_date(w.expires_on, lang),
                )
            )
    soon = [w for w in waivers if w.expiring_soon]
    if soon:
        out.append(
            translate(
                "report.decision.expiring",
                lang,
                count=len(soon),
                days=EXPIRY_WARNING_DAYS,
                first=format_date(min(w.expires_on for w in soon), lang),
            )
        )
    if trend is None:
        out.append(translate("report.decision.baseline", lang))
    elif (trend.comparison.overall.delta or 0) < 0:
        out.append(
            translate(
                "report.decision.explain_drop",
                lang,
                delta=format_delta(trend.comparison.overall.delta, lang),
                new=len(trend.comparison.new),
            )
        )
    out.append(
        translate(
            "report.decision.next_review", lang, date=format_date(next_year(result.as_of), lang)
        )
    )
    return out


def next_year(as_of: str) -> dt.date:
    date = dt.date.fromisoformat(as_of)
    try:
        return date.replace(year=date.year + 1)
    except ValueError:  # 29 February
        return date.replace(year=date.year + 1, day=28)
