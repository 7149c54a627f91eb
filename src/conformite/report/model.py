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
    "Methodology",
    "Report",
    "Risk",
    "ScoreRow",
    "SupplierRow",
    "Trend",
    "WaiverRow",
    "YearBudget",
]


SEVERITIES = ("critical", "high", "medium", "low")
_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
#: A waiver expiring within this many days of the audit date is flagged.
EXPIRY_WARNING_DAYS = 90
TOP_RISKS = 5
#: How many rows the service and supplier charts show (the tables list all).
CHART_ROWS = 15


@dataclass(frozen=True)
class ScoreRow:
    key: str
    label: str
    score: Score

    @property
    def counted(self) -> bool:
        s = self.score
        return s.passed + s.failed + s.errors + s.waived > 0


@dataclass
class Risk:
    control_id: str
    title: str
    severity: str
    targets: int
    target_names: list[str]
    why: str
    weight: float


@dataclass
class FindingItem:
    target_kind: str
    target_id: str
    target_name: str
    need: int
    outcome: str
    messages: list[str]
    owner: str
    weight: float
    expired_waiver: str | None = None


@dataclass
class FindingGroup:
    control_id: str
    title: str
    severity: str
    family: str
    legal_basis: list[LegalCitation]
    rationale: str
    remediation: str
    items: list[FindingItem]

    @property
    def max_need(self) -> int:
        return max((i.need for i in self.items), default=1)

    @property
    def weight(self) -> float:
        return sum(i.weight for i in self.items)


@dataclass
class Action:
    rank: int
    control_id: str
    title: str
    severity: str
    targets: int
    target_names: list[str]
    person_days: float
    external_chf: float
    cost_chf: float
    year: int
    owners: list[str]
    remediation: str
    weight: float


@dataclass
class YearBudget:
    year: int
    actions: int
    cost_chf: float
    person_days: float


@dataclass
class ActionPlan:
    actions: list[Action]
    person_day_chf: float
    credit_per_inhabitant: float
    annual_credit: float
    total_days: float
    total_external: float
    total_cost: float
    years: list[YearBudget]

    @property
    def years_needed(self) -> int:
        return len(self.years)


@dataclass
class Certificate:
    label: str
    scope: str
    valid_until: str
    valid: bool


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
    fdpic_clauses: bool
    breach_notification: str
    audit_rights: bool
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
    trend: Trend | None
    risks: list[Risk]
    decisions: list[str]
    by_family: list[ScoreRow]
    by_objective: list[ScoreRow]
    by_service: list[ScoreRow]
    by_supplier: list[ScoreRow]
    findings: list[tuple[str, list[FindingGroup]]]
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

    def chf(self, value: float, cents: bool = True) -> str:
        return format_chf(value, self.lang, cents)

    def number(self, value: float, decimals: int = 0) -> str:
        return format_number(value, self.lang, decimals)

    def score_text(self, value: float | None) -> str:
        return format_score(value, self.lang)

    def delta(self, value: float | None) -> str:
        return format_delta(value, self.lang)

    def days(self, value: float) -> str:
        return format_days(value, self.lang)

    @property
    def open_findings(self) -> int:
        return sum(len(g.items) for _, groups in self.findings for g in groups)

    @property
    def chart_services(self) -> list[ScoreRow]:
        return [r for r in self.by_service if r.score.score is not None][:CHART_ROWS]

    @property
    def chart_suppliers(self) -> list[ScoreRow]:
        return [r for r in self.by_supplier if r.score.score is not None][:CHART_ROWS]
