"""TLS versions and certificates, against local HTTPS servers and a trustme CA."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import time
from pathlib import Path

import pytest
import trustme

from conformite.inventory.observations import TlsObservation
from conformite.probe import ProbeSettings
from conformite.probe.runner import Budget
from conformite.probe.tls import TlsContexts, analyse_certificate, hostname_matches, probe_tls
from test_probe_support import (
    NOW,
    LocalCA,
    SelfSignedCert,
    closed_port,
    serve,
    silent_server,
    tls10_supported,
)

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


def tls_of(
    port: int,
    ca_file: str,
    host: str = "127.0.0.1",
    timeout: float = 2.0,
    contexts: TlsContexts | None = None,
) -> TlsObservation:
    settings = ProbeSettings(allow_private_addresses=True, ca_file=ca_file, timeout=timeout)
    return probe_tls(
        host,
        port,
        contexts or TlsContexts.build(ca_file),
        settings,
        Budget.start(30, time.monotonic() + 30),
        dt.datetime.now(dt.UTC),
    )


def test_a_good_server_offers_tls_12_and_13_with_a_valid_certificate(ca: LocalCA) -> None:
    leaf = ca.leaf("127.0.0.1", not_after=NOW + dt.timedelta(days=64, hours=1))
    with serve(cert=leaf, versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file)
    assert tls.versions == ["TLSv1.2", "TLSv1.3"]
    assert tls.error is None
    certificate = tls.certificate
    assert certificate.trusted is True
    assert certificate.hostname_match is True
    assert certificate.expired is False
    assert certificate.self_signed is False
    assert certificate.valid is True
    assert certificate.days_to_expiry == 64
    assert certificate.not_after == (NOW + dt.timedelta(days=64, hours=1)).date().isoformat()
    assert certificate.key_type == "EC"
    assert certificate.key_bits == 256
    assert certificate.signature_hash == "sha256"
    assert certificate.issuer is not None and "trustme" in certificate.issuer


def test_only_the_versions_the_server_accepts_are_listed(ca: LocalCA) -> None:
    only_12 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    with serve(cert=ca.leaf(), versions=only_12) as server:
        tls = tls_of(server.port, ca.ca_file)
    assert tls.versions == ["TLSv1.2"]
    assert tls.certificate.valid is True


@pytest.mark.skipif(not tls10_supported(), reason="this OpenSSL cannot enable TLS 1.0 locally")
def test_tls_10_and_11_are_detected_when_offered(ca: LocalCA) -> None:
    everything = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_3)
    with serve(cert=ca.leaf(), versions=everything) as server:
        tls = tls_of(server.port, ca.ca_file)
    assert tls.versions == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert tls.versions_not_tested == []


def test_a_version_this_machine_cannot_offer_is_unknown_not_refused(ca: LocalCA) -> None:
    contexts = TlsContexts.build(ca.ca_file)
    contexts.versions["TLSv1"] = None  # as with an OpenSSL built without TLS 1.0
    with serve(cert=ca.leaf(), versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file, contexts=contexts)
    assert tls.versions == ["TLSv1.2", "TLSv1.3"]
    assert tls.versions_not_tested == ["TLSv1"]


def test_an_rsa_key_is_measured(ca: LocalCA) -> None:
    with serve(cert=ca.leaf(key_type=trustme.KeyType.RSA), versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file)
    assert (tls.certificate.key_type, tls.certificate.key_bits) == ("RSA", 2048)


def test_an_expired_certificate_is_trusted_but_not_valid(ca: LocalCA) -> None:
    leaf = ca.leaf(
        "127.0.0.1",
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=3, hours=1),
    )
    with serve(cert=leaf, versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file)
    certificate = tls.certificate
    assert tls.versions == ["TLSv1.2", "TLSv1.3"]  # still observed despite the bad certificate
    assert certificate.trusted is True
    assert certificate.expired is True
    assert certificate.valid is False
    assert certificate.days_to_expiry == -4


def test_a_certificate_for_another_name_does_not_match(ca: LocalCA) -> None:
    with serve(cert=ca.leaf("www.other.example"), versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file)
    certificate = tls.certificate
    assert certificate.trusted is True
    assert certificate.hostname_match is False
    assert certificate.valid is False
    assert certificate.subject is not None


def test_a_certificate_from_an_unknown_authority_is_untrusted(ca: LocalCA, tmp_path: Path) -> None:
    stranger = LocalCA.create(tmp_path)
    with serve(cert=stranger.leaf(), versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file)
    assert tls.certificate.trusted is False
    assert tls.certificate.hostname_match is True
    assert tls.certificate.valid is False


def test_a_self_signed_certificate_is_untrusted(ca: LocalCA, tmp_path: Path) -> None:
    with serve(cert=SelfSignedCert(tmp_path), versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file)
    certificate = tls.certificate
    assert certificate.self_signed is True
    assert certificate.trusted is False
    assert certificate.hostname_match is True
    assert certificate.valid is False


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_weak_self_signed_certificate_is_reported(ca: LocalCA, tmp_path: Path) -> None:
    with serve(cert=SelfSignedCert(tmp_path, weak=True), versions=TLS12_13) as server:
        tls = tls_of(server.port, ca.ca_file)
    certificate = tls.certificate
    assert certificate.self_signed is True
    assert certificate.trusted is False
    assert certificate.valid is False
    assert (certificate.key_type, certificate.key_bits) == ("RSA", 1024)
    assert certificate.signature_hash == "sha1"


def test_plain_http_on_the_tls_port_is_no_tls(ca: LocalCA) -> None:
    with serve({"/": (200, [], b"hello")}) as server:
        tls = tls_of(server.port, ca.ca_file)
    assert tls.versions == []
    assert tls.error is not None and tls.error.startswith("no TLS handshake succeeded")
    assert tls.certificate.valid is None


def test_a_closed_port_is_a_refused_connection(ca: LocalCA) -> None:
    tls = tls_of(closed_port(), ca.ca_file)
    assert tls.versions == []
    assert tls.error == "no TLS handshake succeeded: connection refused"


def test_a_silent_server_times_out_quickly(ca: LocalCA) -> None:
    started = time.monotonic()
    with silent_server() as port:
        tls = tls_of(port, ca.ca_file, timeout=0.2)
    assert tls.versions == []
    assert tls.error == "no TLS handshake succeeded: timed out"
    assert time.monotonic() - started < 3


def _certificate(ca: LocalCA, *names: str):  # type: ignore[no-untyped-def]
    from cryptography import x509

    return x509.load_pem_x509_certificate(ca.leaf(*names).cert_chain_pems[0].bytes())


@pytest.mark.parametrize(
    ("names", "host", "expected"),
    [
        (("www.example.ch",), "www.example.ch", True),
        (("www.example.ch",), "WWW.Example.CH", True),
        (("www.example.ch",), "example.ch", False),
        (("*.example.ch",), "guichet.example.ch", True),
        (("*.example.ch",), "example.ch", False),
        (("*.example.ch",), "a.b.example.ch", False),
        (("127.0.0.1",), "127.0.0.1", True),
        (("127.0.0.1",), "127.0.0.2", False),
        (("www.example.ch",), "127.0.0.1", False),
    ],
)
def test_hostname_matching_follows_rfc_6125(
    ca: LocalCA, names: tuple[str, ...], host: str, expected: bool
) -> None:
    assert hostname_matches(_certificate(ca, *names), host) is expected


def test_a_certificate_not_yet_valid_is_not_valid(ca: LocalCA) -> None:
    leaf = ca.leaf(
        "127.0.0.1",
        not_before=NOW + dt.timedelta(days=2),
        not_after=NOW + dt.timedelta(days=90),
    )
    der = _der(leaf)
    observation = analyse_certificate(der, "127.0.0.1", True, NOW)
    assert observation.expired is False
    assert observation.valid is False


def _der(leaf: trustme.LeafCert) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    certificate = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    return certificate.public_bytes(serialization.Encoding.DER)
