"""Cantonal overlays: the law that binds a commune, and how it changes the controls.

A commune's own processing falls under its canton's data-protection law and
supervisor, not the federal act (which still binds its private suppliers).
``controls/cantons/<XX>.yaml`` describes one canton:

* the law (name and abbreviation in the canton's language, collection
  number, link) and the supervisory authority;
* ``citations``: for a federal control, the cantonal article that imposes the
  same duty on the commune, shown beside the federal basis to communes of
  that canton;
* a summary, in four languages, of what differs from the federal baseline.

Controls that exist only in some cantons carry ``cantons: [VD]`` in their own
file (``controls/cantonal/``). A canton without an overlay falls back to the
federal baseline, and the output says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from conformite.errors import ProblemCollector
from conformite.inventory.validation import read_model

__all__ = ["CantonOverlay", "CantonalCitation", "Jurisdiction", "jurisdiction", "load_overlays"]

Url = Annotated[str, StringConstraints(pattern=r"^https://\S+$")]
Certainty = Literal["official_text", "secondary_source"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Texts(_Strict):
    fr: Annotated[str, StringConstraints(min_length=1)]
    de: Annotated[str, StringConstraints(min_length=1)]
    it: Annotated[str, StringConstraints(min_length=1)]
    en: Annotated[str, StringConstraints(min_length=1)]

    def get(self, lang: str) -> str:
        return str(getattr(self, lang if lang in ("fr", "de", "it", "en") else "en"))


class Law(_Strict):
    name: Annotated[str, StringConstraints(min_length=1)]
    abbreviation: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    reference: str | None = Field(None, description="number in the cantonal collection")
    url: Url


class Authority(_Strict):
    name: Annotated[str, StringConstraints(min_length=1)]
    url: Url


class CantonalCitation(_Strict):
    """The cantonal article behind a federal control, with where it comes from."""

    article: Annotated[str, StringConstraints(min_length=1)]
    paragraph: str | None = None
    letter: str | None = None
    instrument: str | None = Field(None, description="default: the overlay's law abbreviation")
    url: Url
    certainty: Certainty
    source: Url | None = Field(None, description="where the citation was checked, if not the url")


class CantonOverlay(_Strict):
    canton: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    cantons: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=list,
        description="further cantons the same law binds (an intercantonal law such as NE/JU)",
    )
    language: Literal["fr", "de", "it"]
    numbering: Literal["article", "section"] = Field(
        "article", description="'section' when the law numbers its provisions with §"
    )
    as_of: dt.date
    certainty: Certainty
    source: Url
    law: Law
    ordinance: Law | None = None
    supervisor: Authority
    summary: Texts = Field(description="what differs from the federal baseline, for the commune")
    citations: dict[str, list[CantonalCitation]] = Field(default_factory=dict)

    def all_cantons(self) -> list[str]:
        return [self.canton, *self.cantons]


@dataclass(frozen=True)
class Jurisdiction:
    """The law that applies to a commune, as the results report it."""

    canton: str
    overlay: CantonOverlay | None


def load_overlays(directory: Path, control_ids: set[str] | None = None) -> dict[str, CantonOverlay]:
    """Every overlay under ``directory`` by canton; citations must name known controls."""
    overlays: dict[str, CantonOverlay] = {}
    if not directory.is_dir():
        return overlays
    problems = ProblemCollector()
    for path in sorted(p for p in directory.glob("*.yaml") if p.is_file()):
        overlay, doc = read_model(path, CantonOverlay, problems)
        if overlay is None or doc is None:
            continue
        if path.stem != overlay.canton:
            line, column = doc.locate(("canton",))
            problems.report(
                doc.file,
                "the file name must be the canton code",
                line=line,
                column=column,
                path="canton",
                expected=f"{overlay.canton}.yaml",
                found=path.name,
            )
        for control_id in overlay.citations:
            if control_ids is not None and control_id not in control_ids:
                line, column = doc.locate(("citations", control_id))
                problems.report(
                    doc.file,
                    f"citation for unknown control {control_id}",
                    line=line,
                    column=column,
                    path=f"citations.{control_id}",
                )
        for canton in overlay.all_cantons():
            if canton in overlays:
                problems.report(doc.file, f"canton {canton} has two overlays")
            overlays[canton] = overlay
    problems.raise_if_any()
    return overlays


def jurisdiction(canton: str, overlays: dict[str, CantonOverlay]) -> Jurisdiction:
    return Jurisdiction(canton=canton, overlay=overlays.get(canton))
