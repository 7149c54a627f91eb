"""DMARC policy discovery (RFC 7489 section 6.6.3), with the organisational domain.

A receiver looks for ``_dmarc.<domain>`` first. When that name has no DMARC
record and the domain is a sub-domain, it looks up ``_dmarc.<organisational
domain>``, the registrable domain that the Public Suffix List gives (section
3.2), and applies that record's ``sp=`` policy to the sub-domain, or its
``p=`` policy when ``sp=`` is absent (section 6.3). So a commune's
``mail.commune.ch`` is covered by ``commune.ch``'s ``p=reject``.

The Public Suffix List comes from the ``publicsuffixlist`` package, which ships
it: no download at run time.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from conformite.inventory.observations import MailObservation

__all__ = ["check_dmarc", "organisational_domain"]

_POLICIES = ("none", "quarantine", "reject")


@functools.cache
def _public_suffix_list():  # type: ignore[no-untyped-def]
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def organisational_domain(domain: str) -> str:
    """The registrable domain of ``domain`` (itself when it is one, or a public suffix)."""
    name = domain.rstrip(".").lower()
    return _public_suffix_list().privatesuffix(name) or name


def tags(record: str) -> dict[str, str]:
    """A ``tag=value; ...`` record's tags, names lower-cased, first occurrence kept."""
    found: dict[str, str] = {}
    for part in record.split(";"):
        key, equals, value = part.partition("=")
        if equals:
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _dmarc_records(records: list[str]) -> list[str]:
    return [r for r in records if re.match(r"^v\s*=\s*DMARC1\s*(;|$)", r.strip())]


def check_dmarc(domain: str, txt: Callable[[str], list[str]], observation: MailObservation) -> None:
    """Find the DMARC record that applies to ``domain`` and note its policy.

    ``txt`` returns the TXT records of a name (empty when it has none or does not
    exist) and raises on a DNS failure, which the caller reports.
    """
    problems = observation.problems
    domain = domain.rstrip(".").lower()
    records = _dmarc_records(txt(f"_dmarc.{domain}"))
    applied = domain
    organisation = organisational_domain(domain)
    if not records and organisation != domain:
        records = _dmarc_records(txt(f"_dmarc.{organisation}"))
        applied = organisation
    if not records:
        problems.append("dmarc_missing")
        return
    observation.dmarc = records[0]
    observation.dmarc_domain = applied
    observation.dmarc_organisational = applied != domain
    if len(records) > 1:  # section 6.6.3: several records mean no DMARC processing
        problems.append("dmarc_multiple_records")
        return
    found = tags(records[0])
    policy = found.get("p", "").lower()
    if applied != domain and "sp" in found:  # section 6.3: sp= for sub-domains
        policy = found["sp"].lower()
    if policy in _POLICIES:
        observation.dmarc_policy = policy  # type: ignore[assignment]
    else:
        problems.append("dmarc_policy_invalid")
    if found.get("pct", "100") != "100":
        problems.append("dmarc_pct_below_100")
