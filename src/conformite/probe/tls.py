"""TLS of one host: protocol versions accepted, and the certificate it presents.

Versions: one handshake per version with a context pinned to that version
(minimum = maximum), without certificate checks, so that a server with a bad
certificate still shows which versions it speaks. TLS 1.0 and 1.1 are tried
with ``@SECLEVEL=0`` ciphers, else a modern OpenSSL would refuse them itself;
a version this machine's OpenSSL cannot offer at all is reported as
``versions_not_tested`` (unknown), never as refused.

Certificate: the leaf is read from the newest successful handshake
(``getpeercert(binary_form=True)``) and examined with ``cryptography``;
one more handshake checks the chain against the trust store. Whether the
name matches is decided here (RFC 6125: subjectAltName DNS names with a
left-most wildcard label, or IP addresses; the subject CN is ignored, as
browsers do).

Reference points (Dutch NCSC guidelines, SSL Labs): TLS 1.3 good, 1.2
sufficient, 1.0/1.1 bad; RSA ≥ 3072 good, 2048 to phase out, < 2048 bad;
signatures with SHA-256 or stronger; untrusted, expired, self-signed or
wrong-name certificates fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import ssl
import time
import warnings
from dataclasses import dataclass, field

from conformite.inventory.observations import CertificateObservation, TlsObservation
from conformite.probe.netguard import AddressRefused, guarded_connection
from conformite.probe.runner import Budget, BudgetExhausted, describe
from conformite.probe.settings import ProbeSettings

__all__ = [
    "VERSIONS",
    "TlsContexts",
    "analyse_certificate",
    "hostname_matches",
    "probe_tls",
]

#: Protocol versions probed, oldest first, with the names the observation uses.
VERSIONS: tuple[tuple[str, ssl.TLSVersion], ...] = (
    ("TLSv1", ssl.TLSVersion.TLSv1),
    ("TLSv1.1", ssl.TLSVersion.TLSv1_1),
    ("TLSv1.2", ssl.TLSVersion.TLSv1_2),
    ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
)

#: OpenSSL reasons meaning "this client cannot offer the version", not "the server refused".
_LOCAL_INABILITY = frozenset({"NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE"})
#: Certificate verification codes raised after the chain was built to a trusted root.
_TIME_ERRORS = frozenset({9, 10})  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED


@dataclass
class TlsContexts:
    """SSL contexts of one run, built once (they are safe to share between threads)."""

    versions: dict[str, ssl.SSLContext | None] = field(default_factory=dict)
    verify: ssl.SSLContext | None = None
    #: The public roots and an extra CA bundle (``--ca-file``), when one is given.
    verify_extra: ssl.SSLContext | None = None
    #: For reading pages whatever their certificate (requests with ``verify=False``).
    http: ssl.SSLContext | None = None

    @classmethod
    def build(cls, ca_file: str, extra_ca_file: str | None = None) -> TlsContexts:
        """Contexts trusting ``ca_file``; ``extra_ca_file`` too for ``verify_extra``."""
        contexts = cls()
        # TLSVersion.TLSv1 and TLSv1_1 are deprecated: probing them is the point.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for name, version in VERSIONS:
                try:
                    context = _unverified_context()
                    context.minimum_version = version
                    context.maximum_version = version
                except (ValueError, ssl.SSLError):
                    context = None
                contexts.versions[name] = context
            contexts.verify = _verifying_context(ca_file)
            if extra_ca_file is not None:
                contexts.verify_extra = _verifying_context(ca_file, extra_ca_file)
            http = _unverified_context()
            with contextlib.suppress(ValueError):
                http.minimum_version = ssl.TLSVersion.TLSv1
            contexts.http = http
        return contexts


def _verifying_context(*ca_files: str) -> ssl.SSLContext:
    """A context checking chains against every bundle of ``ca_files`` (not names)."""
    verify = ssl.create_default_context(cafile=ca_files[0])
    for extra in ca_files[1:]:
        verify.load_verify_locations(cafile=extra)
    verify.check_hostname = False  # decided by hostname_matches
    try:
        verify.minimum_version = ssl.TLSVersion.TLSv1
        # Weak keys and SHA-1 are reported separately; trust is about the chain.
        verify.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):  # pragma: no cover - OpenSSL without them
        pass
    return verify


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ssl.SSLError):  # an OpenSSL without security levels
        context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def _server_hostname(host: str) -> str | None:
    """The SNI name: none for an IP address."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def _handshake(
    host: str,
    port: int,
    context: ssl.SSLContext,
    settings: ProbeSettings,
    budget: Budget,
) -> tuple[str | None, bytes | None]:
    """One handshake, to an address the policy allows, cut off at the request's deadline."""
    timeout = budget.timeout(settings.timeout)
    ends_at = budget.request_deadline(settings.request_seconds)
    try:
        with (
            guarded_connection(
                host,
                port,
                timeout=timeout,
                policy=settings.policy(),
                ends_at=ends_at,
                hosts=settings.static_hosts,
            ) as raw,
            context.wrap_socket(raw, server_hostname=_server_hostname(host)) as tls,
        ):
            return tls.version(), tls.getpeercert(binary_form=True)
    except OSError as exc:
        if time.monotonic() >= ends_at:  # the watchdog shut the connection down
            raise BudgetExhausted("time budget used up") from exc
        raise


def probe_tls(
    host: str,
    port: int,
    contexts: TlsContexts,
    settings: ProbeSettings,
    budget: Budget,
    now: dt.datetime,
) -> TlsObservation:
    """Versions accepted and certificate presented by ``host:port``."""
    observation = TlsObservation(extra_ca_file=settings.extra_ca_file)
    leaf: bytes | None = None
    failures: list[str] = []
    for name, _version in reversed(VERSIONS):  # newest first: its certificate is the one kept
        context = contexts.versions.get(name)
        if context is None:
            observation.versions_not_tested.append(name)  # type: ignore[arg-type]
            continue
        try:
            _, der = _handshake(host, port, context, settings, budget)
        except AddressRefused as exc:  # the name now resolves elsewhere (DNS rebinding)
            failures.append(str(exc))
            break
        except ssl.SSLError as exc:
            if exc.reason in _LOCAL_INABILITY:
                observation.versions_not_tested.append(name)  # type: ignore[arg-type]
            else:
                failures.append(describe(exc))
            continue
        except OSError as exc:
            reason = describe(exc)
            failures.append(reason)
            if reason == "connection refused" or reason.startswith("timed out (time"):
                break  # the port closed, or no time is left: stop asking
            continue
        observation.versions.append(name)  # type: ignore[arg-type]
        if leaf is None:
            leaf = der
    order = [name for name, _ in VERSIONS]
    observation.versions.sort(key=order.index)
    observation.versions_not_tested.sort(key=order.index)
    if not observation.versions:
        observation.error = (
            f"no TLS handshake succeeded: {failures[0]}" if failures else "no TLS version tested"
        )
        return observation
    if leaf is None:  # pragma: no cover - a handshake always yields the peer certificate
        observation.error = "no certificate presented"
        return observation
    trusted, verify_error = _verify_chain(host, port, contexts.verify, settings, budget)
    by_extra = False
    if trusted is False and contexts.verify_extra is not None:
        trusted, extra_error = _verify_chain(host, port, contexts.verify_extra, settings, budget)
        by_extra = bool(trusted)
        verify_error = verify_error if extra_error is None else extra_error
    try:
        observation.certificate = analyse_certificate(leaf, host, trusted, now)
        observation.certificate.trusted_by_extra_ca = by_extra
    except ValueError as exc:  # a certificate cryptography cannot read
        observation.certificate.trusted = trusted
        observation.certificate.valid = False
        observation.error = f"certificate not readable: {exc}"
        return observation
    if verify_error is not None and trusted is None:
        observation.error = f"certificate chain not checked: {verify_error}"
    return observation


def _verify_chain(
    host: str,
    port: int,
    context: ssl.SSLContext | None,
    settings: ProbeSettings,
    budget: Budget,
) -> tuple[bool | None, str | None]:
    """Whether the chain leads to a root ``context`` trusts (expiry aside), and why not."""
    assert context is not None
    try:
        _handshake(host, port, context, settings, budget)
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_code in _TIME_ERRORS, exc.verify_message
    except (OSError, AddressRefused) as exc:
        return None, describe(exc)
    return True, None


def hostname_matches(certificate: object, host: str) -> bool:
    """RFC 6125 matching of ``host`` against the certificate's subjectAltName."""
    from cryptography import x509

    assert isinstance(certificate, x509.Certificate)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return address in san.get_values_for_type(x509.IPAddress)
    wanted = _ascii_host(host).rstrip(".").lower()
    for name in san.get_values_for_type(x509.DNSName):
        pattern = name.rstrip(".").lower()
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "*" not in pattern[2:]:
            head, _, rest = wanted.partition(".")
            if head and rest == pattern[2:] and rest.count(".") >= 1:
                return True
    return False


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def analyse_certificate(
    der: bytes, host: str, trusted: bool | None, now: dt.datetime
) -> CertificateObservation:
    """What a certificate says about itself, and whether it is valid for ``host`` now."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    certificate = x509.load_der_x509_certificate(der)
    not_after = certificate.not_valid_after_utc
    not_before = certificate.not_valid_before_utc
    expired = now > not_after
    not_yet_valid = now < not_before
    match = hostname_matches(certificate, host)
    key = certificate.public_key()
    key_type: str
    key_bits: int | None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, key_bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, key_bits = "EC", key.curve.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, key_bits = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, key_bits = "Ed448", 456
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, key_bits = "DSA", key.key_size
    else:
        key_type, key_bits = "other", None
    hash_algorithm = certificate.signature_hash_algorithm
    if hash_algorithm is not None:
        signature_hash = hash_algorithm.name.lower()
    else:  # Ed25519 and Ed448 sign without a separate hash
        signature_hash = certificate.signature_algorithm_oid._name.lower()
    self_signed = certificate.issuer == certificate.subject
    if self_signed:
        try:
            certificate.verify_directly_issued_by(certificate)
        except InvalidSignature:
            self_signed = False  # same name, another key: issued by a namesake CA
        except (ValueError, TypeError, UnsupportedAlgorithm):
            pass  # self-issued; the signature (e.g. SHA-1) cannot be checked here
    return CertificateObservation(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_after=not_after.date().isoformat(),
        days_to_expiry=(not_after - now).days,
        trusted=trusted,
        hostname_match=match,
        self_signed=self_signed,
        expired=expired,
        valid=bool(trusted) and match and not expired and not not_yet_valid,
        key_type=key_type,  # type: ignore[arg-type]
        key_bits=key_bits,
        signature_hash=signature_hash,
    )
