"""Mail domains: SPF, DMARC and MTA-STS through a fake resolver and a local policy server."""

from __future__ import annotations

import itertools
import ssl
import time

import pytest

from conformite.inventory.observations import Observation
from conformite.probe import ProbeSettings, probe_endpoints
from conformite.probe.dns import DnspythonResolver, NameNotFound, NoAnswer, Resolver
from conformite.probe.mail import parse_mta_sts_policy
from test_probe_support import FakeResolver, LocalCA, closed_port, dns_server, serve

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
DOMAIN = "val-d-arbonne.ch"
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mail.val-d-arbonne.ch\r\nmax_age: 604800\r\n"
GOOD = {
    DOMAIN: ["google-site-verification=abc", "v=spf1 include:_spf.provider.ch mx -all"],
    "_spf.provider.ch": ["v=spf1 ip4:192.0.2.0/24 include:_spf2.provider.ch ~all"],
    "_spf2.provider.ch": ["v=spf1 a ip6:2001:db8::/32 ~all"],
    f"_dmarc.{DOMAIN}": ["v=DMARC1; p=reject; rua=mailto:dmarc@val-d-arbonne.ch"],
    f"_mta-sts.{DOMAIN}": ["v=STSv1; id=20260101T000000"],
}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


def probe_mail(
    records: dict[str, list[str]],
    ca: LocalCA | None = None,
    policy_port: int | None = None,
    resolver: Resolver | None = None,
    **kw: object,
) -> Observation:
    settings = ProbeSettings(
        allow_private_addresses=True,
        resolver=resolver or FakeResolver(records),
        ca_file=ca.ca_file if ca else None,
        mta_sts_url=f"https://127.0.0.1:{policy_port or closed_port()}/.well-known/mta-sts.txt",
        timeout=2,
        **kw,  # type: ignore[arg-type]
    )
    (observation,) = probe_endpoints([f"mail:{DOMAIN}"], settings).observations
    return observation


def policy_routes(body: bytes = POLICY, status: int = 200) -> dict:  # type: ignore[type-arg]
    return {"/.well-known/mta-sts.txt": (status, [("Content-Type", "text/plain")], body)}


def test_a_well_configured_domain(ca: LocalCA) -> None:
    with serve(policy_routes(), ca.leaf(), versions=TLS12_13) as policy:
        observation = probe_mail(GOOD, ca, policy.port)
    mail = observation.mail
    assert observation.kind == "mail_domain"
    assert observation.reachable is True
    assert observation.error is None
    assert mail.spf == "v=spf1 include:_spf.provider.ch mx -all"
    assert mail.spf_all == "-all"
    assert mail.spf_lookups == 4  # include, mx, include (nested), a
    assert mail.dmarc_policy == "reject"
    assert mail.mta_sts_mode == "enforce"
    assert mail.problems == []
    # nothing of the web kind was measured
    assert observation.tls.versions == []
    assert observation.http.status is None


def test_too_many_spf_lookups() -> None:
    records = dict(GOOD)
    chain = [f"_spf{i}.provider.ch" for i in range(12)]
    records[DOMAIN] = [f"v=spf1 include:{chain[0]} -all"]
    for current, following in itertools.pairwise(chain):
        records[current] = [f"v=spf1 include:{following} ~all"]
    records[chain[-1]] = ["v=spf1 ip4:192.0.2.1 ~all"]
    mail = probe_mail(records).mail
    assert mail.spf_lookups is not None and mail.spf_lookups > 10
    assert "spf_too_many_lookups" in mail.problems
    assert mail.spf_all == "-all"


@pytest.mark.parametrize(
    ("spf", "extra", "expected_all", "problem"),
    [
        ("v=spf1 mx ~all", {}, "~all", None),
        ("v=spf1 +all", {}, "+all", None),
        ("v=spf1 mx all", {}, "+all", None),
        ("v=spf1 mx ?all", {}, "?all", None),
        ("v=spf1 mx", {}, None, "spf_no_all"),
        ("v=spf1 redirect=_spf.other.ch", {"_spf.other.ch": ["v=spf1 mx -all"]}, "-all", None),
        ("v=spf1 ptr -all", {}, "-all", "spf_ptr_mechanism"),
        ("v=spf1 include:missing.example.ch -all", {}, "-all", "spf_include_without_record"),
        ("v=spf1 include:loop.ch -all", {"loop.ch": ["v=spf1 include:loop.ch ~all"]}, "-all",
         "spf_loop"),
    ],
)  # fmt: skip
def test_spf_variants(
    spf: str, extra: dict[str, list[str]], expected_all: str | None, problem: str | None
) -> None:
    records = {**GOOD, DOMAIN: [spf], **extra}
    mail = probe_mail(records).mail
    assert mail.spf_all == expected_all
    if problem is not None:
        assert any(p.startswith(problem) for p in mail.problems), mail.problems


def test_no_spf_and_two_spf_records() -> None:
    assert "spf_missing" in probe_mail({**GOOD, DOMAIN: ["hello"]}).mail.problems
    two = probe_mail({**GOOD, DOMAIN: ["v=spf1 -all", "v=spf1 mx -all"]}).mail
    assert "spf_multiple_records" in two.problems


@pytest.mark.parametrize(
    ("records", "policy", "problem"),
    [
        (["v=DMARC1; p=none"], "none", None),
        (["v=DMARC1; p=quarantine; pct=50"], "quarantine", "dmarc_pct_below_100"),
        (["v=DMARC1; rua=mailto:x@y.ch"], None, "dmarc_policy_invalid"),
        (["v=DMARC1; p=reject", "v=DMARC1; p=none"], None, "dmarc_multiple_records"),
        (["something else"], None, "dmarc_missing"),
        ([], None, "dmarc_missing"),
    ],
)
def test_dmarc_variants(records: list[str], policy: str | None, problem: str | None) -> None:
    mail = probe_mail({**GOOD, f"_dmarc.{DOMAIN}": records}).mail
    assert mail.dmarc_policy == policy
    if problem is not None:
        assert problem in mail.problems


def test_no_mta_sts_record_means_no_policy_fetch() -> None:
    records = {k: v for k, v in GOOD.items() if not k.startswith("_mta-sts")}
    mail = probe_mail(records).mail
    assert mail.mta_sts_mode is None
    assert mail.problems == ["mta_sts_record_missing"]


def test_mta_sts_record_without_a_policy_file(ca: LocalCA) -> None:
    with serve({}, ca.leaf(), versions=TLS12_13) as policy:
        mail = probe_mail(GOOD, ca, policy.port).mail
    assert mail.mta_sts_mode is None
    assert "mta_sts_policy_http_status_404" in mail.problems


def test_mta_sts_policy_redirects_are_not_followed(ca: LocalCA) -> None:
    routes = {
        "/.well-known/mta-sts.txt": (301, [("Location", "/elsewhere.txt")], b""),
        "/elsewhere.txt": (200, [("Content-Type", "text/plain")], POLICY),
    }
    with serve(routes, ca.leaf(), versions=TLS12_13) as policy:
        mail = probe_mail(GOOD, ca, policy.port).mail
        paths = [r.path for r in policy.requests]
    assert mail.mta_sts_mode is None
    assert "mta_sts_policy_http_status_301" in mail.problems
    assert paths == ["/.well-known/mta-sts.txt"]


def test_mta_sts_policy_needs_a_trusted_certificate(ca: LocalCA, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stranger = LocalCA.create(tmp_path)
    with serve(policy_routes(), stranger.leaf(), versions=TLS12_13) as policy:
        mail = probe_mail(GOOD, ca, policy.port).mail
    assert mail.mta_sts_mode is None
    assert any(p.startswith("mta_sts_policy_unavailable: certificate") for p in mail.problems)


@pytest.mark.parametrize(
    ("text", "mode", "problem"),
    [
        ("version: STSv1\nmode: testing\nmx: *.example.ch\nmax_age: 86400\n", "testing", None),
        ("version: STSv1\nmode: none\nmax_age: 86400\n", "none", None),
        ("version: STSv2\nmode: enforce\nmx: a.ch\nmax_age: 86400\n", None,
         "mta_sts_policy_version"),
        ("version: STSv1\nmode: strict\nmx: a.ch\nmax_age: 86400\n", None, "mta_sts_policy_mode"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", None, "mta_sts_policy_without_mx"),
        ("version: STSv1\nmode: enforce\nmx: a.ch\nmax_age: 99999999\n", None,
         "mta_sts_policy_max_age"),
        ("<html>oops</html>", None, "mta_sts_policy_malformed"),
    ],
)  # fmt: skip
def test_parse_mta_sts_policy(text: str, mode: str | None, problem: str | None) -> None:
    parsed_mode, problems = parse_mta_sts_policy(text)
    assert parsed_mode == mode
    if problem is None:
        assert problems == []
    else:
        assert problem in problems


def test_a_domain_that_does_not_exist_is_unreachable() -> None:
    observation = probe_mail({}, resolver=FakeResolver({}, missing={DOMAIN}))
    assert observation.reachable is False
    assert observation.error == "unreachable: domain does not exist"


def test_dns_failures_are_retried_then_reported() -> None:
    resolver = FakeResolver({}, failing={DOMAIN})
    started = time.monotonic()
    observation = probe_mail({}, resolver=resolver, retries=2, backoff=0.01)
    assert time.monotonic() - started < 2
    assert observation.reachable is False
    assert observation.error == "unreachable: DNS timed out"
    assert resolver.asked == [DOMAIN] * 3


def test_only_names_under_the_declared_domain_and_its_includes_are_asked() -> None:
    resolver = FakeResolver(GOOD)
    probe_mail(GOOD, resolver=resolver)
    allowed = {
        DOMAIN,
        f"_dmarc.{DOMAIN}",
        f"_mta-sts.{DOMAIN}",
        "_spf.provider.ch",
        "_spf2.provider.ch",
    }
    assert set(resolver.asked) <= allowed


def test_dnspython_resolver_against_a_local_dns_server() -> None:
    records = {DOMAIN: ["v=spf1 -all", "hello world"], f"_dmarc.{DOMAIN}": []}
    with dns_server(records) as port:
        resolver = DnspythonResolver(nameservers=["127.0.0.1"], port=port)
        assert sorted(resolver.txt(DOMAIN, timeout=2)) == ["hello world", "v=spf1 -all"]
        with pytest.raises(NoAnswer):
            resolver.txt(f"_dmarc.{DOMAIN}", timeout=2)
        with pytest.raises(NameNotFound):
            resolver.txt("nowhere.example.ch", timeout=2)
        observation = probe_mail({}, resolver=resolver)
    assert observation.mail.spf_all == "-all"
    assert "dmarc_missing" in observation.mail.problems


def test_dnspython_resolver_reports_a_silent_server_as_a_failure() -> None:
    from conformite.probe.dns import DnsFailure

    resolver = DnspythonResolver(nameservers=["127.0.0.1"], port=closed_port())
    with pytest.raises(DnsFailure):
        resolver.txt(DOMAIN, timeout=0.3)
