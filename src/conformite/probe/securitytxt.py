"""security.txt (RFC 9116): how to report a vulnerability to the site's owner.

The file must be at ``/.well-known/security.txt``, served over HTTPS as
``text/plain``, with at least one ``Contact`` (``mailto:``, ``tel:`` or an
``https://`` URI) and exactly one ``Expires`` in RFC 3339 form, not past;
the RFC recommends less than a year ahead and this probe requires it (a
stale file is worse than none: reports go nowhere). ``valid`` is true only
when all of that holds and every line is a comment, blank or ``Field: value``.
A PGP cleartext signature is unwrapped (not verified).

The syntax is section 4's ABNF: ``Name: value`` with no space before the
colon and one after it, every line ending with CRLF or LF (the last one too),
UTF-8 without a byte-order mark; URI fields (Contact, Canonical, Encryption,
Policy, ...) hold a URI, ``https://`` for a web one; Preferred-Languages at
most once, RFC 5646 tags separated by commas; when ``Canonical`` fields are
present, one must be the address the file was fetched from (section 2.5.2).
A signed file starts with the PGP header and ends with the signature.
The verdicts are compared with sectxt's (internet.nl's validator) in
tests/test_probe_differential_securitytxt.py; where they deliberately differ
(Expires more than a year ahead, a same-host redirect) is said in
EP-SECURITY-TXT's documentation.

Problem codes (in ``problems``): ``http_status_<N>``, ``cross_host_redirect``,
``redirects_to_http``, ``https_unavailable``, ``too_large``, ``not_utf8``,
``byte_order_mark``, ``content_type_not_text_plain``, ``charset_not_utf8``,
``missing_final_newline``, ``malformed_line_<N>``, ``signature_not_at_start``,
``signature_malformed``, ``data_after_signature``, ``uri_invalid_<field>``,
``uri_not_https_<field>``, ``preferred_languages_invalid``,
``preferred_languages_repeated``, ``canonical_mismatch``, ``contact_missing``,
``contact_invalid`` (the only one that leaves the file valid, when another
Contact is good), ``expires_missing``, ``expires_repeated``,
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
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?P<fraction>\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})$"
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
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None


_BEGIN_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
_BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
_END_SIGNATURE = "-----END PGP SIGNATURE-----"
#: the fields whose value is a URI (RFC 9116 section 2.5); a web URI must be https
_URI_FIELDS = ("acknowledgments", "canonical", "contact", "encryption", "hiring", "policy", "csaf")
#: RFC 5646 section 2.1 (syntax only: a registered subtag is not required)
_LANGUAGE_TAG = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|\d{3}))?(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+"
)
#: problems that do not make the file invalid: a Contact of another scheme beside a good one
_NOT_FATAL = frozenset({"contact_invalid"})


def _unwrap_signature(lines: list[str], problems: list[str]) -> list[str]:
    """The signed content of a PGP cleartext-signed file (RFC 9116 section 2.3, RFC 4880 section 7).

    The signature itself is not verified; its envelope must be whole, start the
    file and end it.
    """
    if _BEGIN_SIGNED not in lines:
        return lines
    if lines[0] != _BEGIN_SIGNED:
        problems.append("signature_not_at_start")
        return lines
    start = 1
    while start < len(lines) and lines[start].strip():  # armour headers (Hash: ...)
        start += 1
    if _BEGIN_SIGNATURE not in lines[start:]:
        problems.append("signature_malformed")
        return []
    end = lines.index(_BEGIN_SIGNATURE, start)
    body = [line[2:] if line.startswith("- ") else line for line in lines[start + 1 : end]]
    rest = lines[end + 1 :]
    if _END_SIGNATURE not in rest:
        problems.append("signature_malformed")
    elif any(line.strip() for line in rest[rest.index(_END_SIGNATURE) + 1 :]):
        problems.append("data_after_signature")
    return body


def _check_field(name: str, value: str, problems: list[str]) -> None:
    if name in _URI_FIELDS:
        scheme, colon, _ = value.partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
            problems.append(f"uri_invalid_{name}")
        elif scheme.lower() == "http":  # section 2.5: a web URI MUST begin with https://
            problems.append(f"uri_not_https_{name}")
    elif name == "preferred-languages":
        tags = [tag.strip() for tag in value.split(",")]
        if not all(_LANGUAGE_TAG.fullmatch(tag) for tag in tags):
            problems.append("preferred_languages_invalid")


def _fields(text: str, problems: list[str]) -> dict[str, list[str]]:
    """The fields of the file, names lower-cased, after the syntax checks of section 4."""
    if text and not text.endswith("\n"):  # section 4: every line ends with CRLF or LF
        problems.append("missing_final_newline")
    lines = [line.rstrip() for line in text.split("\n")]
    fields: dict[str, list[str]] = {}
    for number, line in enumerate(_unwrap_signature(lines, problems), start=1):
        if not line or line.startswith("#"):
            continue
        # "Name: value": no space before the colon, one after it, a value (section 4)
        match = re.fullmatch(r"([A-Za-z0-9-]+): +(\S.*)", line)
        if match is None:
            problems.append(f"malformed_line_{number}")
            continue
        name, value = match.group(1).lower(), match.group(2)
        _check_field(name, value, problems)
        fields.setdefault(name, []).append(value)
    if len(fields.get("preferred-languages", [])) > 1:
        problems.append("preferred_languages_repeated")
    return fields


def parse_security_txt(
    body: bytes,
    content_type: str | None,
    now: dt.datetime,
    urls: list[str] | None = None,
) -> SecurityTxtObservation:
    """Judge the content of a security.txt file received over HTTPS with status 200.

    ``urls``: the addresses it was fetched from (asked, and final after a
    redirect); when the file lists ``Canonical`` URIs, one of them must be among
    those (section 2.5.2: otherwise its content should not be trusted).
    """
    observation = SecurityTxtObservation(present=True, content_type=content_type)
    problems = observation.problems
    media, _, params = (content_type or "").partition(";")
    if media.strip().lower() != "text/plain":
        problems.append("content_type_not_text_plain")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        problems.append("charset_not_utf8")
    if body.startswith(b"\xef\xbb\xbf"):  # section 4: Net-Unicode (RFC 5198), no BOM
        problems.append("byte_order_mark")
        body = body[3:]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("not_utf8")
        text = body.decode("utf-8", errors="replace")
    fields = _fields(text, problems)

    canonical = fields.get("canonical", [])
    if canonical and urls is not None and not set(urls) & set(canonical):
        problems.append("canonical_mismatch")

    observation.contacts = fields.get("contact", [])
    good_contacts = [c for c in observation.contacts if c.lower().startswith(_CONTACT_SCHEMES)]
    if not observation.contacts:
        problems.append("contact_missing")
    elif len(good_contacts) < len(observation.contacts):
        problems.append("contact_invalid")

    expires = fields.get("expires", [])
    observation.expires_count = len(expires)
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

    observation.valid = bool(good_contacts) and all(p in _NOT_FATAL for p in problems)
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
    observation = parse_security_txt(
        fetched.body, final.headers.get("Content-Type"), now, urls=[url, final.url]
    )
    observation.url = final.url
    return observation
