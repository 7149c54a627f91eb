"""The annex by control: findings grouped by severity and control, and the waivers."""

from __future__ import annotations

import datetime as dt

from conformite.engine.results import Finding, WaiverStatus
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.i18n.formats import (
    format_date,
)
from conformite.report.common import Owners, control_text
from conformite.report.model import (
    EXPIRY_WARNING_DAYS,
    SEVERITIES,
    FindingGroup,
    FindingItem,
    WaiverRow,
)

__all__ = ["finding_groups", "target_label", "waiver_rows"]


def finding_groups(
    workspace: Workspace, open_findings: list[Finding], owners: Owners, lang: str
) -> list[tuple[str, list[FindingGroup]]]:
    by_control: dict[str, list[Finding]] = {}
    for f in open_findings:
        by_control.setdefault(f.control_id, []).append(f)
    groups: dict[str, list[FindingGroup]] = {s: [] for s in SEVERITIES}
    for control_id, fs in by_control.items():
        first = fs[0]
        items = [
            FindingItem(
                target_kind=f.target_kind,
                target_id=f.target_id,
                target_name=f.target_name,
                need=f.protection_need,
                outcome=f.outcome,
                messages=list(f.messages),
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
            )
            for f in sorted(
                fs, key=lambda f: (-f.protection_need, -f.weight, f.target_name, f.target_id)
            )
        ]
        groups.setdefault(first.severity, []).append(
            FindingGroup(
                control_id=control_id,
                title=first.title,
                severity=first.severity,
                family=first.family,
                legal_basis=list(first.legal_basis),
                rationale=control_text(workspace, control_id, "rationale", lang),
                remediation=control_text(workspace, control_id, "remediation", lang),
                items=items,
            )
        )
    out = []
    for severity in SEVERITIES:
        ordered = sorted(
            groups.get(severity, []), key=lambda g: (-g.max_need, -g.weight, g.control_id)
        )
        if ordered:
            out.append((severity, ordered))
    return out


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
