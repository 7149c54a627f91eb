"""The decisions the commission is asked to take, worded as motions it can vote on.

From the plan (:mod:`.plan`): the critical gaps first, the year-1 plan (cash
from the credit, days of staff time), the later years to take note of, an
extra credit for legal duties that do not fit in two years, the choice between
an extra credit and accepting the remaining risks until the end of the
horizon, and a separate credit for any action larger than a year. Then the
facts to document, the waivers, the baseline or the score's drop, and the next
review.
"""

from __future__ import annotations

from conformite.engine.results import AuditResult
from conformite.i18n import translate
from conformite.i18n.formats import format_chf, format_date, format_delta, format_number
from conformite.report.common import NAMED, first_few
from conformite.report.model import (
    EXPIRY_WARNING_DAYS,
    Action,
    ActionPlan,
    Trend,
    WaiverRow,
    days_text,
)
from conformite.report.summary import next_year

__all__ = ["decisions", "targets_text", "titles_text"]


def targets_text(names: list[str]) -> str:
    """``Portail, Messagerie, Paie …``: the first targets an action concerns."""
    return first_few(names)


def titles_text(actions: list[Action]) -> str:
    return first_few([a.title for a in actions], "; ")


def _plan_motions(plan: ActionPlan, lang: str) -> list[str]:
    out: list[str] = []
    for action in [a for a in plan.all_actions if a.critical][:NAMED]:
        key = "report.motion.critical" if action.year else "report.motion.critical_unplanned"
        out.append(
            translate(
                key,
                lang,
                title=action.title,
                targets=targets_text(action.target_names),
                year=action.year,
                cash=format_chf(action.cash_chf, lang),
                days=days_text(action.person_days, lang),
            )
        )
    first = plan.years[0]
    if first.actions:
        out.append(
            translate(
                "report.motion.year1",
                lang,
                count=first.actions,
                cash=format_chf(first.cash_chf, lang),
                credit=format_chf(plan.annual_credit, lang),
                days=days_text(first.person_days, lang),
                staff=days_text(plan.staff_days_per_year, lang),
            )
            + (
                " "
                + translate(
                    "report.motion.bought",
                    lang,
                    days=days_text(first.bought_days, lang),
                    rate=format_chf(plan.person_day_chf, lang),
                )
                if first.bought_days
                else ""
            )
        )
    later = plan.years[1:]
    if any(y.actions for y in later):
        out.append(
            translate(
                "report.motion.later",
                lang,
                last=plan.horizon_years,
                cash=format_chf(sum(y.cash_chf for y in later), lang),
                days=days_text(sum(y.person_days for y in later), lang),
            )
        )
    legal = [a for a in plan.beyond if a.first]
    if legal:
        out.append(
            translate(
                "report.motion.legal_extra",
                lang,
                count=len(legal),
                value=format_chf(sum(a.value_chf for a in legal), lang),
                titles=titles_text(legal),
                cash=format_chf(sum(a.cash_chf for a in legal), lang),
                days=days_text(sum(a.person_days for a in legal), lang),
                rate=format_chf(plan.person_day_chf, lang),
            )
        )
    others = [a for a in plan.beyond if not a.first]
    if others:
        out.append(
            translate(
                "report.motion.extra_or_accept",
                lang,
                count=len(others),
                years=plan.horizon_years,
                value=format_chf(sum(a.value_chf for a in others), lang),
                cash=format_chf(sum(a.cash_chf for a in others), lang),
                days=days_text(sum(a.person_days for a in others), lang),
                rate=format_chf(plan.person_day_chf, lang),
                date=format_date(plan.horizon_end, lang),
                titles=titles_text(sorted(others, key=lambda a: -a.risk)),
            )
        )
    for action in plan.credit_requests:
        out.append(
            translate(
                "report.motion.separate",
                lang,
                value=format_chf(action.value_chf, lang),
                title=action.title,
                targets=targets_text(action.target_names),
            )
        )
    return out


def decisions(
    result: AuditResult,
    trend: Trend | None,
    plan: ActionPlan,
    waivers: list[WaiverRow],
    lang: str,
) -> list[str]:
    """What the commission is asked to decide, as motions."""
    out = _plan_motions(plan, lang)
    find_out = [a for a in plan.all_actions if a.kind == "find_out"]
    if find_out:
        out.append(
            translate(
                "report.decision.document",
                lang,
                count=sum(a.targets for a in find_out),
                days=days_text(sum(a.person_days for a in find_out), lang),
                coverage=format_number(result.scores.overall.coverage or 0.0, lang, 1),
            )
        )
    expired = [w for w in waivers if w.expired]
    if len(expired) > NAMED:
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
