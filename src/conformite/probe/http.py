"""HTTP of one endpoint: the redirect to HTTPS and the security headers of the page.

What is checked (reference: MDN HTTP Observatory's tests, RFC 6797, CSP3):

* ``http://host/`` redirects to ``https://`` on the *same* host (a redirect to
  another host first would keep HSTS from ever being set on this one); when
  it does not answer, whether the port is closed, silent or not HTTP;
* ``Strict-Transport-Security`` and its ``max-age``, on the *first* HTTPS
  response (the endpoint itself, as Observatory does; the first header only,
  RFC 6797 section 8.1);
* on the *final* response of a same-site redirect chain (``example.ch`` ->
  ``www.example.ch``: the page a browser shows), the page headers:
  ``Content-Security-Policy`` present; whether it still lets inline script or
  ``eval`` run (``'unsafe-inline'`` without a nonce or hash, ``'unsafe-eval'``,
  or no ``script-src``/``default-src`` at all; with several policies, all must
  allow it); the full CSP rules, with the ``<meta>`` policy, are in :mod:`.csp`
  and :mod:`.page_checks`;
* framing restricted by CSP ``frame-ancestors`` (not ``*``) or
  ``X-Frame-Options`` ``DENY`` or ``SAMEORIGIN`` (a header sent twice with
  the same value counts, as in browsers; two different values are invalid);
* ``X-Content-Type-Options: nosniff`` (likewise), ``Referrer-Policy`` (the
  last known token applies) and the ``Secure``, ``HttpOnly`` and ``SameSite``
  flags of every cookie set along the chain (a browser keeps them all).

Safety: a fresh session per check that ignores the environment (no
``.netrc`` credentials, no proxies), keeps no cookies, sends no
``Authorization``; redirects are followed by hand, at most
``settings.max_redirects``, only to ``https`` and only within the same
site (registrable domain, :mod:`.headers`); a redirect elsewhere is
reported, not followed. Every connection goes through :mod:`.netguard`: the
address policy is checked on each one (so on each redirect: a ``www.`` name
at a private address is refused unless the user allowed private addresses)
and each request has an overall deadline. Page bodies
are not read; the bodies that are (security.txt, MTA-STS) are size-limited.
The page's certificate is not checked here (it is judged by :mod:`.tls`), so
that the headers of a site with a bad certificate are still observed.
"""

from __future__ import annotations

import http.cookiejar
import ssl
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit

from conformite.inventory.observations import (
    CookieObservation,
    HttpObservation,
    ResponseObservation,
)
from conformite.probe.csp import analyse as analyse_policies
from conformite.probe.headers import PortState, port_state, same_site, single_value
from conformite.probe.netguard import mount_guard
from conformite.probe.runner import Budget, BudgetExhausted, describe, retry
from conformite.probe.settings import ProbeSettings

__all__ = [
    "Fetched",
    "Hop",
    "RedirectCheck",
    "analyse_csp",
    "check_http_redirect",
    "fetch",
    "netloc",
    "new_session",
    "parse_cookie",
    "parse_hsts",
    "probe_page",
]

PRIVATE_REFERRER_POLICIES = frozenset(
    {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
)
REFERRER_POLICIES = PRIVATE_REFERRER_POLICIES | {
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
}
_OPEN_SOURCES = frozenset({"*", "http:", "https:", "data:", "blob:", "filesystem:"})


def netloc(host: str, port: int | None, default: int) -> str:
    """``host[:port]`` for a URL, with brackets around IPv6 addresses."""
    name = f"[{host}]" if ":" in host else host
    return name if port is None or port == default else f"{name}:{port}"


def new_session(
    settings: ProbeSettings, budget: Budget, ssl_context: ssl.SSLContext | None = None
) -> Any:
    """A requests session that sends nothing the user did not mean to send.

    Its connections go only to addresses the settings' policy allows (checked
    after DNS, on every connection, redirects included) and each request is
    cut off ``settings.request_seconds`` after it starts, or at the end of
    ``budget``, even while bytes still trickle in (see :mod:`.netguard`).

    ``ssl_context``: an unverified context shared by the run, for ``verify=False``
    requests (otherwise urllib3 loads the system's roots again for every
    connection, for nothing: about 40 ms of CPU each).
    """
    import requests

    session = requests.Session()
    mount_guard(
        session,
        partial(budget.request_deadline, settings.request_seconds),
        settings.policy(),
        ssl_context,
        settings.static_hosts,
    )
    session.trust_env = False  # no .netrc credentials, no proxy variables, no CA override
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.headers.clear()
    session.headers.update(
        {"User-Agent": settings.user_agent, "Accept": "*/*", "Accept-Encoding": "identity"}
    )
    return session


@dataclass
class Hop:
    """One response on the way to the final one."""

    url: str
    status: int
    headers: Any  # requests' case-insensitive dict; repeated headers joined by ", "
    set_cookies: list[str]


@dataclass
class Fetched:
    """A GET and the same-host (or same-site) redirects it followed."""

    hops: list[Hop] = field(default_factory=list)
    body: bytes | None = None
    too_large: bool = False
    cross_host_location: str | None = None
    downgrade_location: str | None = None
    too_many_redirects: bool = False

    @property
    def final(self) -> Hop:
        return self.hops[-1]


class RequestTooSlow(TimeoutError):
    """A request not done by its deadline (the watchdog shut its connection down)."""


def _get(
    session: Any,
    url: str,
    settings: ProbeSettings,
    budget: Budget,
    verify: bool | str,
    ends_at: list[float],
) -> Any:
    """One GET, headers only; ``ends_at[0]`` is set to when the request must be done."""
    timeout = budget.timeout(settings.timeout)
    # The session's watchdog computes the same instant a moment later, when it connects.
    ends_at[:] = [budget.request_deadline(settings.request_seconds)]
    try:
        return session.get(
            url, allow_redirects=False, stream=True, timeout=(timeout, timeout), verify=verify
        )
    except Exception as exc:
        if time.monotonic() >= ends_at[0]:
            raise RequestTooSlow("response too slow") from exc
        raise


def fetch(
    session: Any,
    url: str,
    settings: ProbeSettings,
    budget: Budget,
    *,
    verify: bool | str = False,
    max_body: int | None = None,
    follow: bool = True,
    same_site_redirects: bool = False,
) -> Fetched:
    """GET ``url``, following redirects only on the same host and only to https.

    ``same_site_redirects``: also to another host of the same site
    (registrable domain), e.g. ``example.ch`` -> ``www.example.ch``.
    """
    host = (urlsplit(url).hostname or "").lower()
    fetched = Fetched()
    current = url
    for _ in range(settings.max_redirects + 1):
        ends_at = [budget.ends_at]
        call = partial(_get, session, current, settings, budget, verify, ends_at)
        response = retry(
            call, attempts=settings.retries + 1, backoff=settings.backoff, budget=budget
        )
        try:
            fetched.hops.append(
                Hop(
                    url=current,
                    status=response.status_code,
                    headers=response.headers,
                    set_cookies=list(response.raw.headers.getlist("Set-Cookie")),
                )
            )
            location = response.headers.get("Location")
            if follow and response.is_redirect and location:
                target = urljoin(current, location.strip())
                parts = urlsplit(target)
                target_host = (parts.hostname or "").lower()
                if target_host != host and not (
                    same_site_redirects and target_host and same_site(target_host, host)
                ):
                    fetched.cross_host_location = target
                    return fetched
                if parts.scheme != "https":
                    fetched.downgrade_location = target
                    return fetched
                current = target
                continue
            if max_body is not None:
                fetched.body, fetched.too_large = _read_limited(
                    response, max_body, budget, ends_at[0]
                )
            return fetched
        finally:
            response.close()
    fetched.too_many_redirects = True
    return fetched


def _read_limited(response: Any, limit: int, budget: Budget, ends_at: float) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the body; a body cut off by the deadline is an error."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(4096):
            size += len(chunk)
            if size > limit:
                return b"".join(chunks), True
            chunks.append(chunk)
            if budget.remaining() <= 0:
                raise BudgetExhausted("time budget used up while reading")
    except BudgetExhausted:
        raise
    except Exception as exc:
        _check_deadlines(budget, ends_at, exc)
        raise
    _check_deadlines(budget, ends_at, None)  # the watchdog may have cut the body short
    return b"".join(chunks), False


def _check_deadlines(budget: Budget, ends_at: float, cause: BaseException | None) -> None:
    if budget.remaining() <= 0.01:
        raise BudgetExhausted("time budget used up while reading") from cause
    if time.monotonic() >= ends_at:
        raise RequestTooSlow("response too slow") from cause


@dataclass(frozen=True)
class RedirectCheck:
    """What ``http://host/`` answered."""

    answered: bool
    redirects_to_https: bool | None = None
    location: str | None = None
    cross_host: bool = False
    error: str | None = None
    #: What the port did (closed, silent, malformed...), see :func:`.headers.port_state`.
    state: PortState = "answered"


def check_http_redirect(
    host: str, port: int, settings: ProbeSettings, budget: Budget
) -> RedirectCheck:
    """Ask ``http://host/`` once; ``redirects_to_https`` is ``None`` when nobody answers."""
    url = f"http://{netloc(host, port, 80)}/"
    session = new_session(settings, budget)
    try:
        call = partial(_get, session, url, settings, budget, False, [budget.ends_at])
        response = retry(
            call, attempts=settings.retries + 1, backoff=settings.backoff, budget=budget
        )
    except Exception as exc:
        return RedirectCheck(answered=False, error=describe(exc), state=port_state(exc))
    finally:
        session.close()
    try:
        location = response.headers.get("Location")
        if not (response.is_redirect and location):
            return RedirectCheck(answered=True, redirects_to_https=False)
        target = urljoin(url, location.strip())
        parts = urlsplit(target)
        same_host = (parts.hostname or "").lower() == host.lower()
        return RedirectCheck(
            answered=True,
            redirects_to_https=parts.scheme == "https" and same_host,
            location=target,
            cross_host=not same_host,
        )
    finally:
        response.close()


def parse_hsts(value: str) -> tuple[int | None, bool, list[str]]:
    """``max-age``, ``includeSubDomains`` and problems of a Strict-Transport-Security value."""
    # A repeated header is joined by ", "; only the first applies (RFC 6797 section 8.1).
    first = value.split(",", 1)[0]
    max_age: int | None = None
    include_subdomains = False
    problems: list[str] = ["hsts_repeated"] if "," in value else []
    for directive in first.split(";"):
        name, _, raw = directive.partition("=")
        name = name.strip().lower()
        raw = raw.strip().strip('"')
        if name == "max-age":
            if raw.isdigit():
                max_age = int(raw)
            else:
                problems.append("hsts_invalid_max_age")
        elif name == "includesubdomains":
            include_subdomains = True
    if max_age is None and "hsts_invalid_max_age" not in problems:
        problems.append("hsts_without_max_age")
    return max_age, include_subdomains, problems


def analyse_csp(csp: str) -> tuple[bool, bool, str | None]:
    """Whether inline script and eval may run under ``csp``, and its frame-ancestors."""
    analysis = analyse_policies([csp])
    return analysis.unsafe_inline, analysis.unsafe_eval, analysis.frame_ancestors


def parse_cookie(header: str) -> CookieObservation | None:
    """The flags of one ``Set-Cookie`` header."""
    parts = header.split(";")
    name = parts[0].split("=", 1)[0].strip()
    if not name:
        return None
    secure = http_only = False
    same_site: str | None = None
    for attribute in parts[1:]:
        key, _, value = attribute.partition("=")
        key = key.strip().lower()
        if key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            same_site = value.strip().capitalize() or None
    return CookieObservation(name=name, secure=secure, http_only=http_only, same_site=same_site)


def _referrer_policy(value: str) -> str | None:
    """The policy a browser applies: the last token it knows."""
    known = [t.strip().lower() for t in value.split(",") if t.strip().lower() in REFERRER_POLICIES]
    return known[-1] if known else None


def probe_page(
    session: Any, url: str, settings: ProbeSettings, budget: Budget
) -> tuple[HttpObservation, Fetched | None]:
    """The security headers of the page at ``url`` (https), after same-site redirects.

    HSTS is read on the first response (the endpoint's own host), the page
    headers on the last one (the page a browser shows), cookies on all.
    """
    observation = HttpObservation()
    try:
        fetched = fetch(session, url, settings, budget, same_site_redirects=True)
    except Exception as exc:
        observation.error = describe(exc)
        return observation, None
    final = fetched.final
    headers = final.headers
    observation.status = final.status
    observation.final_url = final.url
    observation.chain = [
        ResponseObservation(url=hop.url, status=hop.status) for hop in fetched.hops
    ]
    if fetched.cross_host_location is not None:
        observation.cross_host_redirect = True
        observation.cross_host_location = fetched.cross_host_location
    if fetched.downgrade_location is not None:
        observation.problems.append("redirects_to_http")
    if fetched.too_many_redirects:
        observation.problems.append("too_many_redirects")

    first = fetched.hops[0]
    observation.hsts_url = first.url
    sts = first.headers.get("Strict-Transport-Security")
    if sts is not None:
        max_age, include_subdomains, problems = parse_hsts(sts)
        observation.hsts_max_age = max_age
        observation.hsts_include_subdomains = include_subdomains
        observation.problems.extend(problems)
    _page_headers(observation, headers)

    cookies: dict[str, CookieObservation] = {}
    for hop in fetched.hops:
        for header in hop.set_cookies:
            cookie = parse_cookie(header)
            if cookie is not None:
                cookies[cookie.name] = cookie
    observation.cookies = list(cookies.values())
    return observation, fetched


def _page_headers(observation: HttpObservation, headers: Any) -> None:
    """CSP, framing, nosniff and Referrer-Policy of the page's (final) response."""
    csp = headers.get("Content-Security-Policy")
    if csp is not None:
        observation.csp = csp
        inline, evaluate, frame_ancestors = analyse_csp(csp)
        observation.csp_unsafe_inline = inline
        observation.csp_unsafe_eval = evaluate
        observation.frame_ancestors = frame_ancestors
    xfo = headers.get("X-Frame-Options")
    observation.x_frame_options = xfo
    xfo_value = single_value(xfo) if xfo is not None else None
    xfo_valid = xfo_value is not None and xfo_value.upper() in ("DENY", "SAMEORIGIN")
    if xfo is not None and not xfo_valid:
        observation.problems.append("x_frame_options_invalid")
    ancestors_restricted = observation.frame_ancestors is not None and not (
        set(observation.frame_ancestors.split()) & _OPEN_SOURCES
    )
    observation.framing_restricted = ancestors_restricted or xfo_valid
    xcto = headers.get("X-Content-Type-Options")
    xcto_value = single_value(xcto) if xcto is not None else None
    observation.nosniff = xcto_value is not None and xcto_value.lower() == "nosniff"
    if xcto is not None and not observation.nosniff:
        observation.problems.append("x_content_type_options_invalid")
    referrer = headers.get("Referrer-Policy")
    observation.referrer_policy = referrer
    if referrer is not None:
        applied = _referrer_policy(referrer)
        observation.referrer_policy_private = applied in PRIVATE_REFERRER_POLICIES
        if applied is None:
            observation.problems.append("referrer_policy_invalid")
