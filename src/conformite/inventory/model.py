"""The inventory model: what a commune writes down about itself.

Four YAML files in ``inventory/`` describe a commune:

* ``organisation.yaml``: :class:`Organisation`, governance facts;
* ``services.yaml``: ``services:`` list of :class:`Service`;
* ``vendors.yaml``: ``vendors:`` list of :class:`Vendor`;
* ``waivers.yaml``: ``waivers:`` list of :class:`Waiver`.

Every model forbids unknown keys, so a typo is an error with a "did you mean"
hint instead of a silently ignored fact. Nested sections always exist (empty
by default) so that control expressions can read ``service.security.mfa.enabled``
without guarding each level; leaves that are unknown are ``null``.

Dates are ISO dates (``2025-03-31``). Countries are ISO 3166-1 alpha-2 codes in
capitals (``CH``, ``DE``, ``US``). Protection needs are ``normal``, ``high`` or
``very_high`` (BSI 200-2 categories, as in HERMES).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from conformite.inventory.urls import endpoint_url_problem

__all__ = [
    "INVENTORY_FILES",
    "Backup",
    "BreachEntry",
    "Certification",
    "CommissionMember",
    "Endpoint",
    "Inventory",
    "Level",
    "Organisation",
    "OrganisationFile",
    "Service",
    "ServicesFile",
    "SubProcessor",
    "Vendor",
    "VendorsFile",
    "Waiver",
    "WaiversFile",
]

Level = Literal["normal", "high", "very_high"]
Country = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2 code")
]
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$"),
    Field(description="lower-case id: letters, digits, '.', '_' or '-'"),
]


def _no_control_characters(text: str) -> str:
    """Refuse C0/C1 control characters other than tab and line breaks: they have no
    place in a name or a description, and spreadsheets refuse them."""
    for char in text:
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code < 0xA0:
            raise ValueError(f"contains the control character U+{code:04X}")
    return text


Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    AfterValidator(_no_control_characters),
]
Date = dt.date


class Model(BaseModel):
    """Base of every inventory model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------
# organisation.yaml
# --------------------------------------------------------------------------

CommissionRole = Literal[
    "council_delegate",
    "administration_manager",
    "it_lead",
    "finance_lead",
    "staff_representative",
    "civil_society",
    "external_expert",
    "other",
]


class CommissionMember(Model):
    name: Text
    role: CommissionRole


class Commission(Model):
    """The Commission numérique (model digital strategy, axis 8)."""

    established_on: Date | None = None
    members: list[CommissionMember] = Field(default_factory=list)
    last_review_on: Date | None = Field(None, description="last annual review of progress")
    annual_budget_chf: float | None = Field(None, ge=0)


class Advisor(Model):
    """Data-protection advisor (conseiller à la protection des données)."""

    name: Text
    appointed_on: Date | None = None
    external: bool = False
    contact: Text | None = None


class ProcessingRegister(Model):
    """Record of processing activities (nLPD art. 12) or the cantonal register."""

    maintained: bool = False
    last_updated_on: Date | None = None
    published: bool = False
    location: Text | None = None


class Training(Model):
    last_training_on: Date | None = None
    covers_all_staff: bool = False
    topics: list[Text] = Field(default_factory=list)


class IncidentResponse(Model):
    procedure_documented: bool = False
    last_reviewed_on: Date | None = None
    emergency_plan: bool = False
    last_exercise_on: Date | None = None
    breach_contact: Text | None = Field(None, description="who decides on notifying a breach")


class BreachEntry(Model):
    id: Identifier
    occurred_on: Date
    detected_on: Date | None = None
    description: Text
    high_risk: bool = False
    reported_to_authority_on: Date | None = None
    data_subjects_informed_on: Date | None = None
    services: list[Identifier] = Field(default_factory=list)


class BreachRecord(Model):
    """Documentation of every breach, kept two years (OPDo art. 15 al. 4)."""

    maintained: bool = False
    entries: list[BreachEntry] = Field(default_factory=list)


PolicyKind = Literal[
    "information_security",
    "data_protection",
    "acceptable_use",
    "access_control",
    "backup",
    "retention",
    "supplier_management",
    "incident_response",
    "emergency",
    "video_surveillance",
    "other",
]


class Policy(Model):
    id: Identifier
    kind: PolicyKind
    title: Text
    adopted_on: Date | None = None
    last_reviewed_on: Date | None = None
    review_interval_months: int = Field(24, ge=1, le=120)


class DataSubjectRights(Model):
    """How the commune answers access, rectification and portability requests."""

    procedure_documented: bool = False
    longest_response_days: int | None = Field(
        None, ge=0, description="longest time taken to answer an access request last year"
    )
    portability_supported: bool = False


class Organisation(Model):
    staff_count: int | None = Field(None, ge=0)
    it_responsible: Text | None = None
    commission: Commission = Field(default_factory=Commission)
    data_protection_advisor: Advisor | None = None
    processing_register: ProcessingRegister = Field(default_factory=ProcessingRegister)
    training: Training = Field(default_factory=Training)
    incident_response: IncidentResponse = Field(default_factory=IncidentResponse)
    breach_record: BreachRecord = Field(default_factory=BreachRecord)
    data_subject_rights: DataSubjectRights = Field(default_factory=DataSubjectRights)
    policies: list[Policy] = Field(default_factory=list)
    mail_domains: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")]] = (
        Field(default_factory=list)
    )


class OrganisationFile(Model):
    organisation: Organisation = Field(default_factory=Organisation)


# --------------------------------------------------------------------------
# services.yaml
# --------------------------------------------------------------------------

Hosting = Literal["on_premises", "vendor_hosted", "saas"]
DataSubject = Literal[
    "residents",
    "staff",
    "pupils",
    "parents",
    "taxpayers",
    "social_assistance_recipients",
    "applicants",
    "visitors",
    "elected_officials",
    "businesses",
    "general_public",
]
KeyHolder = Literal["commune", "vendor", "third_party"]


class DataLocation(Model):
    """Countries where the service's data is stored, processed, and accessed for support."""

    stored_in: list[Country] = Field(default_factory=list)
    processed_in: list[Country] = Field(default_factory=list)
    support_access_from: list[Country] = Field(default_factory=list)


class ProtectionNeeds(Model):
    """Declared protection needs per objective (OPDo art. 2); null when not declared."""

    confidentiality: Level | None = None
    integrity: Level | None = None
    availability: Level | None = None
    traceability: Level | None = None


class MultiFactor(Model):
    enabled: bool = False
    scope: Literal["all_users", "administrators", "remote_access"] | None = None


class Encryption(Model):
    enabled: bool = False
    key_holder: KeyHolder | None = Field(None, description="who can use the keys")


class Backup(Model):
    enabled: bool = False
    frequency: Literal["continuous", "hourly", "daily", "weekly", "monthly"] | None = None
    offsite: bool = False
    immutable: bool = False
    last_restore_test_on: Date | None = None
    recovery_point_hours: float | None = Field(None, ge=0)
    recovery_time_hours: float | None = Field(None, ge=0)


class Logging(Model):
    enabled: bool = False
    retention_days: int | None = Field(None, ge=0)
    stored_separately: bool = False
    records: list[Literal["access", "changes", "disclosures", "administration"]] = Field(
        default_factory=list
    )


class Patching(Model):
    cadence_days: int | None = Field(None, ge=0, description="days between routine updates")
    last_patched_on: Date | None = None
    vendor_supported: bool | None = Field(None, description="the version still gets updates")
    open_critical_vulnerabilities: int = Field(0, ge=0)


class Security(Model):
    access_control: Literal["role_based", "individual", "shared_accounts"] | None = None
    last_access_review_on: Date | None = None
    admin_accounts_separate: bool | None = Field(
        None, description="administrators use separate accounts for administration"
    )
    network_segmented: bool | None = Field(
        None, description="on premises: the system sits in its own network zone"
    )
    last_vulnerability_scan_on: Date | None = None
    last_penetration_test_on: Date | None = None
    mfa: MultiFactor = Field(default_factory=MultiFactor)
    encryption_at_rest: Encryption = Field(default_factory=Encryption)
    encryption_in_transit: bool | None = None
    backup: Backup = Field(default_factory=Backup)
    logging: Logging = Field(default_factory=Logging)
    patching: Patching = Field(default_factory=Patching)


class ImpactAssessment(Model):
    """DPIA (nLPD art. 22) and prior consultation (art. 23)."""

    done_on: Date | None = None
    high_residual_risk: bool = False
    prior_consultation_on: Date | None = None


class Retention(Model):
    period_months: int | None = Field(None, ge=0)
    basis: Text | None = Field(None, description="law or decision that sets the period")
    deletion_procedure: bool = False
    last_deletion_on: Date | None = None


class ProcessingRecordEntry(Model):
    listed: bool = False
    reference: Text | None = None
    legal_basis: Text | None = Field(None, description="law that allows this processing")


class Transparency(Model):
    privacy_notice: bool = False
    privacy_notice_url: Text | None = None


class AutomatedDecisions(Model):
    """Automated individual decisions (nLPD art. 21)."""

    used: bool = False
    human_review: bool = False
    data_subjects_informed: bool = False


class PrivacyByDesign(Model):
    """Data protection by design and by default (nLPD art. 7)."""

    assessed_on: Date | None = Field(None, description="when design and defaults were reviewed")
    minimal_defaults: bool | None = Field(
        None, description="default settings limit processing to what the purpose needs"
    )


class ProcessingRegulation(Model):
    """Processing regulation (OPDo art. 5; règlement de traitement)."""

    exists: bool = False
    updated_on: Date | None = None


DisclosureException = Literal[
    "consent", "contract", "public_interest", "legal_claims", "vital_interests", "made_public"
]


def _endpoint_url(value: str) -> str:
    problem = endpoint_url_problem(value)
    if problem is not None:
        raise PydanticCustomError(
            "endpoint_url", "not a usable web address: {reason}", {"reason": problem}
        )
    return value


#: A web address the probe can check: one rule for validate and probe (see inventory.urls).
EndpointUrl = Annotated[
    str,
    AfterValidator(_endpoint_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": r"^https?://[^\s/@\\]+(/\S*)?$"}),
]


class Endpoint(Model):
    url: EndpointUrl
    kind: Literal["website", "portal", "api", "other"] = "website"


class Service(Model):
    id: Identifier
    name: Text
    owner: Text
    purpose: Text
    vendor: Identifier | None = Field(None, description="id of the vendor in vendors.yaml")
    hosting: Hosting
    data_location: DataLocation = Field(default_factory=DataLocation)
    data_categories: list[Identifier] = Field(default_factory=list)
    data_subjects: list[DataSubject] = Field(default_factory=list)
    data_subject_count: int | None = Field(None, ge=0)
    protection_needs: ProtectionNeeds = Field(default_factory=ProtectionNeeds)
    security: Security = Field(default_factory=Security)
    dpia: ImpactAssessment = Field(default_factory=ImpactAssessment)
    retention: Retention = Field(default_factory=Retention)
    processing_record: ProcessingRecordEntry = Field(default_factory=ProcessingRecordEntry)
    transparency: Transparency = Field(default_factory=Transparency)
    automated_decisions: AutomatedDecisions = Field(default_factory=AutomatedDecisions)
    privacy_by_design: PrivacyByDesign = Field(default_factory=PrivacyByDesign)
    processing_regulation: ProcessingRegulation = Field(default_factory=ProcessingRegulation)
    disclosure_abroad_exception: DisclosureException | None = Field(
        None, description="nLPD art. 17 exception relied on for disclosure abroad, if any"
    )
    endpoints: list[Endpoint] = Field(default_factory=list)


class ServicesFile(Model):
    services: list[Service] = Field(default_factory=list)


# --------------------------------------------------------------------------
# vendors.yaml
# --------------------------------------------------------------------------


class Company(Model):
    name: Text
    country: Country


class ProcessorAgreement(Model):
    """Data-processing agreement (nLPD art. 9; contrat de sous-traitance)."""

    signed_on: Date | None = None
    security_measures_documented: bool = False
    sub_processor_approval: Literal["specific", "general"] | None = Field(
        None, description="OPDo art. 7: prior approval, specific or general"
    )


class SubProcessor(Model):
    name: Text
    country: Country
    purpose: Text
    approved: bool = False
    dpf_certified: bool = False
    sub_processors: list[SubProcessor] = Field(default_factory=list)


class Certification(Model):
    standard: Identifier
    scope: Text | None = None
    valid_until: Date | None = None


class DataPrivacyFramework(Model):
    """Swiss-U.S. Data Privacy Framework certification (US organisations)."""

    certified: bool = False
    valid_until: Date | None = Field(None, description="next re-certification date")


class ExitTerms(Model):
    data_return_format: Text | None = None
    deletion_confirmation: bool = False
    notice_days: int | None = Field(None, ge=0)


class Vendor(Model):
    id: Identifier
    profile: (
        Annotated[
            str,
            StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}@[1-9][0-9]{0,5}$"),
            Field(description="supplier profile 'ID@VERSION' whose facts this entry starts from"),
        ]
        | None
    ) = None
    profile_valid_until: Date | None = Field(
        None,
        description="set when loading, from the profile (never written in vendors.yaml): "
        "the date until which its vetted facts hold",
    )
    name: Text
    country: Country = Field(description="jurisdiction of the contracting company")
    parent: Company | None = None
    contact: Text | None = None
    portal_url: EndpointUrl | None = None
    dpa: ProcessorAgreement = Field(default_factory=ProcessorAgreement)
    sub_processors: list[SubProcessor] = Field(default_factory=list)
    certifications: list[Certification] = Field(default_factory=list)
    dpf: DataPrivacyFramework = Field(default_factory=DataPrivacyFramework)
    fdpic_clauses: bool = Field(
        False, description="standard contractual clauses recognised by the FDPIC are signed"
    )
    breach_notification_hours: int | None = Field(None, ge=0)
    audit_rights: bool = False
    exit: ExitTerms = Field(default_factory=ExitTerms)
    contract_end_on: Date | None = None
    last_review_on: Date | None = None


class VendorsFile(Model):
    vendors: list[Vendor] = Field(default_factory=list)


# --------------------------------------------------------------------------
# waivers.yaml
# --------------------------------------------------------------------------


class Waiver(Model):
    """An accepted risk: a decision not to fix a failed control for a while."""

    control: Annotated[str, StringConstraints(min_length=1)]
    target: Annotated[
        str,
        StringConstraints(pattern=r"^(organisation|(service|vendor|endpoint):\S+)$"),
        Field(description="'organisation', 'service:ID', 'vendor:ID' or 'endpoint:URL'"),
    ]
    justification: Text
    approver: Text
    decided_on: Date
    expires_on: Date
    risk: Literal["low", "medium", "high"]


class WaiversFile(Model):
    waivers: list[Waiver] = Field(default_factory=list)


#: File name in ``inventory/`` -> model of its content.
INVENTORY_FILES: dict[str, type[Model]] = {
    "organisation.yaml": OrganisationFile,
    "services.yaml": ServicesFile,
    "vendors.yaml": VendorsFile,
    "waivers.yaml": WaiversFile,
}


class Inventory(BaseModel):
    """A commune's whole inventory, validated and cross-checked."""

    organisation: Organisation
    services: list[Service]
    vendors: list[Vendor]
    waivers: list[Waiver]
    #: Vendor id -> field path -> where the fact comes from, for vendors
    #: built on a supplier profile ("inventory" or "profile ID@VERSION (publisher)").
    provenance: dict[str, dict[str, str]] = {}

    def vendor(self, vendor_id: str) -> Vendor | None:
        return next((v for v in self.vendors if v.id == vendor_id), None)
