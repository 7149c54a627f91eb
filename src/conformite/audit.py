"""The whole audit in one call: load → derive → evaluate → waive → score.

Renderers and commands build on :func:`run_audit`; its :class:`AuditResult`
is also the JSON contract with other tools.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from conformite import __version__
from conformite.evaluation import evaluate_workspace
from conformite.load import Workspace
from conformite.results import AuditResult, CatalogueInfo, WorkspaceInfo
from conformite.scoring import score_findings
from conformite.waivers import apply_waivers

__all__ = ["run_audit"]


def run_audit(
    workspace: Workspace,
    as_of: dt.date,
    lang: str,
    progress: Callable[[int], None] | None = None,
) -> AuditResult:
    """Audit a loaded workspace as of a date, in a language."""
    findings = evaluate_workspace(workspace, as_of, lang, progress)
    findings, waiver_statuses = apply_waivers(findings, workspace.inventory.waivers, as_of)
    findings, scores = score_findings(findings)
    commune = workspace.config.commune
    # Built without re-validating thousands of findings made by trusted code.
    return AuditResult.model_construct(
        tool_version=__version__,
        as_of=as_of.isoformat(),
        lang=lang,
        workspace=WorkspaceInfo(
            commune=commune.name,
            canton=commune.canton,
            population=commune.population,
            services=len(workspace.inventory.services),
            vendors=len(workspace.inventory.vendors),
        ),
        catalogue=CatalogueInfo(
            version=workspace.catalogue.version,
            sha256=workspace.catalogue.digest,
            controls=len(workspace.catalogue.controls),
        ),
        scores=scores,
        findings=findings,
        waivers=waiver_statuses,
    )
