"""Which gaps matter most: the risk of a finding, from its weight and its target's exposure.

The report ranks "the risks that matter most", the facts to document and the
action plan by one figure::

    risk = severity weight × protection-need factor × exposure factor
           (× EXPIRED_WAIVER_FACTOR when the finding's waiver has expired)

    severity weight × protection-need factor = the finding's weight in the score
    exposure factor = 1 + EXPOSURE_STEP × the number of exposure factors of its target

The exposure factors of a **service**, from the inventory (only what it
states counts: an unknown number of data subjects is not "large"):

* ``sensitive``: it holds sensitive data (nLPD art. 5 let. c: a data category
  marked sensitive in ``controls/reference/data_categories.yaml``);
* ``vulnerable``: its data subjects include vulnerable people (minors, pupils,
  social-assistance recipients, patients, applicants: EDPB WP248, criterion 7);
* ``large``: it concerns at least ``engine.derive.LARGE_SCALE_SUBJECTS`` (1,000)
  data subjects;
* ``abroad``: its data go (stored, processed, support access, vendor, parent
  company or sub-processor) to a country not on the adequacy list of OPDo
  annex 1. A country that is adequate only for certified companies (the United
  States and the Swiss-U.S. DPF) counts: the certification covers one company
  and can lapse, and the foreign law still reaches the data;
* ``internet``: it is reachable from the internet: it declares a public
  endpoint, or it is ``saas`` (a vendor's application used over the internet).
  A ``vendor_hosted`` service without a declared endpoint is usually reached
  through a private link or a VPN and does not count; ``on_premises`` neither.

A **vendor** takes the highest exposure of the services it provides (the
first by id on a tie); an **endpoint** the exposure of the service (or, for a
vendor's portal, of the vendor) that declares it, and always ``internet``; a
mail domain only ``internet``; the **organisation** has no factor (1): its
controls already weigh on the whole commune through their severity.

Groups of findings (one control) are ranked by the sum of their findings'
risks; at equal risk, confirmed gaps come before facts to document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformite.engine.derive import derive
from conformite.engine.results import Finding
from conformite.engine.workspace import Workspace

__all__ = [
    "EXPIRED_WAIVER_FACTOR",
    "EXPOSURE_FACTORS",
    "EXPOSURE_STEP",
    "INTERNET_HOSTING",
    "Exposure",
    "Exposures",
    "finding_risk",
    "group_risk",
]

#: Each exposure factor adds this much to the factor (1 without any, 2.25 with all five).
EXPOSURE_STEP = 0.25
#: The exposure factors, in the order they are listed.
EXPOSURE_FACTORS = ("sensitive", "vulnerable", "large", "abroad", "internet")
#: Hosting reachable from the internet by design.
INTERNET_HOSTING = frozenset({"saas"})
#: A finding whose waiver has expired: a decision of the council has lapsed.
EXPIRED_WAIVER_FACTOR = 1.5


@dataclass(frozen=True)
class Exposure:
    """The exposure factors of one target (a subset of :data:`EXPOSURE_FACTORS`, in order)."""

    factors: tuple[str, ...] = ()

    @property
    def factor(self) -> float:
        return 1.0 + EXPOSURE_STEP * len(self.factors)

    def with_internet(self) -> Exposure:
        present = set(self.factors) | {"internet"}
        return Exposure(tuple(f for f in EXPOSURE_FACTORS if f in present))


NONE = Exposure()


class Exposures:
    """The exposure of every target of a workspace: ``exposures(kind, target_id)``."""

    def __init__(self, workspace: Workspace) -> None:
        inventory = workspace.inventory
        reference = workspace.reference
        adequate = set(reference.adequacy.adequate)
        derived = derive(inventory, reference)
        self.services: dict[str, Exposure] = {}
        for service in inventory.services:
            facts = derived.services[service.id]
            present = {
                "sensitive": facts.sensitive,
                "vulnerable": bool(facts.vulnerable_subjects),
                "large": facts.subjects_known and facts.large_scale,
                "abroad": any(c not in adequate for c in facts.foreign_countries),
                "internet": bool(service.endpoints) or service.hosting in INTERNET_HOSTING,
            }
            self.services[service.id] = Exposure(tuple(f for f in EXPOSURE_FACTORS if present[f]))
        self.vendors: dict[str, Exposure] = {}
        used_by: dict[str, list[str]] = {}
        for service in inventory.services:
            if service.vendor:
                used_by.setdefault(service.vendor, []).append(service.id)
        for vendor in inventory.vendors:
            best = NONE
            for service_id in sorted(used_by.get(vendor.id, ())):
                if len(self.services[service_id].factors) > len(best.factors):
                    best = self.services[service_id]
            self.vendors[vendor.id] = best
        self.endpoints: dict[str, Exposure] = {}
        for service in inventory.services:
            for endpoint in service.endpoints:
                self.endpoints.setdefault(endpoint.url, self.services[service.id].with_internet())
        for vendor in inventory.vendors:
            if vendor.portal_url:
                portal = self.vendors[vendor.id].with_internet()
                self.endpoints.setdefault(vendor.portal_url, portal)

    def __call__(self, kind: str, target_id: str) -> Exposure:
        if kind == "service":
            return self.services.get(target_id, NONE)
        if kind == "vendor":
            return self.vendors.get(target_id, NONE)
        if kind == "endpoint":
            return self.endpoints.get(target_id, NONE.with_internet())
        return NONE


def finding_risk(finding: Finding, exposure: Exposure) -> float:
    """The risk of one finding: its weight × its target's exposure (× the expired-waiver factor)."""
    risk = finding.weight * exposure.factor
    if finding.expired_waiver is not None:
        risk *= EXPIRED_WAIVER_FACTOR
    return round(risk, 2)


def group_risk(findings: Iterable[Finding], exposures: Exposures) -> float:
    """The risk of a group of findings (one control): the sum of their risks."""
    return round(sum(finding_risk(f, exposures(f.target_kind, f.target_id)) for f in findings), 2)
