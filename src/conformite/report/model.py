"""The report's model: every part the commission reads, ready to render.

Renderers (:mod:`conformite.report.render`) only lay these out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from conformite.engine.results import AuditResult, LegalCitation, Score
from conformite.i18n import translate
from conformite.i18n.formats import (
    format_chf,
    format_date,
    format_days,
    format_delta,
    format_number,
    format_score,
)
from conformite.report.compare import Comparison
from conformite.report.register import Destination, Register

__all__ = [
    "Action",
    "ActionPlan",
    "Certificate",
    "FindingGroup",
    "FindingItem",
    "FixPlan",
    "Methodology",
    "Report",
    "Risk",
    "ScoreRow",
    "SupplierRow",
    "Trend",
    "WaiverRow",
    "YearBudget",
    "days_text",
    "person_days",
]


SEVERITIES = ("critical", "high", "medium", "low")
_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
#: A waiver expiring within this many days of the audit date is flagged.
EXPIRY_WARNING_DAYS = 90
TOP_RISKS = 5
#: How many groups of facts to document the summary lists.
TOP_UNKNOWNS = 5
#: How many rows the service and supplier charts show (the tables list all).
CHART_ROWS = 15


def days_text(value: float, lang: str) -> str:
    """Person-days with their unit, singular or plural: ``1 jour-personne``, ``0.5 jour-personne``,
    ``2 jours-personne``, ``1 person-day``, ``0.25 person-days``."""
    return translate("unit.person_days", lang, days=value, days_text=person_days(value, lang))


def person_days(value: float, lang: str) -> str:
    """Person-days: ``2``, ``0.5``, ``12.5``, and ``0.25`` below one day (a quarter of a day
    of finding out is not 0.2)."""
    if value >= 1 or float(round(value * 10, 6)).is_integer():
        return format_days(value, lang)
    return format_number(value, lang, 2)


@dataclass(frozen=True)
class ScoreRow:
    """One score (a family, an objective, a service, a supplier) with its two kinds of gap."""

    key: str
    label: str
    score: Score

    @property
    def counted(self) -> bool:
        s = self.score
        return s.passed + s.failed + s.errors + s.unknown + s.waived > 0

    @property
    def gaps(self) -> int:
        """Confirmed gaps: failed checks and checks that could not be evaluated."""
        return self.score.failed + self.score.errors

    @property
    def unknown(self) -> int:
        """Facts to document."""
        return self.score.unknown

    @property
    def grade_label(self) -> str:
        """The grade, marked ``*`` when the documentation coverage capped it."""
        grade = self.score.grade or "–"
        return grade + "*" if self.score.grade_capped else grade


@dataclass
class Risk:
    """One line of the summary: a control's confirmed gaps, or its facts to document."""

    control_id: str
    #: The control's problem statement (its title when it has none).
    title: str
    severity: str
    #: ``gap`` (confirmed: fail, error) or ``unknown`` (facts to document).
    kind: str
    targets: int
    target_names: list[str]
    why: str
    #: Σ severity weight × protection-need factor × exposure factor (report/risk.py).
    risk: float
    #: What exposes the riskiest target (sensitive data, internet, …), translated.
    exposure: list[str] = field(default_factory=list)
    #: Targets whose waiver of this control has expired.
    expired_waivers: list[str] = field(default_factory=list)
    #: For facts to document: the facts, and who can answer.
    missing: list[str] = field(default_factory=list)
    who: str = ""


@dataclass
class FindingItem:
    target_kind: str
    target_id: str
    target_name: str
    need: int
    outcome: str
    #: For a fact to document, without the "who can answer" sentences (see ``answer``).
    messages: list[str]
    owner: str
    weight: float
    expired_waiver: str | None = None
    risk: float = 0.0
    #: The unknown facts the verdict depends on (also on a failure: "also to document").
    unknown_facts: list[str] = field(default_factory=list)
    #: Who can give the missing facts (unknown findings).
    answer: list[str] = field(default_factory=list)


@dataclass
class FindingGroup:
    """The open findings of one control, all of one kind (``gap`` or ``unknown``)."""

    control_id: str
    title: str
    severity: str
    family: str
    legal_basis: list[LegalCitation]
    rationale: str
    remediation: str
    items: list[FindingItem]
    kind: str = "gap"
    problem: str = ""

    @property
    def max_need(self) -> int:
        return max((i.need for i in self.items), default=1)

    @property
    def weight(self) -> float:
        return sum(i.weight for i in self.items)

    @property
    def risk(self) -> float:
        return round(sum(i.risk for i in self.items), 2)

    @property
    def expired_waivers(self) -> list[str]:
        return [i.target_name for i in self.items if i.expired_waiver]


@dataclass
class Action:
    """Fix a control's confirmed gaps (``fix``), or document its missing facts (``find_out``).

    ``cash_chf`` (external costs) is charged to the framework credit and
    ``person_days`` to the staff capacity; ``value_chf`` (both, the days at the
    person-day rate) only ranks actions and prices what needs an extra credit.
    """

    rank: int
    control_id: str
    title: str
    severity: str
    targets: int
    target_names: list[str]
    person_days: float
    cash_chf: float
    value_chf: float
    #: 1 … horizon; 0 when not planned (beyond the horizon, or a separate credit request).
    year: int
    owners: list[str]
    remediation: str
    weight: float
    kind: str = "fix"
    risk: float = 0.0
    expired_waiver: bool = False
    #: The control checks a commune duty (other than the risk-based security measures).
    legal_duty: bool = False
    critical: bool = False
    #: Part ``part`` of ``parts`` when the action was split over the years (0 when whole).
    part: int = 0
    parts: int = 0
    #: Days bought from outside at the person-day rate (included in ``cash_chf``).
    bought_days: float = 0.0

    @property
    def first(self) -> bool:
        """Planned first, and within the first two years: a legal duty or a critical gap."""
        return self.legal_duty or self.critical


@dataclass
class YearBudget:
    year: int
    actions: int
    #: External costs, charged to the framework credit.
    cash_chf: float
    #: Internal person-days, against the staff capacity.
    person_days: float
    credit_chf: float
    staff_days: float
    #: Days bought from outside (their price is in ``cash_chf``).
    bought_days: float = 0.0

    @property
    def credit_share(self) -> float | None:
        """Per cent of the year's credit used (None without a credit)."""
        return 100 * self.cash_chf / self.credit_chf if self.credit_chf else None

    @property
    def staff_share(self) -> float | None:
        return 100 * self.person_days / self.staff_days if self.staff_days else None


@dataclass(frozen=True)
class FixPlan:
    """The plan for one control's confirmed gaps: its cost and its years."""

    cash_chf: float
    person_days: float
    years: list[int]
    #: Every part is planned within the horizon.
    planned: bool


@dataclass
class ActionPlan:
    #: Planned actions, by year then priority.
    actions: list[Action]
    #: What does not fit in the horizon (legal duties: not within two years).
    beyond: list[Action]
    #: Actions of which even one target exceeds a year's budget.
    credit_requests: list[Action]
    horizon_years: int
    #: Last day of the horizon (ISO date): until when a risk may be accepted.
    horizon_end: str
    person_day_chf: float
    credit_per_inhabitant: float
    annual_credit: float
    staff_days_per_year: float
    years: list[YearBudget]
    #: What documenting one finding's missing facts is reckoned to take.
    find_out_person_days: float = 0.25

    @property
    def all_actions(self) -> list[Action]:
        return [*self.actions, *self.beyond, *self.credit_requests]

    @property
    def planned_cash(self) -> float:
        return round(sum(y.cash_chf for y in self.years), 2)

    @property
    def planned_days(self) -> float:
        return round(sum(y.person_days for y in self.years), 2)

    @property
    def unplanned(self) -> list[Action]:
        return [*self.beyond, *self.credit_requests]

    @property
    def unplanned_cash(self) -> float:
        return round(sum(a.cash_chf for a in self.unplanned), 2)

    @property
    def unplanned_days(self) -> float:
        return round(sum(a.person_days for a in self.unplanned), 2)

    def fix_of(self, control_id: str) -> FixPlan:
        """What fixing ``control_id``'s confirmed gaps costs, and in which years the plan
        does it (its parts when split; nothing when it has no gap to fix)."""
        actions = [a for a in self.all_actions if a.control_id == control_id and a.kind == "fix"]
        return FixPlan(
            cash_chf=round(sum(a.cash_chf for a in actions), 2),
            person_days=round(sum(a.person_days for a in actions), 2),
            years=sorted({a.year for a in actions if a.year}),
            planned=bool(actions) and all(a.year for a in actions),
        )

    @property
    def unplanned_value(self) -> float:
        """The extra credit that would buy everything not planned (days at the person-day rate)."""
        return round(sum(a.value_chf for a in self.unplanned), 2)


@dataclass
class Certificate:
    label: str
    scope: str
    valid_until: str
    #: None when its expiry date is not known.
    valid: bool | None


@dataclass
class SupplierRow:
    vendor_id: str
    name: str
    country: str
    parent: str
    services: list[str]
    destinations: list[Destination]
    dpa_signed_on: str
    sub_processors: list[str]
    certifications: list[Certificate]
    dpf: str
    #: "yes", "no" or "not known", translated.
    fdpic_clauses: str
    breach_notification: str
    audit_rights: str
    contract_end_on: str
    last_review_on: str
    need: int
    score: Score | None


@dataclass
class WaiverRow:
    control_id: str
    title: str
    target: str
    status: str
    risk: str
    approver: str
    decided_on: str
    expires_on: str
    justification: str
    expiring_soon: bool

    @property
    def expired(self) -> bool:
        return self.status == "expired"


@dataclass
class Trend:
    comparison: Comparison
    previous_as_of: str
    sentence: str
    catalogue_note: str | None


@dataclass
class Methodology:
    scope: list[str]
    formula: list[str]
    not_assessed: list[str]
    errors: list[str]


@dataclass
class Report:
    """Everything the commission reads, in one language (:func:`build_report`)."""

    lang: str
    as_of: str
    commune: str
    canton: str
    population: int
    catalogue_version: str
    catalogue_sha256: str
    controls: int
    tool_version: str
    law: list[str]
    law_summary: str | None
    score: Score
    grade_sentence: str
    counts_sentence: str
    #: Documentation coverage, and the grade cap when it applied.
    coverage_sentence: str
    trend: Trend | None
    #: The confirmed gaps that matter most (expired waivers flagged).
    risks: list[Risk]
    #: What we do not know yet: the facts to document that matter most.
    unknowns: list[Risk]
    decisions: list[str]
    by_family: list[ScoreRow]
    by_objective: list[ScoreRow]
    by_service: list[ScoreRow]
    by_supplier: list[ScoreRow]
    #: Confirmed gaps, by severity.
    findings: list[tuple[str, list[FindingGroup]]]
    #: Facts to document, by control, the riskiest first.
    to_document: list[FindingGroup]
    plan: ActionPlan
    waivers: list[WaiverRow]
    suppliers: list[SupplierRow]
    register: Register
    methodology: Methodology
    result: AuditResult = field(repr=False)

    def t(self, key: str, **values: object) -> str:
        """Translate ``key`` in the report's language."""
        return translate(key, self.lang, **values)

    def date(self, value: dt.date | str | None) -> str:
        return format_date(value, self.lang)

    def chf(self, value: float) -> str:
        return format_chf(value, self.lang)

    def number(self, value: float, decimals: int = 0) -> str:
        return format_number(value, self.lang, decimals)

    def score_text(self, value: float | None) -> str:
        return format_score(value, self.lang)

    def delta(self, value: float | None) -> str:
        return format_delta(value, self.lang)

    def days(self, value: float) -> str:
        return person_days(value, self.lang)

    def percent(self, value: float | None) -> str:
        """``87 %``, or ``–`` when there is no budget to measure against."""
        return "–" if value is None else f"{format_number(value, self.lang, 0)} %"

    @property
    def plan_intro(self) -> str:
        p = self.plan
        return self.t(
            "report.plan.intro",
            years=p.horizon_years,
            per_inhabitant=self.chf(p.credit_per_inhabitant),
            population=self.number(self.population),
            credit=self.chf(p.annual_credit),
            staff=days_text(p.staff_days_per_year, self.lang),
            find_out=days_text(p.find_out_person_days, self.lang),
        )

    @property
    def plan_total(self) -> str:
        p = self.plan
        return self.t(
            "report.plan.total",
            count=len(p.actions),
            cash=self.chf(p.planned_cash),
            days=days_text(p.planned_days, self.lang),
            years=p.horizon_years,
            unplanned=len(p.unplanned),
            value=self.chf(p.unplanned_value),
        )

    def priority_text(self, action: Action) -> str:
        """Why an action comes first (legal duty, critical gap), else its severity."""
        parts = []
        if action.legal_duty:
            parts.append(self.t("report.plan.legal_duty"))
        if action.critical:
            parts.append(self.t("report.plan.critical"))
        if any(a is action for a in self.plan.credit_requests):
            parts.append(self.t("report.plan.separate"))
        return ", ".join(parts) or self.t("severity." + action.severity)

    def fix_cost_text(self, risk: Risk) -> str:
        """What fixing a top risk costs and when the plan does it."""
        fix = self.plan.fix_of(risk.control_id)
        when = (
            self.t("report.risk.when_years", years=", ".join(map(str, fix.years)))
            if fix.planned
            else self.t("report.risk.when_unplanned")
        )
        return self.t(
            "report.risk.fix_cost",
            cash=self.chf(fix.cash_chf),
            days=days_text(fix.person_days, self.lang),
            when=when,
        )

    @property
    def open_findings(self) -> int:
        """How many confirmed gaps (failed or not evaluated checks) the report lists."""
        return sum(len(g.items) for _, groups in self.findings for g in groups)

    @property
    def unknown_findings(self) -> int:
        """How many facts to document the report lists."""
        return sum(len(g.items) for g in self.to_document)

    @property
    def grades_capped(self) -> bool:
        """A score table shows a grade capped by coverage (its note is needed)."""
        rows = (*self.by_family, *self.by_objective, *self.by_service, *self.by_supplier)
        return any(r.score.grade_capped for r in rows if r.counted)

    def coverage_text(self, score: Score) -> str:
        """``86.7 %``, or ``–`` when the slice read no fact."""
        return "–" if score.coverage is None else f"{format_number(score.coverage, self.lang, 1)} %"

    @property
    def chart_services(self) -> list[ScoreRow]:
        return [r for r in self.by_service if r.score.score is not None][:CHART_ROWS]

    @property
    def chart_suppliers(self) -> list[ScoreRow]:
        return [r for r in self.by_supplier if r.score.score is not None][:CHART_ROWS]
