"""``conformite keygen``, ``sign`` and ``verify``: detached Ed25519 signatures.

The three commands live here and are registered one by one from the tiny
modules ``cli/keygen.py``, ``cli/sign.py`` and ``cli/verify.py`` (the command
registry wants one module per command name).

Exit codes of ``verify``: 0 the signature is valid, 1 it is not (the file was
changed or another key signed it), 2 usage or input error (missing file or
signature, unreadable or wrong key).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformite._files import read_regular_file
from conformite.cli._common import (
    EXIT_FINDINGS,
    OUTPUT,
    CommandError,
    is_stdout,
    language,
    write_file,
)
from conformite.errors import os_reason

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DEFAULT_KEY = "conformite-signing.key"


#: Reports, results and registers are signed whole; none comes near this.
MAX_SIGNED_FILE_BYTES = 1024 * 1024 * 1024


def _t(key: str, **values: object) -> str:
    from conformite.i18n import translate

    return translate(key, language(), **values)


def read_or_fail(path: Path) -> bytes:
    """The bytes of ``path``, or a plain exit-2 error saying why they can't be read."""
    try:
        return read_regular_file(path, MAX_SIGNED_FILE_BYTES)
    except FileNotFoundError:
        raise CommandError(_t("sign.no_file", path=path)) from None
    except OSError as exc:
        raise CommandError(
            _t("sign.unreadable", path=path, detail=os_reason(exc).in_language(language()))
        ) from None


def key_problem(path: Path, kind: str) -> CommandError:
    """The error for a key file of the wrong kind or form."""
    key = {
        "private": "sign.bad_private_key",
        "public": "sign.bad_public_key",
        "private_as_public": "sign.private_as_public",
    }[kind]
    return CommandError(_t(key, path=path))


def _write_key(path: Path, data: bytes, mode: int) -> None:
    """Write a new key file, or a plain exit-2 error (never overwrites a file)."""
    from conformite.signing import write_new_file

    try:
        write_new_file(path, data, mode)
    except OSError as exc:
        if isinstance(exc, FileExistsError) and path.exists():
            raise CommandError(_t("sign.exists", path=path)) from None
        detail = os_reason(exc).in_language(language())
        if exc.filename and Path(exc.filename) != path:  # e.g. a folder that is a file
            detail += f": {exc.filename}"
        raise CommandError(_t("sign.cannot_write", path=path, detail=detail)) from None


@click.command()
@click.argument("key", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--minisign",
    "minisign_too",
    is_flag=True,
    help="Also write the public key in minisign's format to KEY.minisign.pub. "
    "If the pair KEY, KEY.pub exists already, keep it and write only that file.",
)
def keygen(key: Path | None, minisign_too: bool) -> None:
    """Create an Ed25519 key pair to sign reports.

    Writes the private key to KEY (default: conformite-signing.key), readable by
    you only (permissions 0600), and the public key to KEY.pub. Never overwrites
    an existing file. Keep the private key secret; hand out the .pub file.

    \b
    Example:
      conformite keygen ~/.config/conformite/signing.key
      conformite keygen ~/.config/conformite/signing.key --minisign
    """
    from conformite.signing import generate_keypair

    private_path = key or Path(DEFAULT_KEY)
    public_path = private_path.with_name(private_path.name + ".pub")
    if minisign_too and private_path.exists() and public_path.exists():
        _export_minisign(public_path)
        return
    for path in (private_path, public_path):
        if path.exists():
            raise CommandError(_t("sign.exists", path=path))
    pair = generate_keypair()
    _write_key(private_path, pair.private_pem, 0o600)
    _write_key(public_path, pair.public_pem, 0o644)
    click.echo(
        _t(
            "sign.keygen_done",
            private=private_path,
            public=public_path,
            fingerprint=pair.fingerprint,
        )
    )
    if minisign_too:
        _export_minisign(public_path)


def _export_minisign(public_path: Path) -> None:
    """Write ``KEY.minisign.pub`` beside the PEM public key ``KEY.pub``."""
    from conformite.minisign import PUBLIC_KEY_SUFFIX, public_key_base64, public_key_text
    from conformite.signing import KeyFileError, load_public_key

    try:
        public = load_public_key(read_or_fail(public_path))
    except KeyFileError as exc:
        raise key_problem(public_path, exc.kind) from None
    target = public_path.with_name(public_path.name.removesuffix(".pub") + PUBLIC_KEY_SUFFIX)
    if target.exists():
        raise CommandError(_t("sign.exists", path=target))
    _write_key(target, public_key_text(public).encode("ascii"), 0o644)
    click.echo(_t("minisign.exported", path=target, pubkey=public_key_base64(public)))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The private key (written by conformite keygen).",
)
@click.option(
    "--output",
    "-o",
    type=OUTPUT,
    help="Where to write the signature. Default: FILE.sig (FILE.minisig with --format "
    "minisign). Use - for standard output.",
)
@click.option(
    "--format",
    "signature_format",
    type=click.Choice(["sig", "minisign"]),
    default="sig",
    show_default=True,
    help="sig: the 64-byte signature in base64 (checked with conformite or openssl). "
    "minisign: a FILE.minisig that the minisign tool checks on any system.",
)
def sign(file: Path, key_path: Path, output: Path | None, signature_format: str) -> None:
    """Sign FILE: write a detached Ed25519 signature of its exact bytes to FILE.sig.

    With --format minisign, write FILE.minisig instead, which anyone can check
    with the minisign tool (Windows, macOS, Linux) and the public key in
    minisign's format (conformite keygen --minisign).

    \b
    Example:
      conformite sign reports/2026/report-2026-11-28.fr.html --key conformite-signing.key
      conformite sign audit-2026-11-28.json --key conformite-signing.key --format minisign
    """
    from conformite.signing import (
        SIGNATURE_SUFFIX,
        KeyFileError,
        fingerprint,
        load_private_key,
        sign_bytes,
        signature_text,
    )

    data = read_or_fail(file)
    try:
        private = load_private_key(read_or_fail(key_path))
    except KeyFileError as exc:
        raise key_problem(key_path, exc.kind) from None
    if signature_format == "minisign":
        from conformite import __version__
        from conformite.minisign import MINISIG_SUFFIX, public_key_base64, trusted_comment
        from conformite.minisign import sign as minisign_sign

        signature_path = output or file.with_name(file.name + MINISIG_SUFFIX)
        comment = trusted_comment(file.name, data, __version__)
        content = minisign_sign(private, data, comment)
    else:
        signature_path = output or file.with_name(file.name + SIGNATURE_SUFFIX)
        content = signature_text(sign_bytes(private, data))
    write_file(signature_path, content.encode())
    to_stderr = is_stdout(signature_path)  # -o -: the signature alone on standard output
    public = private.public_key()
    click.echo(
        _t("sign.signed", file=file, signature=signature_path, fingerprint=fingerprint(public)),
        err=to_stderr,
    )
    if signature_format == "minisign":
        hint = _t("minisign.check_with", file=file.name, pubkey=public_key_base64(public))
        click.echo(hint, err=to_stderr)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--pubkey",
    "pubkey_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signer's public key: the .pub file of conformite keygen, or a minisign "
    "public key (KEY.minisign.pub, minisign.pub).",
)
@click.option(
    "--signature",
    "signature_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signature file, conformite's .sig or minisign's .minisig. "
    "Default: FILE.sig, else FILE.minisig.",
)
def verify(file: Path, pubkey_path: Path, signature_path: Path | None) -> None:
    """Check that FILE is exactly the file that was signed with the key's pair.

    Reads conformite's signatures (FILE.sig) and minisign's (FILE.minisig,
    written by conformite sign --format minisign or by minisign itself).

    Exit code 0: valid. 1: INVALID (FILE was changed, or another key signed it).
    2: a file, the signature or the key is missing or unreadable.

    \b
    Example:
      conformite verify report-2026-11-28.fr.html --pubkey conformite-signing.key.pub
    """
    from conformite.minisign import looks_like_minisign, signature_beside
    from conformite.signing import (
        SignatureFormatError,
        fingerprint,
        read_signature,
        verify_bytes,
    )

    if signature_path is None:
        signature_path = signature_beside(file)
    data = read_or_fail(file)
    key_id, public = _load_any_public_key(pubkey_path)
    if not signature_path.exists():
        raise CommandError(_t("sign.no_signature", signature=signature_path, file=file))
    signature_data = read_or_fail(signature_path)
    key_print = fingerprint(public)
    if looks_like_minisign(signature_data):
        verdict, comment = _verify_minisign(public, key_id, data, signature_data, signature_path)
    else:
        try:
            signature = read_signature(signature_data)
        except SignatureFormatError:
            raise CommandError(_t("sign.bad_signature_file", signature=signature_path)) from None
        verdict = "valid" if verify_bytes(public, data, signature) else "invalid"
        comment = None
    if verdict == "valid":
        click.echo(_t("sign.valid", file=file, fingerprint=key_print))
        if comment is not None:
            click.echo(_t("minisign.trusted_comment", comment=comment))
        return
    message = {
        "invalid": "sign.invalid",
        "other_key": "minisign.other_key",
        "comment": "minisign.comment_altered",
    }[verdict]
    click.echo(_t(message, file=file, fingerprint=key_print), err=True)
    click.get_current_context().exit(EXIT_FINDINGS)


def _load_any_public_key(path: Path) -> tuple[bytes | None, Ed25519PublicKey]:
    """A PEM public key (key id ``None``: derived) or a minisign one (its key id)."""
    from conformite.minisign import MinisignFormatError, looks_like_minisign, parse_public_key
    from conformite.signing import KeyFileError, load_public_key

    data = read_or_fail(path)
    if looks_like_minisign(data):
        try:
            return parse_public_key(data)
        except MinisignFormatError:
            raise CommandError(_t("minisign.bad_public_key", path=path)) from None
    try:
        return None, load_public_key(data)
    except KeyFileError as exc:
        raise key_problem(path, exc.kind) from None


def _verify_minisign(
    public: Ed25519PublicKey,
    key_id: bytes | None,
    data: bytes,
    signature_data: bytes,
    signature_path: Path,
) -> tuple[str, str]:
    """The verdict of :func:`conformite.minisign.verify` and the trusted comment."""
    from conformite.minisign import MinisignFormatError, parse_signature
    from conformite.minisign import verify as minisign_verify

    try:
        signature = parse_signature(signature_data)
    except MinisignFormatError:
        raise CommandError(_t("minisign.bad_signature_file", signature=signature_path)) from None
    return minisign_verify(public, key_id, data, signature), signature.trusted_comment
