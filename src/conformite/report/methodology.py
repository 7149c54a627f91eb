"""The methodology: scope, date, scoring formula (unknown facts, coverage, grade caps, risk
ranking) and what was not assessed."""

from __future__ import annotations

from conformite.engine.derive import LARGE_SCALE_SUBJECTS
from conformite.engine.results import AuditResult
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.i18n.formats import (
    format_date,
    format_number,
)
from conformite.report.common import overlay_of
from conformite.report.model import Methodology, person_days
from conformite.report.plan import FIND_OUT_PERSON_DAYS
from conformite.report.risk import EXPIRED_WAIVER_FACTOR, EXPOSURE_STEP

#: The sentences of "How the score is computed", in order.
FORMULA = 8

__all__ = ["methodology"]


def methodology(workspace: Workspace, result: AuditResult, lang: str) -> Methodology:
    overall = result.scores.overall
    inventory = workspace.inventory
    scope = [
        translate(
            "report.method.scope",
            lang,
            services=result.workspace.services,
            vendors=result.workspace.vendors,
            controls=result.catalogue.controls,
            version=result.catalogue.version,
        ),
        translate("report.method.as_of", lang, date=format_date(result.as_of, lang)),
        translate(
            "report.method.counts",
            lang,
            findings=len(result.findings),
            passed=overall.passed,
            failed=overall.failed,
            waived=overall.waived,
            errors=overall.errors,
            not_applicable=overall.not_applicable,
            unknown=overall.unknown,
        ),
        translate("report.method.digest", lang, sha=result.catalogue.sha256),
    ]
    values = {
        "step": format_number(EXPOSURE_STEP, lang, 2),
        "large": format_number(LARGE_SCALE_SUBJECTS, lang),
        "waiver": format_number(EXPIRED_WAIVER_FACTOR, lang, 1),
        "days": person_days(FIND_OUT_PERSON_DAYS, lang),
    }
    formula = [
        translate(f"report.method.formula.{i}", lang, **values) for i in range(1, FORMULA + 1)
    ]
    declared: set[str] = {e.url for s in inventory.services for e in s.endpoints}
    declared |= {v.portal_url for v in inventory.vendors if v.portal_url}
    declared |= {f"mail:{d}" for d in inventory.organisation.mail_domains}
    probed = {
        f.target_id
        for f in result.findings
        if f.target_kind == "endpoint" and f.outcome in ("pass", "fail", "error", "waived")
    }
    not_probed = sorted(declared - probed)
    not_assessed = []
    if not_probed:
        not_assessed.append(
            translate(
                "report.method.not_probed",
                lang,
                count=len(not_probed),
                total=len(declared),
                endpoints=", ".join(u.removeprefix("mail:") for u in not_probed[:10])
                + (" …" if len(not_probed) > 10 else ""),
            )
        )
    elif declared:
        not_assessed.append(translate("report.method.all_probed", lang, total=len(declared)))
    not_assessed.append(
        translate("report.method.not_applicable", lang, count=overall.not_applicable)
    )
    if overlay_of(workspace) is None:
        not_assessed.append(
            translate("report.method.no_overlay", lang, canton=result.workspace.canton)
        )
    else:
        not_assessed.append(
            translate("report.method.cantonal", lang, canton=result.workspace.canton)
        )
    not_assessed.append(translate("report.method.declared", lang))
    if not workspace.config.catalogue.include_drafts:
        not_assessed.append(translate("report.method.drafts", lang))
    errors = sorted(
        {f"{f.control_id} ({f.target_name})" for f in result.findings if f.outcome == "error"}
    )
    return Methodology(scope=scope, formula=formula, not_assessed=not_assessed, errors=errors)
