"""The annex by control: confirmed gaps and facts to document, and the waivers.

Confirmed gaps (``fail``, ``error``) are grouped by severity, then by control;
facts to document (``unknown``) by control. Within each, the groups and their
targets are ranked by risk (:mod:`conformite.report.risk`).
"""

from __future__ import annotations

import datetime as dt
import re

from conformite.engine.results import Finding, WaiverStatus
from conformite.engine.workspace import Workspace
from conformite.i18n import fact_label, messages, translate
from conformite.i18n.formats import (
    colon,
    format_date,
    localize_dates,
)
from conformite.report.common import (
    Owners,
    answerers,
    control_text,
    is_gap,
    is_unknown,
    problem_text,
)
from conformite.report.model import (
    _SEVERITY_RANK,
    EXPIRY_WARNING_DAYS,
    SEVERITIES,
    FindingGroup,
    FindingItem,
    WaiverRow,
)
from conformite.report.risk import Exposures, finding_risk

__all__ = ["finding_groups", "target_label", "unknown_groups", "waiver_rows"]


#: A fact as a finding's message quotes it: ``security.mfa.enabled: false``,
#: ``vendor.dpa.signed_on``, ``security.logging.records: [changes]``.
_SEGMENT = r"[a-z_]+(?:\[[^\]]*\])?"
_QUOTED_FACT = re.compile(
    # ``vendor.contract_end_on`` (kind named) or ``security.mfa.enabled`` (the target's)
    rf"\b(?:(service|vendor|organisation)\.(?!yaml\b)({_SEGMENT}(?:\.{_SEGMENT})*)"
    rf"|({_SEGMENT}(?:\.{_SEGMENT})+))"
    r"(?::[ \u00a0]*(\[[^\]]*\]|[^);,\n]+))?"
)
#: A top-level fact with its value (``data_subject_count: 4000``): written in words only
#: when the target has such a fact, after the paths above.
_QUOTED_TOP_FACT = re.compile(r"\b([a-z_]+):[ \u00a0]*(\[[^\]]*\]|[^);,\n]+)")
_VALUE_KEYS = {"true": "report.yes", "false": "report.no", "never": "report.never"}


def facts_in_words(message: str, target_kind: str, lang: str) -> str:
    """``(security.mfa.enabled: false)`` → ``(si l'authentification multifacteur est
    activée : non)``: every fact a message quotes by its path, when the inventory has
    such a fact, written with its label, and yes, no and never in words. Anything else
    that looks like a path (a host name, ``security.txt``) is left as it is."""

    def words(match: re.Match[str]) -> str:
        path, value = match.group(2) or match.group(3), match.group(4)
        # A vendor's finding may quote its services' facts (``dpia.done_on``).
        kinds = (match.group(1),) if match.group(1) else (target_kind, "service")
        label = next(filter(None, (_fact_label_or_none(f"{k}.{path}", lang) for k in kinds)), None)
        if label is None:  # not a fact: leave the text alone
            return match.group(0)
        if value is None:
            return label
        return f"{colon(label, lang)} {_value_in_words(value.strip(), lang)}"

    def top_level(match: re.Match[str]) -> str:
        label = _fact_label_or_none(f"{target_kind}.{match.group(1)}", lang)
        if label is None:
            return match.group(0)
        return f"{colon(label, lang)} {_value_in_words(match.group(2).strip(), lang)}"

    return _QUOTED_TOP_FACT.sub(top_level, _QUOTED_FACT.sub(words, message))


def _fact_label_or_none(path: str, lang: str) -> str | None:
    """The label of the fact at ``path``, or None when the inventory has no such fact."""
    label = fact_label(path, lang)
    return None if label == path else label


def _value_in_words(value: str, lang: str) -> str:
    """``false`` → ``non``, ``administrators`` → ``administrateurs seulement``, a list
    ``[access, changes]`` item by item; other values (numbers, dates, names) unchanged."""
    if value.startswith("[") and value.endswith("]"):
        items = [item.strip() for item in value[1:-1].split(",") if item.strip()]
        return ", ".join(_value_in_words(item, lang) for item in items)
    key = _VALUE_KEYS.get(value) or (f"value.{value}" if f"value.{value}" in messages() else None)
    return translate(key, lang) if key else value


def _item(f: Finding, owners: Owners, exposures: Exposures, lang: str) -> FindingItem:
    messages = [facts_in_words(localize_dates(m, lang), f.target_kind, lang) for m in f.messages]
    answer: list[str] = []
    if f.outcome == "unknown":
        messages, answer, _ = answerers(messages)
    return FindingItem(
        target_kind=f.target_kind,
        target_id=f.target_id,
        target_name=f.target_name,
        need=f.protection_need,
        outcome=f.outcome,
        messages=messages,
        owner=owners(f.target_kind, f.target_id),
        weight=f.weight,
        expired_waiver=(
            translate(
                "report.expired_waiver",
                lang,
                date=format_date(f.expired_waiver.expires_on, lang),
                approver=f.expired_waiver.approver,
            )
            if f.expired_waiver
            else None
        ),
        risk=finding_risk(f, exposures(f.target_kind, f.target_id)),
        unknown_facts=list(f.unknown_facts),
        answer=answer,
    )


def _groups(
    workspace: Workspace,
    findings: list[Finding],
    kind: str,
    owners: Owners,
    exposures: Exposures,
    lang: str,
) -> list[FindingGroup]:
    by_control: dict[str, list[Finding]] = {}
    for f in findings:
        by_control.setdefault(f.control_id, []).append(f)
    out = []
    for control_id, fs in by_control.items():
        first = fs[0]
        items = sorted(
            (_item(f, owners, exposures, lang) for f in fs),
            key=lambda i: (-i.risk, -i.need, i.target_name, i.target_id),
        )
        out.append(
            FindingGroup(
                control_id=control_id,
                title=first.title,
                severity=first.severity,
                family=first.family,
                legal_basis=list(first.legal_basis),
                rationale=control_text(workspace, control_id, "rationale", lang),
                remediation=control_text(workspace, control_id, "remediation", lang),
                items=items,
                kind=kind,
                problem=problem_text(workspace, control_id, first.title, lang),
            )
        )
    out.sort(key=lambda g: (-g.risk, -_SEVERITY_RANK[g.severity], g.control_id))
    return out


def finding_groups(
    workspace: Workspace,
    findings: list[Finding],
    owners: Owners,
    exposures: Exposures,
    lang: str,
) -> list[tuple[str, list[FindingGroup]]]:
    """The confirmed gaps among ``findings``: by severity, then by control, riskiest first."""
    groups = _groups(workspace, [f for f in findings if is_gap(f)], "gap", owners, exposures, lang)
    return [
        (severity, [g for g in groups if g.severity == severity])
        for severity in SEVERITIES
        if any(g.severity == severity for g in groups)
    ]


def unknown_groups(
    workspace: Workspace,
    findings: list[Finding],
    owners: Owners,
    exposures: Exposures,
    lang: str,
) -> list[FindingGroup]:
    """The facts to document among ``findings``, by control, riskiest first."""
    unknown = [f for f in findings if is_unknown(f)]
    return _groups(workspace, unknown, "unknown", owners, exposures, lang)


def target_label(target: str, names: dict[str, str], lang: str) -> str:
    kind, _, ident = target.partition(":")
    if kind == "organisation":
        return translate("target.organisation", lang)
    name = names.get(target, ident)
    return f"{translate(f'target.{kind}', lang)}: {name}"


def waiver_rows(
    workspace: Workspace, waivers: list[WaiverStatus], as_of: dt.date, lang: str
) -> list[WaiverRow]:
    inventory = workspace.inventory
    names = {f"service:{s.id}": s.name for s in inventory.services}
    names |= {f"vendor:{v.id}": v.name for v in inventory.vendors}
    rows = []
    for w in waivers:
        expires = dt.date.fromisoformat(w.expires_on)
        soon = w.status in ("applied", "unused") and (expires - as_of).days <= EXPIRY_WARNING_DAYS
        rows.append(
            WaiverRow(
                control_id=w.control_id,
                title=control_text(workspace, w.control_id, "title", lang),
                target=target_label(w.target, names, lang),
                status=w.status,
                risk=w.risk,
                approver=w.approver,
                decided_on=w.decided_on,
                expires_on=w.expires_on,
                justification=w.justification,
                expiring_soon=soon,
            )
        )
    order = {"expired": 0, "applied": 1, "not_yet_valid": 2, "unused": 3}
    rows.sort(key=lambda r: (order[r.status], r.expires_on, r.control_id, r.target))
    return rows
