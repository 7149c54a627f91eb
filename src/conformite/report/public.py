"""The public summary (``report --audience public``): what the commune does to protect
its residents' data, for the residents, in plain words.

The model digital strategy promises transparency; a published report must not help an
attacker. So this summary holds only aggregates: the overall score and grade, the
documentation coverage, the scores by family, the progress since last year (score
change, gaps resolved and new, as numbers), how many services and suppliers are
inventoried and how many are in the record of processing activities, and the plan as
numbers of actions and francs per year, by family. It never names a system, a supplier,
a control or a finding, and says nothing about how a gap could be exploited. The
commission's report stays internal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from conformite.catalogue.model import FAMILIES
from conformite.report.model import Report

__all__ = ["PublicSummary", "public_summary"]


@dataclass
class PublicYear:
    year: int
    actions: int
    cash_chf: float
    person_days: float
    #: Translated family label -> number of actions of that family in the year.
    families: list[tuple[str, int]]


@dataclass
class PublicSummary:
    lang: str
    commune: str
    canton: str
    as_of: str
    law: list[str]
    score: float | None
    grade: str | None
    grade_sentence: str
    coverage: float | None
    #: (translated family, score) in catalogue order, families with a score only.
    families: list[tuple[str, float]]
    services: int
    suppliers: int
    in_register: int
    previous_as_of: str | None
    score_change: float | None
    resolved: int
    new: int
    years: list[PublicYear]
    horizon_years: int
    annual_credit: float


def public_summary(report: Report) -> PublicSummary:
    """The aggregates of ``report`` that may be published."""
    t = report.t
    groups = [*(g for _, gs in report.findings for g in gs), *report.to_document]
    family_of = {g.control_id: g.family for g in groups}
    years = []
    for y in report.plan.years:
        actions = [a for a in report.plan.actions if a.year == y.year]
        counts = Counter(family_of.get(a.control_id, "") for a in actions)
        years.append(
            PublicYear(
                year=y.year,
                actions=y.actions,
                cash_chf=y.cash_chf,
                person_days=y.person_days,
                families=[(t(f"family.{f}"), counts[f]) for f in FAMILIES if counts.get(f)],
            )
        )
    trend = report.trend
    return PublicSummary(
        lang=report.lang,
        commune=report.commune,
        canton=report.canton,
        as_of=report.as_of,
        law=report.law,
        score=report.score.score,
        grade=report.score.grade,
        grade_sentence=report.grade_sentence,
        coverage=report.score.coverage,
        families=[
            (row.label, row.score.score)
            for row in report.by_family
            if row.counted and row.score.score is not None
        ],
        services=report.result.workspace.services,
        suppliers=report.result.workspace.vendors,
        in_register=sum(1 for e in report.register.entries if e.listed),
        previous_as_of=trend.previous_as_of if trend else None,
        score_change=trend.comparison.overall.delta if trend else None,
        resolved=len(trend.comparison.resolved) if trend else 0,
        new=len(trend.comparison.new) if trend else 0,
        years=years,
        horizon_years=report.plan.horizon_years,
        annual_credit=report.plan.annual_credit,
    )
