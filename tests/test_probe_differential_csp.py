"""CSP, CORS, SRI, cookie prefixes and COOP against real local HTTPS servers.

Each case is a page served on 127.0.0.1 and the verdict the references give
it, written down from them: MDN HTTP Observatory's tests (src/analyzer/tests/
csp.js, cors.js, subresource-integrity.js, cookies.js, cross-origin-opener-
policy.js), W3C CSP3, W3C SRI, RFC 6265bis. The probe's observation is
judged by the real controls (the audit's engine), not by re-reading fields.
"""

from __future__ import annotations

import json
import ssl
import tempfile
from pathlib import Path
from typing import Any

import pytest

from conformite._paths import builtin_catalogue_dir
from conformite.catalogue.loader import load_catalogue
from conformite.engine.fixtures import run_fixture
from conformite.inventory.observations import Observation
from conformite.inventory.reference import load_reference
from conformite.probe import ProbeSettings, probe_endpoints
from conformite.probe.csp import analyse
from test_probe_support import LocalCA, closed_port, serve

CATALOGUE = load_catalogue()
REFERENCE = load_reference(builtin_catalogue_dir() / "reference")
TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
HTML = [("Content-Type", "text/html; charset=utf-8")]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


def settings(ca: LocalCA) -> ProbeSettings:
    return ProbeSettings(
        allow_private_addresses=True, ca_file=ca.ca_file, http_port=closed_port(), timeout=2
    )


def probe(ca: LocalCA, headers: list[tuple[str, str]], body: bytes = b"<p>ok</p>") -> Observation:
    with serve({"/": (200, HTML + headers, body)}, ca.leaf(), versions=TLS12_13) as site:
        (observation,) = probe_endpoints([site.url], settings(ca)).observations
    return observation


def judge(control: str, observation: Observation) -> tuple[str, list[str]]:
    """The outcome and failed facts of ``control`` for this observation, by the audit's engine."""
    fixture = {
        "control": control,
        "base": {
            "services": [
                {
                    "id": "desk",
                    "name": "Desk",
                    "owner": "Greffe",
                    "purpose": "Démarches",
                    "hosting": "saas",
                    "data_categories": ["identity"],
                    "endpoints": [{"url": observation.url, "kind": "portal"}],
                }
            ]
        },
        "cases": [
            {
                "name": "probed",
                "target": f"endpoint:{observation.url}",
                "expect": "pass",
                "observations": {
                    observation.url: observation.model_dump(mode="json", exclude={"url"})
                },
            }
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fixture.yaml"
        path.write_text(json.dumps(fixture), encoding="utf-8")  # JSON is YAML
        (result,) = run_fixture(path, CATALOGUE, REFERENCE)
    return result.actual, result.actual_facts


# --- CSP ----------------------------------------------------------------------------------
# (policy header, meta policy, expected failing rules) — the reference for each line.
CSP_CASES = [
    # Observatory csp.js: default-src 'self' is "implemented with no unsafe" (pass).
    ("default-src 'self'", None, []),
    # Observatory: https: in script-src is DANGEROUSLY_BROAD (fails); CSP3 allows any HTTPS host.
    ("script-src https:; object-src 'none'", None, ["broad_script_source"]),
    # Observatory: no script-src/default-src: script_src = {'*'} and object_src = {'*'}.
    (
        "img-src 'self'",
        None,
        ["unsafe_inline", "unsafe_eval", "broad_script_source", "broad_object_source"],
    ),
    # Observatory: * and http: in object-src fail (unsafeObjects).
    ("script-src 'self'; object-src *", None, ["broad_object_source"]),
    ("default-src 'self'; object-src http:", None, ["broad_object_source", "insecure_scheme"]),
    # CSP3 §6.7.3.3 and Observatory: a nonce or hash neutralises 'unsafe-inline'.
    ("script-src 'self' 'unsafe-inline' 'nonce-abc'; object-src 'none'", None, []),
    ("script-src 'self' 'unsafe-inline'; object-src 'none'", None, ["unsafe_inline"]),
    # Observatory: data: in script-src is treated as unsafe inline.
    ("script-src 'self' data:; object-src 'none'", None, ["unsafe_inline"]),
    ("default-src 'self' 'unsafe-eval'", None, ["unsafe_eval"]),
    # CSP3 §8.2 and Observatory: strict-dynamic with a nonce drops https:, 'self', unsafe-inline.
    (
        "script-src 'nonce-r4nd' 'strict-dynamic' https: 'unsafe-inline'; object-src 'none'",
        None,
        [],
    ),
    # Observatory: strict-dynamic without nonce or hash is an invalid header (fails).
    (
        "script-src 'strict-dynamic' 'self'; object-src 'none'",
        None,
        ["strict_dynamic_without_nonce"],
    ),
    # Observatory: http: source for active content on an HTTPS page.
    ("default-src 'self'; connect-src http://api.example.net", None, ["insecure_scheme"]),
    # CSP3 §6.1: directive names are case-insensitive; keywords too.
    ("DEFAULT-SRC 'SELF'; Script-Src 'Unsafe-Inline'", None, ["unsafe_inline"]),
    # CSP3 §2.2.1: a repeated directive is ignored, the first counts.
    ("default-src 'self'; script-src 'self'; script-src *", None, []),
    # CSP3 §8.1: two policies both apply; a weakness counts only when each has it.
    ("default-src *, script-src 'self'; object-src 'none'", None, []),
    # HTML §4.2.5.3: a meta policy is enforced (Observatory reads http-equiv too).
    (None, "default-src 'self'", []),
    (None, "script-src https:; object-src 'none'", ["broad_script_source"]),
]


@pytest.mark.parametrize(("header", "meta", "rules"), CSP_CASES)
def test_csp_rules_match_the_references(
    ca: LocalCA, header: str | None, meta: str | None, rules: list[str]
) -> None:
    headers = [("Content-Security-Policy", header)] if header else []
    body = b"<html><head>"
    if meta:
        body += f'<meta http-equiv="Content-Security-Policy" content="{meta}">'.encode()
    observation = probe(ca, headers, body + b"</head><body>ok</body></html>")
    http = observation.http
    assert http.csp_problems is not None
    assert [p.rule for p in http.csp_problems] == rules
    assert http.csp_unsafe_inline is ("unsafe_inline" in rules)
    assert http.csp_meta == meta
    outcome, _ = judge("EP-CSP", observation)
    assert outcome == ("fail" if rules else "pass")


def test_report_only_is_recorded_but_not_enforced(ca: LocalCA) -> None:
    # Observatory: "CSP not implemented, but reporting enabled" fails.
    observation = probe(ca, [("Content-Security-Policy-Report-Only", "default-src 'self'")])
    assert observation.http.csp is None
    assert observation.http.csp_report_only == "default-src 'self'"
    outcome, facts = judge("EP-CSP", observation)
    assert (outcome, facts) == (
        "fail",
        ["127.0.0.1 (Content-Security-Policy-Report-Only: default-src 'self')"],
    )


def test_frame_ancestors_in_a_meta_tag_is_ignored(ca: LocalCA) -> None:
    # HTML §4.2.5.3: frame-ancestors is not supported in a meta policy.
    body = b"""<meta http-equiv="content-security-policy" content="frame-ancestors 'none'">"""
    observation = probe(ca, [], body)
    assert observation.http.frame_ancestors is None
    assert analyse([], ["frame-ancestors 'none'; default-src 'self'"]).frame_ancestors is None


def test_base_uri_is_recorded_without_failing(ca: LocalCA) -> None:
    # Observatory lists a missing base-uri (insecureBaseUri) without scoring it.
    without = probe(ca, [("Content-Security-Policy", "default-src 'self'")])
    with_base = probe(ca, [("Content-Security-Policy", "default-src 'self'; base-uri 'none'")])
    assert (without.http.csp_base_uri_missing, with_base.http.csp_base_uri_missing) == (True, False)
    assert judge("EP-CSP", without)[0] == "pass"


# --- CORS ---------------------------------------------------------------------------------
def echo_origin(credentials: bool) -> Any:
    def route(handler: Any) -> Any:
        headers = list(HTML)
        origin = handler.headers.get("Origin")
        if origin:
            headers.append(("Access-Control-Allow-Origin", origin))
            if credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
        return 200, headers, b"<p>api</p>"

    return route


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        # Observatory cors.js: no ACAO header: "not implemented", pass.
        ((200, HTML, b"x"), "pass"),
        # Observatory: "*" is public access, pass.
        ((200, [*HTML, ("Access-Control-Allow-Origin", "*")], b"x"), "pass"),
        # Fetch §3.2.5: * with credentials is refused by browsers; conformite fails it.
        (
            (
                200,
                [
                    *HTML,
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Credentials", "true"),
                ],
                b"x",
            ),
            "fail",
        ),
        # Observatory: origin echoed with credentials is "universal access", fail.
        (echo_origin(True), "fail"),
        # Observatory: echoed without credentials is "restricted access", pass.
        (echo_origin(False), "pass"),
    ],
)
def test_cors_matches_observatory(ca: LocalCA, route: Any, expected: str) -> None:
    with serve({"/": route}, ca.leaf(), versions=TLS12_13) as site:
        (observation,) = probe_endpoints([site.url], settings(ca)).observations
        origins = [r.headers.get("Origin") for r in site.requests if r.path == "/"]
    # the page is asked as a browser does (no Origin), then once with a foreign Origin
    assert origins == [None, "https://cors-check.conformite.invalid"]
    assert judge("EP-CORS", observation)[0] == expected


# --- Subresource Integrity ----------------------------------------------------------------
SHA = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"


@pytest.mark.parametrize(
    ("html", "expected", "facts"),
    [
        # Observatory subresource-integrity.js: no scripts: pass.
        ("<p>no scripts</p>", "pass", []),
        # Observatory: same-origin scripts need no SRI.
        ('<script src="/app.js"></script>', "pass", []),
        # Observatory: same second-level domain counts as the same site.
        ('<script src="https://127.0.0.1:1/x.js"></script>', "pass", []),
        # Observatory: foreign script without integrity fails.
        (
            '<script src="https://cdn.example.net/lib.js"></script>',
            "fail",
            ["script https://cdn.example.net/lib.js"],
        ),
        # W3C SRI §3.3: a sha384 hash is enforced.
        (f'<script src="https://cdn.example.net/lib.js" integrity="{SHA}"></script>', "pass", []),
        # W3C SRI §3.3.3: md5 is not a supported algorithm: no integrity check happens.
        (
            '<script src="https://cdn.example.net/lib.js" integrity="md5-abc"></script>',
            "fail",
            ["script https://cdn.example.net/lib.js"],
        ),
        # Stylesheets from another site too (conformite; Observatory reads scripts only).
        (
            '<LINK REL="Stylesheet" HREF="//cdn.example.net/a.css">',
            "fail",
            ["stylesheet https://cdn.example.net/a.css"],
        ),
    ],
)
def test_subresource_integrity(ca: LocalCA, html: str, expected: str, facts: list[str]) -> None:
    observation = probe(ca, [], html.encode())
    assert judge("EP-SRI", observation) == (expected, facts)


def test_a_page_that_is_not_html_has_no_resources(ca: LocalCA) -> None:
    # Observatory: "response not HTML" passes.
    with serve(
        {"/": (200, [("Content-Type", "application/json")], b'{"a": "<script src=//x.net/a.js>"}')},
        ca.leaf(),
        versions=TLS12_13,
    ) as site:
        (observation,) = probe_endpoints([site.url], settings(ca)).observations
    assert observation.http.page is not None
    assert (observation.http.page.html, observation.http.page.cross_origin_resources) == (False, [])


# --- Cookies ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cookie", "expected", "facts"),
    [
        # RFC 6265bis §4.1.3.2: __Host- needs Secure, Path=/ and no Domain.
        ("__Host-id=1; Secure; Path=/; HttpOnly; SameSite=Lax", "pass", []),
        (
            "__Host-id=1; Secure; Path=/; Domain=127.0.0.1; HttpOnly; SameSite=Lax",
            "fail",
            ["__Host-id"],
        ),
        ("__Host-id=1; Secure; Path=/app; HttpOnly; SameSite=Lax", "fail", ["__Host-id"]),
        # RFC 6265bis §4.1.3.1: __Secure- needs Secure (also fails the Secure rule).
        ("__Secure-id=1; HttpOnly; SameSite=Lax", "fail", ["__Secure-id", "__Secure-id"]),
        # Observatory cookies.js: SameSite=None without Secure fails (samesite invalid).
        ("prefs=1; SameSite=None", "fail", ["prefs"]),
        # Observatory passes an auth cookie without HttpOnly (it only knows login/sess);
        # conformite fails it: a script that reads it takes over the session.
        ("auth_token=1; Secure; SameSite=Lax", "fail", ["auth_token"]),
    ],
)
def test_cookie_rules(ca: LocalCA, cookie: str, expected: str, facts: list[str]) -> None:
    observation = probe(ca, [("Set-Cookie", cookie)])
    assert judge("EP-COOKIES", observation) == (expected, facts)


# --- COOP ---------------------------------------------------------------------------------
LOGIN = b'<form method="post"><input name="u"><INPUT TYPE="Password" name="p"></form>'


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        # HTML standard §7.1.3: same-origin isolates the login window.
        ([("Cross-Origin-Opener-Policy", "same-origin")], LOGIN, "pass"),
        ([], LOGIN, "fail"),
        ([("Cross-Origin-Opener-Policy", "unsafe-none")], LOGIN, "fail"),
        # No login on the page: the check does not apply.
        ([], b"<p>news</p>", "not_applicable"),
    ],
)
def test_coop_on_login_pages(
    ca: LocalCA, headers: list[tuple[str, str]], body: bytes, expected: str
) -> None:
    observation = probe(ca, [*headers, ("Cross-Origin-Resource-Policy", "same-site")], body)
    assert observation.http.page is not None
    assert observation.http.page.corp == "same-site"
    assert judge("EP-COOP", observation)[0] == expected
