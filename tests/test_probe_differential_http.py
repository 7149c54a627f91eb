"""Differential matrix: local HTTPS servers, and the verdict the references give for each check.

Each row of :data:`CASES` is one server set-up on 127.0.0.1 (real TLS with a
trustme CA, real HTTP) and, for each endpoint control it concerns, the verdict
written down *from the reference* named in its comment: MDN HTTP Observatory's
scoring (github.com/mdn/mdn-http-observatory, ``src/analyzer/tests/*.js``), the
RFCs, web-platform-tests. The probe runs against the server, the controls judge
its observation, and the verdicts must match. Where conformite deliberately
differs from Observatory the comment says so (README, "Where conformite differs
from HTTP Observatory, and why").

To add a case: append a :class:`Case` (a server set-up and the verdicts), nothing else.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformite.engine.evaluation import evaluate, observations_for_context
from conformite.engine.targets import EvaluationInput
from conformite.inventory.model import Inventory, OrganisationFile, ServicesFile
from conformite.inventory.observations import Observation
from conformite.probe import ProbeSettings, probe_endpoints
from test_probe_support import NOW, LocalCA, Response, SelfSignedCert, closed_port, serve

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
#: Names that resolve to 127.0.0.1 for the probe only (``ProbeSettings.static_hosts``).
HOSTS = (("example.test", "127.0.0.1"), ("www.example.test", "127.0.0.1"))
YEAR = "max-age=31536000"
PAGE = [
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
GOOD = [("Strict-Transport-Security", YEAR), *PAGE]

PASS, FAIL = "pass", "fail"


@dataclass(frozen=True)
class Case:
    """One server set-up and the verdict each control must give."""

    name: str
    #: Headers of the page (``/``), or a function of the request's Host header.
    page: list[tuple[str, str]] | Callable[[str], Response]
    #: Control id -> verdict the reference gives.
    expected: dict[str, str]
    #: The certificate: "good", "expired", "wrong_name", "self_signed", "untrusted".
    certificate: str = "good"
    #: The endpoint's host name (resolved to 127.0.0.1 by HOSTS) or the address itself.
    host: str = "127.0.0.1"
    marks: tuple[Any, ...] = field(default=())


def _www(headers_first: list[tuple[str, str]]) -> Callable[[str], Response]:
    """``example.test`` answers 301 to ``www.example.test``, which serves the page."""

    def route(host: str) -> Response:
        name, _, port = host.partition(":")
        if name == "example.test":
            return 301, [("Location", f"https://www.example.test:{port}/"), *headers_first], b""
        return 200, PAGE, b"<p>home</p>"

    return route


def _other_site(host: str) -> Response:
    port = host.partition(":")[2]
    return (
        301,
        [("Location", f"https://other.test:{port}/"), ("Strict-Transport-Security", YEAR)],
        b"",
    )


CASES = [
    # Observatory A+: every header right; RFC 6797 for HSTS.
    Case("all good", GOOD, {"EP-HSTS": PASS, "EP-FRAMING": PASS, "EP-NOSNIFF": PASS,
                            "EP-REFERRER": PASS, "EP-TLS": PASS}),
    # Observatory strict-transport-security.js: SIX_MONTHS = 15_552_000 passes ("a white lie").
    Case("HSTS of 180 days", [("Strict-Transport-Security", "max-age=15552000"), *PAGE],
         {"EP-HSTS": PASS}),
    # Same reference: one second less is hsts-implemented-max-age-less-than-six-months.
    Case("HSTS one second under 180 days",
         [("Strict-Transport-Security", "max-age=15551999"), *PAGE], {"EP-HSTS": FAIL}),
    # RFC 6797 section 8.1 (HSTS over certificate errors is ignored); Observatory
    # hsts-invalid-cert. The page headers are still judged (they do not depend on trust).
    Case("HSTS over an expired certificate", GOOD,
         {"EP-HSTS": FAIL, "EP-TLS": FAIL, "EP-FRAMING": PASS}, certificate="expired"),
    Case("HSTS over a certificate for another name", GOOD,
         {"EP-HSTS": FAIL, "EP-TLS": FAIL}, certificate="wrong_name"),
    Case("HSTS over a self-signed certificate", GOOD,
         {"EP-HSTS": FAIL, "EP-TLS": FAIL}, certificate="self_signed"),
    Case("HSTS over a certificate from an unknown CA", GOOD,
         {"EP-HSTS": FAIL, "EP-TLS": FAIL}, certificate="untrusted"),
    # RFC 6797 section 8.1: only the first HSTS header is processed, so a repeated
    # one-year header protects. Observatory fails it (hsts-header-invalid, "Header set
    # multiple times"): a deliberate difference, explained in EP-HSTS.
    Case("HSTS sent twice", [("Strict-Transport-Security", YEAR), *GOOD], {"EP-HSTS": PASS}),
    # web-platform-tests x-frame-options/multiple.html and fetch/nosniff: a header
    # repeated with the same value applies (Observatory passes SAMEORIGIN).
    Case("X-Frame-Options and nosniff sent twice, identical",
         [("X-Frame-Options", "SAMEORIGIN"), ("X-Frame-Options", "SAMEORIGIN"),
          ("X-Content-Type-Options", "nosniff"), ("X-Content-Type-Options", "nosniff")],
         {"EP-FRAMING": PASS, "EP-NOSNIFF": PASS}),
    # Observatory x-frame-options.js: "deny, sameorigin" is x-frame-options-header-invalid.
    Case("X-Frame-Options sent twice, conflicting",
         [("X-Frame-Options", "DENY"), ("X-Frame-Options", "SAMEORIGIN")],
         {"EP-FRAMING": FAIL}),
    # Observatory follows the redirect and scores the page the browser shows (A+):
    # page headers on the final response of the same-site chain, HSTS on the first one.
    Case("same-site redirect to www", _www([("Strict-Transport-Security", YEAR)]),
         {"EP-HSTS": PASS, "EP-FRAMING": PASS, "EP-NOSNIFF": PASS, "EP-REFERRER": PASS},
         host="example.test"),
    # HSTS is judged on the first response (Observatory responses.https): HSTS only on
    # www.example.test does not protect example.test.
    Case("same-site redirect, HSTS only on www", _www([]),
         {"EP-HSTS": FAIL, "EP-FRAMING": PASS}, host="example.test"),
    # conformite never contacts a host the inventory does not declare: a redirect to
    # another site is reported, not followed, and the 301 is what was seen (Observatory
    # follows it: a deliberate difference).
    Case("redirect to another site", _other_site,
         {"EP-HSTS": PASS, "EP-FRAMING": FAIL, "EP-NOSNIFF": FAIL}, host="example.test"),
]  # fmt: skip


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("stranger"))


def _certificate(case: Case, ca: LocalCA, stranger: LocalCA, tmp: Path) -> Any:
    names = ("example.test", "www.example.test", "127.0.0.1")
    if case.certificate == "good":
        return ca.leaf(*names)
    if case.certificate == "expired":
        return ca.leaf(
            *names, not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=2)
        )
    if case.certificate == "wrong_name":
        return ca.leaf("intranet.example.org")
    if case.certificate == "self_signed":
        return SelfSignedCert(tmp)
    assert case.certificate == "untrusted"
    return stranger.leaf(*names)


def probe_case(case: Case, ca: LocalCA, stranger: LocalCA, tmp: Path) -> Observation:
    page = case.page

    def route(handler: Any) -> Response:
        if callable(page):
            return page(handler.headers.get("Host", ""))
        return 200, list(page), b"<p>ok</p>"

    with serve({"/": route}, _certificate(case, ca, stranger, tmp), versions=TLS12_13) as site:
        settings = ProbeSettings(
            allow_private_addresses=True,
            ca_file=ca.ca_file,
            http_port=closed_port(),
            timeout=2,
            retries=0,
            static_hosts=HOSTS,
        )
        run = probe_endpoints([f"https://{case.host}:{site.port}/"], settings)
    (observation,) = run.observations
    return observation


def verdicts(
    observation: Observation, controls: list[str], catalogue: Any, reference: Any
) -> dict[str, str]:
    """What the built-in endpoint controls say about ``observation``."""
    from conformite.catalogue.model import Catalogue

    chosen = [c for c in catalogue.controls if c.id in controls]
    only = Catalogue(version=catalogue.version, controls=chosen, digest="", sources=[])
    service = {
        "id": "website", "name": "Site", "owner": "Greffe", "purpose": "Information",
        "hosting": "saas", "data_categories": ["contact"],
        "endpoints": [{"url": observation.url}],
    }  # fmt: skip
    inventory = Inventory(
        organisation=OrganisationFile.model_validate({"organisation": {}}).organisation,
        services=ServicesFile.model_validate({"services": [service]}).services,
        vendors=[],
        waivers=[],
    )
    as_of = observation.observed_at.date()
    findings = evaluate(
        only,
        EvaluationInput(
            inventory=inventory,
            reference=reference,
            commune={"name": "Test", "canton": "VD", "population": 3000, "language": "en"},
            as_of=as_of,
            lang="en",
            observations=observations_for_context(
                {observation.url: observation}, as_of, stale_after_days=30
            ),
        ),
    )
    return {f.control_id: f.outcome for f in findings if f.target_kind == "endpoint"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdicts_agree_with_the_references(
    case: Case, ca: LocalCA, stranger: LocalCA, tmp_path: Path, catalogue: Any, reference: Any
) -> None:
    observation = probe_case(case, ca, stranger, tmp_path)
    assert observation.reachable is True, observation.error
    got = verdicts(observation, sorted(case.expected), catalogue, reference)
    assert got == case.expected, observation.http.model_dump()


def probe_named(name: str, ca: LocalCA, stranger: LocalCA, tmp: Path) -> Observation:
    return probe_case(next(c for c in CASES if c.name == name), ca, stranger, tmp)


def test_the_chain_says_on_which_response_each_header_was_judged(
    ca: LocalCA, stranger: LocalCA, tmp_path: Path
) -> None:
    observation = probe_named("same-site redirect to www", ca, stranger, tmp_path)
    http = observation.http
    port = observation.url.rsplit(":", 1)[1].rstrip("/")
    assert [(r.url, r.status) for r in http.chain] == [
        (f"https://example.test:{port}/", 301),
        (f"https://www.example.test:{port}/", 200),
    ]
    assert http.hsts_url == f"https://example.test:{port}/"  # HSTS: the first response
    assert http.final_url == f"https://www.example.test:{port}/"  # page headers: the last
    assert http.csp == "default-src 'self'; frame-ancestors 'none'"
    assert http.cross_host_redirect is False
    assert http.status == 200


def test_a_redirect_to_another_site_is_not_followed(
    ca: LocalCA, stranger: LocalCA, tmp_path: Path
) -> None:
    http = probe_named("redirect to another site", ca, stranger, tmp_path).http
    assert http.cross_host_redirect is True
    assert http.cross_host_location is not None
    assert http.cross_host_location.startswith("https://other.test:")
    assert len(http.chain) == 1


def test_same_site_redirects_are_bounded(ca: LocalCA, tmp_path: Path) -> None:
    """A chain bouncing between example.test and www.example.test stops after max_redirects."""

    def route(handler: Any) -> Response:
        name, _, port = handler.headers.get("Host", "").partition(":")
        other = "www.example.test" if name == "example.test" else "example.test"
        return 302, [("Location", f"https://{other}:{port}/")], b""

    with serve({"/": route}, ca.leaf("example.test", "www.example.test")) as site:
        settings = ProbeSettings(
            allow_private_addresses=True, ca_file=ca.ca_file, http_port=closed_port(),
            timeout=2, retries=0, static_hosts=HOSTS, max_redirects=5,
        )  # fmt: skip
        (observation,) = probe_endpoints(
            [f"https://example.test:{site.port}/"], settings
        ).observations
        asked = [r.path for r in site.requests if r.path == "/"]
    assert "too_many_redirects" in observation.http.problems
    assert len(observation.http.chain) == 6  # the first response and 5 redirects followed
    assert len(asked) == 6


def test_a_same_site_name_at_a_private_address_is_not_followed_unless_allowed(
    ca: LocalCA,
) -> None:
    """www.example.test resolves to 127.0.0.1: refused by the default address policy."""
    import ipaddress

    with serve({"/": (200, GOOD, b"home")}, ca.leaf("www.example.test")) as www:
        location = f"https://www.example.test:{www.port}/"
        with serve({"/": (301, [("Location", location)], b"")}, ca.leaf("example.test")) as site:

            def policy(address: Any, port: int) -> str | None:
                allowed = address == ipaddress.ip_address("127.0.0.1") and port == site.port
                return None if allowed else "loopback"

            settings = ProbeSettings(
                ca_file=ca.ca_file, http_port=closed_port(), timeout=2, retries=0,
                static_hosts=HOSTS, address_policy=policy,
            )  # fmt: skip
            (observation,) = probe_endpoints(
                [f"https://example.test:{site.port}/"], settings
            ).observations
        assert www.requests == []  # never contacted
    assert observation.http.error is not None
    assert observation.http.error.startswith("address refused: ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("SAMEORIGIN", "SAMEORIGIN"),
        ("SAMEORIGIN, SAMEORIGIN", "SAMEORIGIN"),  # WPT: identical duplicates apply
        ("nosniff,NOSNIFF", "nosniff"),
        ("DENY, SAMEORIGIN", None),  # conflicting: invalid
        ("nosniff, ", None),
    ],
)
def test_single_value(value: str, expected: str | None) -> None:
    from conformite.probe.headers import single_value

    assert single_value(value) == expected


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("example.ch", "www.example.ch", True),
        ("www.example.ch", "portail.example.ch", True),
        ("example.ch", "example.com", False),
        ("commune.github.io", "other.github.io", False),  # a private suffix of the PSL
        ("gemeinde.zh.ch", "www.gemeinde.zh.ch", True),
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.2", False),
    ],
)
def test_same_site_is_the_registrable_domain(first: str, second: str, same: bool) -> None:
    from conformite.probe.headers import same_site

    assert same_site(first, second) is same
