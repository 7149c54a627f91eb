"""Signed profile indexes and the local cache of synced sources.

A publisher signs one ``index.json`` listing every profile it publishes (id,
version, file name, SHA-256 of the file's bytes), with an ``index_version``
that only goes up and the time it was issued; ``index.json.sig`` is the
detached Ed25519 signature of its exact bytes (see :mod:`conformite.signing`).

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

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from conformite.errors import InputError, ProblemCollector
from conformite.profiles.model import LoadedProfile, ProfileRegistry, load_profile_file
from conformite.signing import (
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
    "INDEX_FILE",
    "SIGNATURE_FILE",
    "Index",
    "IndexEntry",
    "ProfileError",
    "build_index",
    "cache_dir",
    "current_copy",
    "load_cached_profiles",
    "parse_index",
    "verify_copy",
    "verify_index_signature",
]

INDEX_FILE = "index.json"
SIGNATURE_FILE = "index.json.sig"
CACHE_DIR = Path(".conformite") / "profiles"
FILE_NAME = r"^[a-z0-9][a-z0-9._@-]{0,120}\.yaml$"


class ProfileError(Exception):
    """A plain, translatable reason why a profile source is refused.

    ``key`` is a message key of ``messages_profiles.yaml``; ``values`` fill it.
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
    profiles: list[IndexEntry]


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
) -> tuple[bytes, bytes, list[LoadedProfile]]:
    """The index of every profile in ``directory`` and its signature (file contents).

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
        "issued_at": issued_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
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


def verify_index_signature(data: bytes, signature: bytes, pubkey_pem: str) -> Index:
    """The index, if ``signature`` is its valid signature by ``pubkey_pem``."""
    public = load_public_key(pubkey_pem.encode("ascii"))
    try:
        raw = read_signature(signature)
    except SignatureFormatError:
        raise ProfileError("profiles.bad_signature_file") from None
    expected = fingerprint(public)
    if not verify_bytes(public, data, raw):
        try:
            claimed = json.loads(data).get("key")
        except (ValueError, AttributeError):
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


def verify_copy(
    folder: Path, pubkey_pem: str, as_of: dt.date, source: str
) -> tuple[Index, list[LoadedProfile]]:
    """Check a copy completely: signature, key, every file's hash, content and expiry."""
    data = (folder / INDEX_FILE).read_bytes()
    signature_path = folder / SIGNATURE_FILE
    if not signature_path.is_file():
        raise ProfileError("profiles.no_signature")
    index = verify_index_signature(data, signature_path.read_bytes(), pubkey_pem)
    loaded = []
    for entry in index.profiles:
        path = folder / "profiles" / entry.file
        if not path.is_file():
            raise ProfileError("profiles.missing_profile", file=entry.file)
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry.sha256:
            raise ProfileError("profiles.tampered", file=entry.file)
        loaded.append(check_profile(path, entry, as_of, source))
    return index, loaded


def check_profile(path: Path, entry: IndexEntry, as_of: dt.date, source: str) -> LoadedProfile:
    """A downloaded profile file, valid and matching its index entry."""
    try:
        profile = load_profile_file(path, origin=source, display=entry.file)
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
    workspace: Path, source: str, registry: ProfileRegistry, problems: ProblemCollector
) -> None:
    """Add the profiles of ``source``'s last good copy to ``registry`` (if synced).

    The copy was verified when it was synced; here each file is checked
    against its hash in the index again, so a file edited in the cache is
    refused rather than trusted. Expiry is not a load error: it is what
    the control SUP-PROFILE-VALID reports.
    """
    folder = current_copy(workspace, source)
    if folder is None:
        return
    index_path = folder / INDEX_FILE
    try:
        index = parse_index(index_path.read_bytes())
    except ProfileError as exc:
        problems.report(
            str(index_path),
            f"cached index unreadable: {exc.values.get('detail')}",
            hint=f"sync again: conformite profiles sync --source {source}",
        )
        return
    for entry in index.profiles:
        path = folder / "profiles" / entry.file
        display = str(path)
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != entry.sha256:
            problems.report(
                display,
                "cached profile missing or changed since it was verified",
                hint=f"sync again: conformite profiles sync --source {source}",
            )
            continue
        try:
            registry.add(load_profile_file(path, origin=source, display=display), problems)
        except InputError as exc:
            problems.extend(exc.problems)
