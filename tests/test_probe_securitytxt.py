"""security.txt per RFC 9116: parsing rules and what local servers serve."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest

from conformite.inventory.observations import SecurityTxtObservation
from conformite.probe import ProbeSettings, probe_endpoints
from conformite.probe.securitytxt import parse_rfc3339, parse_security_txt
from test_probe_support import NOW, LocalCA, closed_port, serve

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
TEXT = "text/plain; charset=utf-8"


def stamp(days: float) -> str:
    return (NOW + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str, content_type: str | None = TEXT) -> SecurityTxtObservation:
    return parse_security_txt(text.encode("utf-8"), content_type, NOW)


def test_a_valid_file() -> None:
    observation = parse(
        "# Val-d'Arbonne\n"
        "Contact: mailto:security@val-d-arbonne.ch\n"
        "Contact: https://val-d-arbonne.ch/securite\n"
        f"Expires: {stamp(180.5)}\n"
        "Preferred-Languages: fr, de\n"
    )
    assert observation.valid is True
    assert observation.problems == []
    assert observation.contacts == [
        "mailto:security@val-d-arbonne.ch",
        "https://val-d-arbonne.ch/securite",
    ]
    assert observation.expires_count == 1
    assert observation.days_to_expiry == 180


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"Contact: mailto:a@b.ch\nExpires: {stamp(-1)}\n", "expired"),
        (f"Contact: mailto:a@b.ch\nExpires: {stamp(400)}\n", "expires_too_far"),
        ("Contact: mailto:a@b.ch\n", "expires_missing"),
        (
            f"Contact: mailto:a@b.ch\nExpires: {stamp(30)}\nExpires: {stamp(60)}\n",
            "expires_repeated",
        ),
        ("Contact: mailto:a@b.ch\nExpires: 2030-01-01\n", "expires_invalid"),
        ("Contact: mailto:a@b.ch\nExpires: 2030-01-01T00:00:00\n", "expires_invalid"),
        ("Contact: mailto:a@b.ch\nExpires: next year\n", "expires_invalid"),
        (f"Expires: {stamp(30)}\n", "contact_missing"),
        (f"Contact: http://insecure.example.ch\nExpires: {stamp(30)}\n", "contact_invalid"),
        (
            f"Contact: mailto:a@b.ch\nExpires: {stamp(30)}\nthis is not a field\n",
            "malformed_line_3",
        ),
        (
            f"<html><body>Contact: mailto:a@b.ch\nExpires: {stamp(30)}</body></html>\n",
            "malformed_line_1",
        ),
    ],
)
def test_invalid_files_say_why(text: str, problem: str) -> None:
    observation = parse(text)
    assert observation.valid is False
    assert problem in observation.problems


def test_a_second_contact_of_the_wrong_kind_is_flagged_but_not_fatal() -> None:
    observation = parse(f"Contact: mailto:a@b.ch\nContact: ftp://x\nExpires: {stamp(30)}\n")
    assert observation.valid is True
    assert observation.problems == ["contact_invalid"]


@pytest.mark.parametrize(
    ("content_type", "problem"),
    [
        ("text/html; charset=utf-8", "content_type_not_text_plain"),
        (None, "content_type_not_text_plain"),
        ("text/plain; charset=iso-8859-1", "charset_not_utf8"),
    ],
)
def test_the_content_type_must_be_text_plain_utf8(content_type: str | None, problem: str) -> None:
    observation = parse(f"Contact: mailto:a@b.ch\nExpires: {stamp(30)}\n", content_type)
    assert observation.valid is False
    assert problem in observation.problems


def test_text_plain_without_charset_is_accepted() -> None:
    assert parse(f"Contact: tel:+41215550000\nExpires: {stamp(30)}\n", "text/plain").valid


def test_bytes_that_are_not_utf8_are_a_problem() -> None:
    body = b"Contact: mailto:s\xe9curit\xe9@b.ch\nExpires: " + stamp(30).encode() + b"\n"
    observation = parse_security_txt(body, TEXT, NOW)
    assert "not_utf8" in observation.problems
    assert observation.valid is False


def test_a_pgp_signed_file_is_read() -> None:
    text = (
        "-----BEGIN PGP SIGNED MESSAGE-----\n"
        "Hash: SHA256\n"
        "\n"
        "Contact: mailto:security@example.ch\n"
        "- Contact: tel:+41215550000\n"  # a dash-escaped line
        f"Expires: {stamp(90)}\n"
        "-----BEGIN PGP SIGNATURE-----\n"
        "\n"
        "iQEzBAEBCAAdFiEE\n"
        "-----END PGP SIGNATURE-----\n"
    )
    observation = parse(text)
    assert observation.valid is True, observation.problems
    assert observation.contacts == ["mailto:security@example.ch", "tel:+41215550000"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-31T23:59:59Z", dt.datetime(2027, 1, 31, 23, 59, 59, tzinfo=dt.UTC)),
        ("2027-01-31t23:59:59z", dt.datetime(2027, 1, 31, 23, 59, 59, tzinfo=dt.UTC)),
        (
            "2027-01-31T23:59:59.123456789+01:00",
            dt.datetime(2027, 1, 31, 23, 59, 59, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        ),
        ("2027-01-31", None),
        ("2027-01-31T23:59:59", None),
        ("2027-02-30T00:00:00Z", None),
        ("31.01.2027", None),
    ],
)
def test_parse_rfc3339(value: str, expected: dt.datetime | None) -> None:
    assert parse_rfc3339(value) == expected


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


def served(ca: LocalCA, routes: dict) -> SecurityTxtObservation:  # type: ignore[type-arg]
    routes = {"/": (200, [], b"home"), **routes}
    with serve(routes, ca.leaf(), versions=TLS12_13) as site:
        settings = ProbeSettings(
            allow_private_addresses=True, ca_file=ca.ca_file, http_port=closed_port(), timeout=2
        )
        (observation,) = probe_endpoints([site.url], settings).observations
    return observation.security_txt


def test_served_valid_file(ca: LocalCA) -> None:
    body = f"Contact: mailto:security@example.ch\nExpires: {stamp(200)}\n".encode()
    observation = served(ca, {"/.well-known/security.txt": (200, [("Content-Type", TEXT)], body)})
    assert observation.present is True
    assert observation.valid is True
    assert observation.url is not None and observation.url.endswith("/.well-known/security.txt")
    assert observation.content_type == TEXT


def test_served_expired_file(ca: LocalCA) -> None:
    body = f"Contact: mailto:security@example.ch\nExpires: {stamp(-10)}\n".encode()
    observation = served(ca, {"/.well-known/security.txt": (200, [("Content-Type", TEXT)], body)})
    assert observation.present is True
    assert observation.valid is False
    assert observation.days_to_expiry is not None and observation.days_to_expiry < 0
    assert "expired" in observation.problems


def test_served_soft_404_html_page(ca: LocalCA) -> None:
    page = b"<!doctype html><html><body><h1>Page not found</h1></body></html>"
    observation = served(ca, {"/.well-known/security.txt": (200, [], page)})
    assert observation.present is True
    assert observation.valid is False
    assert "content_type_not_text_plain" in observation.problems
    assert "contact_missing" in observation.problems


def test_absent_file(ca: LocalCA) -> None:
    observation = served(ca, {})
    assert observation.present is False
    assert observation.valid is False
    assert observation.problems == ["http_status_404"]


def test_an_oversized_file_is_not_read_whole(ca: LocalCA) -> None:
    body = b"# " + b"x" * 200_000 + b"\n"
    observation = served(ca, {"/.well-known/security.txt": (200, [("Content-Type", TEXT)], body)})
    assert observation.problems == ["too_large"]
    assert observation.valid is False
