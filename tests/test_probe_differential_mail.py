"""SPF and DMARC verdicts against checkdmarc, both reading one local DNS server.

A fixed matrix of zones is served on 127.0.0.1 (tests/test_probe_support.py's
``dns_server``). For each mail domain, conformite probes it through
:class:`DnspythonResolver` and its EP-SPF and EP-DMARC verdicts are computed by
the real controls; checkdmarc (a dev-only oracle) checks the same domain with
its resolver pointed at the same server. The verdicts must agree, and each must
equal the one written down from the RFC in the case's comment.
"""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from conformite.inventory.observations import Observation
from conformite.probe import ProbeSettings, probe_endpoints
from conformite.probe.dns import DnspythonResolver
from test_probe_support import closed_port, dns_server

with warnings.catch_warnings():  # dnspython's DSA support warns under new cryptography
    warnings.simplefilter("ignore")
    import dns.nameserver
    from checkdmarc.dmarc import check_dmarc
    from checkdmarc.spf import check_spf

CHAIN = [f"_spf{i}.long-chain.ch" for i in range(11)]

ZONES: dict[str, list[str]] = {
    # providers
    "_spf.provider.ch": ["v=spf1 ip4:192.0.2.0/24 -all"],
    "_spf.no-spf-provider.ch": ["google-site-verification=abc"],
    "_spf.twice-provider.ch": ["v=spf1 ip4:192.0.2.1 -all", "v=spf1 ip4:192.0.2.2 -all"],
    **{name: [f"v=spf1 include:{then} -all"] for name, then in itertools.pairwise(CHAIN)},
    CHAIN[-1]: ["v=spf1 ip4:192.0.2.3 -all"],
    # commune-a.ch: the organisational domain publishes p=reject, the sub-domain nothing
    "commune-a.ch": ["v=spf1 include:_spf.provider.ch -all"],
    "_dmarc.commune-a.ch": ["v=DMARC1; p=reject"],
    "mail.commune-a.ch": ["v=spf1 include:_spf.provider.ch -all"],
    # commune-b.ch: p=reject for itself, sp=none for its sub-domains
    "commune-b.ch": ["v=spf1 -all"],
    "_dmarc.commune-b.ch": ["v=DMARC1; p=reject; sp=none"],
    "news.commune-b.ch": ["v=spf1 include:_spf.provider.ch -all"],
    # commune-c.ch: the sub-domain's own p=none wins over the organisation's p=reject
    "commune-c.ch": ["v=spf1 -all"],
    "_dmarc.commune-c.ch": ["v=DMARC1; p=reject"],
    "intra.commune-c.ch": ["v=spf1 include:_spf.provider.ch -all"],
    "_dmarc.intra.commune-c.ch": ["v=DMARC1; p=none"],
    # commune-d.ch: includes a name without an SPF record
    "commune-d.ch": ["v=spf1 include:_spf.no-spf-provider.ch -all"],
    "_dmarc.commune-d.ch": ["v=DMARC1; p=quarantine"],
    # commune-e.ch: redirects to a name that does not exist
    "commune-e.ch": ["v=spf1 redirect=_spf.gone-provider.ch"],
    "_dmarc.commune-e.ch": ["v=DMARC1; p=reject"],
    # commune-f.ch: twelve DNS look-ups through nested includes
    "commune-f.ch": [f"v=spf1 include:{CHAIN[0]} -all"],
    "_dmarc.commune-f.ch": ["v=DMARC1; p=reject"],
    # commune-g.ch: everything right
    "commune-g.ch": ["v=spf1 include:_spf.provider.ch mx -all"],
    "_dmarc.commune-g.ch": ["v=DMARC1; p=quarantine"],
    # commune-h.ch: two SPF records
    "commune-h.ch": ["v=spf1 include:_spf.provider.ch -all", "v=spf1 mx -all"],
    "_dmarc.commune-h.ch": ["v=DMARC1; p=reject"],
    # commune-i.ch: includes a name with two SPF records
    "commune-i.ch": ["v=spf1 include:_spf.twice-provider.ch -all"],
    "_dmarc.commune-i.ch": ["v=DMARC1; p=reject"],
    # commune-j.ch: no DMARC record at all, for the domain nor its organisation
    "commune-j.ch": ["v=spf1 -all"],
    "www.commune-j.ch": ["v=spf1 -all"],
    # commune-k.ch: a DMARC record that only monitors
    "commune-k.ch": ["v=spf1 -all"],
    "_dmarc.commune-k.ch": ["v=DMARC1; p=none"],
}

# (domain, expected EP-SPF, expected EP-DMARC, the _dmarc record's domain)
CASES = [
    # RFC 7489 6.6.3: no record at _dmarc.mail.commune-a.ch, so the organisational
    # domain's (Public Suffix List) applies; without sp=, its p=reject (6.3).
    ("mail.commune-a.ch", "pass", "pass", "commune-a.ch"),
    # RFC 7489 6.3: sp= is the policy for sub-domains covered by the organisation's record.
    ("news.commune-b.ch", "pass", "fail", "commune-b.ch"),
    # RFC 7489 6.6.3 step 1: the sub-domain's own record is used, the organisation's not asked.
    ("intra.commune-c.ch", "pass", "fail", "intra.commune-c.ch"),
    # RFC 7208 5.2: include: of a name without an SPF record is a permerror.
    ("commune-d.ch", "fail", "pass", "commune-d.ch"),
    # RFC 7208 6.1: redirect= to a name without an SPF record is a permerror.
    ("commune-e.ch", "fail", "pass", "commune-e.ch"),
    # RFC 7208 4.6.4: more than 10 DNS-querying terms is a permerror.
    ("commune-f.ch", "fail", "pass", "commune-f.ch"),
    # RFC 7208 4.6 and 5.1, RFC 7489 6.3: a valid record ending -all, p=quarantine.
    ("commune-g.ch", "pass", "pass", "commune-g.ch"),
    # RFC 7208 4.5: two SPF records at the domain is a permerror.
    ("commune-h.ch", "fail", "pass", "commune-h.ch"),
    # RFC 7208 4.5 and 5.2: an included name with two records is a permerror too.
    ("commune-i.ch", "fail", "pass", "commune-i.ch"),
    # RFC 7489 6.6.3: no record at the domain nor at its organisational domain.
    ("www.commune-j.ch", "pass", "fail", None),
    # RFC 7489 6.3: p=none only monitors (EP-DMARC asks for quarantine or reject).
    ("commune-k.ch", "pass", "fail", "commune-k.ch"),
]


@pytest.fixture(scope="module")
def port() -> Any:
    with dns_server(ZONES) as port:
        yield port


def probe(domain: str, port: int) -> Observation:
    settings = ProbeSettings(
        resolver=DnspythonResolver(nameservers=["127.0.0.1"], port=port),
        mta_sts_url=f"https://127.0.0.1:{closed_port()}/.well-known/mta-sts.txt",
        timeout=2,
    )
    (observation,) = probe_endpoints([f"mail:{domain}"], settings).observations
    return observation


def control_verdict(
    control_id: str, domain: str, observation: Observation, tmp_path: Path, catalogue, reference
) -> str:
    """EP-SPF's or EP-DMARC's outcome on this observation, through the real engine."""
    from conformite.engine.fixtures import run_fixture

    seen = observation.model_dump(mode="json", exclude={"observed_at"})
    fixture = {
        "control": control_id,
        "base": {"organisation": {"mail_domains": [domain]}},
        "cases": [
            {
                "name": domain,
                "target": f"endpoint:mail:{domain}",
                "expect": "pass",
                "observations": {f"mail:{domain}": seen},
            }
        ],
    }
    path = tmp_path / f"{control_id}.yaml"
    path.write_text(json.dumps(fixture), encoding="utf-8")
    (result,) = run_fixture(path, catalogue, reference)
    return result.actual


def oracle(domain: str, port: int) -> tuple[str, str, str | None]:
    """checkdmarc's SPF and DMARC verdicts, judged by the same thresholds as the controls."""
    servers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    spf = check_spf(domain, nameservers=servers, timeout=2, retries=0)
    spf_ok = (
        spf["valid"]
        and spf["dns_lookups"] <= 10
        and spf["parsed"]["all"] in ("fail", "softfail")  # -all, ~all
    )
    dmarc = check_dmarc(domain, nameservers=servers, timeout=2, retries=0)
    policy = None
    if dmarc["valid"]:
        tags = dmarc["tags"]
        sub = dmarc["location"] != domain and tags.get("sp", {}).get("explicit")
        policy = tags["sp" if sub else "p"]["value"]
    dmarc_ok = policy in ("quarantine", "reject")
    return ("pass" if spf_ok else "fail"), ("pass" if dmarc_ok else "fail"), dmarc["location"]


@pytest.mark.parametrize(("domain", "spf", "dmarc", "location"), CASES, ids=[c[0] for c in CASES])
def test_conformite_agrees_with_checkdmarc_and_the_rfcs(
    domain: str,
    spf: str,
    dmarc: str,
    location: str | None,
    port: int,
    tmp_path: Path,
    catalogue,
    reference,
) -> None:
    observation = probe(domain, port)
    assert observation.reachable is True, observation.error
    ours = (
        control_verdict("EP-SPF", domain, observation, tmp_path, catalogue, reference),
        control_verdict("EP-DMARC", domain, observation, tmp_path, catalogue, reference),
        observation.mail.dmarc_domain,
    )
    assert ours == oracle(domain, port), observation.mail
    assert ours == (spf, dmarc, location)


def test_the_observation_names_the_organisational_domain_and_the_broken_include(
    port: int,
) -> None:
    covered = probe("mail.commune-a.ch", port).mail
    assert covered.dmarc == "v=DMARC1; p=reject"
    assert covered.dmarc_domain == "commune-a.ch"
    assert covered.dmarc_organisational is True
    assert covered.dmarc_policy == "reject"
    own = probe("intra.commune-c.ch", port).mail
    assert (own.dmarc_domain, own.dmarc_organisational, own.dmarc_policy) == (
        "intra.commune-c.ch",
        False,
        "none",
    )
    broken = probe("commune-d.ch", port).mail
    assert broken.spf_invalid_references == ["_spf.no-spf-provider.ch"]
    assert "spf_include_without_record: _spf.no-spf-provider.ch" in broken.problems
    assert probe("commune-e.ch", port).mail.spf_invalid_references == ["_spf.gone-provider.ch"]
    assert probe("commune-i.ch", port).mail.spf_invalid_references == ["_spf.twice-provider.ch"]
