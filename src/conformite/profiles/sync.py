"""Fetch a signed profile source into the workspace's cache.

``sync_source`` downloads ``index.json`` and its signature (a conditional GET:
``If-None-Match`` / ``If-Modified-Since`` from the last good copy, so an
unchanged source costs one small request), verifies the signature with the
source's public key, refuses a downgrade (an older ``index_version``), then
fetches every listed profile not already cached with the same SHA-256,
checks hash, content, id/version and expiry, and only when everything holds
swaps the new copy in (see :mod:`conformite.profiles.index`).

Network rules: time-outs on connecting and on each read; an overall
deadline per request (``REQUEST_TIMEOUTS`` × the time-out: connection,
headers and body) and per source (``deadline``), enforced while bytes trickle
in: the probe's watchdog (:mod:`conformite.probe.netguard`) shuts the
connection down when its deadline passes, which unblocks the read at once.
Retries with exponential backoff on transient failures (time-outs, resets,
HTTP 5xx) within the source's deadline; a size cap per file and per source;
redirects followed only within the source's own scheme, host and port.
Profile sources are named by the user, so the probe's address policy does not
apply (a source on the local network is allowed). Ctrl-C leaves no staging
folder behind: the last good copy stays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from conformite.profiles.index import (
    INDEX_FILE,
    SIGNATURE_FILE,
    ProfileError,
    cache_dir,
    check_cached_fresh,
    check_profile,
    check_update,
    current_copy,
    read_cached,
    verify_index_signature,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "MAX_INDEX_BYTES",
    "MAX_PROFILE_BYTES",
    "MAX_TOTAL_BYTES",
    "SyncResult",
    "check_source_url",
    "sync_source",
]

MAX_INDEX_BYTES = 1024 * 1024
MAX_PROFILE_BYTES = 256 * 1024
#: All the files of one source together (index, signature and profiles).
MAX_TOTAL_BYTES = 32 * 1024 * 1024
#: One request may take this many time-outs in all, however slowly bytes come.
REQUEST_TIMEOUTS = 3
#: Seconds one source may take in all (``sync_source(deadline=...)``).
DEFAULT_DEADLINE = 300.0
REDIRECTS = 3
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class SyncResult:
    source: str
    status: str  # "updated" or "not_modified"
    index_version: int
    profiles: int
    downloaded: int


class _Transient(Exception):
    transient = True


def check_source_url(url: str) -> str:
    """The base address, ending with '/'; https required except on this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ProfileError("profiles.bad_url", url=url)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ProfileError("profiles.https_required", url=url)
    return url if url.endswith("/") else url + "/"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str]


class _Deadlines:
    """The instants a source's sync and its current request must be done by."""

    def __init__(self, timeout: float, seconds: float) -> None:
        self.request_seconds = REQUEST_TIMEOUTS * timeout
        self.ends_at = time.monotonic() + seconds
        self.request_ends_at = self.ends_at

    def start_request(self) -> float:
        """A new request starts: when it must end (read by the session's watchdog)."""
        self.request_ends_at = min(self.ends_at, time.monotonic() + self.request_seconds)
        return self.request_ends_at

    def check(self) -> None:
        if time.monotonic() >= self.request_ends_at:
            raise TimeoutError("response too slow")


def _get_once(
    session: Any,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    timeout: float,
    deadlines: _Deadlines,
) -> _Response:
    try:
        return _get_once_unchecked(session, url, headers, max_bytes, timeout, deadlines)
    except (ProfileError, _Transient):
        raise
    except Exception:
        deadlines.check()  # cut off by the watchdog: a time-out, not a broken server
        raise


def _get_once_unchecked(
    session: Any,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    timeout: float,
    deadlines: _Deadlines,
) -> _Response:
    origin = _origin(url)
    for _ in range(REDIRECTS + 1):
        left = max(0.01, min(timeout, deadlines.ends_at - time.monotonic()))
        response = session.get(
            url, headers=headers, timeout=(left, left), allow_redirects=False, stream=True
        )
        with response:
            status = response.status_code
            if status in (301, 302, 303, 307, 308):
                target = urljoin(url, response.headers.get("Location", ""))
                if _origin(target) != origin:
                    raise ProfileError("profiles.redirect_other_host", url=url, target=target)
                url = target
                continue
            if status == 304:
                return _Response(304, b"", dict(response.headers))
            if status >= 500 or status == 429:
                raise _Transient(f"HTTP {status}")
            if status != 200:
                raise ProfileError("profiles.http_status", url=url, status=status)
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise ProfileError("profiles.too_large", url=url, limit=max_bytes)
            body = bytearray()
            for chunk in response.iter_content(16384):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise ProfileError("profiles.too_large", url=url, limit=max_bytes)
                deadlines.check()
            deadlines.check()  # the watchdog may have cut the body short
            return _Response(200, bytes(body), dict(response.headers))
    raise ProfileError("profiles.too_many_redirects", url=url)


def _get(
    session: Any,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int,
    timeout: float,
    attempts: int,
    backoff: float,
    deadlines: _Deadlines,
) -> _Response:
    from conformite.probe.runner import Budget, describe, is_transient, retry

    budget = Budget.start(attempts * 4 * timeout, deadlines.ends_at)
    try:
        return retry(
            lambda: _get_once(session, url, headers or {}, max_bytes, timeout, deadlines),
            attempts=attempts,
            backoff=backoff,
            budget=budget,
            transient=lambda exc: not isinstance(exc, ProfileError) and is_transient(exc),
        )
    except ProfileError:
        raise
    except _Transient as exc:
        raise ProfileError("profiles.unreachable", url=url, reason=str(exc)) from None
    except Exception as exc:
        raise ProfileError("profiles.unreachable", url=url, reason=describe(exc)) from None


def _read_meta(folder: Path | None) -> dict[str, Any]:
    if folder is None:
        return {}
    try:
        data = json.loads(read_cached(folder / "meta.json"))
    except (OSError, ValueError, RecursionError):  # unsigned: any bytes at all
        return {}
    return data if isinstance(data, dict) else {}


#: A copy being built or a link being swapped that is older than this was left
#: by a sync that was killed: four times the longest --deadline a sync may have.
STALE_AFTER_SECONDS = 4 * 3600
_STAGING = re.compile(r"v[0-9]+-[0-9a-f]{8}")
_LINK = re.compile(r"\.current-[0-9a-f]{8}")


def remove_stale_copies(base: Path, now: float | None = None) -> list[str]:
    """Remove what a killed sync left in ``base``: copies being built (``vN-xxxxxxxx``)
    that ``current`` does not point to and links being swapped (``.current-xxxxxxxx``),
    once they are an hour old. Returns the names removed.

    Only names of our own pattern, never what ``current`` points to, and a link
    is removed as a link (``lstat``), never followed.
    """
    now = time.time() if now is None else now
    current = base / "current"
    try:
        in_use = current.resolve().name if current.is_symlink() else None
        entries = sorted(base.iterdir()) if base.is_dir() else []
    except (OSError, RuntimeError):  # a link loop or an unreadable folder: leave it all
        return []
    removed = []
    for entry in entries:
        staging = _STAGING.fullmatch(entry.name) is not None
        if not (staging or _LINK.fullmatch(entry.name)) or entry.name == in_use:
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if now - info.st_mtime < STALE_AFTER_SECONDS:
            continue  # perhaps a sync running now
        if staging and stat.S_ISDIR(info.st_mode):
            shutil.rmtree(entry, ignore_errors=True)
        elif not staging and stat.S_ISLNK(info.st_mode):
            entry.unlink(missing_ok=True)
        else:
            continue
        removed.append(entry.name)
    return removed


def _swap(base: Path, new: Path) -> None:
    """Point ``base/current`` at ``new`` atomically; remove the copy it replaces."""
    current = base / "current"
    old = current.resolve() if current.is_symlink() else None
    link = base / f".current-{secrets.token_hex(4)}"
    link.symlink_to(new.name)
    link.replace(current)
    if old is not None and old != new.resolve() and old.parent == base.resolve():
        shutil.rmtree(old, ignore_errors=True)


def sync_source(
    workspace: Path,
    name: str,
    url: str,
    pubkey_pem: str,
    as_of: dt.date,
    *,
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 0.5,
    max_index_bytes: int = MAX_INDEX_BYTES,
    max_profile_bytes: int = MAX_PROFILE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    deadline: float = DEFAULT_DEADLINE,
    session: Any = None,
) -> SyncResult:
    """Bring ``name``'s cached copy up to date; raise :class:`ProfileError` and keep
    the last good copy when anything is wrong.

    ``timeout``: seconds for connecting and for each read; one request may
    take ``REQUEST_TIMEOUTS`` times as long in all. ``deadline``: seconds the
    whole source may take. Both hold against a server that trickles bytes.
    """
    import requests

    from conformite.probe.netguard import mount_guard

    base_url = check_source_url(url)
    deadlines = _Deadlines(timeout, deadline)
    own_session = session is None
    session = session or requests.Session()
    # Any address: the user named this source. Deadlines: per request and per source.
    mount_guard(session, deadlines.start_request, None)
    try:
        base = cache_dir(workspace, name)
        current = current_copy(workspace, name)
        meta = _read_meta(current)
        headers: dict[str, str] = {"User-Agent": "conformite-profiles"}
        if current is not None:
            if meta.get("etag"):
                headers["If-None-Match"] = str(meta["etag"])
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = str(meta["last_modified"])
        common = {
            "timeout": timeout,
            "attempts": attempts,
            "backoff": backoff,
            "deadlines": deadlines,
        }
        index_response = _get(
            session, base_url + INDEX_FILE, headers=headers, max_bytes=max_index_bytes, **common
        )
        if index_response.status == 304 and current is not None:
            check_cached_fresh(current, pubkey_pem)  # still served: still signed and valid?
            return SyncResult(
                source=name,
                status="not_modified",
                index_version=int(meta.get("index_version", 0)),
                profiles=int(meta.get("profiles", 0)),
                downloaded=0,
            )
        if index_response.status == 304:
            raise ProfileError("profiles.http_status", url=base_url + INDEX_FILE, status=304)
        data = index_response.body
        try:
            signature = _get(session, base_url + SIGNATURE_FILE, max_bytes=4096, **common).body
        except ProfileError as exc:
            if exc.key == "profiles.http_status" and exc.values.get("status") == 404:
                raise ProfileError("profiles.no_signature") from None
            raise
        index = verify_index_signature(data, signature, pubkey_pem)
        check_update(current, data, index)  # expired, or older than the cached copy: refused
        base.mkdir(parents=True, exist_ok=True)
        remove_stale_copies(base)
        staging = base / f"v{index.index_version}-{secrets.token_hex(4)}"
        (staging / "profiles").mkdir(parents=True)
        downloaded = 0
        total = len(data) + len(signature)
        try:
            (staging / INDEX_FILE).write_bytes(data)
            (staging / SIGNATURE_FILE).write_bytes(signature)
            for entry in index.profiles:
                target = staging / "profiles" / entry.file
                cached = current / "profiles" / entry.file if current is not None else None
                try:
                    body = read_cached(cached) if cached is not None else b""
                except OSError:
                    body = b""  # not usable: downloaded again
                if hashlib.sha256(body).hexdigest() != entry.sha256:
                    body = _get(
                        session,
                        base_url + entry.file,
                        max_bytes=max_profile_bytes,
                        **common,
                    ).body
                    downloaded += 1
                    total += len(body)
                    if total > max_total_bytes:
                        raise ProfileError(
                            "profiles.too_large", url=base_url, limit=max_total_bytes
                        )
                    if hashlib.sha256(body).hexdigest() != entry.sha256:
                        raise ProfileError("profiles.tampered", file=entry.file)
                target.write_bytes(body)
                check_profile(target, entry, as_of, name, body)
            (staging / "meta.json").write_text(
                json.dumps(
                    {
                        "url": base_url,
                        "etag": index_response.headers.get("ETag"),
                        "last_modified": index_response.headers.get("Last-Modified"),
                        "index_version": index.index_version,
                        "issued_at": index.issued_at.isoformat(),
                        "profiles": len(index.profiles),
                        "synced_on": as_of.isoformat(),
                    },
                    indent=2,
                )
                + "\n",
                encoding="utf-8",
            )
            _swap(base, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return SyncResult(
            source=name,
            status="updated",
            index_version=index.index_version,
            profiles=len(index.profiles),
            downloaded=downloaded,
        )
    finally:
        if own_session:
            session.close()  # and the watchdog lets its connections go
