"""The report for the Commission numérique: everything it reads, ready to render.

:func:`build_report` turns a loaded :class:`Workspace`, its
:class:`AuditResult` and, when there is one, the previous year's result into a
:class:`Report` in one language. Renderers (``render/html.py``,
``markdown.py``, ``xlsx.py``, ``csv.py``, ``pdf.py``) only lay it out: every
figure, ranking and sentence that depends on the data is decided here, once,
so that the formats say the same thing.

What the report contains, in order:

* the cover: commune, canton, population, audit date, catalogue version and
  the law that applies (the canton's data-protection law for the commune, the
  federal act for its private suppliers);
* the executive summary: score and grade in plain words, with the confirmed
  gaps, the facts to document and the documentation coverage beside them (and
  the grade cap when coverage applied one), the trend against the previous
  report, the three to five risks that matter most (confirmed gaps grouped by
  control, ranked by risk: severity × protection need × exposure, see
  :mod:`.risk`; expired waivers flagged), what we do not know yet (the facts
  to document that matter most, and who can answer) and the decisions the
  commission is asked to take;
* scores by family, by protection objective, by service and by supplier, each
  with its confirmed gaps, facts to document and coverage;
* the confirmed gaps, grouped by severity and then by control, each control
  with its legal basis, why it matters and what to do, each target with its
  protection need and owner; then the facts to document, by control, with the
  missing facts and who can answer;
* the action plan: one action per control to fix (the control's estimate per
  target × the targets that fail) and one per control to document (a quarter
  person-day per target), ordered by risk, and its cost set against the
  annual framework credit (CHF per inhabitant × population, ``[report]`` in
  ``conformite.toml``);
* the waivers, expired ones first;
* the suppliers: where the data goes, contracts, certifications and dates;
* the record of processing activities (annex, :mod:`conformite.report.register`);
* the methodology: scope, date, scoring formula and what was not assessed.
"""

from __future__ import annotations

import datetime as dt

from conformite.catalogue.model import FAMILIES, OBJECTIVES
from conformite.engine.results import AuditResult
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.report.common import (
    Owners,
    is_open,
    law_lines,
    law_summary,
    overlay_of,
    score_rows,
    worst_first,
)
from conformite.report.decisions import decisions
from conformite.report.findings import finding_groups, unknown_groups, waiver_rows
from conformite.report.methodology import methodology
from conformite.report.model import Report, ScoreRow
from conformite.report.plan import action_plan
from conformite.report.register import build_register
from conformite.report.risk import Exposures
from conformite.report.summary import (
    coverage_sentence,
    top_risks,
    top_unknowns,
    trend_of,
)
from conformite.report.suppliers import supplier_rows

__all__ = ["build_report"]


def build_report(
    workspace: Workspace,
    result: AuditResult,
    previous: AuditResult | None = None,
    lang: str | None = None,
) -> Report:
    """The report of ``result`` (an audit of ``workspace``), compared with ``previous``."""
    lang = lang or result.lang
    as_of = dt.date.fromisoformat(result.as_of)
    overlay = overlay_of(workspace)
    owners = Owners(workspace, lang)
    exposures = Exposures(workspace)
    open_findings = [f for f in result.findings if is_open(f)]
    gap_groups = finding_groups(workspace, open_findings, owners, exposures, lang)
    to_document = unknown_groups(workspace, open_findings, owners, exposures, lang)
    overall = result.scores.overall
    inventory = workspace.inventory
    service_names = {s.id: s.name for s in inventory.services}
    vendor_names = {v.id: v.name for v in inventory.vendors}
    plan = action_plan(
        workspace, [g for _, gs in gap_groups for g in gs], to_document, lang, result.as_of
    )
    waivers = waiver_rows(workspace, result.waivers, as_of, lang)
    trend = trend_of(result, previous, lang)
    if overall.grade is None:
        grade_sentence = translate("report.grade.none", lang)
    else:
        grade_sentence = translate(f"report.grade.{overall.grade}", lang)
    counts_sentence = translate(
        "report.summary.counts",
        lang,
        failed=overall.failed + overall.errors,
        unknown=overall.unknown,
        passed=overall.passed,
        waived=overall.waived,
        total=overall.passed + overall.failed + overall.errors + overall.unknown + overall.waived,
    )
    audit_date = dt.date.fromisoformat(result.as_of)
    return Report(
        lang=lang,
        as_of=result.as_of,
        commune=result.workspace.commune,
        canton=result.workspace.canton,
        population=result.workspace.population,
        catalogue_version=result.catalogue.version,
        catalogue_sha256=result.catalogue.sha256,
        controls=result.catalogue.controls,
        tool_version=result.tool_version,
        law=law_lines(result.workspace.canton, overlay, lang, audit_date),
        law_summary=law_summary(overlay, audit_date, lang),
        score=overall,
        grade_sentence=grade_sentence,
        counts_sentence=counts_sentence,
        coverage_sentence=coverage_sentence(overall, lang),
        trend=trend,
        risks=top_risks(gap_groups, exposures, lang),
        unknowns=top_unknowns(to_document, open_findings, exposures, owners, lang),
        decisions=decisions(result, trend, plan, waivers, lang),
        by_family=score_rows(result.scores.by_family, FAMILIES, "family", lang),
        by_objective=score_rows(result.scores.by_objective, OBJECTIVES, "objective", lang),
        by_service=worst_first(
            [ScoreRow(k, service_names.get(k, k), s) for k, s in result.scores.by_service.items()]
        ),
        by_supplier=worst_first(
            [ScoreRow(k, vendor_names.get(k, k), s) for k, s in result.scores.by_vendor.items()]
        ),
        findings=gap_groups,
        to_document=to_document,
        plan=plan,
        waivers=waivers,
        suppliers=supplier_rows(workspace, result, as_of, lang),
        register=build_register(workspace, as_of, lang),
        methodology=methodology(workspace, result, lang),
        result=result,
    )
