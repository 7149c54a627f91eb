"""What the final page itself says: its HTML, CORS answer, COOP/CORP and cookie prefixes.

The final URL of :func:`.http.probe_page` is asked once more, without
following redirects, with a foreign ``Origin`` header (as MDN HTTP
Observatory does for its CORS test) and its body read up to
:data:`MAX_PAGE_BYTES` and parsed with the standard library's
:mod:`html.parser` (never executed). From it:

* the CORS answer: ``Access-Control-Allow-Origin`` and whether credentials
  are allowed (Fetch standard §3.2.3);
* the scripts and stylesheets loaded from another site, and whether each
  carries an ``integrity`` attribute with a sha256/384/512 hash (W3C
  Subresource Integrity §3.2: other algorithms are ignored by browsers);
  "another site" is another registrable domain (Public Suffix List, as for the
  redirects the probe follows: :func:`conformite.probe.headers.site_of`);
* a ``<meta http-equiv="Content-Security-Policy">`` policy, which browsers
  enforce like the header's (the CSP verdict is then computed again with it);
* a password field (the page has a login), ``Cross-Origin-Opener-Policy``
  and ``Cross-Origin-Resource-Policy``.

When this request fails the page facts stay unknown (``page`` and
``csp_problems`` null), so the controls reading them say "to document".
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from conformite.inventory.observations import (
    CookieObservation,
    CorsObservation,
    CspProblem,
    HttpObservation,
    PageObservation,
    PageResource,
)
from conformite.probe import csp
from conformite.probe.headers import site_of
from conformite.probe.http import fetch, parse_cookie
from conformite.probe.runner import Budget
from conformite.probe.settings import ProbeSettings

__all__ = ["FOREIGN_ORIGIN", "MAX_PAGE_BYTES", "observe_page", "prefix_problem"]

#: The page's body is read up to this size (a larger page is read in part).
MAX_PAGE_BYTES = 2 * 1024 * 1024
#: The Origin sent to see whether the site shares its answers with any site.
FOREIGN_ORIGIN = "https://cors-check.conformite.invalid"
_SRI = re.compile(r"^sha(256|384|512)-[A-Za-z0-9+/_-]+={0,2}$")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[str] = []
        self.resources: list[tuple[str, str, str | None]] = []
        self.password_field = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "meta" and values.get("http-equiv", "").strip().lower() == (
            "content-security-policy"
        ):
            self.metas.append(values.get("content", ""))
        elif tag == "script" and values.get("src", "").strip():
            self.resources.append(("script", values["src"].strip(), values.get("integrity")))
        elif (
            tag == "link"
            and "stylesheet" in values.get("rel", "").lower().split()
            and values.get("href", "").strip()
        ):
            self.resources.append(("stylesheet", values["href"].strip(), values.get("integrity")))
        elif tag == "input" and values.get("type", "").strip().lower() == "password":
            self.password_field = True

    handle_startendtag = handle_starttag


def _integrity(value: str | None) -> bool:
    """An integrity attribute a browser enforces: at least one sha256/384/512 hash."""
    return value is not None and any(_SRI.match(token) for token in value.split())


def parse_page(body: bytes, page_url: str) -> tuple[list[str], list[PageResource], bool]:
    """The meta CSP policies, the other sites' scripts and stylesheets, a password field."""
    parser = _PageParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    parser.close()
    page_site = site_of(urlsplit(page_url).hostname or "")
    resources = []
    for kind, src, integrity in parser.resources:
        url = urljoin(page_url, src)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or site_of(parts.hostname or "") == page_site:
            continue
        resources.append(PageResource(url=url[:300], kind=kind, integrity=_integrity(integrity)))
    return parser.metas, resources, parser.password_field


def prefix_problem(header: str, cookie: CookieObservation) -> bool:
    """Whether a ``__Secure-``/``__Host-`` cookie breaks its prefix's rules (RFC 6265bis §4.1.3)."""
    if cookie.name.startswith("__Secure-"):
        return not cookie.secure
    if not cookie.name.startswith("__Host-"):
        return False
    attributes = {}
    for part in header.split(";")[1:]:
        key, _, value = part.partition("=")
        attributes[key.strip().lower()] = value.strip()
    return not cookie.secure or "domain" in attributes or attributes.get("path") != "/"


def _cookie_prefixes(set_cookies: list[str]) -> list[str]:
    invalid: dict[str, None] = {}
    for header in set_cookies:
        cookie = parse_cookie(header)
        if cookie is not None and prefix_problem(header, cookie):
            invalid[cookie.name] = None
    return list(invalid)


def apply_csp(observation: HttpObservation, headers: Any, metas: list[str]) -> None:
    """The CSP facts from the header's policies and the page's meta policies."""
    header = headers.get("Content-Security-Policy")
    analysis = csp.analyse([header] if header else [], metas)
    observation.csp_meta = " , ".join(m for m in metas if m.strip()) or None
    observation.csp_report_only = headers.get("Content-Security-Policy-Report-Only")
    observation.csp_unsafe_inline = analysis.unsafe_inline if analysis.enforced else False
    observation.csp_unsafe_eval = analysis.unsafe_eval if analysis.enforced else False
    observation.csp_base_uri_missing = analysis.base_uri_missing if analysis.enforced else None
    observation.csp_problems = [
        CspProblem(rule=rule, detail=detail)  # type: ignore[arg-type]
        for rule, detail in analysis.problems.items()
    ]


def observe_page(
    observation: HttpObservation,
    fetched: Any,
    session: Any,
    settings: ProbeSettings,
    budget: Budget,
) -> None:
    """Add the page facts to ``observation``; they stay unknown if the page cannot be read."""
    observation.cookies_prefix_invalid = _cookie_prefixes(
        [header for hop in fetched.hops for header in hop.set_cookies]
    )
    final = fetched.final
    if final.status >= 300 and final.status < 400:
        return  # the redirect was not followed: there is no page to read
    session.headers["Origin"] = FOREIGN_ORIGIN
    try:
        again = fetch(session, final.url, settings, budget, max_body=MAX_PAGE_BYTES, follow=False)
    except Exception:
        return
    finally:
        del session.headers["Origin"]
    answer = again.final
    content_type = (answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    html = content_type in _HTML_TYPES or (not content_type and b"<" in (again.body or b"")[:64])
    metas, resources, password = [], [], False
    if html:
        metas, resources, password = parse_page(again.body or b"", answer.url)
    apply_csp(observation, final.headers, metas)
    observation.page = PageObservation(
        html=html,
        truncated=again.too_large,
        password_field=password,
        cross_origin_resources=resources,
        cors=CorsObservation(
            origin_sent=FOREIGN_ORIGIN,
            allow_origin=answer.headers.get("Access-Control-Allow-Origin"),
            allow_credentials=(answer.headers.get("Access-Control-Allow-Credentials") or "")
            .strip()
            .lower()
            == "true",
        ),
        coop=final.headers.get("Cross-Origin-Opener-Policy"),
        corp=final.headers.get("Cross-Origin-Resource-Policy"),
    )
