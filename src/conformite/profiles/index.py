"""Signed profile indexes and the local cache of synced sources.

A publisher signs one ``index.json`` listing every profile it publishes (id,
version, file name, SHA-256 of the file's bytes), with an ``index_version``
that only goes up, the time it was issued and the time it ``expires``;
``index.json.sig`` is the detached Ed25519 signature of its exact bytes (see
:mod:`conformite.signing`).

Trust, as in TUF: a signature only says who wrote an index, not that it is
current. So an index also carries ``expires`` (freeze and replay attacks: an
old, validly signed index served again), and a client refuses one past that
moment, at sync and every time the cached copy is used; and it refuses an
index older (``index_version`` or ``issued_at``) than the one it holds
(rollback). An index without ``expires`` (written by conformite before the
field existed) expires :data:`DEFAULT_EXPIRY_DAYS` days after its signed
``issued_at``. Expiry is checked against the real clock, never against an
audit's ``--as-of`` date: it is about how fresh the signature is, not about
the audited day.

A synced source lives in the workspace under ``.conformite/profiles/NAME/``:
``current`` is a symbolic link to the last good copy (``index.json``,
``index.json.sig``, ``meta.json`` and ``profiles/``). A new copy is written
beside it, verified completely, and only then does ``current`` change, in one
atomic rename: a failed sync leaves the last good copy untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from conformite._files import read_regular_file
from conformite.errors import InputError, ProblemCollector, os_reason
from conformite.profiles.model import LoadedProfile, ProfileRegistry, load_profile_file
from conformite.signing import (
    KeyFileError,
    SignatureFormatError,
    fingerprint,
    load_public_key,
    read_signature,
    sign_bytes,
    signature_text,
    verify_bytes,
)

__all__ = [
    "CACHE_DIR",
    "DEFAULT_EXPIRY_DAYS",
    "INDEX_FILE",
    "SIGNATURE_FILE",
    "Index",
    "IndexEntry",
    "ProfileError",
    "build_index",
    "cache_dir",
    "check_cached_fresh",
    "check_fresh",
    "check_update",
    "current_copy",
    "expires_at",
    "load_cached_profiles",
    "parse_index",
    "read_cached",
    "verify_cached_index",
    "verify_copy",
    "verify_index_signature",
]

INDEX_FILE = "index.json"
SIGNATURE_FILE = "index.json.sig"
CACHE_DIR = Path(".conformite") / "profiles"
FILE_NAME = r"^[a-z0-9][a-z0-9._@-]{0,120}\.yaml$"
#: How long a published index stays valid by default, and the validity of an
#: index without ``expires`` (published before the field existed), from its
#: ``issued_at``.
DEFAULT_EXPIRY_DAYS = 30


class ProfileError(Exception):
    """A plain, translatable reason why a profile source is refused.

    ``key`` is a message key of ``messages_profiles.yaml`` or
    ``messages_trust.yaml``; ``values`` fill it.
    """

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IndexEntry(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")]
    version: int = Field(ge=1, le=999_999)
    file: Annotated[str, StringConstraints(pattern=FILE_NAME)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    valid_until: dt.date


class Index(_Strict):
    format: int = Field(1, ge=1, le=1)
    publisher: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    key: Annotated[str, StringConstraints(pattern=r"^SHA256:[0-9a-f]{16}$")]
    index_version: int = Field(ge=1)
    issued_at: dt.datetime
    #: After this moment the index is refused (absent in indexes published
    #: before the field existed: see :func:`expires_at`).
    expires: dt.datetime | None = None
    profiles: list[IndexEntry]

    @field_validator("issued_at", "expires")
    @classmethod
    def _in_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        """In UTC (a time without zone is read as UTC), within years 1970 to 9000,
        so that comparing and adding days never fails."""
        if value is None:
            return None
        try:
            moment = _utc(value)
        except OverflowError:
            raise ValueError("date out of range") from None
        if not 1970 <= moment.year <= 9000:
            raise ValueError("date out of range (years 1970 to 9000)")
        return moment


def parse_index(data: bytes) -> Index:
    try:
        index = Index.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "index"
        raise ProfileError("profiles.bad_index", detail=f"{where}: {first['msg']}") from None
    refs = [f"{e.id}@{e.version}" for e in index.profiles]
    files = [e.file for e in index.profiles]
    if len(set(refs)) != len(refs) or len(set(files)) != len(files):
        raise ProfileError("profiles.bad_index", detail="a profile or file is listed twice")
    return index


def build_index(
    directory: Path,
    private_key_pem: bytes,
    index_version: int,
    issued_at: dt.datetime,
    publisher: str | None = None,
    expires: dt.datetime | None = None,
) -> tuple[bytes, bytes, list[LoadedProfile]]:
    """The index of every profile in ``directory`` and its signature (file contents).

    ``expires`` defaults to :data:`DEFAULT_EXPIRY_DAYS` days after ``issued_at``.

    Raises :class:`InputError` when a profile is invalid.
    """
    from conformite.signing import load_private_key

    key = load_private_key(private_key_pem)
    problems = ProblemCollector()
    loaded: list[LoadedProfile] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            loaded.append(load_profile_file(path, origin="publish"))
        except InputError as exc:
            problems.extend(exc.problems)
    problems.raise_if_any()
    publishers = sorted({p.meta.publisher for p in loaded})
    index = {
        "format": 1,
        "publisher": publisher
        or (publishers[0] if len(publishers) == 1 else "; ".join(publishers)),
        "key": fingerprint(key.public_key()),
        "index_version": index_version,
        "issued_at": _stamp(issued_at),
        "expires": _stamp(expires or issued_at + dt.timedelta(days=DEFAULT_EXPIRY_DAYS)),
        "profiles": [
            {
                "id": p.meta.id,
                "version": p.meta.version,
                "file": Path(p.file).name,
                "sha256": p.sha256,
                "valid_until": p.meta.valid_until.isoformat(),
            }
            for p in sorted(loaded, key=lambda p: (p.meta.id, p.meta.version))
        ],
    }
    data = (json.dumps(index, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    parse_index(data)  # what we publish, we can read
    return data, signature_text(sign_bytes(key, data)).encode("ascii"), loaded


def _stamp(moment: dt.datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC; a time without zone is read as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def expires_at(index: Index) -> dt.datetime:
    """When ``index`` stops being valid (UTC).

    An index without ``expires`` (published before the field existed)
    expires :data:`DEFAULT_EXPIRY_DAYS` days after its signed ``issued_at``:
    what a publisher gets by default today, so an old index cannot be
    replayed for ever, and one published recently by an older conformite
    keeps working until its publisher upgrades.
    """
    if index.expires is not None:
        return _utc(index.expires)
    return _utc(index.issued_at) + dt.timedelta(days=DEFAULT_EXPIRY_DAYS)


def _now(now: dt.datetime | None) -> dt.datetime:
    return _utc(now) if now is not None else dt.datetime.now(dt.UTC)


def check_fresh(index: Index, now: dt.datetime | None = None) -> None:
    """Refuse ``index`` if it expired (on the real clock unless ``now`` is given)."""
    until = expires_at(index)
    if _now(now) >= until:
        raise ProfileError("trust.index_expired", date=_stamp(until))


def check_cached_fresh(folder: Path, pubkey_pem: str, now: dt.datetime | None = None) -> None:
    """Refuse the cached copy in ``folder`` unless its index verifies with
    ``pubkey_pem`` and has not expired.

    For a sync answered '304 Not Modified': the source still serves the index
    the cache holds, which may have expired since it was synced, or have been
    signed by a key the workspace no longer trusts (``add-source --replace``).
    """
    check_fresh(verify_cached_index(folder, pubkey_pem), now)


def check_update(
    current: Path | None, data: bytes, index: Index, now: dt.datetime | None = None
) -> None:
    """Refuse a newly downloaded, signature-checked ``index`` that is expired, or
    older than the cached copy in ``current`` (a rollback).

    The floor is the cached ``index.json`` itself (signed when it was synced),
    not ``meta.json``, which nothing signs: removing or editing ``meta.json``
    does not open the door to an older index.
    """
    check_fresh(index, now)
    if current is None:
        return
    try:
        old_data = read_cached(current / INDEX_FILE)
        old = parse_index(old_data)
    except (ProfileError, OSError):
        return  # unreadable cache: nothing to compare with; the new copy replaces it
    if index.index_version < old.index_version:
        raise ProfileError(
            "profiles.downgrade", found=index.index_version, expected=old.index_version
        )
    if index.index_version == old.index_version and data != old_data:
        raise ProfileError("profiles.same_version_changed", version=old.index_version)
    if _utc(index.issued_at) < _utc(old.issued_at):
        raise ProfileError(
            "trust.older_issued_at",
            found=_stamp(index.issued_at),
            expected=_stamp(old.issued_at),
        )


def verify_index_signature(data: bytes, signature: bytes, pubkey_pem: str) -> Index:
    """The index, if ``signature`` is its valid signature by ``pubkey_pem``."""
    try:
        public = load_public_key(pubkey_pem.encode("ascii"))
    except (KeyFileError, UnicodeEncodeError):
        raise ProfileError("trust.bad_pubkey") from None
    try:
        raw = read_signature(signature)
    except SignatureFormatError:
        raise ProfileError("profiles.bad_signature_file") from None
    expected = fingerprint(public)
    if not verify_bytes(public, data, raw):
        try:
            claimed = json.loads(data).get("key")
        except (ValueError, AttributeError, RecursionError):  # unsigned bytes: anything
            claimed = None
        if isinstance(claimed, str) and claimed != expected:
            raise ProfileError("profiles.unknown_key", found=claimed, expected=expected)
        raise ProfileError("profiles.bad_signature")
    index = parse_index(data)
    if index.key != expected:
        raise ProfileError("profiles.unknown_key", found=index.key, expected=expected)
    return index


def cache_dir(workspace: Path, source: str) -> Path:
    return workspace / CACHE_DIR / source


def current_copy(workspace: Path, source: str) -> Path | None:
    """The folder of the last good copy of ``source``, or None if never synced."""
    current = cache_dir(workspace, source) / "current"
    return current if (current / INDEX_FILE).is_file() else None


#: A cached file (index, signature or profile) is never larger than what sync
#: accepted from the source (index 1 MiB, profile 256 KiB); more is tampering.
MAX_CACHED_FILE_BYTES = 1024 * 1024


def read_cached(path: Path) -> bytes:
    """A file of the cache: a regular file within :data:`MAX_CACHED_FILE_BYTES`
    (a workspace, cache included, may come from someone else)."""
    return read_regular_file(path, MAX_CACHED_FILE_BYTES)


def verify_cached_index(folder: Path, pubkey_pem: str) -> Index:
    """The cached index in ``folder``, if its signature verifies with ``pubkey_pem``."""
    try:
        signature = read_cached(folder / SIGNATURE_FILE)
    except OSError:
        raise ProfileError("profiles.no_signature") from None
    try:
        data = read_cached(folder / INDEX_FILE)
    except OSError as exc:
        raise ProfileError("profiles.bad_index", detail=os_reason(exc)) from None
    return verify_index_signature(data, signature, pubkey_pem)


def verify_copy(
    folder: Path,
    pubkey_pem: str,
    as_of: dt.date,
    source: str,
    now: dt.datetime | None = None,
) -> tuple[Index, list[LoadedProfile]]:
    """Check a copy completely: signature, key, index expiry (real clock unless
    ``now`` is given), every file's hash, content and expiry (on ``as_of``)."""
    index = verify_cached_index(folder, pubkey_pem)
    check_fresh(index, now)
    loaded = []
    for entry in index.profiles:
        path = folder / "profiles" / entry.file
        if not path.is_file():
            raise ProfileError("profiles.missing_profile", file=entry.file)
        try:
            raw = read_cached(path)
        except OSError:
            raise ProfileError("profiles.tampered", file=entry.file) from None
        if hashlib.sha256(raw).hexdigest() != entry.sha256:
            raise ProfileError("profiles.tampered", file=entry.file)
        loaded.append(check_profile(path, entry, as_of, source, raw))
    return index, loaded


def check_profile(
    path: Path, entry: IndexEntry, as_of: dt.date, source: str, raw: bytes | None = None
) -> LoadedProfile:
    """A downloaded profile file, valid and matching its index entry (``raw``: the
    bytes whose hash was checked, parsed instead of reading the file again)."""
    try:
        profile = load_profile_file(path, origin=source, display=entry.file, raw=raw)
    except InputError as exc:
        raise ProfileError(
            "profiles.bad_profile", file=entry.file, detail=exc.problems[0].render()
        ) from None
    if (profile.meta.id, profile.meta.version) != (entry.id, entry.version):
        raise ProfileError(
            "profiles.index_mismatch",
            file=entry.file,
            found=profile.meta.ref,
            expected=f"{entry.id}@{entry.version}",
        )
    if profile.meta.valid_until < as_of:
        raise ProfileError(
            "profiles.expired", ref=profile.meta.ref, date=profile.meta.valid_until.isoformat()
        )
    return profile


def load_cached_profiles(
    workspace: Path,
    source: str,
    pubkey_pem: str,
    registry: ProfileRegistry,
    problems: ProblemCollector,
    now: dt.datetime | None = None,
) -> None:
    """Add the profiles of ``source``'s last good copy to ``registry`` (if synced).

    The copy was verified when it was synced; it is verified again each time
    it is used, because the cache is a plain folder anyone with write access
    can edit: the cached index's signature with the source's key from
    conformite.toml (one Ed25519 check), its expiry on the real clock (``now``
    for tests), then each file against its SHA-256 in that verified index.
    Whatever does not hold is a located input error telling to sync again.
    A profile's own ``valid_until`` is not a load error: it is what the
    control SUP-PROFILE-VALID reports on the audit date.
    """
    from conformite.i18n import translate

    folder = current_copy(workspace, source)
    if folder is None:
        return
    hint = f"run 'conformite profiles sync' again (conformite profiles sync --source {source})"
    index_path = folder / INDEX_FILE
    try:
        index = verify_cached_index(folder, pubkey_pem)
    except ProfileError as exc:
        problems.report(
            str(index_path),
            f"cached index of source '{source}' does not verify: "
            + translate(exc.key, "en", **exc.values),
            hint=hint,
        )
        return
    until = expires_at(index)
    if _now(now) >= until:
        problems.report(
            str(index_path),
            f"cached index of source '{source}' expired on {_stamp(until)} "
            "(its signature no longer vouches that it is current)",
            hint=hint + "; if the source still serves this index, its publisher must publish again",
        )
        return
    for entry in index.profiles:
        path = folder / "profiles" / entry.file
        display = str(path)
        try:
            raw: bytes | None = read_cached(path)
        except OSError:
            raw = None
        if raw is None or hashlib.sha256(raw).hexdigest() != entry.sha256:
            problems.report(
                display,
                "cached profile missing or changed since it was verified",
                hint=hint,
            )
            continue
        try:
            # The bytes whose hash matched are the bytes parsed: no second read.
            registry.add(load_profile_file(path, origin=source, display=display, raw=raw), problems)
        except InputError as exc:
            problems.extend(exc.problems)
