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

from conformite.catalogue import FAMILIES, OBJECTIVES
from conformite.results import Finding, Score, Scores

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


def score(findings: Iterable[Finding]) -> Score:
    """The score of any set of weighted findings."""
    passed = failed = errors = waived = not_applicable = 0
    weight_passed = weight_total = 0.0
    for f in findings:
        if f.outcome == "pass":
            passed += 1
            weight_passed += f.weight
            weight_total += f.weight
        elif f.outcome == "fail":
            failed += 1
            weight_total += f.weight
        elif f.outcome == "error":
            errors += 1
            weight_total += f.weight
        elif f.outcome == "waived":
            waived += 1
        else:
            not_applicable += 1
    value = round(100.0 * weight_passed / weight_total, 1) if weight_total else None
    return Score(
        score=value,
        grade=grade(value),
        passed=passed,
        failed=failed,
        errors=errors,
        waived=waived,
        not_applicable=not_applicable,
        weight_passed=round(weight_passed, 2),
        weight_total=round(weight_total, 2),
    )


def score_findings(findings: list[Finding]) -> tuple[list[Finding], Scores]:
    """Weigh every finding (in place) and compute all the scores."""
    weighted = findings
    for finding in weighted:
        finding.weight = weigh(finding)
    by_family = {
        family: score(f for f in weighted if f.family == family)
        for family in FAMILIES
        if any(f.family == family for f in weighted)
    }
    by_objective = {
        objective: score(f for f in weighted if objective in f.objectives)
        for objective in OBJECTIVES
    }
    by_service: dict[str, list[Finding]] = {}
    by_vendor: dict[str, list[Finding]] = {}
    for f in weighted:
        if f.target_kind == "service":
            by_service.setdefault(f.target_id, []).append(f)
        elif f.target_kind == "vendor":
            by_vendor.setdefault(f.target_id, []).append(f)
    return weighted, Scores(
        overall=score(weighted),
        by_family=by_family,
        by_objective=by_objective,
        by_service={k: score(v) for k, v in sorted(by_service.items())},
        by_vendor={k: score(v) for k, v in sorted(by_vendor.items())},
    )
