"""Year on year: what changed between two audit results.

Findings are matched on (control, target kind, target id), which are static
ids (never texts), so two results in different languages compare. A finding
is *open* when it failed or could not be evaluated (``fail``, ``error``):

* **new**: open now, not open before (a new target, a new control, or a
  control that passed last time);
* **resolved**: open before, passes now;
* **still open**: open before and now;
* **set aside**: open before, now waived, not applicable, or no longer
  assessed (the target or the control is gone).

Score changes are given overall, per family and per protection objective.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from conformite.catalogue.model import FAMILIES, OBJECTIVES
from conformite.engine.results import AuditResult, Finding, Score

__all__ = ["Comparison", "FindingChange", "ScoreChange", "compare"]

OPEN = ("fail", "error")
_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True)
class FindingChange:
    """One finding of one target, as it was and as it is."""

    control_id: str
    severity: str
    title: str
    target_kind: str
    target_id: str
    target_name: str
    weight: float
    old_outcome: str | None
    new_outcome: str | None
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreChange:
    key: str
    old: float | None
    new: float | None
    old_grade: str | None
    new_grade: str | None

    @property
    def delta(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return round(self.new - self.old, 1)


@dataclass
class Comparison:
    old_as_of: str
    new_as_of: str
    old_catalogue: str
    new_catalogue: str
    overall: ScoreChange
    by_family: list[ScoreChange]
    by_objective: list[ScoreChange]
    new: list[FindingChange]
    resolved: list[FindingChange]
    still_open: list[FindingChange]
    set_aside: list[FindingChange]

    @property
    def same_catalogue(self) -> bool:
        return self.old_catalogue == self.new_catalogue

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (deterministic order)."""

        def score(change: ScoreChange) -> dict[str, Any]:
            return {**asdict(change), "delta": change.delta}

        return {
            "old": {"as_of": self.old_as_of, "catalogue": self.old_catalogue},
            "new": {"as_of": self.new_as_of, "catalogue": self.new_catalogue},
            "scores": {
                "overall": score(self.overall),
                "by_family": [score(c) for c in self.by_family],
                "by_objective": [score(c) for c in self.by_objective],
            },
            "findings": {
                "new": [asdict(f) for f in self.new],
                "resolved": [asdict(f) for f in self.resolved],
                "still_open": [asdict(f) for f in self.still_open],
                "set_aside": [asdict(f) for f in self.set_aside],
            },
            "counts": {
                "new": len(self.new),
                "resolved": len(self.resolved),
                "still_open": len(self.still_open),
                "set_aside": len(self.set_aside),
            },
        }


def _key(finding: Finding) -> tuple[str, str, str]:
    return finding.control_id, finding.target_kind, finding.target_id


def _change(old: Finding | None, new: Finding | None) -> FindingChange:
    current = new if new is not None else old
    assert current is not None
    return FindingChange(
        control_id=current.control_id,
        severity=current.severity,
        title=current.title,
        target_kind=current.target_kind,
        target_id=current.target_id,
        target_name=current.target_name,
        weight=current.weight,
        old_outcome=old.outcome if old is not None else None,
        new_outcome=new.outcome if new is not None else None,
        messages=list(current.messages),
    )


def _order(change: FindingChange) -> tuple[int, float, str, str, str]:
    return (
        -_SEVERITY_RANK.get(change.severity, 0),
        -change.weight,
        change.control_id,
        change.target_kind,
        change.target_id,
    )


def _score_change(key: str, old: Score | None, new: Score | None) -> ScoreChange:
    return ScoreChange(
        key=key,
        old=old.score if old else None,
        new=new.score if new else None,
        old_grade=old.grade if old else None,
        new_grade=new.grade if new else None,
    )


def _ordered_keys(known: tuple[str, ...], *dicts: dict[str, Score]) -> list[str]:
    present = set().union(*dicts)
    return [k for k in known if k in present] + sorted(present - set(known))


def compare(old: AuditResult, new: AuditResult) -> Comparison:
    """What changed from ``old`` to ``new``."""
    before = {_key(f): f for f in old.findings}
    after = {_key(f): f for f in new.findings}
    new_open, resolved, still_open, set_aside = [], [], [], []
    for key, finding in after.items():
        previous = before.get(key)
        if finding.outcome in OPEN:
            if previous is not None and previous.outcome in OPEN:
                still_open.append(_change(previous, finding))
            else:
                new_open.append(_change(previous, finding))
        elif previous is not None and previous.outcome in OPEN:
            if finding.outcome == "pass":
                resolved.append(_change(previous, finding))
            else:
                set_aside.append(_change(previous, finding))
    for key, previous in before.items():
        if key not in after and previous.outcome in OPEN:
            set_aside.append(_change(previous, None))
    families = _ordered_keys(FAMILIES, old.scores.by_family, new.scores.by_family)
    objectives = _ordered_keys(OBJECTIVES, old.scores.by_objective, new.scores.by_objective)
    return Comparison(
        old_as_of=old.as_of,
        new_as_of=new.as_of,
        old_catalogue=old.catalogue.version,
        new_catalogue=new.catalogue.version,
        overall=_score_change("overall", old.scores.overall, new.scores.overall),
        by_family=[
            _score_change(k, old.scores.by_family.get(k), new.scores.by_family.get(k))
            for k in families
        ],
        by_objective=[
            _score_change(k, old.scores.by_objective.get(k), new.scores.by_objective.get(k))
            for k in objectives
        ],
        new=sorted(new_open, key=_order),
        resolved=sorted(resolved, key=_order),
        still_open=sorted(still_open, key=_order),
        set_aside=sorted(set_aside, key=_order),
    )
