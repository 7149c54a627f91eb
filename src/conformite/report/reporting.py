"""The report for the Commission numérique: everything it reads, ready to render.

:func:`build_report` turns a loaded :class:`Workspace`, its
:class:`AuditResult` and, when there is one, the previous year's result into a
:class:`Report` in one language. Renderers (``render/html.py``,
``markdown.py``, ``xlsx.py``, ``csv.py``, ``pdf.py``) only lay it out: every
figure, ranking and sentence that depends on the data is decided here, once,
so that the formats say the same thing.

What the report contains, in order:

* the cover: commune, canton, population, audit date, catalogue version and
  the law that applies (the canton's data-protection law for the commune, the
  federal act for its private suppliers);
* the executive summary: score and grade in plain words, the trend against the
  previous report, the three to five risks that matter most (open findings
  grouped by control, ranked by their total weight) and the decisions the
  commission is asked to take;
* scores by family, by protection objective, by service and by supplier;
* the findings, grouped by severity and then by control, each control with its
  legal basis, why it matters and what to do, each target with its protection
  need and owner;
* the action plan: one action per failed control, with its effort (the
  control's estimate per target × the targets that fail), a suggested order
  (severity, then protection need, then the risk removed per franc) and its
  cost set against the annual framework credit (CHF per inhabitant ×
  population, ``[report]`` in ``conformite.toml``);
* the waivers, expired ones first;
* the suppliers: where the data goes, contracts, certifications and dates;
* the record of processing activities (annex, :mod:`conformite.report.register`);
* the methodology: scope, date, scoring formula and what was not assessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from conformite.catalogue.cantons import CantonOverlay
from conformite.catalogue.model import FAMILIES, FEDERAL_INSTRUMENTS, OBJECTIVES, CompiledControl
from conformite.engine.derive import derive, flatten_chain
from conformite.engine.results import AuditResult, Finding, LegalCitation, Score, WaiverStatus
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.i18n.formats import (
    format_chf,
    format_date,
    format_days,
    format_delta,
    format_number,
    format_score,
)
from conformite.report.compare import Comparison, compare
from conformite.report.register import Destination, Register, build_register, safeguard

__all__ = [
    "Action",
    "ActionPlan",
    "FindingGroup",
    "FindingItem",
    "Report",
    "Risk",
    "ScoreRow",
    "SupplierRow",
    "build_report",
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


# --------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------


def _first_sentence(text: str, minimum: int = 80) -> str:
    """The first sentence of a control's rationale (two if the first is short), for the summary."""
    ends = [m.start() for m in re.finditer(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ«\"(])", text)]
    for end in ends:
        if end >= minimum:
            return text[:end].strip()
    return text.strip()


def _is_open(finding: Finding) -> bool:
    return finding.outcome in ("fail", "error")


class _Owners:
    """Who is responsible for a finding's target, from the inventory."""

    def __init__(self, workspace: Workspace, lang: str) -> None:
        inventory = workspace.inventory
        organisation = inventory.organisation
        self.default = organisation.it_responsible or translate("report.owner_unassigned", lang)
        self.services = {s.id: s.owner for s in inventory.services}
        users: dict[str, list[str]] = {}
        for s in inventory.services:
            if s.vendor:
                users.setdefault(s.vendor, [])
                if s.owner not in users[s.vendor]:
                    users[s.vendor].append(s.owner)
        self.vendors = {
            v.id: ", ".join(users.get(v.id, [])) or self.default for v in inventory.vendors
        }
        self.endpoints: dict[str, str] = {}
        for s in inventory.services:
            for e in s.endpoints:
                self.endpoints.setdefault(e.url, s.owner)
        for v in inventory.vendors:
            if v.portal_url:
                self.endpoints.setdefault(v.portal_url, self.vendors[v.id])

    def __call__(self, kind: str, target_id: str) -> str:
        if kind == "service":
            return self.services.get(target_id, self.default)
        if kind == "vendor":
            return self.vendors.get(target_id, self.default)
        if kind == "endpoint":
            return self.endpoints.get(target_id, self.default)
        return self.default


def _control(workspace: Workspace, control_id: str) -> CompiledControl | None:
    return workspace.catalogue.get(control_id)


def _control_text(workspace: Workspace, control_id: str, what: str, lang: str) -> str:
    compiled = _control(workspace, control_id)
    if compiled is None:  # a result from another catalogue
        return ""
    return str(getattr(compiled.control, what).get(lang))


def _score_rows(
    scores: dict[str, Score], order: tuple[str, ...], prefix: str, lang: str
) -> list[ScoreRow]:
    keys = [k for k in order if k in scores] + sorted(set(scores) - set(order))
    return [ScoreRow(k, translate(f"{prefix}.{k}", lang), scores[k]) for k in keys]


def _worst_first(rows: list[ScoreRow]) -> list[ScoreRow]:
    return sorted(
        rows,
        key=lambda r: (r.score.score is None, r.score.score or 0.0, r.label.casefold(), r.key),
    )


def _overlay(workspace: Workspace) -> CantonOverlay | None:
    overlays = getattr(workspace.catalogue, "overlays", None) or {}
    return overlays.get(workspace.config.commune.canton)


def _law(canton: str, overlay: CantonOverlay | None, lang: str) -> list[str]:
    federal = FEDERAL_INSTRUMENTS["nLPD"].get(lang, "nLPD")
    ordinance = FEDERAL_INSTRUMENTS["OPDo"].get(lang, "OPDo")
    lines = []
    if overlay is not None:
        law = overlay.law
        name = f"{law.name} ({law.abbreviation}" + (f", {law.reference})" if law.reference else ")")
        lines.append(translate("report.law.cantonal", lang, canton=canton, law=name))
        lines.append(translate("report.law.supervisor", lang, name=overlay.supervisor.name))
    else:
        lines.append(translate("report.law.no_overlay", lang, canton=canton))
    lines.append(translate("report.law.federal", lang, act=federal, ordinance=ordinance))
    return lines


def _risks(workspace: Workspace, open_findings: list[Finding], lang: str) -> list[Risk]:
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
        rationale = _control_text(workspace, first.control_id, "rationale", lang)
        risks.append(
            Risk(
                control_id=first.control_id,
                title=first.title,
                severity=first.severity,
                targets=len(fs),
                target_names=[f.target_name for f in ordered],
                why=_first_sentence(rationale) if rationale else "",
                weight=round(sum(f.weight for f in fs), 2),
            )
        )
    return risks


def _finding_groups(
    workspace: Workspace, open_findings: list[Finding], owners: _Owners, lang: str
) -> list[tuple[str, list[FindingGroup]]]:
    by_control: dict[str, list[Finding]] = {}
    for f in open_findings:
        by_control.setdefault(f.control_id, []).append(f)
    groups: dict[str, list[FindingGroup]] = {s: [] for s in SEVERITIES}
    for control_id, fs in by_control.items():
        first = fs[0]
        items = [
            FindingItem(
                target_kind=f.target_kind,
                target_id=f.target_id,
                target_name=f.target_name,
                need=f.protection_need,
                outcome=f.outcome,
                messages=list(f.messages),
                owner=owners(f.target_kind, f.target_id),
                weight=f.weight,
                expired_waiver=(
                    translate(
                        "report.expired_waiver",
                        lang,
                        date=format_date(f.expired_waiver.expires_on, lang),
                        approver=f.expired_waiver.approver,
                    )
                    if f.expired_waiver
                    else None
                ),
            )
            for f in sorted(
                fs, key=lambda f: (-f.protection_need, -f.weight, f.target_name, f.target_id)
            )
        ]
        groups.setdefault(first.severity, []).append(
            FindingGroup(
                control_id=control_id,
                title=first.title,
                severity=first.severity,
                family=first.family,
                legal_basis=list(first.legal_basis),
                rationale=_control_text(workspace, control_id, "rationale", lang),
                remediation=_control_text(workspace, control_id, "remediation", lang),
                items=items,
            )
        )
    out = []
    for severity in SEVERITIES:
        ordered = sorted(
            groups.get(severity, []), key=lambda g: (-g.max_need, -g.weight, g.control_id)
        )
        if ordered:
            out.append((severity, ordered))
    return out


def _action_plan(
    workspace: Workspace, open_findings: list[Finding], owners: _Owners, lang: str
) -> ActionPlan:
    options = workspace.config.report
    population = workspace.config.commune.population
    annual_credit = round(options.framework_credit_chf_per_inhabitant * population, 2)
    by_control: dict[str, list[Finding]] = {}
    for f in open_findings:
        by_control.setdefault(f.control_id, []).append(f)
    drafts = []
    for control_id, fs in by_control.items():
        compiled = _control(workspace, control_id)
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


def _target_label(target: str, names: dict[str, str], lang: str) -> str:
    kind, _, ident = target.partition(":")
    if kind == "organisation":
        return translate("target.organisation", lang)
    name = names.get(target, ident)
    return f"{translate(f'target.{kind}', lang)}: {name}"


def _waivers(
    workspace: Workspace, waivers: list[WaiverStatus], as_of: dt.date, lang: str
) -> list[WaiverRow]:
    inventory = workspace.inventory
    names = {f"service:{s.id}": s.name for s in inventory.services}
    names |= {f"vendor:{v.id}": v.name for v in inventory.vendors}
    rows = []
    for w in waivers:
        expires = dt.date.fromisoformat(w.expires_on)
        soon = w.status in ("applied", "unused") and (expires - as_of).days <= EXPIRY_WARNING_DAYS
        rows.append(
            WaiverRow(
                control_id=w.control_id,
                title=_control_text(workspace, w.control_id, "title", lang),
                target=_target_label(w.target, names, lang),
                status=w.status,
                risk=w.risk,
                approver=w.approver,
                decided_on=w.decided_on,
                expires_on=w.expires_on,
                justification=w.justification,
                expiring_soon=soon,
            )
        )
    order = {"expired": 0, "applied": 1, "not_yet_valid": 2, "unused": 3}
    rows.sort(key=lambda r: (order[r.status], r.expires_on, r.control_id, r.target))
    return rows


def _suppliers(
    workspace: Workspace, result: AuditResult, as_of: dt.date, lang: str
) -> list[SupplierRow]:
    inventory = workspace.inventory
    derived = derive(inventory, workspace.reference)
    services = {s.id: s for s in inventory.services}
    standards = workspace.reference.certifications
    rows = []
    for vendor in inventory.vendors:
        facts = derived.vendors[vendor.id]
        certificates = [
            Certificate(
                label=standards[c.standard].label if c.standard in standards else c.standard,
                scope=c.scope or "",
                valid_until=format_date(c.valid_until, lang),
                valid=c.valid_until is not None and c.valid_until >= as_of,
            )
            for c in vendor.certifications
        ]
        if vendor.dpf.certified:
            dpf = translate(
                "report.supplier.dpf_until", lang, date=format_date(vendor.dpf.valid_until, lang)
            )
        else:
            dpf = translate("report.no", lang)
        chain = [
            translate(
                "report.supplier.sub_processor",
                lang,
                path=str(sp["path"]),
                country=str(sp["country"]),
                approved=translate("report.yes" if sp["approved"] else "report.no", lang),
            )
            for sp in flatten_chain(vendor.sub_processors)
        ]
        rows.append(
            SupplierRow(
                vendor_id=vendor.id,
                name=vendor.name,
                country=vendor.country,
                parent=f"{vendor.parent.name} ({vendor.parent.country})" if vendor.parent else "",
                services=[services[s].name for s in facts.service_ids if s in services],
                destinations=[
                    safeguard(country, vendor, None, workspace.reference, as_of, lang)
                    for country in facts.foreign_countries
                ],
                dpa_signed_on=format_date(vendor.dpa.signed_on, lang)
                if vendor.dpa.signed_on
                else translate("report.supplier.no_dpa", lang),
                sub_processors=chain,
                certifications=certificates,
                dpf=dpf,
                fdpic_clauses=vendor.fdpic_clauses,
                breach_notification=translate(
                    "report.supplier.hours", lang, hours=vendor.breach_notification_hours
                )
                if vendor.breach_notification_hours is not None
                else "–",
                audit_rights=vendor.audit_rights,
                contract_end_on=format_date(vendor.contract_end_on, lang),
                last_review_on=format_date(vendor.last_review_on, lang),
                need=facts.max_need,
                score=result.scores.by_vendor.get(vendor.id),
            )
        )
    return rows


def _trend(result: AuditResult, previous: AuditResult | None, lang: str) -> Trend | None:
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


def _decisions(
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
            "report.decision.next_review", lang, date=format_date(_next_year(result.as_of), lang)
        )
    )
    return out


def _next_year(as_of: str) -> dt.date:
    date = dt.date.fromisoformat(as_of)
    try:
        return date.replace(year=date.year + 1)
    except ValueError:  # 29 February
        return date.replace(year=date.year + 1, day=28)


def _methodology(workspace: Workspace, result: AuditResult, lang: str) -> Methodology:
    overall = result.scores.overall
    inventory = workspace.inventory
    scope = [
        translate(
            "report.method.scope",
            lang,
            services=result.workspace.services,
            vendors=result.workspace.vendors,
            controls=result.catalogue.controls,
            version=result.catalogue.version,
        ),
        translate("report.method.as_of", lang, date=format_date(result.as_of, lang)),
        translate(
            "report.method.counts",
            lang,
            findings=len(result.findings),
            passed=overall.passed,
            failed=overall.failed,
            waived=overall.waived,
            errors=overall.errors,
            not_applicable=overall.not_applicable,
        ),
        translate("report.method.digest", lang, sha=result.catalogue.sha256),
    ]
    formula = [translate(f"report.method.formula.{i}", lang) for i in range(1, 6)]
    declared: set[str] = {e.url for s in inventory.services for e in s.endpoints}
    declared |= {v.portal_url for v in inventory.vendors if v.portal_url}
    declared |= {f"mail:{d}" for d in inventory.organisation.mail_domains}
    probed = {
        f.target_id
        for f in result.findings
        if f.target_kind == "endpoint" and f.outcome in ("pass", "fail", "error", "waived")
    }
    not_probed = sorted(declared - probed)
    not_assessed = []
    if not_probed:
        not_assessed.append(
            translate(
                "report.method.not_probed",
                lang,
                count=len(not_probed),
                total=len(declared),
                endpoints=", ".join(u.removeprefix("mail:") for u in not_probed[:10])
                + (" …" if len(not_probed) > 10 else ""),
            )
        )
    elif declared:
        not_assessed.append(translate("report.method.all_probed", lang, total=len(declared)))
    not_assessed.append(
        translate("report.method.not_applicable", lang, count=overall.not_applicable)
    )
    if _overlay(workspace) is None:
        not_assessed.append(
            translate("report.method.no_overlay", lang, canton=result.workspace.canton)
        )
    else:
        not_assessed.append(
            translate("report.method.cantonal", lang, canton=result.workspace.canton)
        )
    not_assessed.append(translate("report.method.declared", lang))
    if not workspace.config.catalogue.include_drafts:
        not_assessed.append(translate("report.method.drafts", lang))
    errors = sorted(
        {f"{f.control_id} ({f.target_name})" for f in result.findings if f.outcome == "error"}
    )
    return Methodology(scope=scope, formula=formula, not_assessed=not_assessed, errors=errors)


def build_report(
    workspace: Workspace,
    result: AuditResult,
    previous: AuditResult | None = None,
    lang: str | None = None,
) -> Report:
    """The report of ``result`` (an audit of ``workspace``), compared with ``previous``."""
    lang = lang or result.lang
    as_of = dt.date.fromisoformat(result.as_of)
    overlay = _overlay(workspace)
    owners = _Owners(workspace, lang)
    open_findings = [f for f in result.findings if _is_open(f)]
    overall = result.scores.overall
    inventory = workspace.inventory
    service_names = {s.id: s.name for s in inventory.services}
    vendor_names = {v.id: v.name for v in inventory.vendors}
    plan = _action_plan(workspace, open_findings, owners, lang)
    waivers = _waivers(workspace, result.waivers, as_of, lang)
    trend = _trend(result, previous, lang)
    if overall.grade is None:
        grade_sentence = translate("report.grade.none", lang)
    else:
        grade_sentence = translate(f"report.grade.{overall.grade}", lang)
    counts_sentence = translate(
        "report.summary.counts",
        lang,
        failed=overall.failed + overall.errors,
        passed=overall.passed,
        waived=overall.waived,
        total=overall.passed + overall.failed + overall.errors + overall.waived,
    )
    return Report(
        lang=lang,
        as_of=result.as_of,
        commune=result.workspace.commune,
        canton=result.workspace.canton,
        population=result.workspace.population,
        catalogue_version=result.catalogue.version,
        catalogue_sha256=result.catalogue.sha256,
        controls=result.catalogue.controls,
        tool_version=result.tool_version,
        law=_law(result.workspace.canton, overlay, lang),
        law_summary=overlay.summary.get(lang) if overlay is not None else None,
        score=overall,
        grade_sentence=grade_sentence,
        counts_sentence=counts_sentence,
        trend=trend,
        risks=_risks(workspace, open_findings, lang),
        decisions=_decisions(result, trend, plan, waivers, open_findings, lang),
        by_family=_score_rows(result.scores.by_family, FAMILIES, "family", lang),
        by_objective=_score_rows(result.scores.by_objective, OBJECTIVES, "objective", lang),
        by_service=_worst_first(
            [ScoreRow(k, service_names.get(k, k), s) for k, s in result.scores.by_service.items()]
        ),
        by_supplier=_worst_first(
            [ScoreRow(k, vendor_names.get(k, k), s) for k, s in result.scores.by_vendor.items()]
        ),
        findings=_finding_groups(workspace, open_findings, owners, lang),
        plan=plan,
        waivers=waivers,
        suppliers=_suppliers(workspace, result, as_of, lang),
        register=build_register(workspace, as_of, lang),
        methodology=_methodology(workspace, result, lang),
        result=result,
    )
