"""The record of processing activities (nLPD art. 12), generated from the inventory.

One entry per service, with the minimum content of art. 12 al. 2:

a. the controller (the commune, and the unit that owns the service);
b. the purpose;
c. the categories of data subjects and of personal data;
d. the categories of recipients (the processor and its sub-processors);
e. the retention period, or the criteria that set it;
f. a general description of the security measures (art. 8);
g. the destination states abroad and the safeguards of art. 16 al. 2.

Cantonal laws ask for a comparable register or catalogue of files (see
DOMAIN.md §3); the same content serves both. Nothing here is invented: a
fact the inventory does not hold is shown as missing, so the register is also
a to-do list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from conformite.engine.derive import HOME_COUNTRY, derive, flatten_chain
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.i18n.formats import format_date, format_number
from conformite.inventory.model import Service, Vendor
from conformite.inventory.reference import ReferenceData

__all__ = [
    "COLUMNS",
    "Destination",
    "Register",
    "RegisterEntry",
    "build_register",
    "rows",
    "safeguard",
    "yes_no",
]


@dataclass(frozen=True)
class Destination:
    """A state abroad the data goes to, and what makes the disclosure lawful."""

    country: str
    safeguard: str
    safe: bool


@dataclass
class RegisterEntry:
    reference: str
    service_id: str
    name: str
    controller: str
    purpose: str
    legal_basis: str
    data_subjects: list[str]
    data_subject_count: str
    data_categories: list[str]
    sensitive_categories: list[str]
    recipients: list[str]
    retention: str
    security_measures: list[str]
    destinations: list[Destination]
    #: None when the inventory does not say.
    listed: bool | None
    missing: list[str] = field(default_factory=list)


@dataclass
class Register:
    lang: str
    commune: str
    canton: str
    as_of: str
    controller: str
    advisor: str
    entries: list[RegisterEntry]
    #: The register's legal basis for this commune on the audit date: the
    #: cantonal article first, the federal one as the baseline.
    basis: str = ""


def _t(key: str, lang: str, **values: object) -> str:
    return translate(key, lang, **values)


def yes_no(value: bool | None, lang: str) -> str:
    """ "yes", "no", or "not known" for a fact nobody gave."""
    if value is None:
        return _t("report.not_known", lang)
    return _t("report.yes" if value else "report.no", lang)


def _pipeda_recipient(country: str, vendor: Vendor | None, rules: dict[str, str]) -> bool:
    """Canada: the vendor or a sub-processor there falls under PIPEDA (or equivalent)."""
    if rules.get(country) != "pipeda" or vendor is None:
        return False
    if vendor.country == country and vendor.canada_pipeda:
        return True
    chain = flatten_chain(vendor.sub_processors)
    return any(sp["country"] == country and sp["canada_pipeda"] for sp in chain)


def safeguard(
    country: str,
    vendor: Vendor | None,
    service: Service | None,
    reference: ReferenceData,
    as_of: dt.date,
    lang: str,
) -> Destination:
    """The nLPD art. 16/17 ground for disclosing data to ``country``, if any."""
    adequacy = reference.adequacy
    if country in adequacy.adequate:
        return Destination(country, _t("register.safeguard.adequate", lang), True)
    if adequacy.adequate_if_certified.get(country) == "dpf" and vendor is not None:
        dpf = vendor.dpf
        certified_chain = any(
            sp["country"] == country and sp["dpf_certified"]
            for sp in flatten_chain(vendor.sub_processors)
        )
        if dpf.certified and (dpf.valid_until is None or dpf.valid_until >= as_of):
            return Destination(country, _t("register.safeguard.dpf", lang), True)
        if certified_chain:
            return Destination(country, _t("register.safeguard.dpf_chain", lang), True)
    if _pipeda_recipient(country, vendor, adequacy.adequate_if_certified):
        return Destination(country, _t("register.safeguard.pipeda", lang), True)
    if vendor is not None and vendor.fdpic_clauses:
        return Destination(country, _t("register.safeguard.clauses", lang), True)
    if service is not None and service.disclosure_abroad_exception:
        exception = _t(f"register.exception.{service.disclosure_abroad_exception}", lang)
        return Destination(
            country, _t("register.safeguard.exception", lang, exception=exception), True
        )
    return Destination(country, _t("register.safeguard.none", lang), False)


def _security_measures(service: Service, lang: str) -> list[str]:
    sec = service.security
    out: list[str] = []
    if sec.access_control:
        out.append(_t(f"register.measure.access.{sec.access_control}", lang))
    if sec.mfa.enabled:
        scope = sec.mfa.scope or "unknown"
        out.append(_t("register.measure.mfa", lang, scope=_t(f"register.mfa_scope.{scope}", lang)))
    if sec.encryption_at_rest.enabled:
        holder = sec.encryption_at_rest.key_holder or "unknown"
        out.append(
            _t(
                "register.measure.encryption",
                lang,
                holder=_t(f"register.key_holder.{holder}", lang),
            )
        )
    if sec.encryption_in_transit:
        out.append(_t("register.measure.transit", lang))
    if sec.backup.enabled:
        frequency = sec.backup.frequency or "unknown"
        text = _t(
            "register.measure.backup", lang, frequency=_t(f"register.frequency.{frequency}", lang)
        )
        if sec.backup.offsite:
            text += ", " + _t("register.measure.offsite", lang)
        out.append(text)
    if sec.logging.enabled:
        if sec.logging.retention_days is not None:
            out.append(
                _t(
                    "register.measure.logging_days",
                    lang,
                    days=format_number(sec.logging.retention_days, lang),
                )
            )
        else:
            out.append(_t("register.measure.logging", lang))
    if sec.patching.cadence_days is not None:
        out.append(_t("register.measure.patching", lang, days=sec.patching.cadence_days))
    return out


def build_register(workspace: Workspace, as_of: dt.date, lang: str) -> Register:
    """The record of processing activities of a loaded workspace, as of a date."""
    inventory = workspace.inventory
    reference = workspace.reference
    commune = workspace.config.commune
    derived = derive(inventory, reference)
    vendors = {v.id: v for v in inventory.vendors}
    missing_text = _t("register.missing", lang)
    entries: list[RegisterEntry] = []
    for number, service in enumerate(inventory.services, start=1):
        facts = derived.services[service.id]
        vendor = vendors.get(service.vendor) if service.vendor else None
        missing: list[str] = []
        categories = [
            getattr(reference.categories[c].label, lang) if c in reference.categories else c
            for c in service.data_categories
        ]
        sensitive = [
            getattr(reference.categories[c].label, lang) for c in facts.sensitive_categories
        ]
        recipients: list[str] = []
        if vendor is not None:
            recipients.append(
                _t("register.processor", lang, name=vendor.name, country=vendor.country)
            )
            for sp in flatten_chain(vendor.sub_processors):
                recipients.append(
                    _t(
                        "register.sub_processor",
                        lang,
                        name=str(sp["path"]),
                        country=str(sp["country"]),
                        purpose=str(sp["purpose"]),
                    )
                )
        retention_parts = []
        if service.retention.period_months is not None:
            retention_parts.append(
                _t("register.retention_months", lang, months=service.retention.period_months)
            )
        if service.retention.basis:
            retention_parts.append(service.retention.basis)
        if not retention_parts:
            missing.append(_t("register.field.retention", lang))
        measures = _security_measures(service, lang)
        if not measures:
            missing.append(_t("register.field.security", lang))
        legal_basis = service.processing_record.legal_basis or ""
        if not legal_basis:
            missing.append(_t("register.field.legal_basis", lang))
        if not service.data_categories:
            missing.append(_t("register.field.categories", lang))
        if not service.data_subjects:
            missing.append(_t("register.field.subjects", lang))
        destinations = [
            safeguard(country, vendor, service, reference, as_of, lang)
            for country in facts.foreign_countries
            if country != HOME_COUNTRY
        ]
        entries.append(
            RegisterEntry(
                reference=service.processing_record.reference or f"#{number}",
                service_id=service.id,
                name=service.name,
                controller=_t(
                    "register.controller_unit", lang, commune=commune.name, unit=service.owner
                ),
                purpose=service.purpose,
                legal_basis=legal_basis or missing_text,
                data_subjects=[_t(f"subject.{s}", lang) for s in service.data_subjects],
                data_subject_count=format_number(service.data_subject_count, lang)
                if service.data_subject_count is not None
                else "–",
                data_categories=categories,
                sensitive_categories=sensitive,
                recipients=recipients,
                retention="; ".join(retention_parts) or missing_text,
                security_measures=measures,
                destinations=destinations,
                listed=service.processing_record.listed,
                missing=missing,
            )
        )
    organisation = inventory.organisation
    advisor = organisation.data_protection_advisor
    return Register(
        lang=lang,
        commune=commune.name,
        canton=commune.canton,
        as_of=format_date(as_of, lang),
        controller=_t("register.controller", lang, commune=commune.name, canton=commune.canton),
        advisor=(advisor.name + (f" ({advisor.contact})" if advisor.contact else ""))
        if advisor
        else _t("register.no_advisor", lang),
        entries=entries,
        basis=register_basis(workspace, as_of, lang),
    )


def register_basis(workspace: Workspace, as_of: dt.date, lang: str) -> str:
    """``LPrD art. 19 · nLPD art. 12``: the citations of the register duty
    (GOV-PROCESSING-REGISTER) for the commune's canton and date."""
    catalogue = workspace.catalogue
    control = catalogue.get("GOV-PROCESSING-REGISTER")
    if control is None:
        return _t("register.kicker", lang)
    citations = catalogue.citations(control.control, workspace.config.commune.canton, lang, as_of)
    return " · ".join(dict.fromkeys(text for text, _, _ in citations)) or _t(
        "register.kicker", lang
    )


#: The register's columns (message keys), in order, for tabular formats.
COLUMNS = (
    "register.col.reference", "register.col.activity", "register.col.controller",
    "register.col.purpose", "register.col.legal_basis", "register.col.subjects",
    "register.col.count", "register.col.categories", "register.col.sensitive",
    "register.col.recipients", "register.col.retention", "register.col.security",
    "register.col.abroad", "register.col.listed", "register.col.missing",
)  # fmt: skip


def rows(register: Register, short: str, long: str) -> list[list[object]]:
    """One row per entry in the order of :data:`COLUMNS`; lists joined with
    ``short`` (names, categories) or ``long`` (recipients, measures, states)."""
    lang = register.lang
    return [
        [
            e.reference, e.name, e.controller, e.purpose, e.legal_basis,
            short.join(e.data_subjects), e.data_subject_count, short.join(e.data_categories),
            short.join(e.sensitive_categories), long.join(e.recipients), e.retention,
            long.join(e.security_measures),
            long.join(f"{d.country}: {d.safeguard}" for d in e.destinations),
            yes_no(e.listed, lang), short.join(e.missing),
        ]
        for e in register.entries
    ]  # fmt: skip
