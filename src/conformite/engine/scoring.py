"""Stage 3 of the flow: scores from findings.

Each finding that is ``pass``, ``fail`` or ``error`` carries a weight::

    weight = severity weight × protection-need factor

    severity weight:        low 1, medium 2, high 4, critical 8
    protection-need factor: normal 1, high 1.5, very_high 2
                            (the target's highest effective need among the
                             control's objectives; all objectives when the
                             control names none; organisation controls: 1)

    score = 100 × Σ weight(pass) / Σ weight(pass, fail, unknown, error)

``not_applicable`` findings are excluded; ``waived`` findings are excluded
from the score and counted apart (an accepted risk is neither a success nor
an open gap); ``unknown`` (a fact to document) counts as not passed: a
commune must be able to show that it complies (accountability, nLPD art. 7
and the cantonal laws alike), and what it cannot show is not yet a success.
``error`` counts as not passed, so a broken check never raises a score. The
same formula gives the overall score and the scores by family, by objective
(C, I, A, traceability: controls that name the objective), by service and by
vendor (findings whose target is that service or vendor).

Beside each score: the weight of the confirmed gaps (``fail``) and of the
facts to document (``unknown``), and the **documentation coverage**::

    coverage = 100 × (1 − Σ facts unknown / Σ facts read)

over the applicable findings (not ``not_applicable``): each finding counts
the facts its control read on its target and the ones that were unknown.

Grades: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below. Like SSL Labs' grade caps,
a grade never claims more than the coverage supports: below 90 % coverage
the grade is at most B, below 75 % at most C, below 50 % at most D
(``grade_capped`` says when the cap applied).
"""

from __future__ import annotations

from collections.abc import Iterable

from conformite.catalogue.model import FAMILIES, OBJECTIVES
from conformite.engine.results import Finding, Score, Scores

__all__ = [
    "COVERAGE_CAPS",
    "GRADES",
    "NEED_FACTOR",
    "SEVERITY_WEIGHT",
    "grade",
    "score",
    "score_findings",
    "weigh",
]

SEVERITY_WEIGHT = {"low": 1.0, "medium": 2.0, "high": 4.0, "critical": 8.0}
NEED_FACTOR = {1: 1.0, 2: 1.5, 3: 2.0}
GRADES = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"), (0.0, "E"))
#: (coverage below, best grade allowed), strictest first.
COVERAGE_CAPS = ((50.0, "D"), (75.0, "C"), (90.0, "B"))
_LETTERS = "ABCDE"


#: Every weight there is, one float object each: the findings share them (a
#: float per finding was 9 MiB on 10,000 services).
_WEIGHTS = {
    (severity, need): SEVERITY_WEIGHT[severity] * factor
    for severity in SEVERITY_WEIGHT
    for need, factor in NEED_FACTOR.items()
}


def weigh(finding: Finding) -> float:
    """The weight of one finding in every score it belongs to."""
    weight = _WEIGHTS.get((finding.severity, finding.protection_need))
    if weight is None:
        return SEVERITY_WEIGHT[finding.severity] * NEED_FACTOR.get(finding.protection_need, 1.0)
    return weight


def grade(value: float | None, coverage: float | None = None) -> str | None:
    """The letter of a score, capped by the documentation coverage when given."""
    if value is None:
        return None
    letter = next(letter for floor, letter in GRADES if value >= floor)
    if coverage is not None:
        for below, best in COVERAGE_CAPS:
            if coverage < below:
                return max(letter, best, key=_LETTERS.index)
    return letter


class _Tally:
    """Counts and weights of one slice, filled one finding at a time."""

    __slots__ = ("counts", "facts_read", "facts_unknown", "weights")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(
            ("pass", "fail", "unknown", "error", "waived", "not_applicable"), 0
        )
        self.weights = dict.fromkeys(("pass", "fail", "unknown", "error"), 0.0)
        self.facts_read = 0
        self.facts_unknown = 0

    def add(self, finding: Finding, weight: float) -> None:
        outcome = finding.outcome
        self.counts[outcome] += 1
        if outcome in self.weights:
            self.weights[outcome] += weight
        if outcome != "not_applicable":
            self.facts_read += finding.facts_read
            self.facts_unknown += len(finding.unknown_facts)

    def score(self) -> Score:
        counts, weights = self.counts, self.weights
        total = weights["pass"] + weights["fail"] + weights["unknown"] + weights["error"]
        value = round(100.0 * weights["pass"] / total, 1) if total else None
        coverage = (
            round(100.0 * (1 - self.facts_unknown / self.facts_read), 1)
            if self.facts_read
            else None
        )
        letter = grade(value, coverage)
        # Values computed here, from trusted findings: built without
        # validation (a large audit has over a thousand slices).
        return Score.model_construct(
            score=value,
            grade=letter,
            passed=counts["pass"],
            failed=counts["fail"],
            unknown=counts["unknown"],
            errors=counts["error"],
            waived=counts["waived"],
            not_applicable=counts["not_applicable"],
            weight_passed=round(weights["pass"], 2),
            weight_failed=round(weights["fail"], 2),
            weight_unknown=round(weights["unknown"], 2),
            weight_total=round(total, 2),
            facts_read=self.facts_read,
            facts_unknown=self.facts_unknown,
            coverage=coverage,
            grade_capped=letter != grade(value),
        )


def score(findings: Iterable[Finding]) -> Score:
    """The score of any set of weighted findings."""
    tally = _Tally()
    for f in findings:
        tally.add(f, f.weight)
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
        overall.add(finding, weight)
        family = by_family.get(finding.family)
        if family is None:
            family = by_family[finding.family] = _Tally()
        family.add(finding, weight)
        for objective in finding.objectives:
            if objective in by_objective:
                by_objective[objective].add(finding, weight)
        kind = finding.target_kind
        if kind == "service" or kind == "vendor":
            slices = by_service if kind == "service" else by_vendor
            tally = slices.get(finding.target_id)
            if tally is None:
                tally = slices[finding.target_id] = _Tally()
            tally.add(finding, weight)
    return findings, Scores.model_construct(
        overall=overall.score(),
        by_family={f: by_family[f].score() for f in FAMILIES if f in by_family},
        by_objective={o: t.score() for o, t in by_objective.items()},
        by_service={k: t.score() for k, t in sorted(by_service.items())},
        by_vendor={k: t.score() for k, t in sorted(by_vendor.items())},
    )
