"""security.txt verdicts against sectxt (internet.nl's validator) on local HTTPS servers.

Each case serves a file (or a redirect, or plain HTTP) on 127.0.0.1; conformite
probes it and EP-SECURITY-TXT's verdict is computed by the real control; sectxt
(a dev-only oracle) fetches the same server (trusting the test CA through
REQUESTS_CA_BUNDLE) and accepts the file when it reports no error. Both must
equal the verdict written down from RFC 9116, except the two deliberate
differences, marked DIFFERS, that EP-SECURITY-TXT's documentation explains.
"""

from __future__ import annotations

import datetime as dt
import ssl
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformite.probe import ProbeSettings, probe_endpoints
from test_probe_support import LocalCA, closed_port, serve

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pgpy_dtc as pgpy
    from pgpy_dtc.constants import EllipticCurveOID, HashAlgorithm, KeyFlags, PubKeyAlgorithm
    from sectxt import SecurityTXT

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
TEXT = [("Content-Type", "text/plain; charset=utf-8")]
WELL_KNOWN = "/.well-known/security.txt"
NOW = dt.datetime.now(dt.UTC)


def stamp(days: float, separator: str = "T") -> str:
    return (NOW + dt.timedelta(days=days)).strftime(f"%Y-%m-%d{separator}%H:%M:%SZ")


GOOD = f"Contact: mailto:security@example.ch\nExpires: {stamp(200)}\n"


def signed(text: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        key = pgpy.PGPKey.new(PubKeyAlgorithm.EdDSA, EllipticCurveOID.Ed25519)
        uid = pgpy.PGPUID.new("Security", email="security@example.ch")
        key.add_uid(uid, usage={KeyFlags.Sign}, hashes=[HashAlgorithm.SHA256])
        message = pgpy.PGPMessage.new(text, cleartext=True)
        message |= key.sign(message)
    return str(message)


def file(text: str | bytes, headers: list[tuple[str, str]] = TEXT) -> dict[str, Any]:
    body = text.encode("utf-8") if isinstance(text, str) else text
    return {WELL_KNOWN: (200, headers, body)}


def canonical(path: str) -> Callable[[Any], tuple[int, list[tuple[str, str]], bytes]]:
    """A file whose Canonical names this server's own address (known once it listens)."""

    def route(handler: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        host = handler.headers["Host"]
        return 200, TEXT, (GOOD + f"Canonical: https://{host}{path}\n").encode()

    return route


# (name, routes, over TLS, conformite accepts, sectxt accepts)
CASES: list[tuple[str, dict[str, Any], bool, bool, bool]] = [
    # 2.5.3, 2.5.5: one Contact and one Expires are all a file needs.
    ("minimal", file(GOOD), True, True, True),
    # 4: eol = *WSP [CR] LF.
    ("crlf", file(GOOD.replace("\n", "\r\n")), True, True, True),
    # 2.5.3: Contact MUST always be present.
    ("no contact", file(f"Expires: {stamp(200)}\n"), True, False, False),
    # 2.5.5: Expires MUST always be present.
    ("no expires", file("Contact: mailto:security@example.ch\n"), True, False, False),
    # 2.5.5: a file past its Expires date SHOULD NOT be used (stale contacts).
    ("expired", file(f"Contact: tel:+41215550000\nExpires: {stamp(-3)}\n"), True, False, False),
    # 2.5.5: less than a year ahead is RECOMMENDED. DIFFERS: sectxt only recommends it;
    # conformite requires it (a stale file sends reports nowhere; see EP-SECURITY-TXT).
    ("expires in 2 years", file(f"Contact: mailto:s@example.ch\nExpires: {stamp(730)}\n"),
     True, False, True),
    # 2.5.5: Expires MUST NOT appear more than once.
    ("two expires", file(GOOD + f"Expires: {stamp(100)}\n"), True, False, False),
    # 2.5.5: RFC 3339 date-time, a date alone is not one.
    ("date only", file("Contact: mailto:s@example.ch\nExpires: 2027-01-31\n"), True, False, False),
    # 2.5.5 and RFC 3339 5.6: a space may separate date and time for readability.
    ("space in date-time", file(f"Contact: mailto:s@example.ch\nExpires: {stamp(90, ' ')}\n"),
     True, True, True),
    # 2.3: a file MAY be signed with an OpenPGP cleartext signature.
    ("pgp signed", file(signed(GOOD)), True, True, True),
    # 2.3 and 4: nothing may follow the signature.
    ("data after signature", file(signed(GOOD) + "Contact: mailto:evil@example.net\n"),
     True, False, False),
    # 4: UTF-8 in Net-Unicode form (RFC 5198): no byte-order mark.
    ("bom", file(b"\xef\xbb\xbf" + GOOD.encode()), True, False, False),
    # 3: the file MUST be served as text/plain.
    ("text/html", file(GOOD, [("Content-Type", "text/html; charset=utf-8")]), True, False, False),
    # 3: with a charset parameter of utf-8.
    ("latin-1", file(GOOD, [("Content-Type", "text/plain; charset=iso-8859-1")]),
     True, False, False),
    # 3: the file MUST be accessed over HTTPS.
    ("http only", file(GOOD), False, False, False),
    # 3: retrieval may involve a redirect. DIFFERS: sectxt rejects a file whose final
    # address does not end in /.well-known/security.txt; conformite follows a
    # same-host HTTPS redirect (see EP-SECURITY-TXT).
    ("same-host redirect", {WELL_KNOWN: (301, [("Location", "/files/security.txt")], b""),
                            **{"/files/security.txt": file(GOOD)[WELL_KNOWN]}},
     True, True, False),
    # 4 and RFC 5234 2.3: field names are case-insensitive.
    ("field name case", file(f"CONTACT: mailto:s@example.ch\nexpires: {stamp(30)}\n"),
     True, True, True),
    # 2.4: unknown fields MUST be ignored.
    ("unknown field", file(GOOD + "X-Team: CSIRT de la commune\n"), True, True, True),
    # 2.5.8: Preferred-Languages holds RFC 5646 tags separated by commas.
    ("languages", file(GOOD + "Preferred-Languages: fr, de-CH, en\n"), True, True, True),
    ("bad languages", file(GOOD + "Preferred-Languages: français; allemand\n"),
     True, False, False),
    # 2.5.8: Preferred-Languages MUST NOT appear more than once.
    ("two language fields", file(GOOD + "Preferred-Languages: fr\nPreferred-Languages: de\n"),
     True, False, False),
    # 2.5.2: fetched from an address no Canonical lists: SHOULD NOT be trusted.
    ("canonical mismatch", file(GOOD + "Canonical: https://www.other.ch/.well-known/security.txt\n"),
     True, False, False),
    ("canonical match", {WELL_KNOWN: canonical(WELL_KNOWN)}, True, True, True),
    # 2.4 and 4: comments and blank lines are allowed anywhere.
    ("comments", file("# Commune\n\n" + GOOD + "# end\n"), True, True, True),
    # 2.5.3 and 2.5.5: an empty file has neither field.
    ("empty", file(""), True, False, False),
    # 4: fs SP: a space follows the colon.
    ("no space after colon", file(f"Contact:mailto:s@example.ch\nExpires: {stamp(30)}\n"),
     True, False, False),
    # 2.5.3: a web URI MUST begin with https://.
    ("http contact", file(f"Contact: http://example.ch/securite\nExpires: {stamp(30)}\n"),
     True, False, False),
    # 4: every line, the last one too, ends with eol.
    ("no final newline", file(GOOD.rstrip("\n")), True, False, False),
]  # fmt: skip


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


def control_verdict(url: str, observation: Any, tmp_path: Path, catalogue, reference) -> str:
    from conformite.engine.fixtures import run_fixture

    service = {
        "id": "site", "name": "Site", "owner": "Greffe", "purpose": "Information",
        "hosting": "saas", "data_categories": ["contact"], "endpoints": [{"url": url}],
    }  # fmt: skip
    fixture = {
        "control": "EP-SECURITY-TXT",
        "as_of": NOW.date(),
        "base": {"services": [service]},
        "cases": [
            {
                "name": url,
                "target": f"endpoint:{url}",
                "expect": "pass",
                "observations": {url: observation.model_dump(mode="json", exclude={"observed_at"})},
            }
        ],
    }
    path = tmp_path / "EP-SECURITY-TXT.yaml"
    path.write_text(yaml.safe_dump(fixture), encoding="utf-8")
    (result,) = run_fixture(path, catalogue, reference)
    return result.actual


@pytest.mark.parametrize(
    ("routes", "tls", "ours", "theirs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_conformite_and_sectxt_on_the_same_server(
    routes: dict[str, Any],
    tls: bool,
    ours: bool,
    theirs: bool,
    ca: LocalCA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    catalogue,
    reference,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.ca_file))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with serve({"/": (200, [], b"home"), **routes}, ca.leaf() if tls else None,
               versions=TLS12_13 if tls else None) as site:  # fmt: skip
        url = f"https://127.0.0.1:{site.port}"
        settings = ProbeSettings(
            allow_private_addresses=True, ca_file=ca.ca_file, http_port=closed_port(), timeout=2
        )
        (observation,) = probe_endpoints([url], settings).observations
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            oracle = SecurityTXT(f"127.0.0.1:{site.port}")
    verdict = control_verdict(url, observation, tmp_path, catalogue, reference)
    assert (verdict == "pass") is ours, (verdict, observation.security_txt)
    assert oracle.is_valid() is theirs, oracle.errors
