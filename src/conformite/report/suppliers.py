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
from conformite.report.register import safeguard

__all__ = ["supplier_rows"]


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
                valid_until=format_date(c.valid_until, lang),
                valid=c.valid_until is not None and c.valid_until >= as_of,
            )
            for c in vendor.certifications
        ]
        if vendor.dpf.certified:
            dpf = translate(
                "report.supplier.dpf_until", lang, date=format_date(vendor.dpf.valid_until, lang)
            )
        else:
            dpf = translate("report.no", lang)
        chain = [
            translate(
                "report.supplier.sub_processor",
                lang,
                path=str(sp["path"]),
                country=str(sp["country"]),
                approved=translate("report.yes" if sp["approved"] else "report.no", lang),
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
                dpa_signed_on=format_date(vendor.dpa.signed_on, lang)
                if vendor.dpa.signed_on
                else translate("report.supplier.no_dpa", lang),
                sub_processors=chain,
                certifications=certificates,
                dpf=dpf,
                fdpic_clauses=vendor.fdpic_clauses,
                breach_notification=translate(
                    "report.supplier.hours", lang, hours=vendor.breach_notification_hours
                )
                if vendor.breach_notification_hours is not None
                else "–",
                audit_rights=vendor.audit_rights,
                contract_end_on=format_date(vendor.contract_end_on, lang),
                last_review_on=format_date(vendor.last_review_on, lang),
                need=facts.max_need,
                score=result.scores.by_vendor.get(vendor.id),
            )
        )
    return rows
