"""security.txt (RFC 9116): how to report a vulnerability to the site's owner.

The file must be at ``/.well-known/security.txt``, served over HTTPS as
``text/plain``, with at least one ``Contact`` (``mailto:``, ``tel:`` or an
``https://`` URI) and exactly one ``Expires`` in RFC 3339 form, not past;
the RFC recommends less than a year ahead and this probe requires it (a
stale file is worse than none: reports go nowhere). ``valid`` is true only
when all of that holds and every line is a comment, blank or ``Field: value``.
A PGP cleartext signature is unwrapped (not verified).

Problem codes (in ``problems``): ``http_status_<N>``, ``cross_host_redirect``,
``redirects_to_http``, ``https_unavailable``, ``too_large``, ``not_utf8``,
``content_type_not_text_plain``, ``charset_not_utf8``, ``malformed_line_<N>``, ``contact_missing``,
``contact_invalid``, ``expires_missing``, ``expires_repeated``,
``expires_invalid``, ``expired``, ``expires_too_far``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from conformite.inventory.observations import SecurityTxtObservation
from conformite.probe.http import fetch, netloc
from conformite.probe.runner import Budget, describe
from conformite.probe.settings import ProbeSettings

__all__ = ["PATH", "check_security_txt", "parse_rfc3339", "parse_security_txt"]

PATH = "/.well-known/security.txt"
#: "less than a year": a year and a leap day, so that renewing on the same date stays valid.
MAX_AHEAD = dt.timedelta(days=366)
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?P<fraction>\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})$"
)
_CONTACT_SCHEMES = ("mailto:", "tel:", "https://")


def parse_rfc3339(value: str) -> dt.datetime | None:
    """An RFC 3339 date-time with its offset, or ``None`` (dates alone and local times are not)."""
    match = _RFC3339.match(value.strip())
    if match is None:
        return None
    text = value.strip().upper()
    fraction = match.group("fraction")
    if fraction and len(fraction) > 7:  # Python reads at most microseconds
        text = text.replace(fraction, fraction[:7], 1)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _unwrap_signature(text: str) -> str:
    """The signed content of a PGP cleartext-signed message (RFC 4880 section 7)."""
    lines = text.splitlines()
    try:
        start = lines.index("-----BEGIN PGP SIGNED MESSAGE-----")
    except ValueError:
        return text
    body: list[str] = []
    index = start + 1
    while index < len(lines) and lines[index].strip():  # armour headers (Hash: ...)
        index += 1
    for line in lines[index + 1 :]:
        if line.startswith("-----BEGIN PGP SIGNATURE-----"):
            break
        body.append(line[2:] if line.startswith("- ") else line)
    return "\n".join(body)


def parse_security_txt(
    body: bytes, content_type: str | None, now: dt.datetime
) -> SecurityTxtObservation:
    """Judge the content of a security.txt file received over HTTPS with status 200."""
    observation = SecurityTxtObservation(present=True, content_type=content_type)
    problems = observation.problems
    media, _, params = (content_type or "").partition(";")
    if media.strip().lower() != "text/plain":
        problems.append("content_type_not_text_plain")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        problems.append("charset_not_utf8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("not_utf8")
        text = body.decode("utf-8", errors="replace")
    text = _unwrap_signature(text.removeprefix("\ufeff"))
    fields: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, value = line.partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z0-9-]+", name.strip()):
            problems.append(f"malformed_line_{number}")
            continue
        fields.setdefault(name.strip().lower(), []).append(value.strip())

    observation.contacts = fields.get("contact", [])
    good_contacts = [c for c in observation.contacts if c.lower().startswith(_CONTACT_SCHEMES)]
    if not observation.contacts:
        problems.append("contact_missing")
    elif len(good_contacts) < len(observation.contacts):
        problems.append("contact_invalid")

    expires = fields.get("expires", [])
    observation.expires_count = len(expires)
    expires_ok = False
    if not expires:
        problems.append("expires_missing")
    else:
        if len(expires) > 1:
            problems.append("expires_repeated")
        observation.expires = expires[0]
        moment = parse_rfc3339(expires[0])
        if moment is None:
            problems.append("expires_invalid")
        else:
            observation.days_to_expiry = (moment - now).days
            if moment <= now:
                problems.append("expired")
            elif moment - now > MAX_AHEAD:
                problems.append("expires_too_far")
            else:
                expires_ok = len(expires) == 1

    observation.valid = (
        expires_ok
        and bool(good_contacts)
        and not any(
            p.startswith(("malformed_line_", "content_type", "charset", "not_utf8"))
            for p in problems
        )
    )
    return observation


def check_security_txt(
    session: Any, host: str, port: int, settings: ProbeSettings, budget: Budget, now: dt.datetime
) -> SecurityTxtObservation:
    """Fetch and judge ``https://host:port/.well-known/security.txt``."""
    url = f"https://{netloc(host, port, 443)}{PATH}"
    try:
        fetched = fetch(session, url, settings, budget, max_body=settings.max_security_txt_bytes)
    except Exception as exc:
        return SecurityTxtObservation(url=url, problems=[f"unreachable: {describe(exc)}"])
    final = fetched.final
    if fetched.cross_host_location is not None:
        return SecurityTxtObservation(url=url, problems=["cross_host_redirect"])
    if fetched.downgrade_location is not None:
        return SecurityTxtObservation(url=url, problems=["redirects_to_http"])
    if final.status != 200 or fetched.body is None:
        return SecurityTxtObservation(url=final.url, problems=[f"http_status_{final.status}"])
    if fetched.too_large:
        return SecurityTxtObservation(
            present=True,
            url=final.url,
            content_type=final.headers.get("Content-Type"),
            problems=["too_large"],
        )
    observation = parse_security_txt(fetched.body, final.headers.get("Content-Type"), now)
    observation.url = final.url
    return observation
