"""Detached Ed25519 signatures over the exact bytes of a file.

A report goes from the IT manager to the commission, the council and
sometimes the public. Signing it lets anyone holding the public key check
that the file they read is, byte for byte, the one that was signed.

* keys: PEM, PKCS#8 for the private key (unencrypted: protect it by its file
  permissions, 0600), SubjectPublicKeyInfo for the public key;
* signature: ``FILE.sig``, the 64-byte Ed25519 signature in base64 on one
  line. It can be checked without conformite::

      base64 -d report.html.sig > report.sig.bin
      openssl pkeyutl -verify -pubin -inkey key.pub -rawin -in report.html -sigfile report.sig.bin
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "KeyFileError",
    "KeyPair",
    "SignatureFormatError",
    "fingerprint",
    "generate_keypair",
    "load_private_key",
    "load_public_key",
    "read_signature",
    "sign_bytes",
    "signature_text",
    "verify_bytes",
    "write_new_file",
]

SIGNATURE_SUFFIX = ".sig"


class KeyFileError(ValueError):
    """A key file that is not the kind of Ed25519 key expected; ``kind`` says which."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "private", "public", or "private_as_public"


class SignatureFormatError(ValueError):
    """A signature file that does not hold a 64-byte Ed25519 signature."""


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    public_pem: bytes
    fingerprint: str


def fingerprint(key: Ed25519PublicKey) -> str:
    """A short, stable id of a public key: ``SHA256:`` and 16 hex digits of its raw bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair() -> KeyPair:
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    return KeyPair(
        private_pem=private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        public_pem=public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        fingerprint=fingerprint(public),
    )


def load_private_key(data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeyFileError("private") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("private")
    return key


def load_public_key(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        if b"PRIVATE KEY" in data:
            raise KeyFileError("private_as_public") from None
        raise KeyFileError("public") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError("public")
    return key


def sign_bytes(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def signature_text(signature: bytes) -> str:
    """The content of a ``.sig`` file."""
    return base64.b64encode(signature).decode("ascii") + "\n"


def read_signature(data: bytes) -> bytes:
    """The raw signature from a ``.sig`` file (base64 text, or the 64 raw bytes)."""
    if len(data) == 64 and not data.strip().isascii():
        return data
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureFormatError from None
    if len(raw) != 64:
        raise SignatureFormatError
    return raw


def verify_bytes(key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a new file with ``mode``, atomically; refuse if ``path`` exists.

    The content goes to a temporary file created with ``mode`` from the start
    (never readable by others, even for an instant), which is then linked to
    ``path``: the link fails if ``path`` already exists, so a key is never
    overwritten, even by a race.
    """
    from conformite._outputs import temporary_beside

    fd, tmp = temporary_beside(path)  # unpredictable name, opened exclusively
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
