"""HTTP: the redirect to HTTPS, security headers, cookies, redirects, what is (not) sent."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from conformite.inventory.observations import Observation
from conformite.probe import ProbeSettings, probe_endpoints
from conformite.probe.http import analyse_csp, parse_cookie, parse_hsts
from test_probe_support import LocalCA, Response, closed_port, serve

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)

GOOD_HEADERS = [
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Set-Cookie", "session=abc; Path=/; Secure; HttpOnly; SameSite=Strict"),
]
BAD_HEADERS = [
    ("Strict-Transport-Security", "max-age=86400"),
    ("Content-Security-Policy", "default-src * 'unsafe-inline' 'unsafe-eval'"),
    ("X-Frame-Options", "DENY"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Content-Type-Options", "nosniff, sniff"),
    ("Referrer-Policy", "unsafe-url"),
    ("Set-Cookie", "session=abc; Path=/"),
    ("Set-Cookie", "prefs=dark; Secure; SameSite=None"),
]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


def redirect_to(location: str) -> Response:
    return (301, [("Location", location)], b"")


def probe_one(url: str, ca: LocalCA, http_port: int | None = None, **kw: Any) -> Observation:
    settings = ProbeSettings(
        allow_private_addresses=True,
        ca_file=ca.ca_file,
        http_port=http_port if http_port is not None else closed_port(),
        timeout=2,
        retries=0,
        **kw,
    )
    run = probe_endpoints([url], settings)
    assert run.skipped == []
    (observation,) = run.observations
    return observation


def test_good_headers_are_all_recognised(ca: LocalCA) -> None:
    with (
        serve({"/": (200, GOOD_HEADERS, b"<p>ok</p>")}, ca.leaf(), versions=TLS12_13) as site,
        serve({"/": redirect_to("https://127.0.0.1/")}) as plain,
    ):
        observation = probe_one(site.url, ca, plain.port)
    http = observation.http
    assert observation.reachable is True
    assert http.error is None
    assert http.status == 200
    assert http.redirects_to_https is True
    assert http.redirect_location == "https://127.0.0.1/"
    assert http.cross_host_redirect is False
    assert http.hsts_max_age == 31536000
    assert http.hsts_include_subdomains is True
    assert http.csp == "default-src 'self'; frame-ancestors 'none'"
    assert (http.csp_unsafe_inline, http.csp_unsafe_eval) == (False, False)
    assert http.frame_ancestors == "'none'"
    assert http.x_frame_options == "DENY"
    assert http.framing_restricted is True
    assert http.nosniff is True
    assert http.referrer_policy == "strict-origin-when-cross-origin"
    assert http.referrer_policy_private is True
    assert [c.model_dump() for c in http.cookies] == [
        {"name": "session", "secure": True, "http_only": True, "same_site": "Strict"}
    ]
    assert http.problems == []


def test_bad_headers_are_all_caught(ca: LocalCA) -> None:
    with (
        serve({"/": (200, BAD_HEADERS, b"<p>ok</p>")}, ca.leaf(), versions=TLS12_13) as site,
        serve({"/": (200, [], b"plain site")}) as plain,
    ):
        observation = probe_one(site.url, ca, plain.port)
    http = observation.http
    assert http.redirects_to_https is False  # http:// serves content
    assert http.hsts_max_age == 86400
    assert (http.csp_unsafe_inline, http.csp_unsafe_eval) == (True, True)
    assert http.x_frame_options == "DENY, SAMEORIGIN"  # two headers that disagree: invalid
    assert http.framing_restricted is False
    assert http.nosniff is False
    assert http.referrer_policy_private is False
    assert "x_frame_options_invalid" in http.problems
    assert "x_content_type_options_invalid" in http.problems
    cookies = {c.name: c for c in http.cookies}
    assert (cookies["session"].secure, cookies["session"].http_only) == (False, False)
    assert cookies["session"].same_site is None
    assert (cookies["prefs"].secure, cookies["prefs"].same_site) == (True, "None")


def test_no_headers_at_all(ca: LocalCA) -> None:
    with serve({"/": (200, [], b"bare")}, ca.leaf(), versions=TLS12_13) as site:
        observation = probe_one(site.url, ca)
    http = observation.http
    assert http.redirects_to_https is None  # nothing listens on the http port
    assert http.hsts_max_age is None
    assert http.csp is None
    assert http.framing_restricted is False
    assert http.nosniff is False
    assert http.referrer_policy is None
    assert http.cookies == []


def test_http_redirect_to_another_host_is_reported_and_not_followed(ca: LocalCA) -> None:
    with (
        serve({"/": (200, GOOD_HEADERS, b"ok")}, ca.leaf(), versions=TLS12_13) as site,
        serve({"/": (200, [], b"elsewhere")}) as other,
        serve({"/": redirect_to(f"https://localhost:{closed_port()}/")}) as plain,
    ):
        observation = probe_one(site.url, ca, plain.port)
        assert other.requests == []
    http = observation.http
    assert http.redirects_to_https is False
    assert http.cross_host_redirect is True
    assert http.redirect_location is not None and "localhost" in http.redirect_location
    assert http.cross_host_location == http.redirect_location


def test_http_redirect_to_http_on_the_same_host_is_not_a_redirect_to_https(
    ca: LocalCA,
) -> None:
    with (
        serve({"/": (200, [], b"ok")}, ca.leaf(), versions=TLS12_13) as site,
        serve({"/": redirect_to("/index.html")}) as plain,
    ):
        observation = probe_one(site.url, ca, plain.port)
    assert observation.http.redirects_to_https is False
    assert observation.http.cross_host_redirect is False


def test_page_redirect_to_another_host_is_not_followed(ca: LocalCA) -> None:
    with serve({"/": (200, [], b"elsewhere")}) as other:
        target = f"http://localhost:{other.port}/landing"
        with serve({"/": redirect_to(target)}, ca.leaf(), versions=TLS12_13) as site:
            observation = probe_one(site.url, ca)
        assert other.requests == []  # the other host was never contacted
    http = observation.http
    assert http.cross_host_redirect is True
    assert http.cross_host_location == target
    assert http.status == 301


def test_same_host_redirects_are_followed_and_cookies_collected(ca: LocalCA) -> None:
    def start(_handler: Any) -> Response:
        return (
            302,
            [("Location", "/home"), ("Set-Cookie", "first=1; Secure; HttpOnly; SameSite=Lax")],
            b"",
        )

    routes = {"/": start, "/home": (200, GOOD_HEADERS, b"home")}
    with serve(routes, ca.leaf(), versions=TLS12_13) as site:
        observation = probe_one(site.url, ca)
        paths = [r.path for r in site.requests]
        home_request = next(r for r in site.requests if r.path == "/home")
    http = observation.http
    assert http.final_url == f"https://127.0.0.1:{site.port}/home"
    assert http.status == 200
    assert {c.name for c in http.cookies} == {"first", "session"}
    assert "/home" in paths
    # the cookie set on the way is not sent back
    assert "Cookie" not in home_request.headers


def test_a_redirect_loop_stops(ca: LocalCA) -> None:
    routes = {"/a": redirect_to("/b"), "/b": redirect_to("/a")}
    with serve(routes, ca.leaf(), versions=TLS12_13) as site:
        observation = probe_one(f"{site.url}a", ca, max_redirects=3)
    assert "too_many_redirects" in observation.http.problems


def test_no_credentials_are_sent_even_with_a_netrc(
    ca: LocalCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login secret-user password secret-pass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    with serve({"/": (200, GOOD_HEADERS, b"ok")}, ca.leaf(), versions=TLS12_13) as site:
        observation = probe_one(site.url, ca)
        seen = list(site.requests)
    assert observation.http.status == 200  # the proxy variable was ignored too
    assert seen
    for request in seen:
        names = {name.lower() for name in request.headers}
        assert "authorization" not in names
        assert "cookie" not in names
        assert request.headers["User-Agent"].startswith("conformite-probe/")


def test_headers_are_read_even_when_the_certificate_is_bad(ca: LocalCA, tmp_path: Path) -> None:
    stranger = LocalCA.create(tmp_path)
    with serve({"/": (200, GOOD_HEADERS, b"ok")}, stranger.leaf(), versions=TLS12_13) as site:
        observation = probe_one(site.url, ca)
    assert observation.tls.certificate.valid is False
    assert observation.http.hsts_max_age == 31536000


def test_hosts_are_asked_once_per_run(ca: LocalCA) -> None:
    routes = {"/a": (200, GOOD_HEADERS, b"a"), "/b": (200, GOOD_HEADERS, b"b")}
    with (
        serve(routes, ca.leaf(), versions=TLS12_13) as site,
        serve({"/": redirect_to("https://127.0.0.1/")}) as plain,
    ):
        settings = ProbeSettings(
            allow_private_addresses=True, ca_file=ca.ca_file, http_port=plain.port, timeout=2
        )
        run = probe_endpoints([f"{site.url}a", f"{site.url}b"], settings)
        page_paths = sorted(r.path for r in site.requests)
        plain_paths = [r.path for r in plain.requests]
    assert [o.http.status for o in run.observations] == [200, 200]
    # each page twice: once as a browser asks it, once with a foreign Origin (page_checks)
    assert page_paths == ["/.well-known/security.txt", "/a", "/a", "/b", "/b"]
    assert plain_paths == ["/"]
    assert run.observations[0].tls == run.observations[1].tls


@pytest.mark.parametrize(
    ("value", "max_age", "include", "problems"),
    [
        ("max-age=31536000", 31536000, False, []),
        ('max-age="600"; includeSubDomains; preload', 600, True, []),
        ("MAX-AGE=15768000;INCLUDESUBDOMAINS", 15768000, True, []),
        ("max-age=0", 0, False, []),
        ("max-age=abc", None, False, ["hsts_invalid_max_age"]),
        ("includeSubDomains", None, True, ["hsts_without_max_age"]),
        # the first header counts (RFC 6797 section 8.1); the repetition is noted
        ("max-age=100, max-age=31536000", 100, False, ["hsts_repeated"]),
    ],
)
def test_parse_hsts(value: str, max_age: int | None, include: bool, problems: list[str]) -> None:
    assert parse_hsts(value) == (max_age, include, problems)


@pytest.mark.parametrize(
    ("csp", "inline", "evaluate", "ancestors"),
    [
        ("default-src 'self'", False, False, None),
        ("script-src 'self' 'unsafe-inline'", True, False, None),
        ("script-src 'self' 'unsafe-inline' 'nonce-abc123'", False, False, None),
        ("script-src 'unsafe-inline' 'sha256-xyz='", False, False, None),
        ("default-src 'self' 'unsafe-eval'", False, True, None),
        ("default-src 'unsafe-inline'; script-src 'self'", False, False, None),
        ("frame-ancestors 'self'", True, True, "'self'"),  # scripts unrestricted
        ("img-src *; frame-ancestors https://a.example.ch", True, True, "https://a.example.ch"),
        # two policies: inline runs only if both allow it
        ("script-src 'unsafe-inline', script-src 'self'", False, False, None),
        ("", True, True, None),
    ],
)
def test_analyse_csp(csp: str, inline: bool, evaluate: bool, ancestors: str | None) -> None:
    assert analyse_csp(csp) == (inline, evaluate, ancestors)


def test_framing_is_not_restricted_by_a_wildcard_frame_ancestors(ca: LocalCA) -> None:
    headers = [("Content-Security-Policy", "default-src 'self'; frame-ancestors *")]
    with serve({"/": (200, headers, b"ok")}, ca.leaf(), versions=TLS12_13) as site:
        observation = probe_one(site.url, ca)
    assert observation.http.frame_ancestors == "*"
    assert observation.http.framing_restricted is False


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; Secure; HttpOnly; SameSite=Lax", ("a", True, True, "Lax")),
        ("b=2; secure; httponly; samesite=strict", ("b", True, True, "Strict")),
        ("c=3", ("c", False, False, None)),
        ("d=; Max-Age=0; Path=/", ("d", False, False, None)),
    ],
)
def test_parse_cookie(header: str, expected: tuple[Any, ...]) -> None:
    cookie = parse_cookie(header)
    assert cookie is not None
    assert (cookie.name, cookie.secure, cookie.http_only, cookie.same_site) == expected


def test_parse_cookie_without_a_name() -> None:
    assert parse_cookie("=value; Secure") is None
