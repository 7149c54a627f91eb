"""Waivers: accepted risks that turn a failed control into ``waived`` for a while.

A waiver names a control and a target, with a justification, an approver, the
date of the decision and an expiry date. On the audit date it is:

* ``applied``: active (decided on or before, expiring on or after the audit
  date) and the control failed: the finding becomes ``waived`` and shows who
  approved it until when. A waived control still runs and is reported;
* ``unused``: active, but the control did not fail (nothing to waive);
* ``expired``: past its expiry. It no longer applies: the finding stays a
  failure and carries the expired waiver so the report can point at it;
* ``not_yet_valid``: decided after the audit date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from conformite.engine.results import AppliedWaiver, Finding, WaiverStatus
from conformite.inventory.model import Waiver

__all__ = ["apply_waivers", "waiver_key"]


def waiver_key(finding: Finding) -> tuple[str, str]:
    """The (control, target) key a waiver is matched on."""
    target = (
        "organisation"
        if finding.target_kind == "organisation"
        else (f"{finding.target_kind}:{finding.target_id}")
    )
    return finding.control_id, target


def _applied(waiver: Waiver) -> AppliedWaiver:
    return AppliedWaiver(
        approver=waiver.approver,
        decided_on=waiver.decided_on.isoformat(),
        expires_on=waiver.expires_on.isoformat(),
        risk=waiver.risk,
        justification=waiver.justification,
    )


#: Outcomes a waiver accepts: a confirmed gap, or one whose facts are to document
#: (the decision to accept the risk was taken whatever they turn out to be).
_WAIVABLE = ("fail", "unknown")


def apply_waivers(
    findings: list[Finding], waivers: list[Waiver], as_of: dt.date
) -> tuple[list[Finding], list[WaiverStatus]]:
    """Return the findings with waivers applied, and the status of every waiver."""
    # Index only the findings of waived controls: a large audit has tens of
    # thousands of findings and a handful of waivers.
    waived_controls = {waiver.control for waiver in waivers}
    by_key = {waiver_key(f): i for i, f in enumerate(findings) if f.control_id in waived_controls}
    out = list(findings)
    statuses: list[WaiverStatus] = []
    for waiver in waivers:
        index = by_key.get((waiver.control, waiver.target))
        finding = out[index] if index is not None else None
        if waiver.decided_on > as_of:
            status = "not_yet_valid"
        elif waiver.expires_on < as_of:
            status = "expired"
            if finding is not None and finding.outcome in _WAIVABLE:
                out[index] = replace(finding, expired_waiver=_applied(waiver))  # type: ignore[index]
        elif finding is not None and finding.outcome in _WAIVABLE:
            status = "applied"
            out[index] = replace(finding, outcome="waived", waiver=_applied(waiver))  # type: ignore[index]
        else:
            status = "unused"
        statuses.append(
            WaiverStatus(
                control_id=waiver.control,
                target=waiver.target,
                status=status,
                approver=waiver.approver,
                decided_on=waiver.decided_on.isoformat(),
                expires_on=waiver.expires_on.isoformat(),
                risk=waiver.risk,
                justification=waiver.justification,
            )
        )
    statuses.sort(key=lambda s: (s.control_id, s.target, s.decided_on))
    return out, statuses
