"""Content Security Policy: parsing and the rules a policy is judged by.

References: W3C *Content Security Policy Level 3* (CSP3) and MDN HTTP
Observatory's CSP test (``src/analyzer/tests/csp.js``), whose score-bearing
rules are followed:

* the script sources in force are ``script-src``, else ``default-src``, else
  none at all (every source allowed); ``object-src`` falls back the same way;
* ``'unsafe-inline'`` (or ``data:``) in the script sources lets injected inline
  script run, unless a nonce or hash (or ``'strict-dynamic'``) is present: CSP3
  §6.7.3.3 then ignores ``'unsafe-inline'``;
* ``'strict-dynamic'`` with a nonce or hash makes CSP3 browsers ignore host
  and scheme sources, ``'self'`` and ``'unsafe-inline'``; without a nonce or
  hash the policy is broken (CSP3 browsers run no script, older ones run the
  other sources): Observatory fails it as invalid, so does conformite;
* ``*``, ``http:``, ``https:``, ``ftp:`` and ``http(s)://*`` allow scripts (or
  plug-ins) from any site: an attacker only needs a file on any HTTPS host;
* ``'unsafe-eval'`` in script (or style) sources;
* an ``http:``/``ftp:`` source for active content (anything but images and
  media) on an HTTPS page.

Parsing (CSP3 §2.2): the header's comma-joined values are separate policies
and a resource must be allowed by *every* policy, so a weakness counts only
when each enforced policy has it. Directive names and keyword sources are
case-insensitive; a repeated directive is ignored (the first one counts); a
``-src`` directive without sources means ``'none'``. Policies in
``<meta http-equiv>`` tags are enforced too, without ``frame-ancestors``,
``report-uri`` and ``sandbox`` (HTML §4.2.5.3). ``Content-Security-Policy-
Report-Only`` is never enforced: it is recorded, not counted.

``base-uri`` missing is recorded (Observatory lists it as a weakness without
scoring it) but is not one of the failing rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

from conformite.inventory.observations import CspRule

__all__ = ["CspAnalysis", "analyse", "parse_policies"]

Policy = dict[str, list[str]]

#: Sources that allow any site (Observatory's DANGEROUSLY_BROAD).
BROAD = frozenset(
    {"*", "http:", "https:", "ftp:", "http://*", "http://*.*", "https://*", "https://*.*"}
)
_NONCE_OR_HASH = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")
_META_IGNORED = ("frame-ancestors", "report-uri", "sandbox")
_PASSIVE = ("img-src", "media-src")
_DROPPED = ("'self'", "'unsafe-inline'")

#: Rule names, in the order they are reported.
RULES: tuple[str, ...] = get_args(CspRule)


def parse_policies(text: str, *, meta: bool = False) -> list[Policy]:
    """The policies of a header value (comma-separated) or of a meta tag's content."""
    policies: list[Policy] = []
    for policy_text in text.split(","):
        directives: Policy = {}
        for part in policy_text.split(";"):
            tokens = part.split()
            if not tokens:
                continue
            name = tokens[0].lower()
            if name in directives or (meta and name in _META_IGNORED):
                continue  # CSP3 §2.2.1: a repeated directive is ignored
            sources = [t.lower() for t in tokens[1:]]
            if not sources and name.endswith("-src"):
                sources = ["'none'"]
            directives[name] = sources
        if directives:
            policies.append(directives)
    return policies


def _nonce_or_hash(sources: list[str]) -> bool:
    return any(s.startswith(_NONCE_OR_HASH) for s in sources)


def _policy_problems(policy: Policy) -> dict[str, str]:
    """Each failing rule of one policy, with the sources that make it fail."""
    default = policy.get("default-src")
    # Without script-src nor default-src, CSP3 lets every script run, inline and eval too.
    unrestricted = ["*", "'unsafe-inline'", "'unsafe-eval'"]
    script = list(policy.get("script-src", default if default is not None else unrestricted))
    objects = policy.get("object-src", default if default is not None else ["*"])
    style = policy.get("style-src", default if default is not None else [])
    fallback = "default-src" if default is not None else None
    script_origin = "script-src" if "script-src" in policy else fallback or "(no script-src)"
    problems: dict[str, str] = {}
    guarded = _nonce_or_hash(script)
    if "'strict-dynamic'" in script:
        if guarded:
            # CSP3 §8.2: host and scheme sources, 'self' and 'unsafe-inline' are ignored.
            script = [s for s in script if s.startswith("'") and s not in _DROPPED]
        else:
            problems["strict_dynamic_without_nonce"] = f"{script_origin} 'strict-dynamic'"
    inline = [s for s in script if s in ("'unsafe-inline'", "data:")]
    if "'strict-dynamic'" in script or guarded:
        inline = [s for s in inline if s != "'unsafe-inline'"]
    if inline:
        problems["unsafe_inline"] = f"{script_origin} {' '.join(inline)}"
    if "'unsafe-eval'" in script + style:
        problems["unsafe_eval"] = f"{script_origin} 'unsafe-eval'"
    broad = [s for s in script if s in BROAD]
    if broad:
        problems["broad_script_source"] = f"{script_origin} {' '.join(broad)}"
    broad_objects = [s for s in objects if s in BROAD]
    if broad_objects:
        name = "object-src" if "object-src" in policy else fallback or "(no object-src)"
        problems["broad_object_source"] = f"{name} {' '.join(broad_objects)}"
    active = [s for n, v in policy.items() if n not in _PASSIVE and n != "script-src" for s in v]
    insecure = sorted({s for s in active + script if s.startswith(("http:", "ftp:"))})
    if insecure:
        problems["insecure_scheme"] = " ".join(insecure)
    return problems


@dataclass
class CspAnalysis:
    """What the enforced policies allow, rule by rule."""

    problems: dict[str, str] = field(default_factory=dict)
    unsafe_inline: bool = False
    unsafe_eval: bool = False
    frame_ancestors: str | None = None
    base_uri_missing: bool = True
    enforced: bool = False


def analyse(headers: list[str], metas: list[str] = ()) -> CspAnalysis:  # type: ignore[assignment]
    """The rules the enforced policies (header values, then meta tags) fail together."""
    header_policies = [p for h in headers for p in parse_policies(h)]
    policies = header_policies + [p for m in metas for p in parse_policies(m, meta=True)]
    result = CspAnalysis(enforced=bool(policies))
    if not policies:  # nothing enforced: inline script and eval run
        result.unsafe_inline = result.unsafe_eval = True
        return result
    each = [_policy_problems(p) for p in policies]
    for rule in RULES:
        if all(rule in problems for problems in each):  # every policy lets it through
            result.problems[rule] = each[0][rule]
    result.unsafe_inline = "unsafe_inline" in result.problems
    result.unsafe_eval = "unsafe_eval" in result.problems
    result.base_uri_missing = not any(
        "base-uri" in p and not set(p["base-uri"]) & (BROAD | {"data:"}) for p in policies
    )
    for policy in header_policies:
        if "frame-ancestors" in policy:
            result.frame_ancestors = " ".join(policy["frame-ancestors"]) or "'none'"
            break
    return result
