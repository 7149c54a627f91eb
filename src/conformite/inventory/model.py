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

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from conformite.inventory.model_services import (
    Backup,
    DataLocation,
    Encryption,
    Endpoint,
    Hosting,
    ProtectionNeeds,
    Service,
    ServicesFile,
)
from conformite.inventory.model_types import (
    NEVER,
    NOT_A_FACT,
    Date,
    EventDate,
    Identifier,
    Level,
    Model,
    Text,
)
from conformite.inventory.model_vendors import (
    Certification,
    Company,
    SubProcessor,
    Vendor,
    VendorsFile,
)

__all__ = [
    "INVENTORY_FILES",
    "NEVER",
    "NOT_A_FACT",
    "Backup",
    "BreachEntry",
    "Certification",
    "CommissionMember",
    "Company",
    "DataLocation",
    "Encryption",
    "Endpoint",
    "EventDate",
    "Hosting",
    "Inventory",
    "Level",
    "Model",
    "Organisation",
    "OrganisationFile",
    "ProtectionNeeds",
    "Service",
    "ServicesFile",
    "SubProcessor",
    "Vendor",
    "VendorsFile",
    "Waiver",
    "WaiversFile",
]

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

    established_on: EventDate | None = None
    members: list[CommissionMember] = Field(default_factory=list)
    last_review_on: EventDate | None = Field(None, description="last annual review of progress")
    annual_budget_chf: float | None = Field(None, ge=0)


class Advisor(Model):
    """Data-protection advisor (conseiller à la protection des données)."""

    name: Text
    appointed_on: Date | None = None
    external: bool | None = None
    contact: Text | None = None


class ProcessingRegister(Model):
    """Record of processing activities (nLPD art. 12) or the cantonal register."""

    maintained: bool | None = None
    last_updated_on: EventDate | None = None
    published: bool | None = None
    location: Text | None = None


class Training(Model):
    last_training_on: EventDate | None = None
    covers_all_staff: bool | None = None
    topics: list[Text] = Field(default_factory=list)


class IncidentResponse(Model):
    procedure_documented: bool | None = None
    last_reviewed_on: EventDate | None = None
    emergency_plan: bool | None = None
    last_exercise_on: EventDate | None = None
    breach_contact: Text | None = Field(None, description="who decides on notifying a breach")


class BreachEntry(Model):
    id: Identifier
    occurred_on: Date
    detected_on: Date | None = None
    description: Text
    high_risk: bool | None = None
    reported_to_authority_on: EventDate | None = None
    data_subjects_informed_on: EventDate | None = None
    services: list[Identifier] = Field(default_factory=list)


class BreachRecord(Model):
    """Documentation of every breach, kept two years (OPDo art. 15 al. 4)."""

    maintained: bool | None = None
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
    last_reviewed_on: EventDate | None = None
    review_interval_months: int | None = Field(
        None,
        ge=1,
        le=120,
        description="null: the interval GOV-POLICY-REVIEW takes as its parameter",
        json_schema_extra=NOT_A_FACT,
    )


class DataSubjectRights(Model):
    """How the commune answers access, rectification and portability requests."""

    procedure_documented: bool | None = None
    longest_response_days: int | None = Field(
        None, ge=0, description="longest time taken to answer an access request last year"
    )
    portability_supported: bool | None = None


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
