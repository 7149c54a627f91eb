"""Reading saved audit results for the roll-up: bounded, validated, signatures checked.

Every result is read whole (at most :data:`MAX_RESULT_BYTES`, regular files
only), validated against its schema (3.0, the compact form, or the full form
2.0/1.x) and reduced to what the roll-up counts (:class:`LoadedResult`): the
commune, its overall score, per control the number of findings by outcome, the
outcome of each control on each vendor, and its vendors' identities. A file that
cannot be read or is not a result raises :class:`ResultError` (which file, what
was expected); a signature that does not verify raises :class:`SignatureError`.

Signatures: ``FILE.sig`` (conformite's) or else ``FILE.minisig`` beside the
result. None beside it: ``unsigned``. One beside it but no public key given:
``not_checked``. With a public key: ``verified``, or :class:`SignatureError`.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformite._files import read_regular_file
from conformite.rollup.model import POPULATION_BANDS

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "MAX_RESULT_BYTES",
    "LoadedResult",
    "PublicKey",
    "ResultError",
    "SignatureError",
    "band_of",
    "commune_key",
    "expand_paths",
    "folded",
    "read_result",
]

#: A saved result of 10,000 services is about 360 MB (schema 2.0); the compact
#: form is a third of that.
MAX_RESULT_BYTES = 1024 * 1024 * 1024
#: The largest count a result may give (a finding count, services, vendors).
_MAX_COUNT = 100_000_000
#: A signature file is a few hundred bytes.
MAX_SIGNATURE_BYTES = 64 * 1024
#: Outcomes by how bad they are: a commune's outcome on a control is its worst.
RANK = {"not_applicable": 0, "pass": 1, "waived": 1, "unknown": 2, "fail": 3, "error": 3}
WORST = {0: "not_applicable", 1: "pass", 2: "unknown", 3: "fail"}
_VERSION = re.compile(rb'"schema_version"\s*:\s*"(\d+)\.')


class ResultError(ValueError):
    """A file that cannot be read as a result: ``key`` is the message (i18n) and
    ``values`` its values (``path`` always)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class SignatureError(ValueError):
    """A result whose signature does not verify with the given key."""

    def __init__(self, path: Path, signature: Path, verdict: str) -> None:
        super().__init__(verdict)
        self.path = path
        self.signature = signature
        self.verdict = verdict


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A public key to check signatures with: minisign's key id (None for a PEM key)."""

    key_id: bytes | None
    key: Ed25519PublicKey
    fingerprint: str


@dataclass(slots=True)
class LoadedResult:
    """What the roll-up keeps of one result."""

    file: str
    sha256: str
    signature: str
    key: str | None
    schema_version: str
    tool_version: str
    catalogue_version: str
    lang: str
    as_of: str
    commune: str
    commune_key: str
    bfs_number: int | None
    canton: str
    population: int
    band: str
    services: int
    vendors: int
    score: float | None
    grade: str | None
    coverage: float | None
    failed: int
    unknown: int
    passed: int
    #: control id -> (title, family, severity), as the result gives them.
    controls: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: control id -> [fail, unknown, pass, not_applicable] findings.
    counts: dict[str, list[int]] = field(default_factory=dict)
    #: (vendor id, control id) -> worst outcome of that control on that vendor.
    vendor_outcomes: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (vendor id, name, uid, profile) of every vendor of the inventory.
    vendor_entries: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)


def band_of(population: int) -> str:
    """The population band of a commune (:data:`POPULATION_BANDS`)."""
    label = POPULATION_BANDS[0][1]
    for lower, name in POPULATION_BANDS:
        if population >= lower:
            label = name
    return label


def commune_key(bfs_number: int | None, canton: str, name: str) -> str:
    """``bfs:N``, else ``name:CANTON:normalised name`` (case folded, accents removed)."""
    if bfs_number is not None:
        return f"bfs:{bfs_number}"
    return f"name:{canton.upper()}:{' '.join(folded(name).split())}"


def folded(text: str) -> str:
    """``text`` case folded, accents removed ("Sàrl" -> "sarl"): names compared
    across communes (communes here, vendors in :mod:`.vendors`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def expand_paths(arguments: list[Path]) -> list[tuple[Path, str]]:
    """The result files named: files as given, folders as every ``*.json`` in them
    (not in sub-folders), sorted. Each with the name shown (as given)."""
    out: list[tuple[Path, str]] = []
    for argument in arguments:
        if argument.is_dir():
            found = sorted(p for p in argument.glob("*.json") if not p.name.startswith("."))
            if not found:
                raise ResultError("rollup.empty_folder", path=argument)
            out += [(p, str(p)) for p in found]
        else:
            out.append((argument, str(argument)))
    return out


def _signature(path: Path, data: bytes, keys: Sequence[PublicKey]) -> tuple[str, str | None]:
    """The signature state of ``path``'s bytes ``data`` (see the module) and the
    fingerprint of the key that verified it.

    Each commune signs with its own key, so several keys may be given: a
    minisign signature names its key (its key id), a ``.sig`` is tried with
    each key in turn. No key verifying it is a :class:`SignatureError`:
    ``invalid`` or ``comment`` (the named key's signature no longer matches),
    ``other_key`` (signed with none of the keys given), ``no_key`` (a ``.sig``
    none of the keys verifies: changed, or signed with another key)."""
    from conformite.minisign import (
        MinisignFormatError,
        looks_like_minisign,
        parse_signature,
        signature_beside,
    )
    from conformite.minisign import verify as minisign_verify
    from conformite.signing import SignatureFormatError, read_signature, verify_bytes

    signature_path = signature_beside(path)
    if not signature_path.exists():
        return "unsigned", None
    if not keys:
        return "not_checked", None
    try:
        raw = read_regular_file(signature_path, MAX_SIGNATURE_BYTES)
    except OSError as exc:
        from conformite.errors import os_reason

        raise ResultError(
            "rollup.unreadable_signature_file", path=signature_path, reason=os_reason(exc)
        ) from None
    verdict = "no_key"
    try:
        if looks_like_minisign(raw):
            signature = parse_signature(raw)
            verdict = "other_key"
            for key in keys:
                verdict = minisign_verify(key.key, key.key_id, data, signature)
                if verdict == "valid":
                    return "verified", key.fingerprint
                if verdict != "other_key":  # the key it names: changed
                    break
        else:
            raw_signature = read_signature(raw)
            for key in keys:
                if verify_bytes(key.key, data, raw_signature):
                    return "verified", key.fingerprint
    except (MinisignFormatError, SignatureFormatError):
        raise ResultError("rollup.bad_signature_file", path=signature_path) from None
    raise SignatureError(path, signature_path, verdict)


def read_result(path: Path, shown: str, keys: Sequence[PublicKey] = ()) -> LoadedResult:
    """Read, validate and reduce one result file (``shown``: its name as given); its
    signature checked with ``keys`` (see :func:`_signature`)."""
    try:
        data = read_regular_file(path, MAX_RESULT_BYTES)
    except OSError as exc:
        from conformite.errors import os_reason

        raise ResultError("rollup.unreadable", path=shown, reason=os_reason(exc)) from None
    # conformite writes schema_version first; a tool that re-ordered the keys
    # (jq -S) moved it: look further. Inside a JSON string its quotes would be
    # escaped, so the pattern only meets the key itself.
    match = _VERSION.search(data, 0, 400) or _VERSION.search(data)
    major = int(match.group(1)) if match else None
    if major is not None and major > 3:
        raise ResultError("rollup.newer_schema", path=shown, version=major)
    try:
        loaded = _compact(data, shown) if major == 3 else _full(data, shown)
    except ValueError as exc:
        if isinstance(exc, ResultError):
            raise
        raise ResultError("rollup.not_a_result", path=shown, detail=_located(exc)) from None
    loaded.sha256 = hashlib.sha256(data).hexdigest()
    loaded.signature, loaded.key = _signature(path, data, keys)
    return loaded


def _located(exc: ValueError) -> str:
    """Where a validation error is and what was expected, in one line."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc)


def _head(document: Any, shown: str) -> LoadedResult:
    """The fields both forms share (validated already)."""
    workspace = document.workspace
    overall = document.scores.overall
    for name in ("score", "coverage"):
        value = getattr(overall, name)
        if value is not None and not (math.isfinite(value) and 0 <= value <= 100):
            detail = f"scores.overall.{name}: a number from 0 to 100 expected, not {value}"
            raise ResultError("rollup.not_a_result", path=shown, detail=detail)
    bfs = getattr(workspace, "bfs_number", None)
    # Counts a database column holds (32-bit), and what a commune can be: a hostile
    # or broken result is refused by name, not left to overflow or skew a figure.
    bounds = {
        "workspace.population": (workspace.population, 1, 2_000_000),
        "workspace.services": (workspace.services, 0, _MAX_COUNT),
        "workspace.vendors": (workspace.vendors, 0, _MAX_COUNT),
        "workspace.bfs_number": (bfs, 1, 9999),
        **{
            f"scores.overall.{name}": (getattr(overall, name), 0, _MAX_COUNT)
            for name in ("passed", "failed", "errors", "unknown", "waived")
        },
    }
    for where, (value, low, high) in bounds.items():
        if value is not None and not low <= value <= high:
            detail = f"{where}: a whole number from {low} to {high} expected, not {value}"
            raise ResultError("rollup.not_a_result", path=shown, detail=detail)
    return LoadedResult(
        file=shown,
        sha256="",
        signature="unsigned",
        key=None,
        schema_version=document.schema_version,
        tool_version=document.tool_version,
        catalogue_version=document.catalogue.version,
        lang=document.lang,
        as_of=_date(document.as_of, shown),
        commune=workspace.commune,
        commune_key=commune_key(bfs, workspace.canton, workspace.commune),
        bfs_number=bfs,
        canton=workspace.canton.upper(),
        population=workspace.population,
        band=band_of(workspace.population),
        services=workspace.services,
        vendors=workspace.vendors,
        score=overall.score,
        grade=overall.grade,
        coverage=overall.coverage,
        failed=overall.failed + overall.errors,
        unknown=overall.unknown,
        passed=overall.passed + overall.waived,
    )


def _date(text: str, shown: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ResultError("rollup.not_a_result", path=shown, detail=f"as_of: {text!r}") from None


def _add(loaded: LoadedResult, control: str, kind: str, target: str, outcome: str) -> None:
    """Count one finding."""
    rank = RANK[outcome]
    counts = loaded.counts.get(control)
    if counts is None:
        counts = loaded.counts[control] = [0, 0, 0, 0]
    counts[3 - rank] += 1  # fail 0, unknown 1, pass 2, not_applicable 3
    if kind == "vendor":
        key = (target, control)
        before = loaded.vendor_outcomes.get(key)
        if before is None or RANK[before] < rank:
            loaded.vendor_outcomes[key] = WORST[rank]


def _compact(data: bytes, shown: str) -> LoadedResult:
    from conformite.engine.compact import CompactResult

    document = CompactResult.model_validate_json(data)
    loaded = _head(document, shown)
    controls, targets = document.controls, document.targets
    for cid, control in controls.items():
        loaded.controls[cid] = (control.title, control.family, control.severity)
    for number, row in enumerate(document.findings):
        cid, position = row["c"], row["t"]
        if cid not in controls or position >= len(targets):
            raise ResultError(
                "rollup.not_a_result",
                path=shown,
                detail=f"findings.{number}: refers to a control or target the document "
                "does not list",
            )
        kind, target_id, _ = targets[position]
        _add(loaded, cid, kind, target_id, row["o"])
    loaded.vendor_entries = [(v.id, v.name, v.uid, v.profile) for v in document.vendors]
    if not loaded.vendor_entries:  # a 3.0 result written before vendors were listed
        loaded.vendor_entries = _vendor_targets((kind, i, n) for kind, i, n in targets)
    return loaded


def _full(data: bytes, shown: str) -> LoadedResult:
    from conformite.engine.results import AuditResult

    document = AuditResult.model_validate_json(data)
    loaded = _head(document, shown)
    targets = []
    for f in document.findings:
        if f.control_id not in loaded.controls:
            loaded.controls[f.control_id] = (f.title, f.family, f.severity)
        _add(loaded, f.control_id, f.target_kind, f.target_id, f.outcome)
        if f.target_kind == "vendor":
            targets.append(("vendor", f.target_id, f.target_name))
    # 2.0 lists no vendor identities: the vendors audited, by id and name.
    loaded.vendor_entries = _vendor_targets(targets)
    return loaded


def _vendor_targets(targets: Any) -> list[tuple[str, str, str | None, str | None]]:
    seen: dict[str, str] = {}
    for kind, target_id, name in targets:
        if kind == "vendor" and target_id not in seen:
            seen[target_id] = name
    return [(i, n, None, None) for i, n in sorted(seen.items())]
