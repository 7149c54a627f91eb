"""Signatures and public keys in the format of the ``minisign`` tool.

``minisign`` (https://jedisct1.github.io/minisign/) has builds for Windows,
macOS and Linux, so a commission member can check a report on a plain Windows
PC, which has neither openssl nor conformite. The keys stay conformite's
Ed25519 keys (:mod:`conformite.signing`); only the wrapping differs:

* public key (``KEY.minisign.pub``): an ``untrusted comment:`` line, then
  base64 of ``b"Ed"`` + key id (8 bytes) + the 32-byte Ed25519 public key;
* signature (``FILE.minisig``): ``untrusted comment: …``; base64 of the
  algorithm + key id + the 64-byte signature; ``trusted comment: …``; base64
  of the *global signature*, Ed25519 over the 64-byte signature followed by
  the trusted comment, so the trusted comment cannot be altered either.

**Algorithm.** conformite writes ``ED`` (prehashed: Ed25519 over the
BLAKE2b-512 of the file), what ``minisign -S`` writes since 0.10. The legacy
``Ed`` form (Ed25519 over the raw file) would carry the very signature bytes
of ``FILE.sig``, but minisign announces that its support "will eventually be
removed", ``minisign -V -H`` refuses it, and the ``minisign-verify`` library
accepts it only when asked to. The key is the same either way. Both forms are
read by :func:`verify`, so signatures from ``minisign -S -l`` check too.

**Key id.** Derived from the key, nothing is stored: the first 8 bytes of the
SHA-256 of the raw public key, stored so that the id minisign prints (the
8 bytes read as a little-endian number, in hexadecimal) reads as the 16 hex
digits of conformite's fingerprint ``SHA256:…``.

Ed25519 signatures are deterministic and the trusted comment holds no time:
the same file and key give a byte-identical ``.minisig``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformite.signing import SIGNATURE_SUFFIX, fingerprint, verify_bytes

__all__ = [
    "MINISIG_SUFFIX",
    "PUBLIC_KEY_SUFFIX",
    "MinisignFormatError",
    "MinisignSignature",
    "key_id",
    "key_id_text",
    "looks_like_minisign",
    "parse_public_key",
    "parse_signature",
    "public_key_base64",
    "public_key_text",
    "sign",
    "signature_beside",
    "trusted_comment",
    "verify",
]

MINISIG_SUFFIX = ".minisig"
PUBLIC_KEY_SUFFIX = ".minisign.pub"

KEY_ALGORITHM = b"Ed"
LEGACY = b"Ed"
PREHASHED = b"ED"
UNTRUSTED = "untrusted comment: "
TRUSTED = "trusted comment: "
#: minisign's limit for a signature file's trusted comment line.
TRUSTED_COMMENT_MAX_BYTES = 8192
#: A JSON result is read for its commune and date up to this size (results are far smaller).
JSON_RESULT_MAX_BYTES = 64 * 1024 * 1024


class MinisignFormatError(ValueError):
    """Text that is not a minisign public key or signature."""


@dataclass(frozen=True)
class MinisignSignature:
    algorithm: bytes  # LEGACY or PREHASHED
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> bytes:
    """The 8-byte key id, as stored (little-endian) in keys and signatures."""
    return hashlib.sha256(_raw(public)).digest()[:8][::-1]


def key_id_text(kid: bytes) -> str:
    """The key id as minisign prints it (``EADB59B6B4728352``)."""
    return kid[::-1].hex().upper()


def public_key_base64(public: Ed25519PublicKey) -> str:
    """The key as ``minisign -P`` takes it on the command line."""
    return base64.b64encode(KEY_ALGORITHM + key_id(public) + _raw(public)).decode("ascii")


def public_key_text(public: Ed25519PublicKey) -> str:
    """The content of a ``KEY.minisign.pub`` file."""
    kid = key_id_text(key_id(public))
    comment = f"minisign public key {kid} (conformite key {fingerprint(public)})"
    return f"{UNTRUSTED}{comment}\n{public_key_base64(public)}\n"


def signature_beside(file: Path) -> Path:
    """The signature of ``file`` where ``conformite sign`` writes it: ``FILE.sig``,
    else ``FILE.minisig`` when only that one exists (``FILE.sig`` when neither
    does, to name in a message)."""
    signature = file.with_name(file.name + SIGNATURE_SUFFIX)
    minisig = file.with_name(file.name + MINISIG_SUFFIX)
    return minisig if not signature.exists() and minisig.exists() else signature


def looks_like_minisign(data: bytes) -> bool:
    """Whether ``data`` is meant as a minisign key or signature (an untrusted comment first)."""
    return data.lstrip(b"\xef\xbb\xbf").startswith(UNTRUSTED.rstrip().encode())


def _b64(line: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(line.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MinisignFormatError from None
    if len(raw) != size:
        raise MinisignFormatError
    return raw


def _lines(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MinisignFormatError from None
    return [line.rstrip("\r") for line in text.split("\n")]


def parse_public_key(data: bytes) -> tuple[bytes, Ed25519PublicKey]:
    """The key id and key of a minisign public key file, or of its bare base64 line."""
    lines = [line for line in _lines(data) if line.strip()]
    if lines and lines[0].startswith(UNTRUSTED.rstrip()):
        lines = lines[1:]
    if len(lines) != 1:
        raise MinisignFormatError
    raw = _b64(lines[0], 42)
    if raw[:2] != KEY_ALGORITHM:
        raise MinisignFormatError
    return raw[2:10], Ed25519PublicKey.from_public_bytes(raw[10:])


def parse_signature(data: bytes) -> MinisignSignature:
    lines = _lines(data)
    while lines and not lines[-1]:
        lines.pop()
    if (
        len(lines) != 4
        or not lines[0].startswith(UNTRUSTED.rstrip())
        or not lines[2].startswith(TRUSTED)
    ):
        raise MinisignFormatError
    raw = _b64(lines[1], 74)
    if raw[:2] not in (LEGACY, PREHASHED):
        raise MinisignFormatError
    return MinisignSignature(
        algorithm=raw[:2],
        key_id=raw[2:10],
        signature=raw[10:],
        trusted_comment=lines[2][len(TRUSTED) :],
        global_signature=_b64(lines[3], 64),
    )


def _prehash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=64).digest()


def _one_line(text: str) -> str:
    """``text`` without control characters (a tab or newline would break the line)."""
    return re.sub(r"[\x00-\x1f\x7f]", "_", text)


def trusted_comment(file_name: str, data: bytes, version: str) -> str:
    """What the signature vouches for besides the bytes: file name, commune and audit
    date (when the file is a conformite JSON result), conformite version. Tab-separated
    ``name:value`` fields like minisign's own; ``hashed`` marks the prehashed form."""
    fields = [f"file:{_one_line(file_name)}"]
    result = _json_result(data)
    commune = result.get("workspace", {}).get("commune") if result else None
    if isinstance(commune, str):
        fields.append(f"commune:{_one_line(commune)}")
    as_of = result.get("as_of") if result else None
    if isinstance(as_of, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
        fields.append(f"audit:{as_of}")
    fields += [f"conformite:{version}", "hashed"]
    comment = "\t".join(fields).encode()
    # fgets() in minisign: the line and its newline below the limit, its NUL included
    limit = TRUSTED_COMMENT_MAX_BYTES - len(TRUSTED) - 2  # only an absurd commune name gets there
    return comment[:limit].decode("utf-8", errors="ignore")


def _json_result(data: bytes) -> dict | None:  # type: ignore[type-arg]
    """A conformite JSON result (``tool_version``, ``as_of``) or ``None``."""
    if len(data) > JSON_RESULT_MAX_BYTES or data.lstrip()[:1] != b"{":
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or "tool_version" not in value:
        return None
    if not isinstance(value.get("workspace"), dict):
        value["workspace"] = {}
    return value


def sign(private: Ed25519PrivateKey, data: bytes, comment: str) -> str:
    """The content of ``FILE.minisig`` for ``data``, prehashed (``ED``)."""
    public = private.public_key()
    kid = key_id(public)
    signature = private.sign(_prehash(data))
    global_signature = private.sign(signature + comment.encode())
    untrusted = f"signature from conformite key {fingerprint(public)}"
    return (
        f"{UNTRUSTED}{untrusted}\n"
        f"{base64.b64encode(PREHASHED + kid + signature).decode('ascii')}\n"
        f"{TRUSTED}{comment}\n"
        f"{base64.b64encode(global_signature).decode('ascii')}\n"
    )


def verify(
    public: Ed25519PublicKey, kid: bytes | None, data: bytes, signature: MinisignSignature
) -> str:
    """``"valid"``, ``"other_key"`` (the key ids differ), ``"invalid"`` (the file or the
    signature changed) or ``"comment"`` (the trusted comment was altered).

    ``kid`` is the key id of a minisign public key file; for a PEM key it is
    ``None`` and the id derived from the key is expected.
    """
    if signature.key_id != (kid if kid is not None else key_id(public)):
        return "other_key"
    message = _prehash(data) if signature.algorithm == PREHASHED else data
    if not verify_bytes(public, message, signature.signature):
        return "invalid"
    signed_comment = signature.signature + signature.trusted_comment.encode()
    if not verify_bytes(public, signed_comment, signature.global_signature):
        return "comment"
    return "valid"
