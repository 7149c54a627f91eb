"""``audit --format sarif``: the findings as SARIF 2.1.0, for code-scanning views.

One SARIF run per audit. Its rules (``tool.driver.rules``) are the controls that
were evaluated, in id order; its results are the findings a CI user must act on:

* a confirmed gap (``fail``, or ``error``: the control could not run) is a
  result of kind ``fail``, its level from the control's severity;
* a finding whose facts are to document (``unknown``) is of kind ``open``:
  SARIF's "the tool could not decide whether the rule is satisfied". SARIF
  requires level ``none`` for any kind other than ``fail``;
* a waived finding is the result it would be without its waiver, carrying a
  ``suppressions`` entry (kind ``external``, status ``accepted``, the waiver's
  justification): code-scanning views list it as dismissed, not as gone;
* passing and not-applicable findings are not results.

Each result points at where its target is written in the inventory (see
:mod:`conformite.engine.locations`) and carries a partial fingerprint made of
the control id, the target kind and the target id only: it survives line
moves, rewording and a change of language, so CI tracks one finding across runs.

The output is deterministic: no clock (the audit date is ``--as-of``), no
absolute path, results sorted by control, target kind and target id.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote

from conformite._gc import paused
from conformite.catalogue.model import Catalogue, CompiledControl
from conformite.engine.locations import TargetLocation
from conformite.engine.results import COMPACT_ABOVE, AuditResult, Finding
from conformite.i18n import translate

__all__ = [
    "FINGERPRINT_KEY",
    "LEVELS",
    "REPOSITORY",
    "SARIF_SCHEMA",
    "SECURITY_SEVERITY",
    "fingerprint",
    "render_sarif",
]

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: conformite's repository (as the catalogue's own references name it): the
#: driver's ``informationUri``, and each shipped control's page under docs/controls.
REPOSITORY = "https://github.com/conformite/conformite"
#: SARIF level of a failed control, from its severity.
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
#: GitHub's ``security-severity`` (0-10; it reads >= 9.0 as critical, 7.0-8.9 as
#: high, 4.0-6.9 as medium, 0.1-3.9 as low): one value inside each band.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
#: The partial fingerprint's name (a versioned hierarchical string, SARIF §3.27.17).
FINGERPRINT_KEY = "conformiteFinding/v1"
SRCROOT = "%SRCROOT%"

_RESULT_OUTCOMES = ("fail", "error", "unknown", "waived")


def fingerprint(control_id: str, target_kind: str, target_id: str) -> str:
    """What identifies one finding across runs: its control and its target, nothing else."""
    key = "\x1f".join((control_id, target_kind, target_id))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def rule_name(control_id: str) -> str:
    """``SVC-BACKUP-RESTORE-TEST`` -> ``SvcBackupRestoreTest``."""
    return "".join(part.capitalize() for part in control_id.split("-"))


def _kind(finding: Finding) -> str:
    """``fail`` for a gap, ``open`` for facts to document (waived: what was waived)."""
    if finding.outcome in ("fail", "error"):
        return "fail"
    if finding.outcome == "unknown":
        return "open"
    failed = any(f.kind == "requirement" and f.met is False for f in finding.facts)
    return "fail" if failed else "open"


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "commune"


def _rule(control: CompiledControl, finding: Finding, lang: str) -> dict[str, Any]:
    c = control.control
    citations = [basis.citation for basis in finding.legal_basis]
    tags = list(dict.fromkeys(["security", c.family, *c.objectives, *citations]))
    rule: dict[str, Any] = {
        "id": c.id,
        "name": rule_name(c.id),
        "shortDescription": {"text": c.title.get(lang)},
        "fullDescription": {"text": f"{c.description.get(lang)}\n\n{c.rationale.get(lang)}"},
        "help": {"text": c.remediation.get(lang)},
    }
    if control.builtin:  # a workspace's own controls have no page in conformite's docs
        rule["helpUri"] = f"{REPOSITORY}/blob/main/docs/controls/{c.id}.md"
    rule["defaultConfiguration"] = {"level": LEVELS[c.severity]}
    rule["properties"] = {
        "security-severity": SECURITY_SEVERITY[c.severity],
        "severity": c.severity,
        "family": c.family,
        "target": c.target,
        "legal_basis": [{"citation": b.citation, "url": b.url} for b in finding.legal_basis],
        "tags": tags,
    }
    return rule


@functools.lru_cache(maxsize=64)
def _uri(path: str) -> str:
    """A relative URI reference: the path, percent-encoded (spaces, accents)."""
    return quote(path)


def _location(finding: Finding, where: TargetLocation | None, prefix: str) -> dict[str, Any]:
    logical = {
        "name": finding.target_name,
        "fullyQualifiedName": f"{finding.target_kind}:{finding.target_id}",
        "kind": finding.target_kind,
    }
    location: dict[str, Any] = {"logicalLocations": [logical]}
    if where is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(prefix + where.file), "uriBaseId": SRCROOT}
        }
        if where.line is not None:
            physical["region"] = {"startLine": where.line, "startColumn": where.column}
        location["physicalLocation"] = physical
    return location


def _result(
    finding: Finding, index: int, where: TargetLocation | None, prefix: str
) -> dict[str, Any]:
    kind = _kind(finding)
    result: dict[str, Any] = {
        "ruleId": finding.control_id,
        "ruleIndex": index,
        "kind": kind,
        "level": LEVELS[finding.severity] if kind == "fail" else "none",
        "message": {"text": "\n".join(finding.messages) or finding.title},
        "locations": [_location(finding, where, prefix)],
        "partialFingerprints": {
            FINGERPRINT_KEY: fingerprint(finding.control_id, finding.target_kind, finding.target_id)
        },
    }
    if finding.waiver is not None:
        w = finding.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": w.justification,
                "properties": {
                    "approver": w.approver,
                    "decided_on": w.decided_on,
                    "expires_on": w.expires_on,
                    "risk": w.risk,
                },
            }
        ]
    properties: dict[str, Any] = {
        "outcome": finding.outcome,
        "severity": finding.severity,
        "target_kind": finding.target_kind,
        "target_id": finding.target_id,
        "target_name": finding.target_name,
        "protection_need": finding.protection_need,
        "weight": finding.weight,
    }
    if finding.unknown_facts:
        properties["unknown_facts"] = finding.unknown_facts
    if finding.expired_waiver is not None:
        properties["expired_waiver_on"] = finding.expired_waiver.expires_on
    result["properties"] = properties
    return result


def render_sarif(
    result: AuditResult,
    catalogue: Catalogue,
    locations: dict[tuple[str, str], TargetLocation],
    prefix: str = "",
) -> str:
    """The SARIF log of ``result``, in the result's language.

    ``locations`` says where each target is written (file relative to the
    workspace); ``prefix`` is the workspace's folder relative to ``%SRCROOT%``
    (``""`` when the workspace is that folder, else ``"path/to/it/"``). Logs with
    more results than ``COMPACT_ABOVE`` are written without indentation, as the
    JSON result is.
    """
    with paused():  # tens of thousands of small objects, no cycles (see conformite._gc)
        return _render(result, catalogue, locations, prefix)


def _render(
    result: AuditResult,
    catalogue: Catalogue,
    locations: dict[tuple[str, str], TargetLocation],
    prefix: str,
) -> str:
    lang = result.lang
    controls = {c.id: c for c in catalogue.controls}
    first: dict[str, Finding] = {}
    for finding in result.findings:
        first.setdefault(finding.control_id, finding)
    rule_ids = sorted(cid for cid in first if cid in controls)
    index = {cid: i for i, cid in enumerate(rule_ids)}
    findings = sorted(
        (f for f in result.findings if f.outcome in _RESULT_OUTCOMES and f.control_id in index),
        key=lambda f: (f.control_id, f.target_kind, f.target_id),
    )
    ws = result.workspace
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "conformite",
                "version": result.tool_version,
                "semanticVersion": result.tool_version,
                "informationUri": REPOSITORY,
                "language": lang,
                "rules": [_rule(controls[cid], first[cid], lang) for cid in rule_ids],
            }
        },
        "automationDetails": {"id": f"conformite/{_slug(ws.commune)}/"},
        "invocations": [
            {
                "executionSuccessful": True,
                "properties": {"as_of": result.as_of},
            }
        ],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": translate("sarif.srcroot", lang)}}
        },
        "language": lang,
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(
                f,
                index[f.control_id],
                locations.get((f.target_kind, f.target_id)),
                prefix,
            )
            for f in findings
        ],
        "properties": {
            "commune": ws.commune,
            "canton": ws.canton,
            "as_of": result.as_of,
            "catalogue_version": result.catalogue.version,
            "catalogue_sha256": result.catalogue.sha256,
            "score": result.scores.overall.score,
            "grade": result.scores.overall.grade,
        },
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    indent = 2 if len(findings) <= COMPACT_ABOVE else None
    return json.dumps(log, ensure_ascii=False, indent=indent) + "\n"
