"""Mail domain: SPF, DMARC and MTA-STS, read from DNS through a small interface.

The checks read DNS through :class:`conformite.probe.dns.Resolver` (the TXT
records of a name); tests pass a fake with fixed answers.

* **SPF** (RFC 7208): exactly one ``v=spf1`` record; its ``all`` qualifier
  (``-all`` and ``~all`` are what the reference points ask for; a missing
  ``all`` follows ``redirect=``); DNS-querying terms (``include``, ``a``,
  ``mx``, ``ptr``, ``exists``, ``redirect``) counted through every include,
  at most 10 allowed (section 4.6.4); an ``include:`` or ``redirect=`` of a
  name without exactly one SPF record is a permanent error (sections 5.2 and
  6.1), listed in ``spf_invalid_references``.
* **DMARC** (RFC 7489): one ``v=DMARC1`` record at ``_dmarc.<domain>``, or
  else at ``_dmarc.<organisational domain>`` (section 6.6.3, see
  :mod:`conformite.probe.dmarc`), and its policy (``none`` only monitors;
  ``quarantine`` and ``reject`` act).
* **MTA-STS** (RFC 8461): one ``v=STSv1`` record with an ``id`` at
  ``_mta-sts.<domain>``, then the policy file at
  ``https://mta-sts.<domain>/.well-known/mta-sts.txt``, fetched with a
  verified certificate, no redirects, at most 64 KiB; ``mta_sts_mode`` is the
  policy's mode once both are valid. The policy host is derived from the
  declared domain as the RFC prescribes; it is the only name not written in
  the inventory that the probe contacts, and only when the record exists.

DKIM is not checked: its keys live under selectors that cannot be listed.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

from conformite.inventory.observations import MailObservation
from conformite.probe.dmarc import check_dmarc, tags
from conformite.probe.dns import (
    DnsError,
    NameNotFound,
    NoAnswer,
    Resolver,
)
from conformite.probe.runner import Budget, describe, retry
from conformite.probe.settings import ProbeSettings

__all__ = [
    "check_mail_domain",
    "parse_mta_sts_policy",
]

SPF_LOOKUP_LIMIT = 10
MTA_STS_MAX_AGE = 31_557_600
_DNS_TERMS = frozenset({"a", "mx", "ptr", "exists"})


class _Dns:
    """TXT look-ups of one domain's checks, with retries within the budget."""

    def __init__(self, resolver: Resolver, settings: ProbeSettings, budget: Budget) -> None:
        self.resolver = resolver
        self.settings = settings
        self.budget = budget

    def txt(self, name: str) -> list[str]:
        """Records of ``name``; raises :class:`NameNotFound` or :class:`DnsFailure`."""
        call = partial(self._ask, name)
        try:
            return retry(
                call,
                attempts=self.settings.retries + 1,
                backoff=self.settings.backoff,
                budget=self.budget,
            )
        except NoAnswer:
            return []

    def _ask(self, name: str) -> list[str]:
        return self.resolver.txt(name, self.budget.timeout(self.settings.timeout))

    def txt_or_empty(self, name: str) -> list[str]:
        try:
            return self.txt(name)
        except NameNotFound:
            return []


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, DnsError) else describe(exc)


def _spf_records(records: list[str]) -> list[str]:
    return [r for r in records if re.match(r"(?i)^v=spf1(\s|$)", r.strip())]


class _SpfWalk:
    """Count the DNS look-ups of an SPF record through its includes and redirects."""

    def __init__(self, dns: _Dns, problems: list[str]) -> None:
        self.dns = dns
        self.problems = problems
        self.lookups = 0
        self.fetched = 0
        self.seen: set[str] = set()
        #: include:/redirect= targets that make the record a permanent error
        self.broken: list[str] = []

    def walk(self, record: str) -> str | None:
        """The record's ``all`` term (``-all``, ``~all``, ``?all``, ``+all``) or ``None``."""
        all_term: str | None = None
        redirect: str | None = None
        for term in record.split()[1:]:
            head, equals, value = term.partition("=")
            if equals and re.fullmatch(r"[A-Za-z][\w.-]*", head):  # a modifier
                if head.lower() == "redirect":
                    redirect = value
                continue
            qualifier = term[0] if term[0] in "+-~?" else "+"
            mechanism = term.lstrip("+-~?")
            name = re.split(r"[:/]", mechanism, maxsplit=1)[0].lower()
            if name == "all":
                all_term = f"{qualifier}all"
                break  # terms after "all" are never evaluated
            if name in _DNS_TERMS:
                self.lookups += 1
                if name == "ptr" and "spf_ptr_mechanism" not in self.problems:
                    self.problems.append("spf_ptr_mechanism")
            elif name == "include":
                self.lookups += 1
                target = mechanism.partition(":")[2]
                included = self._fetch(target)
                if included is not None:
                    self.walk(included)
            elif name not in ("ip4", "ip6"):
                self.problems.append(f"spf_unknown_term: {term}")
        if all_term is None and redirect is not None:
            self.lookups += 1
            target_record = self._fetch(redirect)
            if target_record is not None:
                return self.walk(target_record)
        return all_term

    def _fetch(self, name: str) -> str | None:
        name = name.rstrip(".").lower()
        if not name or "%" in name:
            self.problems.append(f"spf_macro_not_checked: {name}")
            return None
        if name in self.seen:
            self.problems.append(f"spf_loop: {name}")
            self.broken.append(name)  # endless recursion: over the limit, a permerror
            return None
        if self.lookups > SPF_LOOKUP_LIMIT or self.fetched >= self.dns.settings.max_spf_records:
            return None  # already over the limit: no need to ask further
        self.seen.add(name)
        self.fetched += 1
        try:
            records = _spf_records(self.dns.txt(name))
        except NameNotFound:
            records = []
        except DnsError as exc:
            self.problems.append(f"spf_lookup_failed: {name}: {exc}")
            return None
        if len(records) != 1:  # RFC 7208 sections 4.5, 5.2 and 6.1: a permerror
            self.problems.append(
                f"spf_include_without_record: {name}"
                if not records
                else f"spf_include_multiple_records: {name}"
            )
            self.broken.append(name)
            return None
        return records[0]


def parse_mta_sts_policy(text: str) -> tuple[str | None, list[str]]:
    """The ``mode`` of an MTA-STS policy file and its problems."""
    problems: list[str] = []
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            problems.append("mta_sts_policy_malformed")
            continue
        fields.setdefault(key.strip().lower(), []).append(value.strip())
    if fields.get("version") != ["STSv1"]:
        problems.append("mta_sts_policy_version")
    modes = fields.get("mode", [])
    mode = modes[0].lower() if len(modes) == 1 else None
    if mode not in ("enforce", "testing", "none"):
        problems.append("mta_sts_policy_mode")
        mode = None
    ages = fields.get("max_age", [])
    if len(ages) != 1 or not ages[0].isdigit() or int(ages[0]) > MTA_STS_MAX_AGE:
        problems.append("mta_sts_policy_max_age")
    if mode in ("enforce", "testing") and not fields.get("mx"):
        problems.append("mta_sts_policy_without_mx")
    valid = not problems
    return (mode if valid else None), problems


def _check_mta_sts(
    domain: str, dns: _Dns, settings: ProbeSettings, observation: MailObservation
) -> None:
    problems = observation.problems
    try:
        records = [
            r
            for r in dns.txt_or_empty(f"_mta-sts.{domain}")
            if re.match(r"^v=STSv1\s*(;|$)", r.strip())
        ]
    except DnsError as exc:
        problems.append(f"mta_sts_lookup_failed: {exc}")
        return
    if not records:
        problems.append("mta_sts_record_missing")
        return
    if len(records) > 1:
        problems.append("mta_sts_multiple_records")
        return
    if not tags(records[0]).get("id"):
        problems.append("mta_sts_record_without_id")
        return

    from conformite.probe.http import fetch, new_session

    url = settings.mta_sts_url.format(domain=domain)
    session = new_session(settings, dns.budget)
    try:
        fetched = fetch(
            session,
            url,
            settings,
            dns.budget,
            verify=settings.trust_file(),
            max_body=settings.max_policy_bytes,
            follow=False,  # RFC 8461 section 3.3: redirects must not be followed
        )
    except Exception as exc:
        problems.append(f"mta_sts_policy_unavailable: {describe(exc)}")
        return
    finally:
        session.close()
    final = fetched.final
    if final.status != 200 or fetched.body is None:
        problems.append(f"mta_sts_policy_http_status_{final.status}")
        return
    if fetched.too_large:
        problems.append("mta_sts_policy_too_large")
        return
    content_type = (final.headers.get("Content-Type") or "").partition(";")[0].strip().lower()
    if content_type != "text/plain":
        problems.append("mta_sts_policy_content_type")
    mode, policy_problems = parse_mta_sts_policy(fetched.body.decode("utf-8", errors="replace"))
    problems.extend(policy_problems)
    observation.mta_sts_mode = mode  # type: ignore[assignment]


def check_mail_domain(
    domain: str,
    resolver: Resolver,
    settings: ProbeSettings,
    budget: Budget,
    now: dt.datetime,
) -> tuple[bool, str | None, MailObservation]:
    """``(reachable, error, observation)`` for one mail domain."""
    del now  # nothing here depends on the date; kept for a uniform signature
    dns = _Dns(resolver, settings, budget)
    observation = MailObservation()
    problems = observation.problems
    try:
        apex = dns.txt(domain)
    except NameNotFound:
        return False, "unreachable: domain does not exist", observation
    except Exception as exc:  # DnsFailure, or the budget ran out
        reason = _reason(exc)
        observation.error = reason
        return False, f"unreachable: {reason}", observation

    spf = _spf_records(apex)
    if not spf:
        problems.append("spf_missing")
    else:
        if len(spf) > 1:
            problems.append("spf_multiple_records")
        observation.spf = spf[0]
        walk = _SpfWalk(dns, problems)
        walk.seen.add(domain.lower())
        try:
            observation.spf_all = walk.walk(spf[0])
        except Exception as exc:  # the budget ran out half-way
            problems.append(f"spf_lookup_failed: {_reason(exc)}")
        observation.spf_lookups = walk.lookups
        observation.spf_invalid_references = walk.broken
        if walk.lookups > SPF_LOOKUP_LIMIT:
            problems.append("spf_too_many_lookups")
        if observation.spf_all is None:
            problems.append("spf_no_all")

    try:
        check_dmarc(domain, dns.txt_or_empty, observation)
    except Exception as exc:
        problems.append(f"dmarc_lookup_failed: {_reason(exc)}")

    try:
        _check_mta_sts(domain, dns, settings, observation)
    except Exception as exc:
        problems.append(f"mta_sts_lookup_failed: {_reason(exc)}")
    return True, None, observation
