"""Stage 3 of the flow: scores from findings.

Each finding that is ``pass``, ``fail`` or ``error`` carries a weight::

    weight = severity weight × protection-need factor

    severity weight:        low 1, medium 2, high 4, critical 8
    protection-need factor: normal 1, high 1.5, very_high 2
                            (the target's highest effective need among the
                             control's objectives; all objectives when the
                             control names none; organisation controls: 1)

    score = 100 × Σ weight(pass) / Σ weight(pass, fail, error)

``not_applicable`` findings are excluded; ``waived`` findings are excluded
from the score and counted apart (an accepted risk is neither a success nor
an open gap); ``error`` counts as not passed, so a broken check never raises
a score. The same formula gives the overall score and the scores by family,
by objective (C, I, A, traceability: controls that name the objective), by
service and by vendor (findings whose target is that service or vendor).

Grades: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformite.catalogue.model import FAMILIES, OBJECTIVES
from conformite.engine.results import Finding, Score, Scores

__all__ = ["GRADES", "NEED_FACTOR", "SEVERITY_WEIGHT", "grade", "score", "score_findings", "weigh"]

SEVERITY_WEIGHT = {"low": 1.0, "medium": 2.0, "high": 4.0, "critical": 8.0}
NEED_FACTOR = {1: 1.0, 2: 1.5, 3: 2.0}
GRADES = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"), (0.0, "E"))


def weigh(finding: Finding) -> float:
    """The weight of one finding in every score it belongs to."""
    return SEVERITY_WEIGHT[finding.severity] * NEED_FACTOR.get(finding.protection_need, 1.0)


def grade(value: float | None) -> str | None:
    if value is None:
        return None
    return next(letter for floor, letter in GRADES if value >= floor)


class _Tally:
    """Counts and weights of one slice, filled one finding at a time."""

    __slots__ = ("counts", "weight_passed", "weight_total")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(("pass", "fail", "error", "waived", "not_applicable"), 0)
        self.weight_passed = 0.0
        self.weight_total = 0.0

    def add(self, outcome: str, weight: float) -> None:
        self.counts[outcome] += 1
        if outcome == "pass":
            self.weight_passed += weight
            self.weight_total += weight
        elif outcome in ("fail", "error"):
            self.weight_total += weight

    def score(self) -> Score:
        counts = self.counts
        total = self.weight_total
        value = round(100.0 * self.weight_passed / total, 1) if total else None
        # Values computed here, from trusted findings: built without
        # validation (a large audit has over a thousand slices).
        return Score.model_construct(
            score=value,
            grade=grade(value),
            passed=counts["pass"],
            failed=counts["fail"],
            errors=counts["error"],
            waived=counts["waived"],
            not_applicable=counts["not_applicable"],
            weight_passed=round(self.weight_passed, 2),
            weight_total=round(total, 2),
        )


def score(findings: Iterable[Finding]) -> Score:
    """The score of any set of weighted findings."""
    tally = _Tally()
    for f in findings:
        tally.add(f.outcome, f.weight)
    return tally.score()


def score_findings(findings: list[Finding]) -> tuple[list[Finding], Scores]:
    """Weigh every finding (in place) and compute all the scores, in one pass."""
    overall = _Tally()
    by_family: dict[str, _Tally] = {}
    by_objective = {objective: _Tally() for objective in OBJECTIVES}
    by_service: dict[str, _Tally] = {}
    by_vendor: dict[str, _Tally] = {}
    for finding in findings:
        weight = finding.weight = weigh(finding)
        outcome = finding.outcome
        overall.add(outcome, weight)
        family = by_family.get(finding.family)
        if family is None:
            family = by_family[finding.family] = _Tally()
        family.add(outcome, weight)
        for objective in finding.objectives:
            if objective in by_objective:
                by_objective[objective].add(outcome, weight)
        kind = finding.target_kind
        if kind == "service" or kind == "vendor":
            slices = by_service if kind == "service" else by_vendor
            tally = slices.get(finding.target_id)
            if tally is None:
                tally = slices[finding.target_id] = _Tally()
            tally.add(outcome, weight)
    return findings, Scores.model_construct(
        overall=overall.score(),
        by_family={f: by_family[f].score() for f in FAMILIES if f in by_family},
        by_objective={o: t.score() for o, t in by_objective.items()},
        by_service={k: t.score() for k, t in sorted(by_service.items())},
        by_vendor={k: t.score() for k, t in sorted(by_vendor.items())},
    )
