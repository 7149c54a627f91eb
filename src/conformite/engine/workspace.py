"""Stage 1 of the flow: load a workspace into validated, cross-checked models.

``load_workspace(DIR)`` reads ``conformite.toml``, the control catalogue (the
built-in one plus the workspace's own folders), the reference data and the
four inventory files. It reports *every* problem of every file at once, each
located (file, line, column, field path), and raises :class:`InputError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from conformite._gc import paused
from conformite._paths import builtin_catalogue_dir, builtin_profiles_dir
from conformite.catalogue.loader import load_catalogue
from conformite.catalogue.model import Catalogue
from conformite.engine.crosscheck import InventoryFile, cross_check
from conformite.errors import (
    InputError,
    Problem,
    ProblemCollector,
    Text,
    closest,
    did_you_mean,
    format_path,
)
from conformite.inventory.config import (
    CONFIG_FILE,
    CatalogueOptions,
    Config,
    ProfilesOptions,
    load_config,
)
from conformite.inventory.model import (
    INVENTORY_FILES,
    Inventory,
    OrganisationFile,
    ServicesFile,
    VendorsFile,
    WaiversFile,
)
from conformite.inventory.reference import ReferenceData, load_reference
from conformite.inventory.safe_yaml import YamlDocument, load_yaml_file
from conformite.inventory.validation import error_path, problems_from_validation_error
from conformite.profiles.model import NOT_IN_PROFILE, ProfileRegistry, flatten_facts, load_profiles

__all__ = [
    "OPTIONAL_FILES",
    "Workspace",
    "configured_language",
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
) -> tuple[BaseModel | None, InventoryFile | None]:
    """The validated file (None if invalid) and what was read of it, for the
    cross-checks (None if it could not be parsed or is empty)."""
    try:
        doc = load_yaml_file(path, display)
    except InputError as exc:
        problems.extend(exc.problems)
        return None, None
    if doc.data is None:
        key = next(iter(model.model_fields))
        problems.report(
            display,
            Text("validate.file_empty"),
            line=1,
            expected=Text("validate.file_empty.expected", name=key),
            hint=Text("validate.file_empty.hint_list", name=key)
            if key != "organisation"
            else Text("validate.file_empty.hint_init"),
        )
        return None, None
    data = doc.data if prepare is None else prepare(doc.data, doc)
    read = InventoryFile(doc, data)
    try:
        return model.model_validate(data), read
    except ValidationError as exc:
        found = problems_from_validation_error(exc, doc, model)
        problems.extend(found)
        read.invalid = {error_path(item) for item in exc.errors(include_url=False)}
        return None, read


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
                Text("validate.profile_valid_until"),
                line=line,
                column=column,
                path=format_path((*path, "profile_valid_until")),
                hint=Text("validate.profile_valid_until.hint"),
            )
        profile = registry.get(ref)
        if profile is None:
            line, column = doc.locate((*path, "profile"))
            known = registry.refs()
            same_id = [r for r in known if r.split("@")[0] == ref.split("@")[0]]
            suggestion = closest(ref, same_id or known)
            problems.report(
                doc.file,
                Text("validate.unknown.profile", value=ref),
                line=line,
                column=column,
                path=format_path((*path, "profile")),
                hint=did_you_mean(suggestion) or Text("validate.unknown.profile.hint"),
                expected=", ".join(same_id or known) or Text("validate.no_profile_known"),
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
    controls: Catalogue | dict[str, str | None] | None,
    problems: ProblemCollector,
    profiles: ProfileRegistry | None = None,
) -> Inventory | None:
    """Read the four inventory files; add every problem to ``problems``.

    The references between the files are checked on whatever could be read,
    so that schema problems and unknown references show up in one run.
    """
    folder = directory / INVENTORY_DIR
    parsed: dict[str, Any] = {}
    read: dict[str, InventoryFile] = {}
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
                continue
            problems.report(
                display,
                Text("validate.file_missing"),
                hint=Text("validate.file_missing.hint", name=name),
            )
            continue
        value, what = _read_inventory_file(
            path, display, model, problems, prepare if name == "vendors.yaml" else None
        )
        if what is not None:
            read[name] = what
        if value is not None:
            parsed[name] = value
    if isinstance(controls, Catalogue):
        controls = {c.id: c.control.target for c in controls.controls}
    cross_check(read, reference, controls, problems)
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
    return Inventory(
        organisation=org.organisation,
        services=services.services,
        vendors=vendors.vendors,
        waivers=waivers.waivers,
        provenance=provenance,
    )


def _known_controls(directories: list[Path], config: Config) -> dict[str, str | None] | None:
    """The control ids a waiver may name when the catalogue has problems (a typo in
    [parameters], a broken custom control): the shipped controls, and the custom
    ones by file name (a control's file is named after its id), target unknown."""
    try:
        shipped = load_catalogue(directories[:1], include_drafts=config.catalogue.include_drafts)
    except InputError:
        return None
    known: dict[str, str | None] = {c.id: c.control.target for c in shipped.controls}
    for folder in directories[1:]:
        if folder.is_dir():
            stems = {p.stem for p in folder.rglob("*.yaml") if p.is_file()}
            known.update(dict.fromkeys(stems - {"catalogue", "screening"}))
    return known


def _raw_config(directory: Path) -> dict[str, Any] | None:
    """``conformite.toml`` as plain TOML data, or None if it cannot be read."""
    import tomllib

    from conformite._files import read_regular_file
    from conformite.inventory.config import MAX_CONFIG_BYTES

    try:
        raw = read_regular_file(directory / CONFIG_FILE, MAX_CONFIG_BYTES)
        return tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _salvage_config(directory: Path) -> Config | None:
    """What an invalid ``conformite.toml`` still says about what to load: its
    [catalogue], [profiles] and [parameters] when these are valid, else None."""
    raw = _raw_config(directory)
    if raw is None:
        return None
    try:
        catalogue = CatalogueOptions.model_validate(raw.get("catalogue", {}))
        profiles = ProfilesOptions.model_validate(raw.get("profiles", {}))
    except ValidationError:
        return None
    parameters = raw.get("parameters", {})
    if not (isinstance(parameters, dict) and all(isinstance(v, dict) for v in parameters.values())):
        return None
    return Config.model_construct(catalogue=catalogue, profiles=profiles, parameters=parameters)


def configured_language(directory: Path) -> str | None:
    """``commune.language`` of the workspace's ``conformite.toml``, even when the rest
    of the workspace is invalid; None if it cannot be read or is not fr, de, it or en."""
    raw = _raw_config(directory) if directory.is_dir() else None
    commune = raw.get("commune") if raw else None
    language = commune.get("language") if isinstance(commune, dict) else None
    return language if language in ("fr", "de", "it", "en") else None


def load_workspace(directory: Path, inventory_from: Path | None = None) -> Workspace:
    """Load and check a whole workspace; raise :class:`InputError` with all problems.

    ``inventory_from``: a folder whose ``inventory/`` is read instead of the
    workspace's (an inventory checked before it is written into the workspace)."""
    with paused():
        return _load_workspace(directory, inventory_from)


def _load_workspace(directory: Path, inventory_from: Path | None = None) -> Workspace:
    if not directory.is_dir():
        raise InputError(
            [
                Problem(
                    file=str(directory),
                    message=Text("input.no_such_folder"),
                    hint=Text("input.create_workspace", directory=str(directory)),
                )
            ]
        )
    problems = ProblemCollector()
    try:
        config = load_config(directory)
    except InputError as exc:
        # A wrong canton or a typo in [probe] must not hide the inventory's problems:
        # go on if the sections that say what to load can be read.
        salvaged = _salvage_config(directory)
        if salvaged is None:
            raise
        problems.extend(exc.problems)
        config = salvaged
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
    controls = (
        {c.id: c.control.target for c in catalogue.controls}
        if catalogue is not None
        else _known_controls(catalogue_dirs, config)
    )
    reference = load_reference(builtin_catalogue_dir() / "reference")
    registry: ProfileRegistry | None
    try:
        registry = load_profile_registry(directory, config)
    except InputError as exc:
        problems.extend(exc.problems)
        registry = None
    inventory = load_inventory(inventory_from or directory, reference, controls, problems, registry)
    problems.raise_if_any()
    assert inventory is not None and catalogue is not None
    return Workspace(
        directory=directory,
        config=config,
        catalogue=catalogue,
        reference=reference,
        inventory=inventory,
    )
