"""Stage 1 of the flow: load a workspace into validated, cross-checked models.

``load_workspace(DIR)`` reads ``conformite.toml``, the control catalogue (the
built-in one plus the workspace's own folders), the reference data and the
four inventory files. It reports *every* problem of every file at once, each
located (file, line, column, field path), and raises :class:`InputError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from conformite._gc import paused
from conformite._paths import builtin_catalogue_dir, builtin_profiles_dir
from conformite.catalogue.loader import load_catalogue
from conformite.catalogue.model import Catalogue
from conformite.errors import InputError, Problem, ProblemCollector, closest, format_path
from conformite.inventory.config import CONFIG_FILE, Config, load_config
from conformite.inventory.model import (
    INVENTORY_FILES,
    Inventory,
    Organisation,
    OrganisationFile,
    ServicesFile,
    SubProcessor,
    VendorsFile,
    WaiversFile,
)
from conformite.inventory.reference import ReferenceData, load_reference
from conformite.inventory.safe_yaml import YamlDocument, load_yaml_file
from conformite.inventory.validation import problems_from_validation_error
from conformite.profiles.model import NOT_IN_PROFILE, ProfileRegistry, flatten_facts, load_profiles

__all__ = [
    "OPTIONAL_FILES",
    "Workspace",
    "load_inventory",
    "load_profile_registry",
    "load_workspace",
]

INVENTORY_DIR = "inventory"
OPTIONAL_FILES = {"waivers.yaml"}


@dataclass
class Workspace:
    """Everything an audit needs, loaded and checked."""

    directory: Path
    config: Config
    catalogue: Catalogue
    reference: ReferenceData
    inventory: Inventory


def _read_inventory_file(
    path: Path,
    display: str,
    model: type[BaseModel],
    problems: ProblemCollector,
    prepare: Callable[[Any, YamlDocument], Any] | None = None,
) -> tuple[BaseModel | None, YamlDocument | None]:
    try:
        doc = load_yaml_file(path, display)
    except InputError as exc:
        problems.extend(exc.problems)
        return None, None
    if doc.data is None:
        key = next(iter(model.model_fields))
        problems.report(
            display,
            "the file is empty",
            line=1,
            expected=f"a mapping with '{key}:'",
            hint=f"write '{key}: []' if there is nothing to list"
            if key != "organisation"
            else "see 'conformite init' for an example",
        )
        return None, doc
    data = doc.data if prepare is None else prepare(doc.data, doc)
    try:
        return model.model_validate(data), doc
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc, doc, model))
        return None, doc


def _check_unique(
    ids: Sequence[str], label: str, doc: YamlDocument | None, key: str, problems: ProblemCollector
) -> None:
    counts = Counter(ids)
    for index, item_id in enumerate(ids):
        if counts[item_id] > 1 and ids.index(item_id) != index and doc is not None:
            line, column = doc.locate((key, index, "id"))
            first_line, _ = doc.locate((key, ids.index(item_id), "id"))
            problems.report(
                doc.file,
                f"duplicate {label} id '{item_id}'",
                line=line,
                column=column,
                path=format_path((key, index, "id")),
                hint=f"first defined at line {first_line}",
            )


def _check_reference(
    value: str,
    known: Iterable[str],
    what: str,
    doc: YamlDocument | None,
    path: tuple[str | int, ...],
    problems: ProblemCollector,
) -> None:
    known_list = list(known)
    if value in known_list or doc is None:
        return
    suggestion = closest(value, known_list)
    line, column = doc.locate(path)
    problems.report(
        doc.file,
        f"unknown {what} '{value}'",
        line=line,
        column=column,
        path=format_path(path),
        hint=f"did you mean '{suggestion}'?" if suggestion else None,
        expected=None
        if len(known_list) > 30
        else ", ".join(sorted(known_list)) or "(none defined)",
    )


def _check_sub_processors(
    chain: list[SubProcessor],
    path: tuple[str | int, ...],
    countries: frozenset[str],
    doc: YamlDocument | None,
    problems: ProblemCollector,
) -> None:
    for index, sp in enumerate(chain):
        here = (*path, index)
        _check_reference(sp.country, countries, "country code", doc, (*here, "country"), problems)
        _check_sub_processors(
            sp.sub_processors, (*here, "sub_processors"), countries, doc, problems
        )


def _cross_check(
    inventory: Inventory,
    docs: dict[str, YamlDocument | None],
    reference: ReferenceData,
    catalogue: Catalogue | None,
    problems: ProblemCollector,
) -> None:
    services_doc = docs.get("services.yaml")
    vendors_doc = docs.get("vendors.yaml")
    org_doc = docs.get("organisation.yaml")
    waivers_doc = docs.get("waivers.yaml")
    countries = reference.countries
    _check_unique([s.id for s in inventory.services], "service", services_doc, "services", problems)
    _check_unique([v.id for v in inventory.vendors], "vendor", vendors_doc, "vendors", problems)
    vendor_ids = [v.id for v in inventory.vendors]
    service_ids = [s.id for s in inventory.services]
    for i, service in enumerate(inventory.services):
        base: tuple[str | int, ...] = ("services", i)
        if service.vendor is not None:
            _check_reference(
                service.vendor, vendor_ids, "vendor", services_doc, (*base, "vendor"), problems
            )
        for j, category in enumerate(service.data_categories):
            _check_reference(
                category,
                reference.categories,
                "data category",
                services_doc,
                (*base, "data_categories", j),
                problems,
            )
        for where in ("stored_in", "processed_in", "support_access_from"):
            for j, country in enumerate(getattr(service.data_location, where)):
                _check_reference(
                    country,
                    countries,
                    "country code",
                    services_doc,
                    (*base, "data_location", where, j),
                    problems,
                )
    for i, vendor in enumerate(inventory.vendors):
        base = ("vendors", i)
        _check_reference(
            vendor.country, countries, "country code", vendors_doc, (*base, "country"), problems
        )
        if vendor.parent:
            _check_reference(
                vendor.parent.country,
                countries,
                "country code",
                vendors_doc,
                (*base, "parent", "country"),
                problems,
            )
        _check_sub_processors(
            vendor.sub_processors, (*base, "sub_processors"), countries, vendors_doc, problems
        )
        for j, cert in enumerate(vendor.certifications):
            _check_reference(
                cert.standard,
                reference.certifications,
                "certification standard",
                vendors_doc,
                (*base, "certifications", j, "standard"),
                problems,
            )
    organisation: Organisation = inventory.organisation
    _check_unique([p.id for p in organisation.policies], "policy", org_doc, "policies", problems)
    for i, entry in enumerate(organisation.breach_record.entries):
        for j, service_id in enumerate(entry.services):
            _check_reference(
                service_id,
                service_ids,
                "service",
                org_doc,
                ("organisation", "breach_record", "entries", i, "services", j),
                problems,
            )
    if catalogue is None:
        return
    targets = (
        {"organisation"}
        | {f"service:{s}" for s in service_ids}
        | {f"vendor:{v}" for v in vendor_ids}
    )
    endpoint_urls = {f"endpoint:{e.url}" for s in inventory.services for e in s.endpoints}
    endpoint_urls |= {f"endpoint:{v.portal_url}" for v in inventory.vendors if v.portal_url}
    endpoint_urls |= {f"endpoint:mail:{d}" for d in organisation.mail_domains}
    targets |= endpoint_urls
    control_ids = [c.id for c in catalogue.controls]
    for i, waiver in enumerate(inventory.waivers):
        base = ("waivers", i)
        _check_reference(
            waiver.control, control_ids, "control", waivers_doc, (*base, "control"), problems
        )
        _check_reference(
            waiver.target, targets, "waiver target", waivers_doc, (*base, "target"), problems
        )
        control = catalogue.get(waiver.control)
        kind = waiver.target.split(":", 1)[0]
        if control is not None and control.control.target != kind and waivers_doc is not None:
            line, column = waivers_doc.locate((*base, "target"))
            problems.report(
                waivers_doc.file,
                f"control {waiver.control} applies to {control.control.target} targets, not {kind}",
                line=line,
                column=column,
                path=format_path((*base, "target")),
            )
        if waiver.expires_on < waiver.decided_on and waivers_doc is not None:
            line, column = waivers_doc.locate((*base, "expires_on"))
            problems.report(
                waivers_doc.file,
                "the waiver expires before it was decided",
                line=line,
                column=column,
                path=format_path((*base, "expires_on")),
                found=f"decided_on {waiver.decided_on}, expires_on {waiver.expires_on}",
            )


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s keys on top; mappings merge, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _merge_profiles(
    data: Any,
    doc: YamlDocument,
    registry: ProfileRegistry,
    provenance: dict[str, dict[str, str]],
    problems: ProblemCollector,
) -> Any:
    """Vendors that name a profile start from its facts; what the inventory writes wins.

    The keys written in ``vendors.yaml`` are exactly the fields the user set
    (pydantic's ``model_fields_set`` of each level), so merging the plain
    mappings before validation gives the same result while letting a vendor
    omit ``name`` and ``country`` when its profile has them.
    """
    if not isinstance(data, dict) or not isinstance(data.get("vendors"), list):
        return data
    vendors: list[Any] = []
    for index, raw in enumerate(data["vendors"]):
        ref = raw.get("profile") if isinstance(raw, dict) else None
        if not isinstance(ref, str):
            vendors.append(raw)
            continue
        path: tuple[str | int, ...] = ("vendors", index)
        if "profile_valid_until" in raw:
            line, column = doc.locate((*path, "profile_valid_until"))
            problems.report(
                doc.file,
                "'profile_valid_until' comes from the profile and is not written by hand",
                line=line,
                column=column,
                path=format_path((*path, "profile_valid_until")),
                hint="remove it; the profile's valid_until is used",
            )
        profile = registry.get(ref)
        if profile is None:
            line, column = doc.locate((*path, "profile"))
            known = registry.refs()
            same_id = [r for r in known if r.split("@")[0] == ref.split("@")[0]]
            suggestion = closest(ref, same_id or known)
            problems.report(
                doc.file,
                f"unknown supplier profile '{ref}'",
                line=line,
                column=column,
                path=format_path((*path, "profile")),
                hint=f"did you mean '{suggestion}'?"
                if suggestion
                else "list the known profiles with: conformite profiles list",
                expected=", ".join(same_id or known) or "(no profile known)",
            )
            vendors.append(raw)
            continue
        facts = {k: v for k, v in profile.facts.items() if k not in NOT_IN_PROFILE}
        merged = _deep_merge(facts, {k: v for k, v in raw.items() if k != "profile_valid_until"})
        merged["profile_valid_until"] = profile.meta.valid_until
        written = set(flatten_facts(raw))
        label = profile.label
        if isinstance(raw.get("id"), str):
            provenance[raw["id"]] = {
                leaf: "inventory" if leaf in written else label
                for leaf in flatten_facts(merged)
                if leaf.split(".", 1)[0] not in NOT_IN_PROFILE
            } | {"profile": "inventory", "profile_valid_until": label}
        vendors.append(merged)
    return {**data, "vendors": vendors}


def load_profile_registry(directory: Path | None, config: Config | None) -> ProfileRegistry:
    """The shipped profiles plus those synced into the workspace's cache.

    Cached profiles were verified (signature, hashes) when synced; they are
    verified again here: the cached index's signature with the source's key,
    its expiry, and each file's SHA-256 against that index.
    """
    from conformite.profiles.index import load_cached_profiles

    problems = ProblemCollector()
    registry = ProfileRegistry()
    load_profiles(builtin_profiles_dir(), registry, problems)
    if directory is not None and config is not None:
        for name, source in sorted(config.profiles.sources.items()):
            load_cached_profiles(directory, name, source.pubkey, registry, problems)
    problems.raise_if_any()
    return registry


def load_inventory(
    directory: Path,
    reference: ReferenceData,
    catalogue: Catalogue | None,
    problems: ProblemCollector,
    profiles: ProfileRegistry | None = None,
) -> Inventory | None:
    """Read the four inventory files; add every problem to ``problems``."""
    folder = directory / INVENTORY_DIR
    parsed: dict[str, Any] = {}
    docs: dict[str, YamlDocument | None] = {}
    provenance: dict[str, dict[str, str]] = {}
    registry = profiles if profiles is not None else ProfileRegistry()

    def prepare(data: Any, doc: YamlDocument) -> Any:
        return _merge_profiles(data, doc, registry, provenance, problems)

    for name, model in INVENTORY_FILES.items():
        path = folder / name
        display = str(path)
        if not path.is_file():
            if name in OPTIONAL_FILES:
                parsed[name] = model()
                docs[name] = None
                continue
            problems.report(
                display,
                "file missing",
                hint=f"every workspace has inventory/{name}; "
                "'conformite init' writes a commented one",
            )
            continue
        value, doc = _read_inventory_file(
            path, display, model, problems, prepare if name == "vendors.yaml" else None
        )
        docs[name] = doc
        if value is not None:
            parsed[name] = value
    if len(parsed) != len(INVENTORY_FILES):
        return None
    org = parsed["organisation.yaml"]
    services = parsed["services.yaml"]
    vendors = parsed["vendors.yaml"]
    waivers = parsed["waivers.yaml"]
    assert isinstance(org, OrganisationFile)
    assert isinstance(services, ServicesFile)
    assert isinstance(vendors, VendorsFile)
    assert isinstance(waivers, WaiversFile)
    inventory = Inventory(
        organisation=org.organisation,
        services=services.services,
        vendors=vendors.vendors,
        waivers=waivers.waivers,
        provenance=provenance,
    )
    _cross_check(inventory, docs, reference, catalogue, problems)
    return inventory


def load_workspace(directory: Path) -> Workspace:
    """Load and check a whole workspace; raise :class:`InputError` with all problems."""
    with paused():
        return _load_workspace(directory)


def _load_workspace(directory: Path) -> Workspace:
    if not directory.is_dir():
        raise InputError(
            [
                Problem(
                    file=str(directory),
                    message="no such folder",
                    hint=f"create a workspace with: conformite init {directory}",
                )
            ]
        )
    config = load_config(directory)
    problems = ProblemCollector()
    catalogue_dirs = [builtin_catalogue_dir()]
    for extra in config.catalogue.extra:
        catalogue_dirs.append(directory / extra)
    catalogue: Catalogue | None
    try:
        catalogue = load_catalogue(
            catalogue_dirs,
            parameter_overrides=config.parameters,
            include_drafts=config.catalogue.include_drafts,
            config_file=directory / CONFIG_FILE,
        )
    except InputError as exc:
        problems.extend(exc.problems)
        catalogue = None
    reference = load_reference(builtin_catalogue_dir() / "reference")
    registry: ProfileRegistry | None
    try:
        registry = load_profile_registry(directory, config)
    except InputError as exc:
        problems.extend(exc.problems)
        registry = None
    inventory = load_inventory(directory, reference, catalogue, problems, registry)
    problems.raise_if_any()
    assert inventory is not None and catalogue is not None
    return Workspace(
        directory=directory,
        config=config,
        catalogue=catalogue,
        reference=reference,
        inventory=inventory,
    )
