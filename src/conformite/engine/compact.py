"""The compact form of the audit result (schema 3.0), and its expansion.

Schema 2.0 repeats each control's title, family, objectives, severity and
legal basis in every finding, and each target's name, message and fact in
every finding that names it. Schema 3.0 writes each of them once:

* ``controls``: control id -> its title, family, objectives, severity, legal basis;
* ``targets``: a list of ``[kind, id, name]``;
* ``messages``: a list of distinct message texts;
* ``facts``: a list of distinct facts, each ``[name, kind, met]`` or
  ``[name, kind, met, details]``;

and each finding as an object of short keys, the lists referred to by position
(from 0):

=========  ====================================  =========================
key        finding field                         written
=========  ====================================  =========================
``c``      control_id (a key of ``controls``)    always
``t``      target: position in ``targets``       always
``p``      protection_need                       always
``o``      outcome                               always
``w``      weight                                always
``m``      messages: positions in ``messages``   when not empty
``f``      facts: positions in ``facts``         when not empty
``r``      facts_read                            when not 0
``u``      unknown_facts (names)                 when not empty
``v``      waiver                                when there is one
``x``      expired_waiver                        when there is one
``s``      provenance (sources)                  when not empty
=========  ====================================  =========================

Every list is in order of first use by the findings, so the same result
always gives the same text. A finding whose control data differ from its
control's entry (never so today: one audit applies one catalogue) carries
the differing fields under their 2.0 names (``title``, ``family``,
``objectives``, ``severity``, ``legal_basis``), so expanding a 3.0 document
always gives back exactly the 2.0 document's findings (:func:`expand`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, with_config
from typing_extensions import TypedDict

from conformite._json_schema import publish
from conformite.catalogue.model import Severity, TargetKind
from conformite.engine.result_parts import (
    AppliedWaiver,
    FactResult,
    Finding,
    LegalCitation,
    Outcome,
    ResultHead,
    VendorIdentity,
    WaiverStatus,
    WorkspaceInfo,
)

__all__ = [
    "COMPACT_SCHEMA_VERSION",
    "CompactResult",
    "compact_document",
    "compact_parts",
    "compact_schema",
    "expand",
]

COMPACT_SCHEMA_VERSION = "3.0"
_PER_CONTROL = ("title", "family", "objectives", "severity", "legal_basis")


class ControlData(BaseModel):
    """What every finding of one control shares."""

    model_config = ConfigDict(extra="forbid")
    title: str
    family: str
    objectives: list[str]
    severity: Severity
    legal_basis: list[LegalCitation]


#: One fact: [name, kind, met] or [name, kind, met, details].
FactRow = tuple[str, str, bool | None] | tuple[str, str, bool | None, list[str]]
#: One target: [kind, id, name].
TargetRow = tuple[TargetKind, str, str]


class _RowKeys(TypedDict):
    c: str
    t: NonNegativeInt
    p: int
    o: Outcome
    w: float


@with_config(ConfigDict(extra="forbid"))
class Row(_RowKeys, total=False):
    """One finding: see the module's table of keys."""

    m: list[NonNegativeInt]
    f: list[NonNegativeInt]
    r: int
    u: list[str]
    v: AppliedWaiver
    x: AppliedWaiver
    s: dict[str, str]
    title: str
    family: str
    objectives: list[str]
    severity: Severity
    legal_basis: list[LegalCitation]


class CommuneInfo(WorkspaceInfo):
    """What was audited; in the compact form with the commune's BFS number (null
    when conformite.toml does not give it)."""

    bfs_number: int | None = None


class CompactResult(ResultHead):
    """The audit result (conformite audit --format json), compact form: each control's
    data once in 'controls', each target, message and fact once in 'targets',
    'messages' and 'facts', and each finding as an object of short keys (c control
    id, t target's position in 'targets', p protection need, o outcome, w weight; when
    not empty: m and f positions in 'messages' and 'facts', r facts read, u unknown
    facts, v waiver, x expired waiver, s provenance). 'conformite audit --schema 2'
    writes the full form (2.0)."""

    schema_version: str = COMPACT_SCHEMA_VERSION
    workspace: CommuneInfo
    vendors: list[VendorIdentity] = Field(default_factory=list)
    controls: dict[str, ControlData]
    targets: list[TargetRow]
    messages: list[str]
    facts: list[FactRow]
    findings: list[Row]
    waivers: list[WaiverStatus]


def compact_schema() -> dict[str, Any]:
    """The published JSON Schema of the 3.0 result."""
    schema = publish(CompactResult, kind="result", version=COMPACT_SCHEMA_VERSION)
    # A finding's optional keys are left out when empty: pydantic's serialisation
    # schema (every key with a default required) would require them.
    row = schema["$defs"]["Row"]
    row["required"] = [key for key in row["properties"] if key in Row.__required_keys__]
    return schema


def _fact_key(fact: FactResult) -> tuple[Any, ...]:
    if fact.details:
        return (fact.name, fact.kind, fact.met, tuple(fact.details))
    return (fact.name, fact.kind, fact.met)


def _position(table: dict[Any, int], key: Any) -> int:
    """``key``'s position in ``table`` (in order of first use), added if new."""
    position = table.get(key)
    if position is None:
        position = table[key] = len(table)
    return position


class _Index:
    """The tables of a result's compact form, filled by a first pass over its
    findings: each control's data, and the positions of targets, messages and
    facts in order of first use."""

    __slots__ = ("controls", "facts", "first", "messages", "targets")

    def __init__(self, findings: list[Finding]) -> None:
        self.controls: dict[str, dict[str, Any]] = {}
        self.targets: dict[tuple[str, str, str], int] = {}
        self.messages: dict[str, int] = {}
        self.facts: dict[tuple[Any, ...], int] = {}
        #: The first finding of each control, which the others are compared with.
        self.first: dict[str, Finding] = {}
        for f in findings:
            if f.control_id not in self.first:
                self.first[f.control_id] = f
                self.controls[f.control_id] = {
                    "title": f.title,
                    "family": f.family,
                    "objectives": list(f.objectives),
                    "severity": f.severity,
                    "legal_basis": [asdict(c) for c in f.legal_basis],
                }
            _position(self.targets, (f.target_kind, f.target_id, f.target_name))
            for m in f.messages:
                _position(self.messages, m)
            for fact in f.facts:
                _position(self.facts, _fact_key(fact))

    def row(self, f: Finding) -> dict[str, Any]:
        """The compact row of one finding (every table filled already)."""
        row: dict[str, Any] = {
            "c": f.control_id,
            "t": self.targets[(f.target_kind, f.target_id, f.target_name)],
            "p": f.protection_need,
            "o": f.outcome,
            "w": f.weight,
        }
        if f.messages:
            row["m"] = [self.messages[m] for m in f.messages]
        if f.facts:
            row["f"] = [self.facts[_fact_key(fact)] for fact in f.facts]
        if f.facts_read:
            row["r"] = f.facts_read
        if f.unknown_facts:
            row["u"] = f.unknown_facts
        if f.waiver is not None:
            row["v"] = asdict(f.waiver)
        if f.expired_waiver is not None:
            row["x"] = asdict(f.expired_waiver)
        if f.provenance:
            row["s"] = f.provenance
        first = self.first[f.control_id]
        if first is not f:
            for name in _PER_CONTROL:
                value = getattr(f, name)
                if value is not getattr(first, name) and value != getattr(first, name):
                    row[name] = [asdict(c) for c in value] if name == "legal_basis" else value
        return row


def compact_parts(result: Any) -> tuple[dict[str, Any], _Index, list[Any]]:
    """The 3.0 document of ``result`` in three parts, for writing it piece by piece:
    everything before ``findings`` (keys in order), the index whose
    :meth:`_Index.row` gives each finding's row, and ``waivers`` (plain JSON data)."""
    head = result.model_dump(mode="json", exclude={"findings", "waivers"})
    index = _Index(result.findings)
    head["workspace"]["bfs_number"] = result.workspace.bfs_number
    head["vendors"] = [v.model_dump(mode="json") for v in result.vendors]
    document: dict[str, Any] = {"schema_version": COMPACT_SCHEMA_VERSION}
    for key, value in head.items():
        if key != "schema_version":
            document[key] = value
    document["controls"] = index.controls
    document["targets"] = [list(t) for t in index.targets]
    document["messages"] = list(index.messages)
    document["facts"] = [
        [*key[:3], list(key[3])] if len(key) > 3 else list(key) for key in index.facts
    ]
    return document, index, [w.model_dump(mode="json") for w in result.waivers]


def compact_document(result: Any) -> dict[str, Any]:
    """The 3.0 document of ``result`` (an :class:`~conformite.engine.results.AuditResult`:
    plain JSON data, keys in a fixed order)."""
    document, index, waivers = compact_parts(result)
    document["findings"] = [index.row(f) for f in result.findings]
    document["waivers"] = waivers
    return document


def _fact(row: FactRow) -> FactResult:
    details = list(row[3]) if len(row) > 3 else []  # type: ignore[misc]
    return FactResult(row[0], row[1], row[2], details)  # type: ignore[arg-type]


def expand(compact: CompactResult) -> dict[str, Any]:
    """The fields of the result a 3.0 document stands for (but its version): the
    same findings as its 2.0 form.

    Findings of one control share their control's lists (objectives, legal basis).
    A reference to a control, target, message or fact the document lacks: ValueError."""
    findings: list[Finding] = []
    controls, targets, messages, facts = (
        compact.controls,
        compact.targets,
        compact.messages,
        compact.facts,
    )
    for number, row in enumerate(compact.findings):
        try:
            control = controls[row["c"]]
            kind, target_id, name = targets[row["t"]]
            texts = [messages[i] for i in row.get("m", ())]
            read = [_fact(facts[i]) for i in row.get("f", ())]
        except (KeyError, IndexError):
            raise ValueError(
                f"findings.{number}: refers to a control, target, message or fact "
                "the document does not list"
            ) from None
        findings.append(
            Finding(
                row["c"],
                row.get("family", control.family),
                row.get("objectives", control.objectives),
                row.get("severity", control.severity),
                row.get("title", control.title),
                kind,
                target_id,
                name,
                row["p"],
                row["o"],
                row.get("legal_basis", control.legal_basis),
                texts,
                read,
                row["w"],
                row.get("v"),
                row.get("x"),
                row.get("s", {}),
                row.get("r", 0),
                row.get("u", []),
            )
        )
    return {
        "tool_version": compact.tool_version,
        "as_of": compact.as_of,
        "lang": compact.lang,
        "workspace": WorkspaceInfo(**compact.workspace.model_dump()),
        "vendors": compact.vendors,
        "jurisdiction": compact.jurisdiction,
        "catalogue": compact.catalogue,
        "scores": compact.scores,
        "findings": findings,
        "waivers": compact.waivers,
    }
