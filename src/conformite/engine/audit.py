"""The whole audit in one call: load → derive → evaluate → waive → score.

Renderers and commands build on :func:`run_audit`; its :class:`AuditResult`
is also the JSON contract with other tools.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from conformite import __version__
from conformite._gc import paused
from conformite.catalogue.model import Catalogue
from conformite.engine.evaluation import evaluate_workspace
from conformite.engine.results import (
    AuditResult,
    CatalogueInfo,
    JurisdictionInfo,
    VendorIdentity,
    WorkspaceInfo,
)
from conformite.engine.scoring import score_findings
from conformite.engine.waivers import apply_waivers
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.i18n.formats import format_date

__all__ = ["jurisdiction_info", "jurisdiction_note", "run_audit"]


def jurisdiction_note(
    catalogue: Catalogue, canton: str, lang: str, as_of: dt.date | None = None
) -> str:
    """One sentence: the cantonal law in force on ``as_of`` (the newest when None)
    and its supervisor, or the federal fallback."""
    overlay = catalogue.overlays.get(canton)
    version = overlay.version_on(as_of) if overlay is not None else None
    if overlay is None:
        return translate("jurisdiction.fallback", lang, canton=canton)
    if version is None:
        return translate(
            "jurisdiction.no_version", lang, canton=canton, date=format_date(as_of, lang)
        )
    note = translate(
        "jurisdiction.overlay",
        lang,
        law=version.law.name,
        abbreviation=version.law.abbreviation,
        supervisor=overlay.supervisor_of(version).name,
    )
    if as_of is not None and version.in_force_from is not None:
        note += " " + translate(
            "jurisdiction.version",
            lang,
            abbreviation=version.law.abbreviation,
            since=format_date(version.in_force_from, lang),
        )
    return note


def jurisdiction_info(workspace: Workspace, lang: str, as_of: dt.date) -> JurisdictionInfo:
    """Which law applies on ``as_of``, said in ``lang``; a canton without overlay
    (or before its first version) falls back to federal law."""
    canton = workspace.config.commune.canton
    overlay = workspace.catalogue.overlays.get(canton)
    note = jurisdiction_note(workspace.catalogue, canton, lang, as_of)
    version = overlay.version_on(as_of) if overlay is not None else None
    if overlay is None or version is None:
        return JurisdictionInfo(canton=canton, overlay=False, note=note)
    supervisor = overlay.supervisor_of(version)
    return JurisdictionInfo(
        canton=canton,
        overlay=True,
        law=version.law.name,
        law_abbreviation=version.law.abbreviation,
        law_url=version.law.url,
        law_in_force_from=version.in_force_from,
        law_in_force_until=version.in_force_until,
        supervisor=supervisor.name,
        supervisor_url=supervisor.url,
        certainty=overlay.certainty,
        note=note,
    )


def run_audit(
    workspace: Workspace,
    as_of: dt.date,
    lang: str,
    progress: Callable[[int], None] | None = None,
) -> AuditResult:
    """Audit a loaded workspace as of a date, in a language."""
    with paused():
        return _run_audit(workspace, as_of, lang, progress)


def _run_audit(
    workspace: Workspace,
    as_of: dt.date,
    lang: str,
    progress: Callable[[int], None] | None,
) -> AuditResult:
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
            bfs_number=commune.bfs_number,
        ),
        jurisdiction=jurisdiction_info(workspace, lang, as_of),
        catalogue=CatalogueInfo(
            version=workspace.catalogue.version,
            sha256=workspace.catalogue.digest,
            controls=len(workspace.catalogue.controls),
        ),
        scores=scores,
        vendors=[
            VendorIdentity(id=v.id, name=v.name, uid=v.uid, profile=v.profile)
            for v in workspace.inventory.vendors
        ],
        findings=findings,
        waivers=waiver_statuses,
    )
