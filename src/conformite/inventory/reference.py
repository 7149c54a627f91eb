"""Reference data the controls rely on: adequacy list, data categories, certifications.

Kept as data files in ``controls/reference/`` (each with its source and
``as_of`` date) so that a change of law is a reviewed data change, not code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from conformite.errors import ProblemCollector
from conformite.inventory.validation import read_model

__all__ = ["LEVELS", "ReferenceData", "load_reference"]

Level = Literal["normal", "high", "very_high"]
#: Protection-need categories as numbers, so that "the maximum" is ``max``.
LEVELS: dict[str, int] = {"normal": 1, "high": 2, "very_high": 3}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Needs(_Strict):
    confidentiality: Level
    integrity: Level
    availability: Level
    traceability: Level


class Labels(_Strict):
    fr: str
    de: str
    it: str
    en: str


class Category(_Strict):
    sensitive: bool
    article_letter: str | None = None
    needs: Needs
    label: Labels


class CategoriesFile(_Strict):
    source: str
    as_of: dt.date
    categories: dict[str, Category]


class AdequacyFile(_Strict):
    source: str
    as_of: dt.date
    certainty: Literal["official_text", "secondary_source"]
    note: str = ""
    adequate: list[str]
    #: States adequate only for some recipients: "dpf" (US: organisations certified under
    #: the Swiss-U.S. Data Privacy Framework), "pipeda" (Canada: recipients under PIPEDA
    #: or an equivalent provincial private-sector law).
    adequate_if_certified: dict[str, Literal["dpf", "pipeda"]] = Field(default_factory=dict)


class Standard(_Strict):
    security: bool
    privacy: bool
    label: str


class CertificationsFile(_Strict):
    as_of: dt.date
    standards: dict[str, Standard]


class CountriesFile(_Strict):
    source: str
    as_of: dt.date
    codes: list[str]


@dataclass(frozen=True)
class ReferenceData:
    categories: dict[str, Category]
    adequacy: AdequacyFile
    certifications: dict[str, Standard]
    countries: frozenset[str]

    def countries_under(self, rule: str) -> list[str]:
        """The states adequate only for recipients meeting ``rule`` ("dpf", "pipeda")."""
        return sorted(c for c, r in self.adequacy.adequate_if_certified.items() if r == rule)

    def as_context(self) -> dict[str, object]:
        """The ``ref`` variable of the evaluation context."""
        return {
            "adequate_countries": sorted(self.adequacy.adequate),
            "dpf_countries": self.countries_under("dpf"),
            "pipeda_countries": self.countries_under("pipeda"),
            "adequacy_as_of": self.adequacy.as_of.isoformat(),
            "sensitive_categories": sorted(k for k, c in self.categories.items() if c.sensitive),
            "security_certifications": sorted(
                k for k, s in self.certifications.items() if s.security
            ),
            "privacy_certifications": sorted(
                k for k, s in self.certifications.items() if s.privacy
            ),
        }


def load_reference(directory: Path) -> ReferenceData:
    """Load and validate the reference files; raise InputError on any problem."""
    problems = ProblemCollector()
    loaded: dict[str, BaseModel] = {}
    for name, model in (
        ("data_categories.yaml", CategoriesFile),
        ("adequacy.yaml", AdequacyFile),
        ("certifications.yaml", CertificationsFile),
        ("countries.yaml", CountriesFile),
    ):
        value, _ = read_model(directory / name, model, problems)
        if value is not None:
            loaded[name] = value
    problems.raise_if_any()
    categories = loaded["data_categories.yaml"]
    adequacy = loaded["adequacy.yaml"]
    certifications = loaded["certifications.yaml"]
    countries = loaded["countries.yaml"]
    assert isinstance(categories, CategoriesFile)
    assert isinstance(adequacy, AdequacyFile)
    assert isinstance(certifications, CertificationsFile)
    assert isinstance(countries, CountriesFile)
    return ReferenceData(
        categories=categories.categories,
        adequacy=adequacy,
        certifications=certifications.standards,
        countries=frozenset(countries.codes),
    )
