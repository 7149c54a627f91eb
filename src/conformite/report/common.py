"""What every part of the report reads: owners, control texts, score rows, the law."""

from __future__ import annotations

import re

from conformite.catalogue.cantons import CantonOverlay
from conformite.catalogue.model import FEDERAL_INSTRUMENTS, CompiledControl
from conformite.engine.results import Finding, Score
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.report.model import ScoreRow

__all__ = [
    "Owners",
    "compiled_control",
    "control_text",
    "first_sentence",
    "is_open",
    "law_lines",
    "overlay_of",
    "score_rows",
    "worst_first",
]


def first_sentence(text: str, minimum: int = 80) -> str:
    """The first sentence of a control's rationale (two if the first is short), for the summary."""
    ends = [m.start() for m in re.finditer(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ«\"(])", text)]
    for end in ends:
        if end >= minimum:
            return text[:end].strip()
    return text.strip()


def is_open(finding: Finding) -> bool:
    return finding.outcome in ("fail", "error")


class Owners:
    """Who is responsible for a finding's target, from the inventory."""

    def __init__(self, workspace: Workspace, lang: str) -> None:
        inventory = workspace.inventory
        organisation = inventory.organisation
        self.default = organisation.it_responsible or translate("report.owner_unassigned", lang)
        self.services = {s.id: s.owner for s in inventory.services}
        users: dict[str, list[str]] = {}
        for s in inventory.services:
            if s.vendor:
                users.setdefault(s.vendor, [])
                if s.owner not in users[s.vendor]:
                    users[s.vendor].append(s.owner)
        self.vendors = {
            v.id: ", ".join(users.get(v.id, [])) or self.default for v in inventory.vendors
        }
        self.endpoints: dict[str, str] = {}
        for s in inventory.services:
            for e in s.endpoints:
                self.endpoints.setdefault(e.url, s.owner)
        for v in inventory.vendors:
            if v.portal_url:
                self.endpoints.setdefault(v.portal_url, self.vendors[v.id])

    def __call__(self, kind: str, target_id: str) -> str:
        if kind == "service":
            return self.services.get(target_id, self.default)
        if kind == "vendor":
            return self.vendors.get(target_id, self.default)
        if kind == "endpoint":
            return self.endpoints.get(target_id, self.default)
        return self.default


def compiled_control(workspace: Workspace, control_id: str) -> CompiledControl | None:
    return workspace.catalogue.get(control_id)


def control_text(workspace: Workspace, control_id: str, what: str, lang: str) -> str:
    compiled = compiled_control(workspace, control_id)
    if compiled is None:  # a result from another catalogue
        return ""
    return str(getattr(compiled.control, what).get(lang))


def score_rows(
    scores: dict[str, Score], order: tuple[str, ...], prefix: str, lang: str
) -> list[ScoreRow]:
    keys = [k for k in order if k in scores] + sorted(set(scores) - set(order))
    return [ScoreRow(k, translate(f"{prefix}.{k}", lang), scores[k]) for k in keys]


def worst_first(rows: list[ScoreRow]) -> list[ScoreRow]:
    return sorted(
        rows,
        key=lambda r: (r.score.score is None, r.score.score or 0.0, r.label.casefold(), r.key),
    )


def overlay_of(workspace: Workspace) -> CantonOverlay | None:
    overlays = getattr(workspace.catalogue, "overlays", None) or {}
    return overlays.get(workspace.config.commune.canton)


def law_lines(canton: str, overlay: CantonOverlay | None, lang: str) -> list[str]:
    federal = FEDERAL_INSTRUMENTS["nLPD"].get(lang, "nLPD")
    ordinance = FEDERAL_INSTRUMENTS["OPDo"].get(lang, "OPDo")
    lines = []
    if overlay is not None:
        law = overlay.law
        name = f"{law.name} ({law.abbreviation}" + (f", {law.reference})" if law.reference else ")")
        lines.append(translate("report.law.cantonal", lang, canton=canton, law=name))
        lines.append(translate("report.law.supervisor", lang, name=overlay.supervisor.name))
    else:
        lines.append(translate("report.law.no_overlay", lang, canton=canton))
    lines.append(translate("report.law.federal", lang, act=federal, ordinance=ordinance))
    return lines
