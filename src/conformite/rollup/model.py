"""The roll-up across communes: what ``conformite rollup`` computes, in one model.

:mod:`conformite.rollup.analysis` fills it from the results loaded into DuckDB;
the renderers (JSON, HTML, XLSX) only read it. Its JSON form is
``conformite rollup --format json`` (``conformite schema rollup``).

Figures are computed on each commune's **latest** result (one per commune: by
BFS number, else canton and name); the trend uses every result, one per
commune and calendar year of ``as_of`` (the latest of that year).

With ``private`` (publication), no commune, service or result-file name appears,
``communes`` is empty, and every figure drawn from fewer than
:data:`PRIVACY_MIN_COMMUNES` communes is left out (``suppressed`` says so).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "POPULATION_BANDS",
    "PRIVACY_MIN_COMMUNES",
    "ROLLUP_SCHEMA_VERSION",
    "CommuneRow",
    "ControlRow",
    "Distribution",
    "GroupRow",
    "Rollup",
    "SourceRow",
    "TrendRow",
    "VendorControlRow",
    "VendorRow",
]

ROLLUP_SCHEMA_VERSION = "1.0"
#: In a private roll-up, no figure is drawn from fewer communes than this.
PRIVACY_MIN_COMMUNES = 3
#: Population bands (inclusive lower bound, label), smallest first: a commune's
#: peers are the communes of its band.
POPULATION_BANDS: tuple[tuple[int, str], ...] = (
    (1, "1-999"),
    (1_000, "1000-1999"),
    (2_000, "2000-4999"),
    (5_000, "5000-9999"),
    (10_000, "10000-19999"),
    (20_000, "20000-49999"),
    (50_000, "50000+"),
)

#: How a result's signature was checked: verified with the given public key;
#: unsigned (no .sig/.minisig beside it); not_checked (no public key given).
SignatureState = Literal["verified", "unsigned", "not_checked"]
#: How the communes' entries of one vendor were matched, strongest first.
MatchedBy = Literal["uid", "profile", "name"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class SourceRow(_Model):
    """One result file read (left out of a private roll-up)."""

    #: The path as given on the command line (or recorded in the database).
    file: str
    sha256: str
    signature: SignatureState
    #: The key that verified it ('SHA256:…'), when verified.
    key: str | None = None


class CommuneRow(_Model):
    """One commune's latest result and where it stands among its peers."""

    #: 'bfs:5586', or 'name:VD:lausanne' when the result gives no BFS number.
    key: str
    name: str
    bfs_number: int | None = None
    canton: str
    population: int
    band: str
    as_of: str
    score: float | None
    grade: str | None
    #: Documentation coverage in % (None: no fact read).
    coverage: float | None
    services: int
    vendors: int
    #: Percentile rank among the communes of its band (same population band, all
    #: cantons) with a score: (lower + half of equal, itself included) / count, in
    #: %; None when it has no score or no other commune of its band has one.
    percentile_in_band: float | None
    signature: SignatureState


class Distribution(_Model):
    """Quantiles of one figure over a group of communes (None when no commune
    of the group has that figure). A private roll-up gives no minimum, maximum
    or mean: the extremes are one commune's figures, and means subtract (the mean
    of all and of every group but one give the last group's total)."""

    count: int
    minimum: float | None
    p25: float | None
    median: float | None
    p75: float | None
    maximum: float | None
    mean: float | None


class GroupRow(_Model):
    """The communes of one canton, one population band, or all of them."""

    dimension: Literal["all", "canton", "band"]
    #: The canton code, the band's label, or 'all'.
    key: str
    communes: int
    #: Privacy: fewer than PRIVACY_MIN_COMMUNES communes, figures left out.
    suppressed: bool = False
    score: Distribution | None
    coverage: Distribution | None


class ControlRow(_Model):
    """Where the sector stands on one control: communes by their worst outcome on
    it (fail or error > unknown > pass; waived counts as pass; a commune where
    every finding is not applicable is in not_applicable), and the findings."""

    control_id: str
    title: str
    family: str
    severity: str
    communes_fail: int
    communes_unknown: int
    communes_pass: int
    communes_not_applicable: int
    findings_fail: int
    findings_unknown: int
    findings_pass: int


class VendorControlRow(_Model):
    """One control's outcomes on one vendor, counted in communes."""

    control_id: str
    title: str
    severity: str
    communes_fail: int
    communes_unknown: int
    communes_pass: int


class VendorRow(_Model):
    """One vendor across communes: who depends on it, and its open findings."""

    #: 'uid:CHE-123.456.789', 'profile:acme-cloud' or 'name:acme cloud'; in a
    #: private roll-up, a vendor of fewer than 3 communes is 'suppressed:N', with
    #: no name (empty), UID or profile.
    key: str
    #: The weakest link used to put its entries together (uid only when every
    #: entry carried the same UID).
    matched_by: MatchedBy
    #: The most frequent name in the communes' inventories (ties: alphabetical).
    name: str
    uid: str | None = None
    profile: str | None = None
    communes: int
    #: Share of the roll-up's communes that use it, in %.
    share: float
    #: The communes' names (empty in a private roll-up).
    commune_names: list[str] = Field(default_factory=list)
    #: Controls failed or unknown in at least one commune, most communes first.
    findings: list[VendorControlRow] = Field(default_factory=list)
    #: Privacy: used by fewer than PRIVACY_MIN_COMMUNES communes, figures left out.
    suppressed: bool = False


class TrendRow(_Model):
    """The whole set in one calendar year (each commune's latest result of that year)."""

    year: int
    communes: int
    score: Distribution
    coverage: Distribution
    #: Findings failed (or errored) per commune, on average (None in a private
    #: roll-up: a mean subtracts, see Distribution).
    failures_per_commune: float | None


class Rollup(_Model):
    """conformite rollup --format json: scores and coverage by canton and population
    band, each commune's percentile among its peers, per-control and per-vendor
    outcomes across communes, and the trend by year."""

    schema_version: str = ROLLUP_SCHEMA_VERSION
    tool_version: str
    lang: str
    private: bool
    #: Results read, and communes in the figures (each commune's latest result).
    results: int
    communes_count: int
    #: Earliest and latest audit dates among the latest results.
    as_of_from: str | None
    as_of_until: str | None
    #: Catalogue versions of the results, sorted.
    catalogue_versions: list[str]
    #: Results whose signature was verified / that carry none / not checked.
    signatures: dict[SignatureState, int]
    sources: list[SourceRow]
    groups: list[GroupRow]
    communes: list[CommuneRow]
    controls: list[ControlRow]
    vendors: list[VendorRow]
    trend: list[TrendRow]
