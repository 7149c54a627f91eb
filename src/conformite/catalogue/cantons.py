"""Cantonal overlays: the law that binds a commune, and how it changes the controls.

A commune's own processing falls under its canton's data-protection law and
supervisor, not the federal act (which still binds its private suppliers).
``controls/cantons/<XX>.yaml`` describes one canton:

* the law (name and abbreviation in the canton's language, collection
  number, link) and the supervisory authority;
* ``versions``: the law as in force from each date (``--as-of`` picks one),
  each with a summary, in four languages, of what differs from the federal
  baseline, and ``duties``: for every commune duty of ``controls/duties.yaml``
  the cantonal articles that impose it (``cite``), or that the law has none
  (``no_equivalent``: the federal rule applies as good practice), or that the
  text could not be checked (``not_checked``). A control checking a duty cites
  the cantonal article first, the federal one as the baseline;
* ``citations``: control-specific citations beside the duties'.

Controls that exist only in some cantons carry ``cantons: [VD]`` in their own
file (``controls/cantonal/``). A canton without an overlay falls back to the
federal baseline, and the output says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from conformite.errors import ProblemCollector, format_path
from conformite.inventory.validation import read_model

__all__ = [
    "DUTY_IDS",
    "CantonOverlay",
    "CantonalCitation",
    "Duties",
    "Duty",
    "Jurisdiction",
    "LawVersion",
    "jurisdiction",
    "load_duties",
    "load_overlays",
]

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
    """The cantonal article behind a duty or a control, with where it comes from."""

    article: Annotated[str, StringConstraints(min_length=1)]
    paragraph: str | None = None
    letter: str | None = None
    instrument: str | None = Field(None, description="default: the overlay's law abbreviation")
    url: Url
    certainty: Certainty
    source: Url | None = Field(None, description="where the citation was checked, if not the url")


#: The commune duties every overlay must cover (``controls/duties.yaml``).
DutyId = Literal[
    "legal_basis",
    "purpose_proportionality",
    "information",
    "processing_register",
    "dpia",
    "processor",
    "disclosure_abroad",
    "security",
    "breach_notification",
    "retention_deletion",
    "access_requests",
    "advisor",
    "video_surveillance",
]
DUTY_IDS: tuple[str, ...] = get_args(DutyId)

Note = Annotated[str, StringConstraints(min_length=10)]


class Duty(_Strict):
    """How the canton's law covers one duty: exactly one of the three.

    * ``cite``: the articles that impose it on the commune;
    * ``no_equivalent``: the law has no such duty (the note says how that was
      established); the federal rule is applied as good practice;
    * ``not_checked``: the text could not be read or settled (the note says
      what is missing); the federal rule is shown, and the output says the
      cantonal article is still to be checked.
    """

    cite: list[CantonalCitation] = Field(default_factory=list)
    no_equivalent: Note | None = None
    not_checked: Note | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Duty:
        given = [bool(self.cite), self.no_equivalent is not None, self.not_checked is not None]
        if sum(given) != 1:
            raise ValueError(
                "give exactly one of cite (a non-empty list), no_equivalent, not_checked"
            )
        return self

    @property
    def status(self) -> Literal["cited", "no_equivalent", "not_checked"]:
        if self.cite:
            return "cited"
        return "no_equivalent" if self.no_equivalent is not None else "not_checked"


class LawVersion(_Strict):
    """The canton's law as in force from one date (until the next version)."""

    in_force_from: dt.date | None = Field(
        description="first day in force; null only on the first version, when the date "
        "was not established (the version then applies to any earlier audit date)"
    )
    in_force_until: dt.date | None = Field(
        None, description="last day in force, when a later text replaced it"
    )
    law: Law
    ordinance: Law | None = None
    supervisor: Authority | None = Field(None, description="default: the overlay's supervisor")
    summary: Texts = Field(description="what differs from the federal baseline, for the commune")
    duties: dict[DutyId, Duty]
    citations: dict[str, list[CantonalCitation]] = Field(
        default_factory=dict, description="control-specific citations beside the duties'"
    )

    @model_validator(mode="after")
    def _every_duty(self) -> LawVersion:
        missing = [d for d in DUTY_IDS if d not in self.duties]
        if missing:
            raise ValueError(
                "every duty must be cited, no_equivalent or not_checked; missing: "
                + ", ".join(missing)
            )
        if (
            self.in_force_until is not None
            and self.in_force_from is not None
            and self.in_force_until < self.in_force_from
        ):
            raise ValueError("in_force_until is before in_force_from")
        return self

    def in_force_on(self, day: dt.date) -> bool:
        return (self.in_force_from is None or self.in_force_from <= day) and (
            self.in_force_until is None or day <= self.in_force_until
        )


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
    as_of: dt.date = Field(description="when the citations were last checked")
    certainty: Certainty = Field(description="the weakest certainty of the citations")
    source: Url
    supervisor: Authority
    versions: list[LawVersion] = Field(min_length=1, description="oldest first")

    @model_validator(mode="after")
    def _versions_in_order(self) -> CantonOverlay:
        for earlier, later in zip(self.versions, self.versions[1:], strict=False):
            if (
                earlier.in_force_until is None
                or later.in_force_from is None
                or earlier.in_force_until >= later.in_force_from
            ):
                raise ValueError(
                    "versions must be oldest first, each ending (in_force_until) before "
                    "the next one starts"
                )
        return self

    def all_cantons(self) -> list[str]:
        return [self.canton, *self.cantons]

    def version_on(self, day: dt.date | None) -> LawVersion | None:
        """The version in force on ``day`` (the newest when None); None before
        the first version or after the last one ended."""
        if day is None:
            return self.versions[-1]
        return next((v for v in reversed(self.versions) if v.in_force_on(day)), None)

    def supervisor_of(self, version: LawVersion) -> Authority:
        """The supervisor under ``version``: its own, else the overlay's."""
        return version.supervisor or self.supervisor


class DutyDefinition(_Strict):
    label: Texts
    controls: list[Annotated[str, StringConstraints(min_length=1)]]


class DutiesFile(_Strict):
    duties: dict[DutyId, DutyDefinition]

    @model_validator(mode="after")
    def _every_duty(self) -> DutiesFile:
        missing = [d for d in DUTY_IDS if d not in self.duties]
        if missing:
            raise ValueError("duties missing: " + ", ".join(missing))
        return self


@dataclass(frozen=True)
class Duties:
    """The commune duties and, for each control, the duties it checks."""

    labels: dict[str, Texts]
    by_control: dict[str, tuple[str, ...]]

    def of(self, control_id: str) -> tuple[str, ...]:
        return self.by_control.get(control_id, ())


NO_DUTIES = Duties(labels={}, by_control={})


def load_duties(path: Path, control_ids: set[str] | None = None) -> Duties:
    """``controls/duties.yaml``; every control it names must exist."""
    if not path.is_file():
        return NO_DUTIES
    problems = ProblemCollector()
    parsed, doc = read_model(path, DutiesFile, problems)
    by_control: dict[str, list[str]] = {}
    if parsed is not None and doc is not None:
        for duty, definition in parsed.duties.items():
            for index, control_id in enumerate(definition.controls):
                if control_ids is not None and control_id not in control_ids:
                    where = ("duties", duty, "controls", index)
                    line, column = doc.locate(where)
                    problems.report(
                        doc.file,
                        f"unknown control {control_id}",
                        line=line,
                        column=column,
                        path=format_path(where),
                    )
                by_control.setdefault(control_id, []).append(duty)
    problems.raise_if_any()
    assert parsed is not None
    return Duties(
        labels={duty: d.label for duty, d in parsed.duties.items()},
        by_control={c: tuple(d) for c, d in by_control.items()},
    )


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
        for index, version in enumerate(overlay.versions):
            for control_id in version.citations:
                if control_ids is not None and control_id not in control_ids:
                    where = ("versions", index, "citations", control_id)
                    line, column = doc.locate(where)
                    problems.report(
                        doc.file,
                        f"citation for unknown control {control_id}",
                        line=line,
                        column=column,
                        path=format_path(where),
                    )
        for canton in overlay.all_cantons():
            if canton in overlays:
                problems.report(doc.file, f"canton {canton} has two overlays")
            overlays[canton] = overlay
    problems.raise_if_any()
    return overlays


def jurisdiction(canton: str, overlays: dict[str, CantonOverlay]) -> Jurisdiction:
    return Jurisdiction(canton=canton, overlay=overlays.get(canton))
