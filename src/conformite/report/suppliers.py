"""The suppliers part: where the data goes, contracts, certifications and dates."""

from __future__ import annotations

import datetime as dt

from conformite.engine.derive import derive, flatten_chain
from conformite.engine.results import AuditResult
from conformite.engine.workspace import Workspace
from conformite.i18n import translate
from conformite.i18n.formats import (
    format_date,
)
from conformite.report.model import Certificate, SupplierRow
from conformite.report.register import safeguard, yes_no

__all__ = ["event_date", "supplier_rows"]


def event_date(value: object, lang: str, never: str = "report.never") -> str:
    """The date of an event, "never" (a known fact) or "not known" (null)."""
    if value is None:
        return translate("report.not_known", lang)
    if value == "never":
        return translate(never, lang)
    return format_date(value, lang)  # type: ignore[arg-type]


def supplier_rows(
    workspace: Workspace, result: AuditResult, as_of: dt.date, lang: str
) -> list[SupplierRow]:
    inventory = workspace.inventory
    derived = derive(inventory, workspace.reference)
    services = {s.id: s for s in inventory.services}
    standards = workspace.reference.certifications
    rows = []
    for vendor in inventory.vendors:
        facts = derived.vendors[vendor.id]
        certificates = [
            Certificate(
                label=standards[c.standard].label if c.standard in standards else c.standard,
                scope=c.scope or "",
                valid_until=format_date(c.valid_until, lang)
                if c.valid_until is not None
                else translate("report.not_known", lang),
                valid=c.valid_until >= as_of if c.valid_until is not None else None,
            )
            for c in vendor.certifications
        ]
        adequacy = workspace.reference.adequacy
        # Unknown but irrelevant (no data in a DPF country, or none abroad unprotected): "–".
        dpf_relevant = any(
            adequacy.adequate_if_certified.get(c) == "dpf" for c in facts.foreign_countries
        )
        clauses_relevant = any(c not in adequacy.adequate for c in facts.foreign_countries)
        if vendor.dpf.certified:
            dpf = translate(
                "report.supplier.dpf_until", lang, date=format_date(vendor.dpf.valid_until, lang)
            )
        elif vendor.dpf.certified is None and not dpf_relevant:
            dpf = "–"
        else:
            dpf = yes_no(vendor.dpf.certified, lang)
        chain = [
            translate(
                "report.supplier.sub_processor",
                lang,
                path=str(sp["path"]),
                country=str(sp["country"]),
                approved=yes_no(sp["approved"], lang),  # type: ignore[arg-type]
            )
            for sp in flatten_chain(vendor.sub_processors)
        ]
        rows.append(
            SupplierRow(
                vendor_id=vendor.id,
                name=vendor.name,
                country=vendor.country,
                parent=f"{vendor.parent.name} ({vendor.parent.country})" if vendor.parent else "",
                services=[services[s].name for s in facts.service_ids if s in services],
                destinations=[
                    safeguard(country, vendor, None, workspace.reference, as_of, lang)
                    for country in facts.foreign_countries
                ],
                dpa_signed_on=event_date(vendor.dpa.signed_on, lang, "report.supplier.no_dpa"),
                sub_processors=chain,
                certifications=certificates,
                dpf=dpf,
                fdpic_clauses="–"
                if vendor.fdpic_clauses is None and not clauses_relevant
                else yes_no(vendor.fdpic_clauses, lang),
                breach_notification=translate(
                    "report.supplier.hours", lang, hours=vendor.breach_notification_hours
                )
                if vendor.breach_notification_hours is not None
                else translate("report.not_known", lang),
                audit_rights=yes_no(vendor.audit_rights, lang),
                contract_end_on=event_date(vendor.contract_end_on, lang),
                last_review_on=event_date(vendor.last_review_on, lang),
                need=facts.max_need,
                score=result.scores.by_vendor.get(vendor.id),
            )
        )
    return rows
