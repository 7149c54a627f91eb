"""``vendors.yaml``: the suppliers behind the services, their contracts and chain."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from conformite.inventory.model_services import DataLocation, EndpointUrl
from conformite.inventory.model_types import (
    NOT_A_FACT,
    Country,
    Date,
    EventDate,
    Identifier,
    Model,
    Text,
)
from conformite.inventory.uid import SwissUid

__all__ = ["Certification", "Company", "SubProcessor", "Vendor", "VendorsFile"]

# --------------------------------------------------------------------------
# vendors.yaml
# --------------------------------------------------------------------------


class Company(Model):
    name: Text
    country: Country


class ProcessorAgreement(Model):
    """Data-processing agreement (nLPD art. 9; contrat de sous-traitance)."""

    signed_on: EventDate | None = None
    security_measures_documented: bool | None = None
    sub_processor_approval: Literal["specific", "general"] | None = Field(
        None, description="OPDo art. 7: prior approval, specific or general"
    )


#: Canada is adequate (OPDo annex 1) only for the private sector under PIPEDA.
CANADA_PIPEDA = (
    "a recipient in Canada falls under PIPEDA or an equivalent provincial private-sector "
    "law (Canada's adequacy is limited to them)"
)


class SubProcessor(Model):
    name: Text
    country: Country
    parent: Company | None = Field(
        None, description="parent company, when another country's law reaches it (a US parent)"
    )
    purpose: Text
    approved: bool | None = None
    dpf_certified: bool | None = None
    canada_pipeda: bool | None = Field(None, description=CANADA_PIPEDA)
    sub_processors: list[SubProcessor] = Field(default_factory=list)


class Certification(Model):
    standard: Identifier
    scope: Text | None = Field(None, json_schema_extra=NOT_A_FACT)
    valid_until: Date | None = None


class DataPrivacyFramework(Model):
    """Swiss-U.S. Data Privacy Framework certification (US organisations)."""

    certified: bool | None = None
    valid_until: Date | None = Field(None, description="next re-certification date")


class ExitTerms(Model):
    data_return_format: Text | None = None
    deletion_confirmation: bool | None = None
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
    ) = Field(None, json_schema_extra=NOT_A_FACT)
    profile_valid_until: Date | None = Field(
        None,
        json_schema_extra=NOT_A_FACT,
        description="set when loading, from the profile (never written in vendors.yaml): "
        "the date until which its vetted facts hold",
    )
    name: Text
    uid: SwissUid | None = Field(
        None,
        json_schema_extra=NOT_A_FACT,
        description="Swiss company number (UID/IDE/IDI), stored as CHE-123.456.789: "
        "names the same company in every commune's inventory",
    )
    country: Country = Field(description="jurisdiction of the contracting company")
    parent: Company | None = None
    contact: Text | None = Field(None, json_schema_extra=NOT_A_FACT)
    portal_url: EndpointUrl | None = Field(None, json_schema_extra=NOT_A_FACT)
    data_location: DataLocation = Field(
        default_factory=DataLocation,
        description="where the vendor keeps and reaches its customers' data: "
        "its services inherit what they do not say themselves",
    )
    dpa: ProcessorAgreement = Field(default_factory=ProcessorAgreement)
    sub_processors: list[SubProcessor] = Field(default_factory=list)
    certifications: list[Certification] = Field(default_factory=list)
    dpf: DataPrivacyFramework = Field(default_factory=DataPrivacyFramework)
    fdpic_clauses: bool | None = Field(
        None, description="standard contractual clauses recognised by the FDPIC are signed"
    )
    canada_pipeda: bool | None = Field(None, description=CANADA_PIPEDA)
    breach_notification_hours: int | None = Field(None, ge=0)
    audit_rights: bool | None = None
    exit: ExitTerms = Field(default_factory=ExitTerms)
    contract_end_on: Date | None = None
    last_review_on: EventDate | None = None


class VendorsFile(Model):
    vendors: list[Vendor] = Field(default_factory=list)
