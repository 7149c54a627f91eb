"""The executive summary: the risks that matter most, what we do not know yet, the trend,
the decisions asked for."""

from __future__ import annotations

import datetime as dt

from conformite.engine.results import AuditResult, Finding, Score
from conformite.i18n import fact_label, translate
from conformite.i18n.formats import (
    format_date,
    format_number,
    format_score,
)
from conformite.report.common import Answerer, Owners, answerers, first_sentence
from conformite.report.compare import compare
from conformite.report.model import (
    TOP_RISKS,
    TOP_UNKNOWNS,
    FindingGroup,
    Risk,
    Trend,
)
from conformite.report.risk import EXPOSURE_FACTORS, Exposures

__all__ = [
    "coverage_sentence",
    "fact_list",
    "facts_named",
    "next_year",
    "top_risks",
    "top_unknowns",
    "trend_of",
    "who_can_answer",
]

#: How many missing facts, and names, one line of the summary shows.
SHOWN = 4


def _names(names: list[str], shown: int = 3) -> str:
    return ", ".join(names[:shown]) + (" …" if len(names) > shown else "")


def facts_named(facts: list[str], lang: str) -> str:
    """Every fact as its label with its path for whoever edits the YAML:
    ``date of the last restore test (security.backup.last_restore_test_on)``."""
    out = []
    for fact in facts:
        label = fact_label(fact, lang)
        short = fact.split(".", 1)[1] if "." in fact else fact
        out.append(fact if label == fact else f"{label} ({short})")
    return "; ".join(out)


def fact_list(facts: list[str], lang: str, shown: int = SHOWN) -> str:
    """The first ``shown`` facts in words (their labels), and how many more."""
    labels: list[str] = []
    for fact in facts:
        label = fact_label(fact, lang)
        if label not in labels:  # the same fact of several list items
            labels.append(label)
    facts = labels
    text = ", ".join(facts[:shown])
    if len(facts) > shown:
        text += " " + translate(
            "finding.and_more", lang, count=format_number(len(facts) - shown, lang)
        )
    return text


def _exposure(group: FindingGroup, exposures: Exposures, lang: str) -> list[str]:
    """The exposure factors of the group's riskiest target (its items are riskiest first)."""
    if not group.items:
        return []
    first = group.items[0]
    present = exposures(first.target_kind, first.target_id).factors
    return [translate(f"report.exposure.{f}", lang) for f in EXPOSURE_FACTORS if f in present]


def _risk(group: FindingGroup, exposures: Exposures, lang: str) -> Risk:
    return Risk(
        control_id=group.control_id,
        title=group.problem or group.title,
        severity=group.severity,
        kind=group.kind,
        targets=len(group.items),
        target_names=[i.target_name for i in group.items],
        why=first_sentence(group.rationale) if group.rationale else "",
        risk=group.risk,
        exposure=_exposure(group, exposures, lang),
        expired_waivers=group.expired_waivers,
    )


def top_risks(
    gap_groups: list[tuple[str, list[FindingGroup]]], exposures: Exposures, lang: str
) -> list[Risk]:
    """The confirmed gaps that matter most: the riskiest controls (expired waivers rank up)."""
    groups = [g for _, gs in gap_groups for g in gs]
    groups.sort(key=lambda g: (-g.risk, g.control_id))
    return [_risk(g, exposures, lang) for g in groups[:TOP_RISKS]]


def who_can_answer(findings: list[Finding], owners: Owners, lang: str) -> str:
    """One sentence: the service owners, the vendors and the administration who can answer."""
    found: list[Answerer] = []
    for f in findings:
        _, _, people = answerers(list(f.messages))
        if not people:  # a control's own message (an endpoint never probed, …)
            people = (
                [Answerer("administration")]
                if f.target_kind == "organisation"
                else [Answerer("owner", owners(f.target_kind, f.target_id))]
            )
        found += [p for p in people if p not in found]
    parts = []
    owner_names = [a.name for a in found if a.kind == "owner"]
    vendor_names = [a.name for a in found if a.kind == "vendor"]
    if owner_names:
        key = "report.ask.owners" if len(owner_names) > 1 else "report.ask.owner"
        parts.append(translate(key, lang, names=_names(owner_names)))
    if vendor_names:
        key = "report.ask.vendors" if len(vendor_names) > 1 else "report.ask.vendor"
        parts.append(translate(key, lang, names=_names(vendor_names)))
    if any(a.kind == "administration" for a in found):
        parts.append(translate("report.ask.administration", lang))
    return translate("report.ask.who", lang, who="; ".join(parts)) if parts else ""


def top_unknowns(
    unknown_groups: list[FindingGroup],
    findings: list[Finding],
    exposures: Exposures,
    owners: Owners,
    lang: str,
) -> list[Risk]:
    """What we do not know yet: the riskiest controls to document, the facts and who can answer."""
    out = []
    for group in unknown_groups[:TOP_UNKNOWNS]:
        risk = _risk(group, exposures, lang)
        facts: list[str] = []
        for item in group.items:
            facts += [x for x in item.unknown_facts if x not in facts]
        risk.missing = facts
        # Without named facts (an endpoint never probed, …) the control's own message says
        # what is missing.
        first = group.items[0].messages if group.items else []
        risk.why = "" if facts or not first else first[0]
        targets = {(i.target_kind, i.target_id) for i in group.items}
        risk.who = who_can_answer(
            [
                f
                for f in findings
                if f.control_id == group.control_id
                and f.outcome == "unknown"
                and (f.target_kind, f.target_id) in targets
            ],
            owners,
            lang,
        )
        out.append(risk)
    return out


def coverage_sentence(score: Score, lang: str) -> str:
    """The documentation coverage of ``score``, and the grade cap when it applied."""
    from conformite.engine.scoring import grade

    if score.coverage is None:
        return ""
    text = translate(
        "report.summary.coverage",
        lang,
        coverage=format_number(score.coverage, lang, 1),
        unknown=score.facts_unknown,
        read=score.facts_read,
    )
    if score.grade_capped:
        text += " " + translate(
            "report.summary.capped",
            lang,
            grade=score.grade,
            uncapped=grade(score.score),
            coverage=format_number(score.coverage, lang, 1),
        )
    return text


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
    sentence += " " + translate(
        "report.trend.unknown_counts",
        lang,
        documented=len(comparison.documented),
        gaps=len(comparison.documented_gaps),
        new=len(comparison.to_document),
        still=len(comparison.still_to_document),
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


def years_after(as_of: str, years: int) -> dt.date:
    """The same day ``years`` years after ``as_of`` (28 February for a 29 February)."""
    date = dt.date.fromisoformat(as_of)
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


def next_year(as_of: str) -> dt.date:
    return years_after(as_of, 1)
