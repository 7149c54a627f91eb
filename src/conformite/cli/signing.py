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
        raise CommandError(_t("sign.unreadable", path=path, detail=exc.strerror or exc)) from None


def key_problem(path: Path, kind: str) -> CommandError:
    """The error for a key file of the wrong kind or form."""
    key = {
        "private": "sign.bad_private_key",
        "public": "sign.bad_public_key",
        "private_as_public": "sign.private_as_public",
    }[kind]
    return CommandError(_t(key, path=path))


@click.command()
@click.argument("key", required=False, type=click.Path(dir_okay=False, path_type=Path))
def keygen(key: Path | None) -> None:
    """Create an Ed25519 key pair to sign reports.

    Writes the private key to KEY (default: conformite-signing.key), readable by
    you only (permissions 0600), and the public key to KEY.pub. Never overwrites
    an existing file. Keep the private key secret; hand out the .pub file.

    \b
    Example:
      conformite keygen ~/.config/conformite/signing.key
    """
    from conformite.signing import generate_keypair, write_new_file

    private_path = key or Path(DEFAULT_KEY)
    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise CommandError(_t("sign.exists", path=path))
    pair = generate_keypair()
    try:
        write_new_file(private_path, pair.private_pem, 0o600)
    except FileExistsError:
        raise CommandError(_t("sign.exists", path=private_path)) from None
    except OSError as exc:
        raise CommandError(f"cannot write {private_path}: {exc.strerror or exc}") from None
    try:
        write_new_file(public_path, pair.public_pem, 0o644)
    except FileExistsError:
        raise CommandError(_t("sign.exists", path=public_path)) from None
    except OSError as exc:
        raise CommandError(f"cannot write {public_path}: {exc.strerror or exc}") from None
    click.echo(
        _t(
            "sign.keygen_done",
            private=private_path,
            public=public_path,
            fingerprint=pair.fingerprint,
        )
    )


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
    help="Where to write the signature. Default: FILE.sig. Use - for standard output.",
)
def sign(file: Path, key_path: Path, output: Path | None) -> None:
    """Sign FILE: write a detached Ed25519 signature of its exact bytes to FILE.sig.

    \b
    Example:
      conformite sign reports/2026/report-2026-11-28.fr.html --key conformite-signing.key
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
    signature_path = output or file.with_name(file.name + SIGNATURE_SUFFIX)
    write_file(signature_path, signature_text(sign_bytes(private, data)).encode())
    click.echo(
        _t(
            "sign.signed",
            file=file,
            signature=signature_path,
            fingerprint=fingerprint(private.public_key()),
        ),
        err=is_stdout(signature_path),  # -o -: the signature alone on standard output
    )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--pubkey",
    "pubkey_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signer's public key (the .pub file of conformite keygen).",
)
@click.option(
    "--signature",
    "signature_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signature file. Default: FILE.sig.",
)
def verify(file: Path, pubkey_path: Path, signature_path: Path | None) -> None:
    """Check that FILE is exactly the file that was signed with the key's pair.

    Exit code 0: valid. 1: INVALID (FILE was changed, or another key signed it).
    2: a file, the signature or the key is missing or unreadable.

    \b
    Example:
      conformite verify report-2026-11-28.fr.html --pubkey conformite-signing.key.pub
    """
    from conformite.signing import (
        SIGNATURE_SUFFIX,
        KeyFileError,
        SignatureFormatError,
        fingerprint,
        load_public_key,
        read_signature,
        verify_bytes,
    )

    signature_path = signature_path or file.with_name(file.name + SIGNATURE_SUFFIX)
    data = read_or_fail(file)
    try:
        public = load_public_key(read_or_fail(pubkey_path))
    except KeyFileError as exc:
        raise key_problem(pubkey_path, exc.kind) from None
    if not signature_path.exists():
        raise CommandError(_t("sign.no_signature", signature=signature_path, file=file))
    try:
        signature = read_signature(read_or_fail(signature_path))
    except SignatureFormatError:
        raise CommandError(_t("sign.bad_signature_file", signature=signature_path)) from None
    key_id = fingerprint(public)
    if verify_bytes(public, data, signature):
        click.echo(_t("sign.valid", file=file, fingerprint=key_id))
        return
    click.echo(_t("sign.invalid", file=file, fingerprint=key_id), err=True)
    click.get_current_context().exit(EXIT_FINDINGS)
