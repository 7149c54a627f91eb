"""``conformite profiles``: supplier profiles, published and synced with signatures.

Exit codes: 0 done, 1 ``verify`` found a copy that does not verify, 2 usage
or input error, or a source that could not be synced (the last good copy
stays in use).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from conformite.cli._common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    CommandError,
    as_of_option,
    handle_input_errors,
    lang_option,
    workspace_argument,
    write_file,
)
from conformite.cli.signing import key_problem, read_or_fail

if TYPE_CHECKING:
    from conformite.inventory.config import Config


def _lang(config: Config | None = None) -> str:
    ctx = click.get_current_context()
    chosen = (ctx.find_root().obj or {}).get("lang")
    if chosen:
        return str(chosen)
    return config.commune.language if config is not None else "en"


def _t(key: str, config: Config | None = None, **values: object) -> str:
    from conformite.i18n import translate

    return translate(key, _lang(config), **values)


def _reason(exc: Any, config: Config | None = None) -> str:
    """The text of a :class:`ProfileError`."""
    return _t(exc.key, config, **exc.values)


def _directory(directory: Path | None) -> Path:
    return directory if directory is not None else Path.cwd()


@click.group()
def profiles() -> None:
    """Supplier profiles: vetted vendor facts, shipped, published and synced.

    An inventory vendor can start from a profile ('profile: ID@VERSION' in
    vendors.yaml); what vendors.yaml writes wins over the profile's facts.

    \b
    Example:
      conformite profiles list
      conformite profiles add-source association https://profils.example.ch/ --pubkey assoc.pub
      conformite profiles sync
    """


@profiles.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The publisher's Ed25519 private key (conformite keygen).",
)
@click.option(
    "--index-version",
    type=click.IntRange(min=1),
    default=None,
    help="Version of the new index. Default: the published one plus 1, else 1.",
)
@click.option("--publisher", default=None, help="Publisher named in the index.")
@click.option(
    "--expires-in",
    "expires_in",
    type=click.IntRange(min=1, max=366),
    default=30,
    show_default=True,
    help="Days until the signed index expires; communes refuse it after that: publish again "
    "before.",
)
@lang_option
@handle_input_errors
def publish(
    directory: Path,
    key_path: Path,
    index_version: int | None,
    publisher: str | None,
    expires_in: int,
) -> None:
    """Sign an index of the profiles in DIRECTORY for communes to sync.

    Validates every *.yaml profile in DIRECTORY, then writes DIRECTORY/index.json
    (id, version, file, SHA-256 of each profile, index version, issue time,
    expiry) and DIRECTORY/index.json.sig (its Ed25519 signature). Serve the
    folder as is over https; communes add it with 'profiles add-source' and
    your .pub key. The index version only goes up: communes refuse an older
    one. The index expires after --expires-in days (a replayed old index is
    refused): publish again, even unchanged, before it does.

    \b
    Example:
      conformite profiles publish ./published --key ~/.config/conformite/publisher.key
    """
    from conformite.profiles.index import INDEX_FILE, SIGNATURE_FILE, build_index, parse_index
    from conformite.signing import KeyFileError, fingerprint, load_private_key

    pem = read_or_fail(key_path)
    try:
        key = load_private_key(pem)
    except KeyFileError as exc:
        raise key_problem(key_path, exc.kind) from None
    index_path = directory / INDEX_FILE
    previous = 0
    if index_path.is_file():
        try:
            previous = parse_index(index_path.read_bytes()).index_version
        except Exception:
            previous = 0
    version = index_version if index_version is not None else previous + 1
    if version <= previous:
        raise CommandError(_t("profiles.publish_downgrade", found=version, expected=previous))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expires = now + dt.timedelta(days=expires_in)
    data, signature, loaded = build_index(directory, pem, version, now, publisher, expires)
    write_file(index_path, data.decode("utf-8"))
    write_file(directory / SIGNATURE_FILE, signature.decode("ascii"))
    click.echo(
        _t(
            "profiles.published",
            count=len(loaded),
            index=index_path,
            version=version,
            fingerprint=fingerprint(key.public_key()),
            signature=directory / SIGNATURE_FILE,
        )
    )
    click.echo(_t("trust.published_expires", date=expires.strftime("%Y-%m-%d %H:%M UTC")))


@profiles.command("add-source")
@click.argument("name")
@click.argument("url")
@workspace_argument
@click.option(
    "--pubkey",
    "pubkey_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The publisher's Ed25519 public key (.pub), obtained from the publisher directly.",
)
@click.option("--replace", is_flag=True, help="Replace a source of the same name.")
@lang_option
@handle_input_errors
def add_source(
    name: str, url: str, directory: Path | None, pubkey_path: Path, replace: bool
) -> None:
    """Add a signed profile source to the workspace (conformite.toml).

    NAME is a short name for the source; URL the address of the published
    folder (https://; http:// only on this machine). The public key is stored
    in conformite.toml: only indexes it signed are accepted.

    \b
    Example:
      conformite profiles add-source assoc https://profils.example.ch/ --pubkey a.pub my-commune
    """
    import re

    from conformite._files import read_regular_file
    from conformite.inventory.config import CONFIG_FILE, MAX_CONFIG_BYTES, load_config
    from conformite.profiles.index import ProfileError
    from conformite.profiles.sync import check_source_url
    from conformite.signing import KeyFileError, fingerprint, load_public_key

    folder = _directory(directory)
    config = load_config(folder)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", name):
        raise CommandError(_t("profiles.bad_source_name", config, source=name))
    try:
        check_source_url(url)
    except ProfileError as exc:
        raise CommandError(_reason(exc, config)) from None
    pem = read_or_fail(pubkey_path)
    try:
        key = load_public_key(pem)
    except KeyFileError as exc:
        raise key_problem(pubkey_path, exc.kind) from None
    path = folder / CONFIG_FILE
    if name in config.profiles.sources and not replace:
        raise CommandError(_t("profiles.source_exists", config, source=name, path=path))
    entry = {"url": url, "pubkey": pem.decode("ascii").strip() + "\n"}
    current = read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8")  # load_config read it
    text = _with_source(current, name, entry, config)
    write_file(path, text)
    load_config(folder)  # what we wrote, we can read
    click.echo(
        _t("profiles.source_added", config, source=name, path=path, fingerprint=fingerprint(key))
    )


def _with_source(text: str, name: str, entry: dict[str, str], config: Config) -> str:
    """``text`` (conformite.toml) with the source ``name`` added or replaced.

    Edited with tomlkit, which keeps comments, blank lines and layout: only
    the source's own lines change. The result is checked to hold exactly the
    same settings plus this source before anything is written.
    """
    import tomllib

    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    before = tomllib.loads(text)
    try:
        doc = tomlkit.parse(text)
        if "profiles" not in doc:
            # A new section at the end, after one blank line.
            section = tomlkit.document()
            profiles_table = tomlkit.table(is_super_table=True)
            sources_table = tomlkit.table(is_super_table=True)
            sources_table[name] = tomlkit.table()
            sources_table[name].update(entry)
            profiles_table["sources"] = sources_table
            section["profiles"] = profiles_table
            new_text = text.rstrip("\n") + "\n\n" + tomlkit.dumps(section).lstrip("\n")
        else:
            sources = doc["profiles"].setdefault("sources", tomlkit.table(is_super_table=True))
            if name in sources:
                for field, value in entry.items():  # in place: its comments stay
                    sources[name][field] = value
            else:
                table = tomlkit.table()
                table.update(entry)
                sources[name] = table
            new_text = tomlkit.dumps(doc)
        after = tomllib.loads(new_text)
    except (TOMLKitError, tomllib.TOMLDecodeError, TypeError, ValueError, AttributeError):
        raise CommandError(_t("trust.config_changed", config, source=name)) from None
    expected = dict(before)
    expected_profiles = dict(expected.get("profiles", {}))
    expected_profiles["sources"] = {**expected_profiles.get("sources", {}), name: entry}
    expected["profiles"] = expected_profiles
    if after != expected:
        raise CommandError(_t("trust.config_changed", config, source=name))
    return new_text


@profiles.command()
@workspace_argument
@click.option("--source", "only", default=None, help="Sync this source only.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=120),
    default=10.0,
    show_default=True,
    help="Seconds for connecting and for each read.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1, max=3600),
    default=300.0,
    show_default=True,
    help="Seconds the whole command may take, however slowly the servers send.",
)
@as_of_option
@lang_option
@handle_input_errors
def sync(
    directory: Path | None,
    only: str | None,
    timeout: float,
    deadline: float,
    as_of: dt.date | None,
) -> None:
    """Download and verify the profiles of the workspace's sources.

    For each source: a conditional request for index.json (nothing is
    downloaded when it has not changed), its Ed25519 signature checked with
    the source's key, no older index version accepted, then each profile
    checked against its SHA-256, validated and checked for expiry. Only a
    copy that passes every check replaces the cached one
    (.conformite/profiles/NAME/); otherwise the last good copy stays and the
    command exits with code 2.

    \b
    Example:
      conformite profiles sync my-commune
    """
    from conformite.errors import closest
    from conformite.inventory.config import load_config
    from conformite.profiles.index import ProfileError
    from conformite.profiles.sync import sync_source

    folder = _directory(directory)
    config = load_config(folder)
    day = as_of or dt.date.today()
    sources = config.profiles.sources
    if not sources:
        raise CommandError(_t("profiles.no_sources", config))
    if only is not None and only not in sources:
        suggestion = closest(only, list(sources))
        known = ", ".join(sorted(sources))
        if suggestion:
            known += f" ({suggestion}?)"
        raise CommandError(_t("profiles.unknown_source", config, source=only, known=known))
    failed = False
    ends_at = time.monotonic() + deadline  # one deadline for all sources together
    for name in sorted(sources) if only is None else [only]:
        source = sources[name]
        try:
            left = ends_at - time.monotonic()
            if left <= 0:
                raise ProfileError(
                    "profiles.unreachable", url=source.url, reason=f"timed out ({deadline:g} s)"
                )
            result = sync_source(
                folder, name, source.url, source.pubkey, day, timeout=timeout, deadline=left
            )
        except ProfileError as exc:
            failed = True
            click.echo(
                _t("profiles.refused", config, source=name, reason=_reason(exc, config)), err=True
            )
            continue
        key = "profiles.synced" if result.status == "updated" else "profiles.not_modified"
        click.echo(
            _t(
                key,
                config,
                source=name,
                version=result.index_version,
                count=result.profiles,
                downloaded=result.downloaded,
            )
        )
    if failed:
        click.get_current_context().exit(EXIT_INPUT)


@profiles.command("list")
@workspace_argument
@lang_option
@handle_input_errors
def list_(directory: Path | None) -> None:
    """List the supplier profiles a workspace can reference.

    The built-in profiles and those synced from the workspace's sources, as
    'ID@VERSION' to write in vendors.yaml, with publisher and validity.

    \b
    Example:
      conformite profiles list my-commune
    """
    from conformite.engine.workspace import load_profile_registry
    from conformite.inventory.config import CONFIG_FILE, load_config

    folder = _directory(directory)
    config = load_config(folder) if (folder / CONFIG_FILE).is_file() else None
    registry = load_profile_registry(folder, config)
    builtin = _t("profiles.builtin", config)
    rows = [_t("profiles.list_heading", config).split("|")]
    for ref in registry.refs():
        p = registry.profiles[ref]
        rows.append(
            [
                ref,
                p.meta.publisher,
                p.meta.vetted_on.isoformat(),
                p.meta.valid_until.isoformat(),
                builtin if p.origin == "built-in" else p.origin,
                str(p.facts.get("name", "")),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


@profiles.command()
@workspace_argument
@as_of_option
@lang_option
@handle_input_errors
def verify(directory: Path | None, as_of: dt.date | None) -> None:
    """Verify the built-in profiles and every source's cached copy again.

    Checks each cached copy's signature with the key in conformite.toml, each
    profile's SHA-256 and content, and expiry on the given date. Exit code 1
    when a copy does not verify (sync it again), 2 on an input error.

    \b
    Example:
      conformite profiles verify my-commune
    """
    from conformite._paths import builtin_profiles_dir
    from conformite.errors import ProblemCollector
    from conformite.inventory.config import CONFIG_FILE, load_config
    from conformite.profiles.index import ProfileError, current_copy, verify_copy
    from conformite.profiles.model import ProfileRegistry, load_profiles
    from conformite.signing import fingerprint, load_public_key

    folder = _directory(directory)
    config = load_config(folder) if (folder / CONFIG_FILE).is_file() else None
    day = as_of or dt.date.today()
    problems = ProblemCollector()
    registry = ProfileRegistry()
    load_profiles(builtin_profiles_dir(), registry, problems)
    problems.raise_if_any()
    click.echo(_t("profiles.builtin_ok", config, count=len(registry.profiles)))
    failed = False
    sources = config.profiles.sources if config is not None else {}
    for name in sorted(sources):
        copy = current_copy(folder, name)
        if copy is None:
            click.echo(_t("profiles.never_synced", config, source=name))
            continue
        try:
            index, loaded = verify_copy(copy, sources[name].pubkey, day, name)
        except ProfileError as exc:
            failed = True
            click.echo(
                _t("profiles.verify_failed", config, source=name, reason=_reason(exc, config)),
                err=True,
            )
            continue
        key = load_public_key(sources[name].pubkey.encode("ascii"))
        click.echo(
            _t(
                "profiles.verify_ok",
                config,
                source=name,
                version=index.index_version,
                count=len(loaded),
                fingerprint=fingerprint(key),
            )
        )
    if failed:
        click.get_current_context().exit(EXIT_FINDINGS)
