"""The parts of an audit result: findings, waivers, scores, and what was audited.

Both forms of the result's JSON are built from these: the full form
(:class:`conformite.engine.results.AuditResult`, schema 2.0) and the compact
form (:mod:`conformite.engine.compact`, schema 3.0). Import them from
:mod:`conformite.engine.results`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from conformite.catalogue.model import Language, Severity, TargetKind

Outcome = Literal["pass", "fail", "unknown", "waived", "not_applicable", "error"]
Grade = Literal["A", "B", "C", "D", "E"]


class _Model(BaseModel):
    # Every field is written, defaults too: the published schema requires them all.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


# Findings are created by the thousand on large inventories: they are plain
# (slotted) dataclasses, which pydantic still validates when JSON is read
# back and serialises in AuditResult.to_json.


@dataclass(slots=True)
class LegalCitation:
    citation: str
    url: str
    canton: str | None = None


@dataclass(slots=True)
class FactResult:
    """One named condition or requirement and whether it was met.

    ``met`` is None when facts nobody gave decide it; ``details`` then names them.
    """

    name: str
    kind: Literal["condition", "requirement", "dependency"]
    met: bool | None
    details: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AppliedWaiver:
    approver: str
    decided_on: str
    expires_on: str
    risk: str
    justification: str


@dataclass(slots=True)
class Finding:
    """One control applied to one target.

    ``evaluation._evaluate_targets`` builds findings with positional
    arguments (its hot path): reordering these fields means updating it.
    """

    control_id: str
    family: str
    objectives: list[str]
    severity: Severity
    title: str
    target_kind: TargetKind
    target_id: str
    target_name: str
    protection_need: int
    outcome: Outcome
    legal_basis: list[LegalCitation]
    messages: list[str]
    facts: list[FactResult]
    weight: float = 0.0
    waiver: AppliedWaiver | None = None
    expired_waiver: AppliedWaiver | None = None
    #: For a vendor built on a supplier profile (and its services): each vendor
    #: fact the control read -> "inventory" or "profile ID@VERSION (publisher)".
    #: Keys are sorted; empty when no profile is involved. Since schema 1.2.
    provenance: dict[str, str] = field(default_factory=dict)
    #: How many facts (inventory values that may be unknown) the control read on
    #: this target, and the names of those that are unknown. Since schema 2.0.
    facts_read: int = 0
    unknown_facts: list[str] = field(default_factory=list)


class WaiverStatus(_Model):
    control_id: str
    target: str
    status: Literal["applied", "unused", "expired", "not_yet_valid"]
    approver: str
    decided_on: str
    expires_on: str
    risk: str
    justification: str


class Score(_Model):
    """Score of one slice: 0-100, from the weights of passed and not passed findings.

    ``unknown`` findings (facts to document) count as not passed; ``coverage``
    is the share of the facts read by the slice's applicable findings that are
    known, and caps the grade (see :mod:`conformite.engine.scoring`).
    """

    score: float | None
    grade: Grade | None
    passed: int
    failed: int
    errors: int
    waived: int
    not_applicable: int
    weight_passed: float
    weight_total: float
    # Since schema 2.0; the defaults let a result written by 1.x be read (diff, trend).
    unknown: int = 0
    weight_failed: float = 0.0
    weight_unknown: float = 0.0
    facts_read: int = 0
    facts_unknown: int = 0
    coverage: float | None = None
    grade_capped: bool = False


class Scores(_Model):
    overall: Score
    by_family: dict[str, Score]
    by_objective: dict[str, Score]
    by_service: dict[str, Score]
    by_vendor: dict[str, Score]


class CatalogueInfo(_Model):
    version: str
    sha256: str
    controls: int


class WorkspaceInfo(_Model):
    commune: str
    canton: str
    population: int
    services: int
    vendors: int
    #: The commune's number at the Federal Statistical Office (BFS/OFS/UST), when
    #: conformite.toml gives it: names the commune across years and mergers in a
    #: roll-up. Written in the compact form only (2.0 stays as it was).
    bfs_number: int | None = Field(None, exclude=True)


class VendorIdentity(_Model):
    """What names a vendor across communes: its Swiss company number (UID) and the
    supplier profile its entry is built on, when the inventory gives them."""

    id: str
    name: str
    uid: str | None = None
    #: The supplier profile, 'ID@VERSION'.
    profile: str | None = None


class JurisdictionInfo(_Model):
    """The law that binds the commune: its canton's, or the federal baseline."""

    canton: str
    overlay: bool
    law: str | None = None
    law_abbreviation: str | None = None
    law_url: str | None = None
    #: The version of the cantonal law applied: in force from, and until (when
    #: a later text replaced it) (schema 2.0).
    law_in_force_from: dt.date | None = None
    law_in_force_until: dt.date | None = None
    supervisor: str | None = None
    supervisor_url: str | None = None
    certainty: str | None = None
    note: str


class ResultHead(_Model):
    """What both forms of the result write before the findings, in this order."""

    schema_version: str
    tool_version: str
    as_of: str
    lang: Language
    workspace: WorkspaceInfo
    jurisdiction: JurisdictionInfo | None = None
    catalogue: CatalogueInfo
    scores: Scores
    #: Every vendor of the inventory with what names it across communes (compact
    #: form only, after 'scores'; 2.0 stays as it was).
    vendors: list[VendorIdentity] = Field(default_factory=list, exclude=True)
