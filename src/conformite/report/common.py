"""What every part of the report reads: owners, control texts, score rows, the law.

Two kinds of open finding, never mixed: a **confirmed gap** (``fail``, or
``error``: a check that could not run is not a pass) and a **fact to
document** (``unknown``: the verdict depends on facts nobody gave yet).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from conformite.catalogue.cantons import CantonOverlay
from conformite.catalogue.model import FEDERAL_INSTRUMENTS, CompiledControl
from conformite.engine.results import Finding, Score
from conformite.engine.workspace import Workspace
from conformite.i18n import LANGUAGES, translate
from conformite.i18n.formats import format_date
from conformite.report.model import ScoreRow

__all__ = [
    "CONFIRMED",
    "NAMED",
    "TO_DOCUMENT",
    "Answerer",
    "Owners",
    "answerers",
    "compiled_control",
    "control_text",
    "first_few",
    "first_sentence",
    "is_gap",
    "is_open",
    "is_unknown",
    "kind_of",
    "law_lines",
    "law_summary",
    "overlay_of",
    "problem_text",
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


#: Outcomes of a confirmed gap, and of a fact to document.
CONFIRMED = ("fail", "error")
TO_DOCUMENT = ("unknown",)


def is_gap(finding: Finding) -> bool:
    """A confirmed gap: the control fails (or could not be evaluated)."""
    return finding.outcome in CONFIRMED


def is_unknown(finding: Finding) -> bool:
    """A fact to document: the verdict depends on facts nobody gave yet."""
    return finding.outcome in TO_DOCUMENT


def is_open(finding: Finding) -> bool:
    """Open: a confirmed gap or a fact to document (see :func:`kind_of` to tell them apart)."""
    return finding.outcome in CONFIRMED or finding.outcome in TO_DOCUMENT


def kind_of(finding: Finding) -> str | None:
    """``"gap"`` (confirmed), ``"unknown"`` (to document) or None (not open)."""
    if finding.outcome in CONFIRMED:
        return "gap"
    if finding.outcome in TO_DOCUMENT:
        return "unknown"
    return None


@dataclass(frozen=True)
class Answerer:
    """Who can give a missing fact: ``owner`` (of a service), ``vendor`` or ``administration``."""

    kind: str
    name: str = ""


_ASK_KEYS = (
    ("finding.ask_service_owner", "owner", "owner"),
    ("finding.ask_vendor", "vendor", "vendor"),
    ("finding.ask_administration", "administration", ""),
)


@functools.cache
def _ask_templates() -> tuple[tuple[str, str, str, int], ...]:
    """(kind, name group, template, label length) of every "who can answer" sentence.

    The engine writes these sentences into an unknown finding's messages, in
    the audit's language, which may differ from the report's: every language.
    """
    out = []
    for key, kind, group in _ASK_KEYS:
        for lang in LANGUAGES:
            template = translate(key, lang)
            label = re.match(r"[^:]*:\s*", template)
            out.append((kind, group, template, label.end() if label else 0))
    return tuple(out)


@functools.cache
def _ask_patterns() -> tuple[tuple[str, str, re.Pattern[str], int], ...]:
    """(kind, name group, pattern, label length) of every "who can answer" sentence."""
    out = []
    for kind, group, template, label in _ask_templates():
        parts = re.split(r"\{(\w+)\}", template)
        seen: set[str] = set()
        regex = ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            elif part in seen:  # a placeholder used twice ({id}): the same text again
                regex += f"(?P={part})"
            else:
                seen.add(part)
                regex += f"(?P<{part}>.+?)"
        out.append((kind, group, re.compile(regex + r"\Z", re.S), label))
    return tuple(out)


@functools.cache
def _labels() -> tuple[str, ...]:
    """The "Who can answer: " labels, one per language."""
    return tuple({template[:label] for _, _, template, label in _ask_templates()})


@functools.lru_cache(maxsize=4096)
def _answer_of(message: str) -> tuple[str, Answerer] | None:
    """(the text without its label, who) when ``message`` says who can answer, else None."""
    if not message.startswith(_labels()):
        return None
    for kind, group, pattern, label in _ask_patterns():
        match = pattern.match(message)
        if match:
            return message[label:], Answerer(kind, match.group(group) if group else "")
    return None


def answerers(messages: list[str]) -> tuple[list[str], list[str], list[Answerer]]:
    """Split an unknown finding's messages: (what is missing, who can answer, the answerers).

    "Who can answer" texts lose their label ("Who can answer: "), so that a
    table column can hold them.
    """
    other: list[str] = []
    texts: list[str] = []
    found: list[Answerer] = []
    for message in messages:
        answer = _answer_of(message)
        if answer is None:
            other.append(message)
        else:
            texts.append(answer[0])
            found.append(answer[1])
    return other, texts, found


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


#: How many names a sentence or a cell lists before "…".
NAMED = 3


def first_few(items: list[str], separator: str = ", ", shown: int = NAMED) -> str:
    """``Portail, Messagerie, Paie …``: the first ``shown`` items, "…" when there are more."""
    return separator.join(items[:shown]) + (" …" if len(items) > shown else "")


def compiled_control(workspace: Workspace, control_id: str) -> CompiledControl | None:
    return workspace.catalogue.get(control_id)


def control_text(workspace: Workspace, control_id: str, what: str, lang: str) -> str:
    compiled = compiled_control(workspace, control_id)
    if compiled is None:  # a result from another catalogue
        return ""
    return str(getattr(compiled.control, what).get(lang))


def problem_text(workspace: Workspace, control_id: str, title: str, lang: str) -> str:
    """The control's problem statement (the gap as a risk), else its title."""
    compiled = compiled_control(workspace, control_id)
    if compiled is not None and compiled.control.problem is not None:
        return str(compiled.control.problem.get(lang))
    return title


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


def law_summary(overlay: CantonOverlay | None, as_of: dt.date | None, lang: str) -> str | None:
    """What the canton's law in force on ``as_of`` changes, in ``lang``."""
    version = overlay.version_on(as_of) if overlay is not None else None
    return version.summary.get(lang) if version is not None else None


def law_lines(
    canton: str, overlay: CantonOverlay | None, lang: str, as_of: dt.date | None = None
) -> list[str]:
    """The law that binds the commune on ``as_of`` (its canton's version then in
    force, with its date), then the federal act as the suppliers' law and baseline."""
    federal = FEDERAL_INSTRUMENTS["nLPD"].get(lang, "nLPD")
    ordinance = FEDERAL_INSTRUMENTS["OPDo"].get(lang, "OPDo")
    lines = []
    version = overlay.version_on(as_of) if overlay is not None else None
    if overlay is not None and version is not None:
        law = version.law
        name = f"{law.name} ({law.abbreviation}" + (f", {law.reference})" if law.reference else ")")
        lines.append(translate("report.law.cantonal", lang, canton=canton, law=name))
        if version.in_force_from is not None:
            lines.append(
                translate(
                    "jurisdiction.version",
                    lang,
                    abbreviation=law.abbreviation,
                    since=format_date(version.in_force_from, lang),
                )
            )
        supervisor = overlay.supervisor_of(version)
        lines.append(translate("report.law.supervisor", lang, name=supervisor.name))
    else:
        lines.append(translate("report.law.no_overlay", lang, canton=canton))
    lines.append(translate("report.law.federal", lang, act=federal, ordinance=ordinance))
    return lines
