"""Supplier profiles: vetted vendor facts with their provenance.

A profile is one YAML file: the facts of :class:`conformite.inventory.model.Vendor`
(without ``id`` and ``profile``) under ``vendor:``, and under ``profile:`` who
vetted them, when, until when they hold, and where each fact comes from::

    profile:
      id: nuage-suisse
      version: 3
      publisher: Association des communes (fictitious)
      vetted_on: 2026-09-01
      valid_until: 2027-09-01
      sources:
        dpa.signed_on: [{document: "Contrat-cadre 2026, annexe 3", checked_on: 2026-08-20}]
    vendor:
      name: Nuage Suisse SA
      country: CH
      dpa: {signed_on: 2026-03-01, security_measures_documented: true}

An inventory vendor references it with ``profile: nuage-suisse@3``; facts
written in the inventory win over the profile's (see :mod:`conformite.engine.workspace`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    model_validator,
)

from conformite.errors import InputError, Problem, ProblemCollector, format_path
from conformite.errors import Text as Message  # inventory.model.Text is a field type
from conformite.inventory.model import Identifier, Model, Text, Vendor
from conformite.inventory.safe_yaml import load_yaml_bytes, read_bounded
from conformite.inventory.validation import problems_from_validation_error

__all__ = [
    "PROFILE_REF",
    "FactSource",
    "LoadedProfile",
    "ProfileMeta",
    "ProfileRegistry",
    "SupplierProfile",
    "flatten_facts",
    "load_profile_file",
    "load_profiles",
]

#: How an inventory vendor names a profile: ``ID@VERSION``.
PROFILE_REF = r"^[a-z0-9][a-z0-9._-]{0,79}@[1-9][0-9]{0,5}$"
#: Fields of a vendor that a profile cannot set.
NOT_IN_PROFILE = ("id", "profile", "profile_valid_until")


class FactSource(Model):
    """Where one fact was checked: a web address or a document, and when."""

    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None
    document: Text | None = None
    checked_on: dt.date

    @model_validator(mode="after")
    def _one_of(self) -> FactSource:
        if (self.url is None) == (self.document is None):
            raise ValueError("give either 'url' or 'document'")
        return self


class ProfileMeta(Model):
    id: Identifier
    version: int = Field(ge=1, le=999_999)
    publisher: Text
    vetted_on: dt.date
    valid_until: dt.date
    #: Field path in ``vendor`` (``dpa.signed_on``) -> where it was checked.
    sources: dict[str, list[FactSource]] = Field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


#: The vendor facts a profile can hold: every Vendor field but id and profile.
ProfileVendor = create_model(  # type: ignore[call-overload]
    "ProfileVendor",
    __base__=Model,
    **{
        name: (info.annotation, info)
        for name, info in Vendor.model_fields.items()
        if name not in NOT_IN_PROFILE
    },
)


class SupplierProfile(Model):
    model_config = ConfigDict(extra="forbid")

    profile: ProfileMeta
    vendor: ProfileVendor  # type: ignore[valid-type]


def flatten_facts(data: Any, prefix: str = "") -> list[str]:
    """Leaf field paths of a vendor mapping (lists are leaves): ``dpa.signed_on`` ..."""
    out: list[str] = []
    if isinstance(data, dict) and data:
        for key, value in data.items():
            out.extend(flatten_facts(value, f"{prefix}{key}."))
    elif prefix:
        out.append(prefix[:-1])
    return out


@dataclass(frozen=True)
class LoadedProfile:
    meta: ProfileMeta
    #: The ``vendor:`` mapping as written (plain data), for merging.
    facts: dict[str, Any]
    file: str
    sha256: str
    origin: str  # "built-in" or the source name

    @property
    def label(self) -> str:
        return f"profile {self.meta.ref} ({self.meta.publisher})"


@dataclass
class ProfileRegistry:
    profiles: dict[str, LoadedProfile] = field(default_factory=dict)

    def get(self, ref: str) -> LoadedProfile | None:
        return self.profiles.get(ref)

    def refs(self) -> list[str]:
        return sorted(self.profiles)

    def add(self, profile: LoadedProfile, problems: ProblemCollector) -> None:
        ref = profile.meta.ref
        known = self.profiles.get(ref)
        if known is None:
            self.profiles[ref] = profile
        elif known.sha256 != profile.sha256:
            problems.report(
                profile.file,
                Message("refuse.profile_defined_twice", ref=ref, other=known.file),
                hint=Message("refuse.profile_new_version"),
            )


def _check_sources(profile: SupplierProfile, data: dict[str, Any], doc: Any) -> list[Problem]:
    """Every fact has a source, and every source names a fact."""
    facts = set(flatten_facts(data.get("vendor") or {}))
    problems = []
    for path in profile.profile.sources:
        covered = any(f == path or f.startswith(path + ".") for f in facts)
        if not covered:
            line, column = doc.locate(("profile", "sources", path))
            problems.append(
                Problem(
                    file=doc.file,
                    line=line,
                    column=column,
                    path=format_path(("profile", "sources", path)),
                    message=Message("refuse.profile_source_without_fact", path=path),
                )
            )
    for fact in sorted(facts):
        parts = fact.split(".")
        if not any(
            ".".join(parts[:n]) in profile.profile.sources for n in range(1, len(parts) + 1)
        ):
            line, column = doc.locate(("vendor", *parts))
            problems.append(
                Problem(
                    file=doc.file,
                    line=line,
                    column=column,
                    path=format_path(("vendor", *parts)),
                    message=Message("refuse.profile_fact_without_source", fact=fact),
                    hint=Message("refuse.profile_add_source", fact=fact),
                )
            )
    return problems


def load_profile_file(
    path: Path, origin: str = "built-in", display: str | None = None, raw: bytes | None = None
) -> LoadedProfile:
    """Read and validate one profile file; raise :class:`InputError` with every problem.

    ``raw``: the file's bytes when the caller has read them already (a cached
    profile whose hash it checked): those bytes are parsed, not the file again.
    """
    display = display or str(path)
    if raw is None:
        raw = read_bounded(path, display)
    doc = load_yaml_bytes(raw, display)
    if not isinstance(doc.data, dict):
        raise InputError(
            [
                Problem(
                    file=display,
                    line=1,
                    message=Message("refuse.profile_not_mapping"),
                )
            ]
        )
    try:
        profile = SupplierProfile.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(problems_from_validation_error(exc, doc, SupplierProfile)) from None
    problems = _check_sources(profile, doc.data, doc)
    if problems:
        raise InputError(problems)
    return LoadedProfile(
        meta=profile.profile,
        facts=dict(doc.data["vendor"]),
        file=display,
        sha256=hashlib.sha256(raw).hexdigest(),
        origin=origin,
    )


def load_profiles(
    directory: Path, registry: ProfileRegistry, problems: ProblemCollector, origin: str = "built-in"
) -> None:
    """Add every ``*.yaml`` profile of ``directory`` to ``registry``."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.yaml")):
        try:
            registry.add(load_profile_file(path, origin), problems)
        except InputError as exc:
            problems.extend(exc.problems)
