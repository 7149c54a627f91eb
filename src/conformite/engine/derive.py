"""Facts conformite derives from the inventory before any control runs.

* **Sensitive data** (nLPD art. 5 let. c): a service holds sensitive data when
  one of its data categories is marked sensitive in
  ``controls/reference/data_categories.yaml``.
* **Protection needs** by the maximum principle (BSI 200-2, HERMES): a
  service's derived need per objective is the highest default need of its
  data categories; processing sensitive data on a large scale (at least
  ``LARGE_SCALE_SUBJECTS`` data subjects) raises confidentiality to
  ``very_high``. The *effective* need is the higher of declared and derived.
  A vendor takes the highest effective need of the services it provides.
* **Where data goes**: every country where a service's data is stored,
  processed or accessed for support, plus the vendor's, its parent's and
  every sub-processor's country down the whole chain.

Needs are numbers in the evaluation context: normal 1, high 2, very_high 3,
0 when a need is not declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformite.inventory.model import Inventory, Service, SubProcessor, Vendor
from conformite.inventory.reference import LEVELS, ReferenceData

__all__ = [
    "LARGE_SCALE_SUBJECTS",
    "LOCATION_FIELDS",
    "OBJECTIVE_KEYS",
    "VULNERABLE_SUBJECTS",
    "Derived",
    "ServiceFacts",
    "VendorFacts",
    "derive",
]

OBJECTIVE_KEYS = ("confidentiality", "integrity", "availability", "traceability")
#: Data subjects from which processing counts as large scale for a commune.
LARGE_SCALE_SUBJECTS = 1000
HOME_COUNTRY = "CH"
#: Data-location fields a service inherits from its vendor when it leaves them unknown.
LOCATION_FIELDS = ("stored_in", "processed_in", "support_access_from", "remote_support")
#: Data subjects who need more protection than others (EDPB WP248, criterion 7):
#: their sensitive data raise the need for an impact assessment whatever the scale,
#: and minors' data raise confidentiality to at least high.
VULNERABLE_SUBJECTS = frozenset(
    {"minors", "pupils", "social_assistance_recipients", "patients", "applicants"}
)
MINORS = frozenset({"minors", "pupils"})


@dataclass
class ServiceFacts:
    sensitive: bool
    sensitive_categories: list[str]
    large_scale: bool
    #: Data subjects among VULNERABLE_SUBJECTS, sorted.
    vulnerable_subjects: list[str]
    #: Every country where the data are stored and processed is known.
    location_known: bool
    #: The number of data subjects is known (else ``large_scale`` is unknown to controls).
    subjects_known: bool
    declared_needs: dict[str, int]
    derived_needs: dict[str, int]
    needs: dict[str, int]
    max_need: int
    countries: list[str]
    foreign_countries: list[str]
    chain: list[dict[str, object]]

    def as_context(self) -> dict[str, object]:
        return {
            "sensitive": self.sensitive,
            "sensitive_categories": self.sensitive_categories,
            "large_scale": self.large_scale if self.subjects_known else None,
            "vulnerable_subjects": self.vulnerable_subjects,
            "location_known": self.location_known,
            "declared_needs": self.declared_needs,
            "derived_needs": self.derived_needs,
            "needs": self.needs,
            "max_need": self.max_need,
            "countries": self.countries,
            "foreign_countries": self.foreign_countries,
            "chain": self.chain,
        }


@dataclass
class VendorFacts:
    sensitive: bool
    needs: dict[str, int]
    max_need: int
    service_ids: list[str]
    countries: list[str]
    foreign_countries: list[str]
    chain: list[dict[str, object]]

    def as_context(self) -> dict[str, object]:
        return {
            "sensitive": self.sensitive,
            "needs": self.needs,
            "max_need": self.max_need,
            "service_ids": self.service_ids,
            "countries": self.countries,
            "foreign_countries": self.foreign_countries,
            "chain": self.chain,
        }


@dataclass
class Derived:
    services: dict[str, ServiceFacts] = field(default_factory=dict)
    vendors: dict[str, VendorFacts] = field(default_factory=dict)


def flatten_chain(
    sub_processors: list[SubProcessor], parents: tuple[str, ...] = ()
) -> list[dict[str, object]]:
    """Every sub-processor at any depth, with the path of names that leads to it."""
    out: list[dict[str, object]] = []
    for sp in sub_processors:
        path = (*parents, sp.name)
        out.append(
            {
                "name": sp.name,
                "country": sp.country,
                "parent_country": sp.parent.country if sp.parent else None,
                "purpose": sp.purpose,
                "approved": sp.approved,
                "dpf_certified": sp.dpf_certified,
                "canada_pipeda": sp.canada_pipeda,
                "depth": len(path),
                "path": " > ".join(path),
            }
        )
        out.extend(flatten_chain(sp.sub_processors, path))
    return out


def _vendor_countries(vendor: Vendor | None, chain: list[dict[str, object]]) -> set[str]:
    if vendor is None:
        return set()
    countries = {vendor.country}
    if vendor.parent:
        countries.add(vendor.parent.country)
    countries.update(str(sp["country"]) for sp in chain)
    countries.update(str(sp["parent_country"]) for sp in chain if sp["parent_country"])
    return countries


def effective_location(service: Service, vendor: Vendor | None) -> dict[str, object]:
    """The service's data location, each field it leaves unknown taken from its vendor."""
    own = service.data_location
    inherited = vendor.data_location if vendor is not None else None
    out: dict[str, object] = {}
    for name in LOCATION_FIELDS:
        value = getattr(own, name)
        if value is None and inherited is not None:
            value = getattr(inherited, name)
        out[name] = value
    return out


def _service_facts(
    service: Service, vendor: Vendor | None, reference: ReferenceData
) -> ServiceFacts:
    categories = [
        reference.categories[c] for c in service.data_categories if c in reference.categories
    ]
    sensitive_categories = sorted(
        c
        for c in service.data_categories
        if c in reference.categories and reference.categories[c].sensitive
    )
    derived = dict.fromkeys(OBJECTIVE_KEYS, LEVELS["normal"])
    for category in categories:
        for key in OBJECTIVE_KEYS:
            derived[key] = max(derived[key], LEVELS[getattr(category.needs, key)])
    large_scale = (service.data_subject_count or 0) >= LARGE_SCALE_SUBJECTS
    if sensitive_categories:
        derived["confidentiality"] = max(derived["confidentiality"], LEVELS["high"])
        if large_scale:
            derived["confidentiality"] = LEVELS["very_high"]
    if MINORS & set(service.data_subjects):
        derived["confidentiality"] = max(derived["confidentiality"], LEVELS["high"])
    declared = {
        key: LEVELS[value] if (value := getattr(service.protection_needs, key)) else 0
        for key in OBJECTIVE_KEYS
    }
    needs = {key: max(declared[key], derived[key]) for key in OBJECTIVE_KEYS}
    chain = flatten_chain(vendor.sub_processors) if vendor else []
    location = effective_location(service, vendor)
    countries = set(location["stored_in"] or ()) | set(location["processed_in"] or ())
    countries |= set(location["support_access_from"] or ())
    countries |= _vendor_countries(vendor, chain)
    return ServiceFacts(
        sensitive=bool(sensitive_categories),
        sensitive_categories=sensitive_categories,
        large_scale=large_scale,
        vulnerable_subjects=sorted(VULNERABLE_SUBJECTS & set(service.data_subjects)),
        location_known=location["stored_in"] is not None and location["processed_in"] is not None,
        subjects_known=service.data_subject_count is not None,
        declared_needs=declared,
        derived_needs=derived,
        needs=needs,
        max_need=max(needs.values()),
        countries=sorted(countries),
        foreign_countries=sorted(countries - {HOME_COUNTRY}),
        chain=chain,
    )


def derive(inventory: Inventory, reference: ReferenceData) -> Derived:
    """Compute service and vendor facts for the whole inventory."""
    vendors = {v.id: v for v in inventory.vendors}
    result = Derived()
    for service in inventory.services:
        vendor = vendors.get(service.vendor) if service.vendor else None
        result.services[service.id] = _service_facts(service, vendor, reference)
    users: dict[str, list[Service]] = {}
    for service in inventory.services:
        if service.vendor:
            users.setdefault(service.vendor, []).append(service)
    for vendor in inventory.vendors:
        used_by = users.get(vendor.id, [])
        facts = [result.services[s.id] for s in used_by]
        needs = {
            key: max((f.needs[key] for f in facts), default=LEVELS["normal"])
            for key in OBJECTIVE_KEYS
        }
        chain = flatten_chain(vendor.sub_processors)
        countries = _vendor_countries(vendor, chain)
        for f in facts:
            countries.update(f.countries)
        result.vendors[vendor.id] = VendorFacts(
            sensitive=any(f.sensitive for f in facts),
            needs=needs,
            max_need=max(needs.values()),
            service_ids=sorted(s.id for s in used_by),
            countries=sorted(countries),
            foreign_countries=sorted(countries - {HOME_COUNTRY}),
            chain=chain,
        )
    return result
