"""An extra CA bundle to trust (``--ca-file``, ``[probe] ca_file``): checked before the run.

A commune's intranet or a partner's portal may use a certificate from a
private CA. The bundle is trusted *in addition to* the public roots
(certifi's); the observation records that it was used. A bundle that is
missing, unreadable, not PEM or holds no certificate is a located input
error (exit code 2) before anything is contacted.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from conformite._files import read_regular_file
from conformite.errors import InputError, Problem, Text

__all__ = ["MAX_CA_FILE_BYTES", "check_ca_file"]

#: A CA bundle is a few kilobytes; Mozilla's whole store is about 300 KB.
MAX_CA_FILE_BYTES = 4 * 1024 * 1024


def check_ca_file(path: Path, *, config_file: str | None = None, line: int | None = None) -> str:
    """``path`` as a string once it is known to hold PEM certificates; else InputError.

    ``config_file`` and ``line``: where the path was written (``conformite.toml``),
    so that the error points there; ``None`` when it came from ``--ca-file``.
    """
    from cryptography import x509

    message: Text
    try:
        data = read_regular_file(path, MAX_CA_FILE_BYTES)
    except FileNotFoundError:
        message = Text("probe.ca_file.missing")
    except OSError as exc:
        message = Text("input.cannot_read", reason=exc.strerror or str(exc))
    else:
        try:
            certificates = x509.load_pem_x509_certificates(data)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(cadata=data.decode("ascii"))
        except (ValueError, UnicodeDecodeError, ssl.SSLError):
            certificates = []
        if certificates:
            return str(path)
        message = Text("probe.ca_file.invalid")
    if config_file is not None:
        problem = Problem(
            file=config_file,
            line=line,
            path="probe.ca_file",
            message=message,
            found=str(path),
            hint=Text("probe.ca_file.hint"),
        )
    else:
        problem = Problem(
            file=str(path), path="--ca-file", message=message, hint=Text("probe.ca_file.hint")
        )
    raise InputError([problem])
