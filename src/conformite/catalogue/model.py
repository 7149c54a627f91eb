"""The control catalogue's model: what a control is, and a compiled catalogue.

A control is one small YAML file under ``controls/<family>/``: its id and
documentation in four languages, its legal basis, its severity, what it
applies to, and CEL expressions (named applicability conditions, variables
and requirements). Everything is validated when the catalogue loads:

* the YAML against :class:`Control` (unknown keys, missing languages, bad
  enums are errors);
* every expression is compiled, and every variable and field it reads is
  checked against the evaluation context (see :mod:`conformite.catalogue.loader`),
  so ``vendor.sub_processors.exists(s, s.cuntry == "US")`` fails loading with
  the control id, file, line and a "did you mean 'country'" hint.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from conformite.catalogue.cantons import NO_DUTIES, CantonalCitation, CantonOverlay, Duties

__all__ = [
    "FAMILIES",
    "LANGUAGES",
    "OBJECTIVES",
    "SEVERITIES",
    "Catalogue",
    "CompiledControl",
    "Control",
    "LegalBasis",
    "Localized",
]

LANGUAGES = ("fr", "de", "it", "en")
Language = Literal["fr", "de", "it", "en"]
SEVERITIES = ("low", "medium", "high", "critical")
Severity = Literal["low", "medium", "high", "critical"]
OBJECTIVES = ("confidentiality", "integrity", "availability", "traceability")
Objective = Literal["confidentiality", "integrity", "availability", "traceability"]
#: Control families, in the order reports show them.
FAMILIES = (
    "governance",
    "data_protection",
    "confidentiality",
    "integrity",
    "availability",
    "traceability",
    "system_security",
    "supplier",
    "endpoint",
)
Family = Literal[
    "governance",
    "data_protection",
    "confidentiality",
    "integrity",
    "availability",
    "traceability",
    "system_security",
    "supplier",
    "endpoint",
]
TargetKind = Literal["organisation", "service", "vendor", "endpoint"]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,40}$")]
ControlId = Annotated[
    str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}(-[A-Z0-9]{1,20}){1,4}$", max_length=48)
]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


#: The language segment of a Fedlex address: ``https://www.fedlex.admin.ch/eli/cc/2022/491/fr#art_12``.
_FEDLEX_LANG = re.compile(
    r"^(https://www\.fedlex\.admin\.ch/eli/[^#?]*/)(?:fr|de|it|en)(?=$|[#?])(.*)$"
)
#: Languages Fedlex publishes federal acts in (besides Romansh for some).
LINK_LANGS = ("fr", "de", "it", "en")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    """A text in each of the four languages; none may be missing."""

    fr: NonEmpty
    de: NonEmpty
    it: NonEmpty
    en: NonEmpty

    def get(self, lang: str) -> str:
        return str(getattr(self, lang if lang in LANGUAGES else "en"))


#: Federal instruments are written with their French abbreviation in the
#: catalogue and cited with the abbreviation of the reader's language.
FEDERAL_INSTRUMENTS: dict[str, dict[str, str]] = {
    "nLPD": {"fr": "nLPD", "de": "revDSG", "it": "LPD", "en": "revFADP"},
    "OPDo": {"fr": "OPDo", "de": "DSV", "it": "OPDa", "en": "DPO"},
}
#: (article, paragraph, letter) in each language.
CITATION_WORDS: dict[str, tuple[str, str, str]] = {
    "fr": ("art.", "al.", "let."),
    "de": ("Art.", "Abs.", "Bst."),
    "it": ("art.", "cpv.", "lett."),
    "en": ("art.", "para.", "let."),
}

ANNEX_WORD = {"fr": "annexe", "de": "Anhang", "it": "allegato", "en": "Annex"}


class LegalBasis(_Strict):
    """One article-level citation, with a link to the official text."""

    instrument: NonEmpty = Field(description="nLPD, OPDo, or a cantonal law's abbreviation")
    article: NonEmpty | None = None
    annex: NonEmpty | None = Field(None, description="an annex instead of an article")
    paragraph: str | None = None
    letter: str | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")]
    canton: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="set on a cantonal citation; the report shows it to that canton only"
    )
    #: ``official_text`` only for a citation read in the official collection
    #: (fedlex, a cantonal collection); the built-in federal citations were
    #: checked against copies of the texts, hence the default.
    certainty: Literal["official_text", "secondary_source"] = "secondary_source"
    numbering: Literal["article", "section"] = Field(
        "article", description="'section' for laws numbered with § (ZH, BL, ...)"
    )

    @model_validator(mode="after")
    def _article_or_annex(self) -> LegalBasis:
        if (self.article is None) == (self.annex is None):
            raise ValueError("give either an article or an annex")
        return self

    def url_in(self, lang: str) -> str:
        """The link in the reader's language: Fedlex serves every federal act in
        French, German, Italian and English under the same address but for the
        language (``…/eli/cc/2022/491/fr#art_12`` → ``…/de#art_12``); other links as
        they are."""
        return _FEDLEX_LANG.sub(rf"\g<1>{lang}\g<2>", self.url) if lang in LINK_LANGS else self.url

    def cite(self, lang: str = "fr") -> str:
        """The usual Swiss citation in ``lang``: ``nLPD art. 9 al. 2 let. a``,
        ``revDSG Art. 9 Abs. 2 Bst. a``, ``LPD art. 9 cpv. 2 lett. a``,
        ``revFADP art. 9 para. 2 let. a``. Cantonal abbreviations are kept."""
        names = FEDERAL_INSTRUMENTS.get(self.instrument, {})
        words = CITATION_WORDS.get(lang, CITATION_WORDS["fr"])
        if self.annex:
            return f"{names.get(lang, self.instrument)} {ANNEX_WORD[lang]} {self.annex}"
        article = "§" if self.numbering == "section" else words[0]
        text = f"{names.get(lang, self.instrument)} {article} {self.article}"
        if self.paragraph:
            text += f" {words[1]} {self.paragraph}"
        if self.letter:
            text += f" {words[2]} {self.letter}"
        return text


class Mapping(_Strict):
    framework: Literal["ict-minimum-standard", "iso27001-2022", "bsi-grundschutz"]
    id: NonEmpty
    relationship: Literal["equal", "subset", "superset", "related"] = "related"


class Reference(_Strict):
    title: NonEmpty
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")]


class Effort(_Strict):
    """What fixing a failure costs: internal days and external money."""

    person_days: float = Field(ge=0, le=200)
    external_chf: int = Field(0, ge=0)


class NamedExpression(_Strict):
    name: Name
    expression: NonEmpty


class Requirement(_Strict):
    name: Name
    expression: NonEmpty = Field(description="CEL; true when the requirement is met")
    message: Localized = Field(description="what is wrong; may use {facts} and parameters")
    facts: str | None = Field(
        None, description="CEL giving the facts that failed, as a string or list of strings"
    )


class UnknownCondition(_Strict):
    """When true, the finding is ``unknown``: what it needs is not known yet."""

    name: Name
    expression: NonEmpty
    message: Localized = Field(description="why it cannot be decided, and how to find out")


class Examples(_Strict):
    compliant: NonEmpty
    non_compliant: NonEmpty


class Control(_Strict):
    """One control as written in its YAML file."""

    id: ControlId
    status: Literal["active", "draft", "deprecated"] = "active"
    since: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+(\.\d+)?$")]
    family: Family
    objectives: list[Objective] = Field(default_factory=list)
    severity: Severity
    target: TargetKind
    effort: Effort
    title: Localized
    problem: Localized | None = Field(
        None,
        description='the gap as a risk, in a few words ("Software no longer receives '
        'security updates"): shown where a risk is listed, beside the title that states '
        "the requirement",
    )
    description: Localized
    rationale: Localized
    remediation: Localized
    legal_basis: list[LegalBasis] = Field(min_length=1)
    examples: Examples | None = None
    references: list[Reference] = Field(default_factory=list)
    mappings: list[Mapping] = Field(default_factory=list)
    parameters: dict[Name, int | float | str | bool | list[str]] = Field(default_factory=dict)
    applies_when: list[NamedExpression] = Field(default_factory=list)
    not_applicable_reason: Localized | None = Field(
        None, description="said when applies_when is false, instead of a generic sentence"
    )
    unknown_when: list[UnknownCondition] = Field(
        default_factory=list,
        description="checked after applies_when: when one is true the finding is 'unknown' "
        "(to document) with its message, e.g. an endpoint never probed",
    )
    depends_on: list[ControlId] = Field(
        default_factory=list,
        description="controls on the same target that must pass for this one to make sense; "
        "while one does not, this finding is not counted (it says why)",
    )
    variables: list[NamedExpression] = Field(default_factory=list)
    requirements: list[Requirement] = Field(min_length=1)
    cantons: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=list,
        description="the cantons whose law imposes this control; empty: everywhere",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Control:
        for label, items in (
            ("applies_when", self.applies_when),
            ("unknown_when", self.unknown_when),
            ("variables", self.variables),
            ("requirements", self.requirements),
        ):
            names = [item.name for item in items]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {label} names: {', '.join(duplicates)}")
        return self

    @field_validator("objectives")
    @classmethod
    def _objectives_once(cls, objectives: list[str]) -> list[str]:
        repeated = sorted({o for o in objectives if objectives.count(o) > 1})
        if repeated:  # a repeated objective would count the control twice in its score
            raise ValueError(f"objective listed twice: {', '.join(repeated)}")
        return objectives


@dataclass(frozen=True)
class CompiledRequirement:
    name: str
    program: Any
    message: Localized
    facts: Any | None
    #: Context paths the expression reads, with those of the variables it uses.
    paths: frozenset[tuple[str, ...]] = frozenset()


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per loaded control
class CompiledControl:
    """A control ready to run: its definition, source file and compiled CEL."""

    control: Control
    source: str
    conditions: tuple[tuple[str, Any], ...]
    requirements: tuple[CompiledRequirement, ...]
    #: The paths each condition reads, in the order of ``conditions``.
    condition_paths: tuple[frozenset[tuple[str, ...]], ...] = ()
    #: ``unknown_when``: (name, program, message) in order.
    unknown_when: tuple[tuple[str, Any, Localized], ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    #: Context paths the control's expressions read (see ``_cel.check_expression``).
    paths: frozenset[tuple[str, ...]] = frozenset()
    #: Shipped with conformite; the others (a workspace's own) run with limits
    #: (see :mod:`conformite.engine.guard`).
    builtin: bool = False
    #: How many list elements its comprehensions visit, as a function of the
    #: target's lists (see :mod:`conformite.catalogue.cost`); None: no such list.
    cost: tuple[Any, ...] | None = None

    @property
    def id(self) -> str:
        return self.control.id


@dataclass(eq=False)  # hashed by identity (evaluation caches per catalogue)
class Catalogue:
    """All controls in force, in id order, with the catalogue's version and hash."""

    version: str
    controls: list[CompiledControl]
    digest: str
    sources: list[str]
    #: Cantonal overlays by canton code (see :mod:`conformite.catalogue.cantons`).
    overlays: dict[str, CantonOverlay] = field(default_factory=dict)
    #: The commune duties each control checks (``controls/duties.yaml``).
    duties: Duties = NO_DUTIES

    def get(self, control_id: str) -> CompiledControl | None:
        return next((c for c in self.controls if c.id == control_id), None)

    def for_target(self, kind: str, canton: str | None = None) -> list[CompiledControl]:
        """Controls on targets of ``kind`` in force in ``canton`` (all when None)."""
        return [
            c for c in self.controls if c.control.target == kind and in_force(c.control, canton)
        ]

    def in_canton(self, canton: str | None) -> list[CompiledControl]:
        return [c for c in self.controls if in_force(c.control, canton)]

    def citations(
        self,
        control: Control,
        canton: str | None,
        lang: str,
        as_of: dt.date | None = None,
    ) -> list[tuple[str, str, str | None]]:
        """(citation, url, canton) of the control's legal basis, for a commune of
        ``canton`` on ``as_of`` (the newest law when None).

        The law that binds the commune comes first: the cantonal articles of the
        duties the control checks (or a note that the canton's law has no such
        duty, or that its article is still to be checked), the overlay's
        control-specific citations and the control's own cantonal basis; then
        the federal basis, which stays the baseline (and binds the suppliers).
        """
        from conformite.i18n import translate

        cantonal: list[tuple[str, str, str | None]] = []
        federal: list[tuple[str, str, str | None]] = []
        overlay = self.overlays.get(canton or "")
        version = overlay.version_on(as_of) if overlay is not None else None
        if overlay is not None and version is not None:
            law = version.law

            def add(citation: CantonalCitation) -> None:
                basis = LegalBasis(
                    instrument=citation.instrument or law.abbreviation,
                    article=citation.article,
                    paragraph=citation.paragraph,
                    letter=citation.letter,
                    url=citation.url,
                    canton=canton,
                    certainty=citation.certainty,
                    numbering=overlay.numbering,
                )
                entry = (basis.cite(lang), basis.url, canton)
                if entry not in cantonal:
                    cantonal.append(entry)

            for duty_id in self.duties.of(control.id):
                duty = version.duties.get(duty_id)  # type: ignore[call-overload]
                if duty is None:
                    continue
                for citation in duty.cite:
                    add(citation)
                if duty.status != "cited":
                    note = translate(f"citation.{duty.status}", lang, law=law.abbreviation)
                    entry = (note, law.url, canton)
                    if entry not in cantonal:
                        cantonal.append(entry)
            for citation in version.citations.get(control.id, []):
                add(citation)
        for basis in control.legal_basis:
            if basis.canton is None:
                federal.append((basis.cite(lang), basis.url_in(lang), None))
            elif basis.canton == canton and all(basis.cite(lang) != c[0] for c in cantonal):
                cantonal.append((basis.cite(lang), basis.url, basis.canton))
        return cantonal + federal


def in_force(control: Control, canton: str | None) -> bool:
    """A control without ``cantons`` applies everywhere; otherwise only there."""
    return not control.cantons or canton is None or canton in control.cantons
