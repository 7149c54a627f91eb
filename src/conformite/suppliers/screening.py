"""Procurement screening: go, conditional or no-go for a candidate vendor.

Screening runs the SAME controls as the audit, so the two never disagree: it
builds an in-memory :class:`~conformite.inventory.model.Inventory` holding the
candidate vendor and one hypothetical service that uses it, evaluates it with
:func:`conformite.engine.evaluation.evaluate`, and keeps the findings of the
*supplier-relevant* controls:

* every control whose target is ``vendor``;
* every ``service`` control that reads the ``vendor`` variable (its
  ``CompiledControl.paths`` start with ``vendor``), such as SVC-KEY-CUSTODY
  and DP-DISCLOSURE-EXCEPTION.

Verdict rule, with ``controls/screening.yaml`` saying which failures a
contract clause can cure:

* a selected control fails and is ``blocking`` (or ends in ``error``) -> **no-go**;
* otherwise, a selected control fails and has a clause, or cannot be decided
  because a fact is unknown (outcome ``unknown``) -> **conditional**, with the
  clauses to put in the contract and the questions to settle before signing;
* otherwise -> **go**.

An unknown fact never lets a candidate through and never blocks it on its
own: procurement asks the vendor (``conformite questionnaire``) and screens
again with the answers.

A selected control absent from ``screening.yaml`` (a commune's own control)
is blocking when its severity is critical or high; otherwise it is cured by a
clause, its remediation text.

The candidate vendor is reviewed by the screening itself: its
``last_review_on`` is set to the screening date when not given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conformite._paths import builtin_catalogue_dir
from conformite.catalogue.model import Catalogue, CompiledControl, Localized, Severity
from conformite.engine.evaluation import evaluate
from conformite.engine.results import Finding, Outcome
from conformite.engine.targets import EvaluationInput
from conformite.errors import (
    InputError,
    Problem,
    ProblemCollector,
    Text,
    closest,
    did_you_mean,
    format_path,
)
from conformite.inventory.model import (
    DataLocation,
    Encryption,
    Hosting,
    Inventory,
    Organisation,
    ProtectionNeeds,
    Service,
    Vendor,
)
from conformite.inventory.reference import ReferenceData
from conformite.inventory.safe_yaml import YamlDocument, load_yaml_file
from conformite.inventory.validation import problems_from_validation_error
from conformite.profiles.model import NOT_IN_PROFILE, ProfileRegistry
from conformite.suppliers.screening_json import (
    SCREENING_SCHEMA_VERSION,
    ReasonJson,
    ScreeningDocument,
    Verdict,
)

__all__ = [
    "EXIT_CODES",
    "SCREENING_FILE",
    "Candidate",
    "ScreeningFile",
    "ScreeningReason",
    "ScreeningResult",
    "ScreeningRule",
    "load_candidate",
    "load_screening_rules",
    "parse_protection",
    "screen_vendor",
    "selected_controls",
]

#: Exit code of ``conformite screen`` per verdict (2 is an input error).
EXIT_CODES: dict[str, int] = {"go": 0, "conditional": 3, "no-go": 4}
SCREENING_FILE = "screening.yaml"
SERVICE_ID = "candidate-service"
_BLOCKING_SEVERITIES = ("critical", "high")
_PROTECTION_KEYS = {
    "C": "confidentiality",
    "I": "integrity",
    "A": "availability",
    "T": "traceability",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreeningRule(_Strict):
    """How one control's failure weighs on a candidate vendor."""

    blocking: bool
    clause: Localized | None = None


class ScreeningFile(_Strict):
    controls: dict[str, ScreeningRule] = Field(default_factory=dict)


def load_screening_rules(directory: Path | None = None) -> dict[str, ScreeningRule]:
    """Read ``screening.yaml`` of the catalogue; a non-blocking rule needs a clause."""
    path = (directory or builtin_catalogue_dir()) / SCREENING_FILE
    doc = load_yaml_file(path)
    try:
        parsed = ScreeningFile.model_validate(doc.data or {})
    except ValidationError as exc:
        raise InputError(problems_from_validation_error(exc, doc, ScreeningFile)) from None
    problems = ProblemCollector()
    for control_id, rule in parsed.controls.items():
        if not rule.blocking and rule.clause is None:
            line, column = doc.locate(("controls", control_id))
            problems.report(
                doc.file,
                Text("refuse.screening_needs_clause"),
                line=line,
                column=column,
                path=f"controls.{control_id}",
                expected="clause: {fr, de, it, en}",
            )
    problems.raise_if_any()
    return parsed.controls


# --------------------------------------------------------------------------
# The candidate: a vendor entry and what it offers for the service
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A candidate vendor and, where the vendor said so, where data goes and who holds keys."""

    vendor: Vendor
    data_location: DataLocation | None = None
    encryption_at_rest: Encryption | None = None


class _Offer(_Strict):
    """What the vendor offers for the service, beside its entry."""

    data_location: DataLocation | None = None
    encryption_at_rest: Encryption | None = None


def load_candidate(path: Path, reference: ReferenceData) -> Candidate:
    """Read a candidate vendor file (see the module doc of :mod:`conformite.cli.screen`).

    Accepted shapes: ``vendor: {...}``, ``vendors: [{...}]`` (exactly one, as
    ``questionnaire import`` writes it), or a bare vendor mapping; the first
    two may add ``data_location:`` and ``encryption_at_rest:`` beside it.
    """
    doc = load_yaml_file(path)
    data = doc.data
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    file=doc.file,
                    line=1,
                    message=Text("refuse.candidate_expected_vendor"),
                    expected=Text("refuse.candidate_vendor_mapping"),
                    found=type(data).__name__
                    if data is not None
                    else Text("refuse.found_empty_file"),
                )
            ]
        )
    prefix: tuple[str | int, ...] = ("vendor",)
    extras = {k: v for k, v in data.items() if k not in ("vendor", "vendors")}
    if "vendors" in data:
        vendors = data.get("vendors")
        if not isinstance(vendors, list) or len(vendors) != 1:
            line, column = doc.locate(("vendors",))
            raise InputError(
                [
                    Problem(
                        file=doc.file,
                        line=line,
                        column=column,
                        path="vendors",
                        message=Text("refuse.screening_one_vendor"),
                        expected=Text("refuse.screening_one_vendor_list"),
                        found=Text(
                            "refuse.entries",
                            count=len(vendors) if isinstance(vendors, list) else 0,
                        ),
                    )
                ]
            )
        entry, prefix = vendors[0], ("vendors", 0)
    elif "vendor" in data:
        entry = data["vendor"]
    else:
        entry, prefix, extras = data, (), {}
    problems = ProblemCollector()
    vendor: Vendor | None = None
    offer: _Offer | None = None
    try:
        vendor = Vendor.model_validate(entry)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc, doc, Vendor, prefix))
    try:
        offer = _Offer.model_validate(extras)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc, doc, _Offer))
    problems.raise_if_any()
    assert vendor is not None and offer is not None
    _check_countries(vendor, offer, prefix, reference, doc, problems)
    problems.raise_if_any()
    return Candidate(
        vendor=vendor,
        data_location=offer.data_location,
        encryption_at_rest=offer.encryption_at_rest,
    )


def candidate_from_profile(ref: str, registry: ProfileRegistry) -> Candidate | None:
    """The candidate described by a supplier profile (``ID@VERSION``, or ``ID`` for
    its newest version); None when no such profile is known."""
    profile = registry.get(ref)
    if profile is None and "@" not in ref:
        versions = [p for p in registry.profiles.values() if p.meta.id == ref]
        profile = max(versions, key=lambda p: p.meta.version, default=None)
    if profile is None:
        return None
    facts = {k: v for k, v in profile.facts.items() if k not in NOT_IN_PROFILE}
    vendor = Vendor.model_validate(
        {
            **facts,
            "id": profile.meta.id,
            "profile": profile.meta.ref,
            "profile_valid_until": profile.meta.valid_until,
        }
    )
    return Candidate(vendor=vendor)


def _check_countries(
    vendor: Vendor,
    offer: _Offer,
    prefix: tuple[str | int, ...],
    reference: ReferenceData,
    doc: YamlDocument,
    problems: ProblemCollector,
) -> None:
    checks: list[tuple[str, tuple[str | int, ...]]] = [(vendor.country, (*prefix, "country"))]
    if vendor.parent:
        checks.append((vendor.parent.country, (*prefix, "parent", "country")))
    stack = [(sp, (*prefix, "sub_processors", i)) for i, sp in enumerate(vendor.sub_processors)]
    while stack:
        sp, where = stack.pop()
        checks.append((sp.country, (*where, "country")))
        if sp.parent:
            checks.append((sp.parent.country, (*where, "parent", "country")))
        stack.extend((c, (*where, "sub_processors", i)) for i, c in enumerate(sp.sub_processors))
    if offer.data_location is not None:
        for key in ("stored_in", "processed_in", "support_access_from"):
            for i, country in enumerate(getattr(offer.data_location, key) or ()):
                checks.append((country, ("data_location", key, i)))
    for country, where in checks:
        if country not in reference.countries:
            suggestion = closest(country, reference.countries)
            line, column = doc.locate(where)
            problems.report(
                doc.file,
                Text("refuse.unknown_country", country=country),
                line=line,
                column=column,
                path=format_path(where),
                hint=did_you_mean(suggestion),
            )
    for i, cert in enumerate(vendor.certifications):
        if cert.standard not in reference.certifications:
            where = (*prefix, "certifications", i, "standard")
            line, column = doc.locate(where)
            problems.report(
                doc.file,
                Text("refuse.unknown_certification", standard=cert.standard),
                line=line,
                column=column,
                path=format_path(where),
                expected=", ".join(sorted(reference.certifications)),
            )


def parse_protection(text: str | None) -> ProtectionNeeds:
    """``C=high,I=normal,A=high,T=normal`` -> declared protection needs."""
    if not text:
        return ProtectionNeeds()
    values: dict[str, str] = {}
    for part in text.split(","):
        key, sep, level = part.strip().partition("=")
        objective = _PROTECTION_KEYS.get(key.strip().upper())
        if not sep or objective is None or level.strip() not in ("normal", "high", "very_high"):
            raise ValueError(part.strip())
        values[objective] = level.strip()
    return ProtectionNeeds.model_validate(values)


# --------------------------------------------------------------------------
# Evaluation and verdict
# --------------------------------------------------------------------------


def selected_controls(catalogue: Catalogue, canton: str | None) -> list[CompiledControl]:
    """The supplier-relevant controls: target vendor, or service controls reading ``vendor``."""
    out = []
    for control in catalogue.in_canton(canton):
        target = control.control.target
        if target == "vendor" or (
            target == "service" and any(path[0] == "vendor" for path in control.paths)
        ):
            out.append(control)
    return out


@dataclass(frozen=True)
class ScreeningReason:
    control_id: str
    severity: Severity
    title: str
    outcome: Outcome
    messages: list[str]
    clause: str | None = None


@dataclass
class ScreeningResult:
    vendor_id: str
    vendor_name: str
    verdict: Verdict
    as_of: dt.date
    canton: str | None
    blocking: list[ScreeningReason] = field(default_factory=list)
    conditions: list[ScreeningReason] = field(default_factory=list)
    #: Findings a fact nobody gave leaves open: to settle before signing.
    to_clarify: list[ScreeningReason] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_dict(self) -> ScreeningDocument:
        """``screen --format json`` (schema: ``conformite schema screening``)."""

        def reason(r: ScreeningReason) -> ReasonJson:
            return {
                "control": r.control_id,
                "severity": r.severity,
                "title": r.title,
                "outcome": r.outcome,
                "messages": r.messages,
                "clause": r.clause,
            }

        return {  # type: ignore[typeddict-item]
            "schema_version": SCREENING_SCHEMA_VERSION,
            "vendor": {"id": self.vendor_id, "name": self.vendor_name},
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "as_of": self.as_of.isoformat(),
            "canton": self.canton,
            "blocking": [reason(r) for r in self.blocking],
            "conditions": [reason(r) for r in self.conditions],
            "to_clarify": [reason(r) for r in self.to_clarify],
            "passed": self.passed,
            "not_applicable": self.not_applicable,
        }


def screening_inventory(
    candidate: Candidate | Vendor,
    *,
    use: str,
    data_categories: list[str],
    protection: ProtectionNeeds | None = None,
    hosting: Hosting = "saas",
    subjects: int | None = None,
    as_of: dt.date,
) -> Inventory:
    """The in-memory inventory: the vendor and one hypothetical service using it."""
    if isinstance(candidate, Vendor):
        candidate = Candidate(vendor=candidate)
    vendor = candidate.vendor
    if vendor.last_review_on is None:
        vendor = vendor.model_copy(update={"last_review_on": as_of})
    service = Service.model_validate(
        {
            "id": SERVICE_ID,
            "name": use[:2000],
            "owner": "procurement",
            "purpose": use[:2000],
            "vendor": vendor.id,
            "hosting": hosting,
            "data_categories": data_categories,
            "data_subject_count": subjects,
        }
    )
    updates: dict[str, Any] = {}
    if protection is not None:
        updates["protection_needs"] = protection
    if candidate.data_location is not None:
        updates["data_location"] = candidate.data_location
    if candidate.encryption_at_rest is not None:
        security = service.security.model_copy(
            update={"encryption_at_rest": candidate.encryption_at_rest}
        )
        updates["security"] = security
    service = service.model_copy(update=updates)
    return Inventory(organisation=Organisation(), services=[service], vendors=[vendor], waivers=[])


def screen_vendor(
    vendor: Candidate | Vendor,
    *,
    use: str,
    data_categories: list[str],
    catalogue: Catalogue,
    reference: ReferenceData,
    rules: dict[str, ScreeningRule],
    protection: ProtectionNeeds | None = None,
    hosting: Hosting = "saas",
    subjects: int | None = None,
    canton: str | None = None,
    as_of: dt.date,
    lang: str = "en",
) -> ScreeningResult:
    """Screen a candidate vendor (a :class:`Vendor`, e.g. from a supplier profile,
    or a :class:`Candidate` with the data location and key custody it offers).

    ``data_categories`` must already be checked against the vocabulary.
    """
    inventory = screening_inventory(
        vendor,
        use=use,
        data_categories=data_categories,
        protection=protection,
        hosting=hosting,
        subjects=subjects,
        as_of=as_of,
    )
    the_vendor = inventory.vendors[0]
    controls = selected_controls(catalogue, canton)
    only = Catalogue(
        version=catalogue.version,
        controls=controls,
        digest="",
        sources=[],
        overlays=catalogue.overlays,
    )
    findings = evaluate(
        only,
        EvaluationInput(
            inventory=inventory,
            reference=reference,
            commune={"name": "", "canton": canton or "", "population": 1, "language": lang},
            as_of=as_of,
            lang=lang,
        ),
    )
    return verdict_from_findings(
        findings,
        {c.id: c for c in controls},
        rules,
        vendor_id=the_vendor.id,
        vendor_name=the_vendor.name,
        as_of=as_of,
        canton=canton,
        lang=lang,
    )


def verdict_from_findings(
    findings: list[Finding],
    controls: dict[str, CompiledControl],
    rules: dict[str, ScreeningRule],
    *,
    vendor_id: str,
    vendor_name: str,
    as_of: dt.date,
    canton: str | None,
    lang: str,
) -> ScreeningResult:
    """Apply the verdict rule (see the module doc) to the selected findings."""
    result = ScreeningResult(
        vendor_id=vendor_id, vendor_name=vendor_name, verdict="go", as_of=as_of, canton=canton
    )
    for finding in findings:
        if finding.target_kind not in ("vendor", "service"):
            continue
        if finding.outcome == "pass":
            result.passed.append(finding.control_id)
            continue
        if finding.outcome in ("not_applicable", "waived"):
            result.not_applicable.append(finding.control_id)
            continue
        reason = ScreeningReason(
            control_id=finding.control_id,
            severity=finding.severity,
            title=finding.title,
            outcome=finding.outcome,
            messages=list(finding.messages),
        )
        if finding.outcome == "unknown":
            result.to_clarify.append(reason)
            continue
        control = controls[finding.control_id].control
        rule = rules.get(finding.control_id)
        if rule is None:
            blocking = control.severity in _BLOCKING_SEVERITIES
            clause = None if blocking else control.remediation.get(lang)
        else:
            blocking = rule.blocking
            clause = rule.clause.get(lang) if rule.clause else None
        if blocking or finding.outcome == "error" or clause is None:
            result.blocking.append(reason)
        else:
            result.conditions.append(replace(reason, clause=clause))
    if result.blocking:
        result.verdict = "no-go"
    elif result.conditions or result.to_clarify:
        result.verdict = "conditional"
    return result
