"""References between the inventory files, checked on what was written.

The checks read the parsed YAML (after supplier profiles are merged into
``vendors.yaml``), not the validated models, so that they also run when a file
has schema problems: one run of ``conformite validate`` lists a misspelt
``hosting`` *and* the unknown vendor two lines below it. A value at a place
where the schema already reported a problem (or inside such a place) is not
checked again, and references *to* a file that could not be read are not
checked at all: nothing is reported twice, nothing is reported falsely.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from conformite.errors import ProblemCollector, Text, closest, did_you_mean, format_path
from conformite.inventory.reference import ReferenceData
from conformite.inventory.safe_yaml import YamlDocument

__all__ = ["InventoryFile", "cross_check"]

Path = tuple[str | int, ...]


@dataclass
class InventoryFile:
    """One inventory file as read: its document, its data and where the schema failed."""

    doc: YamlDocument
    data: Any
    #: Field paths of the schema problems found in this file.
    invalid: set[Path] = field(default_factory=set)

    def entries(self, path: Path) -> list[tuple[int, dict[str, Any]]] | None:
        """``(index, mapping)`` of the list at ``path``; None if there is no readable list."""
        value = self.data
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if self.flagged(path):
            return None
        if value is None:
            return []  # omitted: the model's default, an empty list
        if not isinstance(value, list):
            return None
        return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]

    def flagged(self, path: Path) -> bool:
        """Whether the schema already reported ``path`` or a place that contains it."""
        if not self.invalid:
            return False
        return any(path[:n] in self.invalid for n in range(len(path) + 1))


def _text(value: Any) -> str | None:
    """A written identifier or code as the model reads it (surrounding spaces stripped)."""
    return value.strip() if isinstance(value, str) else None


def _texts(value: Any) -> list[tuple[int, str]]:
    if not isinstance(value, list):
        return []
    return [(i, v.strip()) for i, v in enumerate(value) if isinstance(v, str)]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_date(value: Any) -> dt.date | None:
    """A date as the model reads it: a YAML date, or a quoted ``YYYY-MM-DD``."""
    if type(value) is dt.date:
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


class _Checker:
    def __init__(self, problems: ProblemCollector):
        self.problems = problems

    def reference(
        self,
        value: str | None,
        known: Collection[str] | None,
        what: str,
        file: InventoryFile,
        path: Path,
    ) -> None:
        """Report ``value`` at ``path`` unless it is one of ``known`` (None: not known)."""
        if value is None or known is None or value in known or file.flagged(path):
            return
        candidates = list(known)
        line, column = file.doc.locate(path)
        self.problems.report(
            file.doc.file,
            Text(f"validate.unknown.{what}", value=value),
            line=line,
            column=column,
            path=format_path(path),
            hint=did_you_mean(closest(value, candidates)),
            expected=None
            if len(candidates) > 30
            else ", ".join(sorted(candidates)) or Text("validate.none_defined"),
        )

    def unique(self, file: InventoryFile | None, path: Path, what: str) -> set[str] | None:
        """The ids of the entries of the list at ``path``, each repeated one reported;
        None when the list could not be read (references to it are then not checked)."""
        entries = file.entries(path) if file is not None else None
        if file is None or entries is None:
            return None
        first: dict[str, int] = {}
        for index, item in entries:
            item_id = _text(item.get("id"))
            if item_id is None:
                continue
            if item_id not in first:
                first[item_id] = index
                continue
            here = (*path, index, "id")
            line, column = file.doc.locate(here)
            first_line, _ = file.doc.locate((*path, first[item_id], "id"))
            self.problems.report(
                file.doc.file,
                Text(f"validate.duplicate.{what}", value=item_id),
                line=line,
                column=column,
                path=format_path(here),
                hint=Text("validate.first_defined", line=first_line),
            )
        return set(first)

    def location(
        self, entry: dict[str, Any], base: Path, countries: Collection[str], file: InventoryFile
    ) -> None:
        """The countries of a service's or a vendor's ``data_location``."""
        location = _mapping(entry.get("data_location"))
        for where in ("stored_in", "processed_in", "support_access_from"):
            for j, country in _texts(location.get(where)):
                path = (*base, "data_location", where, j)
                self.reference(country, countries, "country", file, path)

    def sub_processors(
        self, chain: Any, path: Path, countries: Collection[str], file: InventoryFile
    ) -> None:
        if not isinstance(chain, list):
            return
        for index, sp in enumerate(chain):
            if not isinstance(sp, dict):
                continue
            here = (*path, index)
            self.reference(_text(sp.get("country")), countries, "country", file, (*here, "country"))
            parent = _text(_mapping(sp.get("parent")).get("country"))
            self.reference(parent, countries, "country", file, (*here, "parent", "country"))
            self.sub_processors(
                sp.get("sub_processors"), (*here, "sub_processors"), countries, file
            )

    def services(
        self,
        file: InventoryFile,
        vendor_ids: set[str] | None,
        reference: ReferenceData,
        endpoints: set[str],
    ) -> None:
        countries = reference.countries
        for i, service in file.entries(("services",)) or ():
            base: Path = ("services", i)
            self.reference(
                _text(service.get("vendor")), vendor_ids, "vendor", file, (*base, "vendor")
            )
            for j, category in _texts(service.get("data_categories")):
                path = (*base, "data_categories", j)
                self.reference(category, reference.categories, "data_category", file, path)
            self.location(service, base, countries, file)
            endpoint_list = service.get("endpoints")
            for endpoint in endpoint_list if isinstance(endpoint_list, list) else ():
                url = _text(_mapping(endpoint).get("url"))
                if url:
                    endpoints.add(f"endpoint:{url}")

    def vendors(self, file: InventoryFile, reference: ReferenceData, endpoints: set[str]) -> None:
        countries = reference.countries
        for i, vendor in file.entries(("vendors",)) or ():
            base: Path = ("vendors", i)
            country = _text(vendor.get("country"))
            self.reference(country, countries, "country", file, (*base, "country"))
            parent = _text(_mapping(vendor.get("parent")).get("country"))
            self.reference(parent, countries, "country", file, (*base, "parent", "country"))
            self.location(vendor, base, countries, file)
            chain = vendor.get("sub_processors")
            self.sub_processors(chain, (*base, "sub_processors"), countries, file)
            certifications = vendor.get("certifications")
            for j, cert in enumerate(certifications if isinstance(certifications, list) else ()):
                self.reference(
                    _text(_mapping(cert).get("standard")),
                    reference.certifications,
                    "certification",
                    file,
                    (*base, "certifications", j, "standard"),
                )
            portal = _text(vendor.get("portal_url"))
            if portal:
                endpoints.add(f"endpoint:{portal}")

    def organisation(
        self, file: InventoryFile, service_ids: set[str] | None, endpoints: set[str]
    ) -> None:
        self.unique(file, ("organisation", "policies"), "policy")
        entries = file.entries(("organisation", "breach_record", "entries"))
        for i, entry in entries or ():
            for j, service_id in _texts(entry.get("services")):
                path = ("organisation", "breach_record", "entries", i, "services", j)
                self.reference(service_id, service_ids, "service", file, path)
        organisation = _mapping(_mapping(file.data).get("organisation"))
        for _, domain in _texts(organisation.get("mail_domains")):
            endpoints.add(f"endpoint:mail:{domain}")

    def waivers(
        self, file: InventoryFile, controls: dict[str, str | None] | None, targets: set[str] | None
    ) -> None:
        for i, waiver in file.entries(("waivers",)) or ():
            base: Path = ("waivers", i)
            control_id = _text(waiver.get("control"))
            target = _text(waiver.get("target"))
            self.reference(control_id, controls, "control", file, (*base, "control"))
            self.reference(target, targets, "waiver_target", file, (*base, "target"))
            applies = controls.get(control_id) if controls and control_id else None
            kind = target.split(":", 1)[0] if target else None
            path = (*base, "target")
            if applies and kind and applies != kind and not file.flagged(path):
                line, column = file.doc.locate(path)
                self.problems.report(
                    file.doc.file,
                    Text(
                        "validate.waiver.target_kind",
                        control=control_id,
                        applies=applies,
                        kind=kind,
                    ),
                    line=line,
                    column=column,
                    path=format_path(path),
                )
            decided = _as_date(waiver.get("decided_on"))
            expires = _as_date(waiver.get("expires_on"))
            path = (*base, "expires_on")
            if decided and expires and expires < decided and not file.flagged(path):
                line, column = file.doc.locate(path)
                self.problems.report(
                    file.doc.file,
                    Text("validate.waiver.expires_before_decided"),
                    line=line,
                    column=column,
                    path=format_path(path),
                    found=f"decided_on {decided}, expires_on {expires}",
                )


def cross_check(
    files: dict[str, InventoryFile],
    reference: ReferenceData,
    controls: dict[str, str | None] | None,
    problems: ProblemCollector,
) -> None:
    """Check the references between the files that could be read.

    ``files`` holds the inventory files that were parsed (by file name), valid or
    not; ``controls`` maps the catalogue's control ids to the kind of target they
    apply to (None when the catalogue could not be loaded: waivers' controls are
    then not checked).
    """
    check = _Checker(problems)
    services = files.get("services.yaml")
    vendors = files.get("vendors.yaml")
    org = files.get("organisation.yaml")
    waivers = files.get("waivers.yaml")
    service_ids = check.unique(services, ("services",), "service")
    vendor_ids = check.unique(vendors, ("vendors",), "vendor")
    endpoints: set[str] = set()
    if services is not None:
        check.services(services, vendor_ids, reference, endpoints)
    if vendors is not None:
        check.vendors(vendors, reference, endpoints)
    if org is not None:
        check.organisation(org, service_ids, endpoints)
    if waivers is None:
        return
    targets: set[str] | None = None
    if service_ids is not None and vendor_ids is not None and org is not None:
        targets = (
            {"organisation"}
            | {f"service:{s}" for s in service_ids}
            | {f"vendor:{v}" for v in vendor_ids}
            | endpoints
        )
    check.waivers(waivers, controls, targets)
