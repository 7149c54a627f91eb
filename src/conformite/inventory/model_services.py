"""``services.yaml``: the digital services a commune runs or buys, and their facts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from conformite.inventory.model_types import (
    NOT_A_FACT,
    Country,
    EventDate,
    Identifier,
    Level,
    Model,
    Text,
)
from conformite.inventory.urls import endpoint_url_problem

__all__ = [
    "Backup",
    "DataLocation",
    "Encryption",
    "Endpoint",
    "EndpointUrl",
    "Hosting",
    "ProtectionNeeds",
    "Service",
    "ServicesFile",
    "VideoSurveillance",
]

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
    "patients",
    "minors",
    "applicants",
    "visitors",
    "elected_officials",
    "businesses",
    "general_public",
]
KeyHolder = Literal["commune", "vendor", "third_party"]


class DataLocation(Model):
    """Countries where data is stored, processed, and accessed for support.

    Written on a vendor, it holds for every service of that vendor that does
    not say otherwise (a service's own list replaces the vendor's). ``null``
    or absent: not known; ``[]`` for ``support_access_from``: no remote access.
    """

    stored_in: list[Country] | None = None
    processed_in: list[Country] | None = None
    support_access_from: list[Country] | None = None
    remote_support: bool | None = Field(
        None, description="the vendor's staff can reach the system remotely for support"
    )


class ProtectionNeeds(Model):
    """Declared protection needs per objective (OPDo art. 2); null when not declared."""

    confidentiality: Level | None = None
    integrity: Level | None = None
    availability: Level | None = None
    traceability: Level | None = None


class MultiFactor(Model):
    enabled: bool | None = None
    scope: Literal["all_users", "administrators", "remote_access"] | None = None


class Encryption(Model):
    enabled: bool | None = None
    key_holder: KeyHolder | None = Field(None, description="who can use the keys")


class Backup(Model):
    enabled: bool | None = None
    operated_by: KeyHolder | None = Field(None, description="who runs the backup")
    frequency: Literal["continuous", "hourly", "daily", "weekly", "monthly"] | None = None
    offsite: bool | None = None
    immutable: bool | None = None
    last_restore_test_on: EventDate | None = None
    recovery_point_hours: float | None = Field(None, ge=0)
    recovery_time_hours: float | None = Field(None, ge=0)


class Logging(Model):
    enabled: bool | None = None
    retention_days: int | None = Field(None, ge=0)
    stored_separately: bool | None = None
    records: list[Literal["access", "changes", "disclosures", "administration"]] = Field(
        default_factory=list
    )


class Patching(Model):
    cadence_days: int | None = Field(None, ge=0, description="days between routine updates")
    last_patched_on: EventDate | None = None
    vendor_supported: bool | None = Field(None, description="the version still gets updates")
    open_critical_vulnerabilities: int | None = Field(None, ge=0)


class Security(Model):
    access_control: Literal["role_based", "individual", "shared_accounts"] | None = None
    last_access_review_on: EventDate | None = None
    admin_accounts_separate: bool | None = Field(
        None, description="administrators use separate accounts for administration"
    )
    network_segmented: bool | None = Field(
        None, description="on premises: the system sits in its own network zone"
    )
    last_vulnerability_scan_on: EventDate | None = None
    last_penetration_test_on: EventDate | None = None
    mfa: MultiFactor = Field(default_factory=MultiFactor)
    encryption_at_rest: Encryption = Field(default_factory=Encryption)
    encryption_in_transit: bool | None = None
    backup: Backup = Field(default_factory=Backup)
    logging: Logging = Field(default_factory=Logging)
    patching: Patching = Field(default_factory=Patching)


class ImpactAssessment(Model):
    """DPIA (nLPD art. 22) and prior consultation (art. 23)."""

    done_on: EventDate | None = None
    high_residual_risk: bool | None = None
    prior_consultation_on: EventDate | None = None


class Retention(Model):
    """How long the data are kept. A period in days, months or years (one of
    them), or ``defined: true`` when a rule sets it but its length is not at hand."""

    defined: bool | None = Field(None, description="a law or decision sets the period")
    period_days: int | None = Field(None, ge=0)
    period_months: int | None = Field(None, ge=0)
    period_years: int | None = Field(None, ge=0)
    basis: Text | None = Field(None, description="law or decision that sets the period")
    deletion_procedure: bool | None = None
    last_deletion_on: EventDate | None = None


class ProcessingRecordEntry(Model):
    listed: bool | None = None
    reference: Text | None = Field(None, json_schema_extra=NOT_A_FACT)
    legal_basis: Text | None = Field(None, description="law that allows this processing")


class Transparency(Model):
    privacy_notice: bool | None = None
    privacy_notice_url: Text | None = Field(None, json_schema_extra=NOT_A_FACT)


class RiskIndicators(Model):
    """What makes a processing high-risk beyond its scale (nLPD art. 22 al. 2;
    EDPB WP248 criteria): each raises the need for an impact assessment."""

    monitoring_public_space: bool | None = Field(
        None, description="systematic monitoring of public space (video surveillance, sensors)"
    )
    profiling: bool | None = Field(
        None, description="profiling with high risk (nLPD art. 5 let. g)"
    )
    new_technology: bool | None = Field(
        None, description="a technology new to the commune, whose risks are not yet known"
    )


class AutomatedDecisions(Model):
    """Automated individual decisions (nLPD art. 21)."""

    used: bool | None = None
    human_review: bool | None = None
    data_subjects_informed: bool | None = None


class PrivacyByDesign(Model):
    """Data protection by design and by default (nLPD art. 7)."""

    assessed_on: EventDate | None = Field(
        None, description="when design and defaults were reviewed"
    )
    minimal_defaults: bool | None = Field(
        None, description="default settings limit processing to what the purpose needs"
    )


class ProcessingRegulation(Model):
    """Processing regulation (OPDo art. 5; règlement de traitement)."""

    exists: bool | None = None
    updated_on: EventDate | None = None


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


class VideoSurveillance(Model):
    """Video surveillance by the service (cantonal rules: a regulation, often an
    authorisation; see DP-VIDEO-SURVEILLANCE and the canton's controls)."""

    public_space: bool | None = Field(None, description="films places open to the public")
    purpose: Text | None = None
    area: Text | None = Field(None, description="the places filmed")
    retention_hours: int | None = Field(None, ge=0, description="how long recordings are kept")
    signage: bool | None = Field(None, description="signs tell people they are filmed")
    regulation: Text | None = Field(
        None, description="the legal basis: the law or communal regulation that allows it"
    )
    authorised_on: EventDate | None = Field(
        None,
        description="date of the authorisation the canton requires (VD: the prefect's); "
        "never when there is none",
    )


class Service(Model):
    id: Identifier
    name: Text
    owner: Text
    purpose: Text
    vendor: Identifier | None = Field(
        None, description="id of the vendor in vendors.yaml", json_schema_extra=NOT_A_FACT
    )
    hosting: Hosting
    data_location: DataLocation = Field(default_factory=DataLocation)
    data_categories: list[Identifier] = Field(default_factory=list)
    data_subjects: list[DataSubject] = Field(default_factory=list)
    data_subject_count: int | None = Field(None, ge=0)
    protection_needs: ProtectionNeeds = Field(default_factory=ProtectionNeeds)
    security: Security = Field(default_factory=Security)
    risk_indicators: RiskIndicators = Field(default_factory=RiskIndicators)
    dpia: ImpactAssessment = Field(default_factory=ImpactAssessment)
    retention: Retention = Field(default_factory=Retention)
    processing_record: ProcessingRecordEntry = Field(default_factory=ProcessingRecordEntry)
    transparency: Transparency = Field(default_factory=Transparency)
    automated_decisions: AutomatedDecisions = Field(default_factory=AutomatedDecisions)
    privacy_by_design: PrivacyByDesign = Field(default_factory=PrivacyByDesign)
    processing_regulation: ProcessingRegulation = Field(default_factory=ProcessingRegulation)
    video_surveillance: VideoSurveillance = Field(default_factory=VideoSurveillance)
    disclosure_abroad_exception: DisclosureException | None = Field(
        None,
        description="nLPD art. 17 exception relied on for disclosure abroad, if any",
        json_schema_extra=NOT_A_FACT,
    )
    endpoints: list[Endpoint] = Field(default_factory=list)


class ServicesFile(Model):
    services: list[Service] = Field(default_factory=list)
