"""Year on year: what changed between two audit results.

Findings are matched on (control, target kind, target id), which are static
ids (never texts), so two results in different languages compare. A finding
is a *confirmed gap* when it failed or could not be evaluated (``fail``,
``error``), a *fact to document* when it is ``unknown``. Learning a fact is
neither fixing a gap nor finding a new one, so each change falls in exactly
one category:

* **new**: a confirmed gap now, and not before, when it was not to document
  either (a new target, a new control, or a control that passed last time);
* **resolved**: a confirmed gap before, passes now;
* **still open**: a confirmed gap before and now;
* **documented**: to document before, decided now (``new_outcome`` says how:
  it passes, it is a gap, it does not apply): the facts were given, nothing
  was fixed or broken (:attr:`Comparison.documented_gaps` are the ones that
  turned out to be gaps);
* **to document**: to document now, and not before (a new control or target
  whose facts are missing, or a fact removed from the inventory; a confirmed
  gap that is now only to document is here too, not "resolved");
* **still to document**: to document before and now;
* **set aside**: a confirmed gap or a fact to document before, now waived, not
  applicable (a gap), or no longer assessed (the target or the control is gone).

A result written before schema 2.0 has no ``unknown`` finding: its changes
fall in the first three categories and "set aside", as before.

Score changes are given overall, per family and per protection objective.

:meth:`Comparison.to_dict` is ``conformite diff --format json``: its shape is
:class:`DiffDocument`, published as ``conformite schema diff``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from 3.12

from conformite._json_schema import publish
from conformite.catalogue.model import FAMILIES, OBJECTIVES, Severity, TargetKind
from conformite.engine.results import AuditResult, Finding, Grade, Outcome, Score

__all__ = [
    "DIFF_SCHEMA_VERSION",
    "Comparison",
    "DiffDocument",
    "FindingChange",
    "ScoreChange",
    "compare",
    "diff_schema",
]

#: Version of ``diff --format json``. Bump the major part on any change a consumer
#: of the JSON must adapt to.
DIFF_SCHEMA_VERSION = "1.0"

OPEN = ("fail", "error")
UNKNOWN = ("unknown",)
_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


# Every key is written and required in the published schema; no other key is allowed.
_closed = with_config(ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True))


@_closed
@dataclass(frozen=True)
class FindingChange:
    """One finding of one target, as it was and as it is (null: not assessed then)."""

    control_id: str
    severity: Severity
    title: str
    target_kind: TargetKind
    target_id: str
    target_name: str
    weight: float
    old_outcome: Outcome | None
    new_outcome: Outcome | None
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreChange:
    key: str
    old: float | None
    new: float | None
    old_grade: Grade | None
    new_grade: Grade | None
    #: Documentation coverage (%), None before schema 2.0 or when no fact was read.
    old_coverage: float | None = None
    new_coverage: float | None = None

    @property
    def delta(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return round(self.new - self.old, 1)


@_closed
class ScoreChangeJson(TypedDict):
    """A score (0-100) before and after; null where the slice was not scored."""

    key: str
    old: float | None
    new: float | None
    old_grade: Grade | None
    new_grade: Grade | None
    old_coverage: float | None
    new_coverage: float | None
    delta: float | None


@_closed
class AuditJson(TypedDict):
    as_of: str
    catalogue: str


@_closed
class ScoresJson(TypedDict):
    overall: ScoreChangeJson
    by_family: list[ScoreChangeJson]
    by_objective: list[ScoreChangeJson]


@_closed
class FindingsJson(TypedDict):
    new: list[FindingChange]
    resolved: list[FindingChange]
    still_open: list[FindingChange]
    documented: list[FindingChange]
    to_document: list[FindingChange]
    still_to_document: list[FindingChange]
    set_aside: list[FindingChange]


Count = Annotated[int, Field(ge=0)]


@_closed
class CountsJson(TypedDict):
    new: Count
    resolved: Count
    still_open: Count
    documented: Count
    to_document: Count
    still_to_document: Count
    set_aside: Count
    documented_gaps: Count


@_closed
class DiffDocument(TypedDict):
    """What changed between two audit results (conformite diff --format json): the
    two audits, score changes overall, by family and by protection objective, and the
    findings in one category each (new, resolved, still open, documented, to document,
    still to document, set aside) with their counts."""

    schema_version: str
    old: AuditJson
    new: AuditJson
    scores: ScoresJson
    findings: FindingsJson
    counts: CountsJson


def diff_schema() -> dict[str, Any]:
    """The published JSON Schema of ``diff --format json``."""
    return publish(DiffDocument, kind="diff", version=DIFF_SCHEMA_VERSION)


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
    documented: list[FindingChange] = field(default_factory=list)
    to_document: list[FindingChange] = field(default_factory=list)
    still_to_document: list[FindingChange] = field(default_factory=list)

    @property
    def same_catalogue(self) -> bool:
        return self.old_catalogue == self.new_catalogue

    @property
    def documented_gaps(self) -> list[FindingChange]:
        """Documented since, and found to be confirmed gaps."""
        return [c for c in self.documented if c.new_outcome in OPEN]

    def sections(self) -> list[tuple[str, list[FindingChange]]]:
        """Every category with its message key (``diff.h.*``), in the order to show them."""
        return [
            ("diff.h.new", self.new),
            ("diff.h.resolved", self.resolved),
            ("diff.h.still_open", self.still_open),
            ("diff.h.documented", self.documented),
            ("diff.h.to_document", self.to_document),
            ("diff.h.still_to_document", self.still_to_document),
            ("diff.h.set_aside", self.set_aside),
        ]

    def to_dict(self) -> DiffDocument:
        """A JSON-ready dictionary (deterministic order)."""

        def score(change: ScoreChange) -> ScoreChangeJson:
            return {**asdict(change), "delta": change.delta}  # type: ignore[typeddict-item]

        return {  # type: ignore[return-value]
            "schema_version": DIFF_SCHEMA_VERSION,
            "old": {"as_of": self.old_as_of, "catalogue": self.old_catalogue},
            "new": {"as_of": self.new_as_of, "catalogue": self.new_catalogue},
            "scores": {
                "overall": score(self.overall),
                "by_family": [score(c) for c in self.by_family],
                "by_objective": [score(c) for c in self.by_objective],
            },
            "findings": {name: [asdict(f) for f in changes] for name, changes in self._named()},
            "counts": {
                **{name: len(changes) for name, changes in self._named()},
                "documented_gaps": len(self.documented_gaps),
            },
        }

    def _named(self) -> list[tuple[str, list[FindingChange]]]:
        return [(key.removeprefix("diff.h."), changes) for key, changes in self.sections()]


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
        old_coverage=old.coverage if old else None,
        new_coverage=new.coverage if new else None,
    )


def _ordered_keys(known: tuple[str, ...], *dicts: dict[str, Score]) -> list[str]:
    present = set().union(*dicts)
    return [k for k in known if k in present] + sorted(present - set(known))


def compare(old: AuditResult, new: AuditResult) -> Comparison:
    """What changed from ``old`` to ``new``."""
    before = {_key(f): f for f in old.findings}
    after = {_key(f): f for f in new.findings}
    new_open, resolved, still_open, set_aside = [], [], [], []
    documented, to_document, still_to_document = [], [], []
    for key, finding in after.items():
        previous = before.get(key)
        was = previous.outcome if previous is not None else None
        now = finding.outcome
        change = _change(previous, finding)
        if was in UNKNOWN:
            (still_to_document if now in UNKNOWN else documented).append(change)
        elif now in OPEN:
            (still_open if was in OPEN else new_open).append(change)
        elif now in UNKNOWN:
            to_document.append(change)
        elif was in OPEN:
            (resolved if now == "pass" else set_aside).append(change)
    for key, previous in before.items():
        if key not in after and (previous.outcome in OPEN or previous.outcome in UNKNOWN):
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
        documented=sorted(documented, key=_order),
        to_document=sorted(to_document, key=_order),
        still_to_document=sorted(still_to_document, key=_order),
    )
