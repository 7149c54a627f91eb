"""``conformite probe`` end to end: declared endpoints only, saved observations, the audit.

Every server is local (127.0.0.1); the CLI's settings are replaced so that it
trusts the test CA, asks ``http://`` on a local port and reads DNS from a fake.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conformite.cli import cli
from conformite.engine.derive import derive
from conformite.engine.evaluation import evaluation_input
from conformite.engine.targets import iter_targets
from conformite.engine.workspace import load_workspace
from conformite.inventory.observations import ObservationFile, latest_observations
from conformite.probe import ProbeSettings, probe_endpoints
from conformite.probe.targets import UnknownSelection, declared_endpoints, select_endpoints
from test_probe_support import (
    NOW,
    FakeResolver,
    LocalCA,
    SelfSignedCert,
    closed_port,
    serve,
    silent_server,
)

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
DEMO = Path(__file__).resolve().parents[1] / "src" / "conformite" / "demo"
GOOD_HEADERS = [
    ("Strict-Transport-Security", "max-age=31536000"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
MAIL = {
    "testdorf.ch": ["v=spf1 mx -all"],
    "_dmarc.testdorf.ch": ["v=DMARC1; p=quarantine"],
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# -- which endpoints ---------------------------------------------------------------------


def test_declared_endpoints_are_exactly_the_audit_endpoint_targets() -> None:
    workspace = load_workspace(DEMO)
    data = evaluation_input(workspace, dt.date(2026, 11, 28), "en")
    targets = [
        t.id
        for t in iter_targets(data, derive(workspace.inventory, workspace.reference))
        if t.kind == "endpoint"
    ]
    declared = declared_endpoints(workspace.inventory)
    assert [e.url for e in declared] == targets
    assert any(e.is_mail for e in declared)


def test_select_by_service_vendor_organisation_or_url() -> None:
    workspace = load_workspace(DEMO)
    declared = declared_endpoints(workspace.inventory)
    mail = [e.url for e in select_endpoints(declared, ["organisation"])]
    assert mail == ["mail:val-d-arbonne.example.ch"]
    first = declared[0]
    assert [e.url for e in select_endpoints(declared, [first.url])] == [first.url]
    owner_kind, owner_id = first.owners[0]
    assert owner_kind == "service"
    assert first in select_endpoints(declared, [owner_id])
    portal = next(e for e in declared if e.owners[0][0] == "vendor")
    assert select_endpoints(declared, [portal.owners[0][1]]) == [portal]
    assert select_endpoints(declared, []) == declared


def test_select_unknown_values_suggest_the_closest() -> None:
    workspace = load_workspace(DEMO)
    declared = declared_endpoints(workspace.inventory)
    with pytest.raises(UnknownSelection) as info:
        select_endpoints(declared, ["organization"])
    assert info.value.suggestion == "organisation"
    assert info.value.known is False
    without = next(s.id for s in workspace.inventory.services if not s.endpoints)
    with pytest.raises(UnknownSelection) as info:
        select_endpoints(declared, [without], [without])
    assert info.value.known is True


# -- the library ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


def test_an_unreachable_endpoint_is_an_observation_not_a_crash(ca: LocalCA) -> None:
    url = f"https://127.0.0.1:{closed_port()}/"
    settings = ProbeSettings(
        allow_private_addresses=True, ca_file=ca.ca_file, http_port=closed_port(), timeout=1
    )
    (observation,) = probe_endpoints([url], settings).observations
    assert observation.url == url
    assert observation.kind == "web"
    assert observation.reachable is False
    assert observation.error == "unreachable: connection refused"
    assert observation.http.redirects_to_https is None
    assert observation.security_txt.present is False


def test_the_overall_deadline_leaves_slow_endpoints_out(ca: LocalCA) -> None:
    with (
        serve({"/": (200, [], b"ok")}, ca.leaf(), versions=TLS12_13) as site,
        silent_server() as silent,
    ):
        slow = f"https://127.0.0.1:{silent}/"
        settings = ProbeSettings(
            allow_private_addresses=True,
            ca_file=ca.ca_file,
            http_port=closed_port(),
            timeout=5,
            deadline=1.0,
            retries=0,
        )
        run_ = probe_endpoints([site.url, slow], settings)
    assert [o.url for o in run_.observations] == [site.url]
    assert run_.skipped == [slow]


def test_a_slow_host_is_cut_off_by_its_own_budget(ca: LocalCA) -> None:
    with silent_server() as silent:
        url = f"https://127.0.0.1:{silent}/"
        settings = ProbeSettings(
            allow_private_addresses=True,
            ca_file=ca.ca_file,
            http_port=closed_port(),
            timeout=0.2,
            retries=0,
        )
        (observation,) = probe_endpoints([url], settings).observations
    assert observation.reachable is True  # it accepts connections…
    assert observation.tls.versions == []  # …and never speaks TLS
    assert observation.tls.error is not None and "timed out" in observation.tls.error


def test_anything_else_than_an_endpoint_is_refused() -> None:
    with pytest.raises(ValueError, match="not an endpoint"):
        probe_endpoints(["ftp://example.ch/"])
    with pytest.raises(ValueError, match="not an endpoint"):
        probe_endpoints(["mail:"])


def test_probing_concurrently_is_faster_than_one_by_one(ca: LocalCA) -> None:
    from contextlib import ExitStack

    with ExitStack() as stack:
        sites = [
            stack.enter_context(
                serve({"/": (200, GOOD_HEADERS, b"ok")}, ca.leaf(), versions=TLS12_13, delay=0.02)
            )
            for _ in range(12)
        ]
        urls = [s.url for s in sites]
        timings = {}
        for concurrency in (1, 12):
            settings = ProbeSettings(
                allow_private_addresses=True,
                ca_file=ca.ca_file,
                http_port=closed_port(),
                timeout=5,
                concurrency=concurrency,
            )
            started = dt.datetime.now()
            observations = probe_endpoints(urls, settings).observations
            timings[concurrency] = (dt.datetime.now() - started).total_seconds()
            assert all(o.http.status == 200 for o in observations)
    assert timings[12] * 3 < timings[1], timings


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def servers(ca: LocalCA) -> Iterator[dict[str, Any]]:
    """A good site, a site with an expired certificate and bad headers, and http://."""
    expired = ca.leaf(
        "127.0.0.1",
        not_before=NOW - dt.timedelta(days=100),
        not_after=NOW - dt.timedelta(days=2),
    )
    security_txt = (
        f"Contact: mailto:security@testdorf.ch\n"
        f"Expires: {(NOW + dt.timedelta(days=100)).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
    ).encode()
    good_routes = {
        "/": (200, GOOD_HEADERS, b"ok"),
        "/.well-known/security.txt": (200, [("Content-Type", "text/plain")], security_txt),
    }
    with (
        serve(good_routes, ca.leaf(), versions=TLS12_13) as good,
        serve({"/": (200, [], b"bad")}, expired, versions=TLS12_13) as bad,
        serve({"/": (301, [("Location", "https://127.0.0.1/")], b"")}) as plain,
    ):
        yield {"good": good.url, "bad": bad.url, "down": f"https://127.0.0.1:{closed_port()}/"} | {
            "plain_port": plain.port
        }


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, ca: LocalCA, servers: dict[str, Any]) -> list[dict]:  # type: ignore[type-arg]
    """Make the CLI trust the test CA, use the local http:// port and a fake resolver."""
    calls: list[dict[str, Any]] = []

    def make_settings(**kwargs: Any) -> ProbeSettings:
        calls.append(kwargs)
        return ProbeSettings(
            ca_file=ca.ca_file,
            http_port=servers["plain_port"],
            resolver=FakeResolver(MAIL),
            mta_sts_url=f"https://127.0.0.1:{closed_port()}/.well-known/mta-sts.txt",
            **kwargs,
        )

    monkeypatch.setattr("conformite.cli.probe.make_settings", make_settings)
    return calls


def make_workspace(
    tmp_path: Path, urls: dict[str, str], mail_domains: tuple[str, ...] = ()
) -> Path:
    ws = tmp_path / "testdorf"
    result = run(
        "init", str(ws), "--commune", "Testdorf", "--canton", "BE", "--population", "900",
        "--lang", "en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = ["services:" if urls else "services: []"]
    for service_id, url in urls.items():
        lines += [
            f"  - id: {service_id}",
            f"    name: {service_id.title()}",
            "    owner: Gemeindeschreiberei",
            "    purpose: Information",
            "    hosting: saas",
            "    data_categories: [contact]",
            f"    endpoints: [{{url: '{url}'}}]" if url else "    endpoints: []",
        ]
    (ws / "inventory" / "services.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    organisation = ws / "inventory" / "organisation.yaml"
    text = organisation.read_text(encoding="utf-8")
    text = re.sub(r"mail_domains: \[\]", f"mail_domains: [{', '.join(mail_domains)}]", text)
    organisation.write_text(text, encoding="utf-8")
    # The local test servers listen on 127.0.0.1: allowed explicitly, as a user would.
    config = ws / "conformite.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[probe]\nallow_private_addresses = true\n",
        encoding="utf-8",
    )
    assert run("validate", str(ws)).exit_code == 0
    return ws


def findings(ws: Path, as_of: dt.date) -> dict[tuple[str, str], dict[str, Any]]:
    result = run(
        "audit", str(ws), "--as-of", as_of.isoformat(), "--format", "json", "--schema", "2"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {(f["control_id"], f["target_id"]): f for f in data["findings"]}


def test_probe_then_audit_end_to_end(
    tmp_path: Path,
    servers: dict[str, Any],
    offline: list[dict],  # type: ignore[type-arg]
) -> None:
    ws = make_workspace(
        tmp_path,
        {"website": servers["good"], "counter": servers["bad"], "archive": servers["down"]},
        mail_domains=("testdorf.ch",),
    )
    result = run("probe", str(ws))
    assert result.exit_code == 0, result.output
    assert "4 endpoints probed" in result.stdout
    assert "unreachable" in result.stdout
    assert "security.txt valid" in result.stdout
    assert "SPF -all" in result.stdout
    assert result.stderr == ""  # no progress bar outside a terminal

    files = list((ws / "observations").iterdir())
    assert len(files) == 1
    assert re.fullmatch(r"probe-\d{8}T\d{6}Z\.json", files[0].name)
    saved = ObservationFile.model_validate_json(files[0].read_text(encoding="utf-8"))
    by_url = {o.url: o for o in saved.observations}
    assert set(by_url) == {servers["good"], servers["bad"], servers["down"], "mail:testdorf.ch"}
    # HTTPS is down, but the host answered on port 80: reachable, without TLS
    assert by_url[servers["down"]].reachable is True
    assert by_url[servers["down"]].tls.error == "unreachable: connection refused"
    assert by_url["mail:testdorf.ch"].mail.dmarc_policy == "quarantine"
    assert str(ws / "observations") in result.stdout.replace("\n", "")

    today = dt.date.today()
    found = findings(ws, today)
    assert found[("EP-TLS", servers["good"])]["outcome"] == "pass"
    assert found[("EP-HSTS", servers["good"])]["outcome"] == "pass"
    bad_tls = found[("EP-TLS", servers["bad"])]
    assert bad_tls["outcome"] == "fail"
    assert [f["name"] for f in bad_tls["facts"] if not f["met"]] == ["certificate_valid"]
    assert found[("EP-HSTS", servers["bad"])]["outcome"] == "fail"
    down_tls = found[("EP-TLS", servers["down"])]
    assert [f["name"] for f in down_tls["facts"] if not f["met"]] == ["tls_offered"]
    assert found[("EP-TLS", "mail:testdorf.ch")]["outcome"] == "not_applicable"
    messages = found[("EP-TLS", servers["good"])]["messages"]
    assert any("Observed by the probe on" in m for m in messages)

    stale = findings(ws, today + dt.timedelta(days=45))
    assert any("stale" in m for m in stale[("EP-TLS", servers["good"])]["messages"])


def test_a_second_probe_supersedes_the_first(
    tmp_path: Path,
    servers: dict[str, Any],
    offline: list[dict],  # type: ignore[type-arg]
) -> None:
    ws = make_workspace(tmp_path, {"website": servers["good"], "counter": servers["bad"]})
    assert run("probe", str(ws)).exit_code == 0
    assert run("probe", str(ws), "--only", "counter").exit_code == 0
    files = sorted((ws / "observations").glob("probe-*.json"))
    assert len(files) == 2
    assert not list((ws / "observations").glob(".*"))  # no temporary file left behind
    second = ObservationFile.model_validate_json(files[-1].read_text(encoding="utf-8"))
    if len(second.observations) != 1:  # same second: the names sort the other way round
        second = ObservationFile.model_validate_json(files[0].read_text(encoding="utf-8"))
    assert [o.url for o in second.observations] == [servers["bad"]]
    latest = latest_observations(ws)
    assert set(latest) == {servers["good"], servers["bad"]}
    assert latest[servers["bad"]].observed_at == second.observations[0].observed_at


def test_options_and_workspace_defaults_reach_the_probe(
    tmp_path: Path,
    servers: dict[str, Any],
    offline: list[dict],  # type: ignore[type-arg]
) -> None:
    ws = make_workspace(tmp_path, {"website": servers["good"]})
    config = ws / "conformite.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "concurrency = 5\ntimeout_seconds = 7\n",
        encoding="utf-8",
    )
    assert run("probe", str(ws)).exit_code == 0
    options = ("--concurrency", "3", "--timeout", "4", "--deadline", "60")
    assert run("probe", str(ws), *options).exit_code == 0
    assert offline == [
        {
            "timeout": 7.0,
            "concurrency": 5,
            "deadline": 600.0,
            "allow_private_addresses": True,
            "extra_ca_file": None,
        },
        {
            "timeout": 4.0,
            "concurrency": 3,
            "deadline": 60.0,
            "allow_private_addresses": True,
            "extra_ca_file": None,
        },
    ]


def test_only_an_unknown_id_is_a_usage_error_with_a_hint(
    tmp_path: Path,
    servers: dict[str, Any],
    offline: list[dict],  # type: ignore[type-arg]
) -> None:
    ws = make_workspace(tmp_path, {"website": servers["good"], "registry": ""})
    result = run("probe", str(ws), "--only", "websit")
    assert result.exit_code == 2
    assert "Did you mean 'website'?" in result.stderr
    result = run("probe", str(ws), "--only", "registry")
    assert result.exit_code == 2
    assert "declares no endpoint" in result.stderr
    assert not (ws / "observations").exists()
    assert offline == []


def test_an_unreachable_endpoint_is_to_document_in_the_audit(
    tmp_path: Path,
    servers: dict[str, Any],
    offline: list[dict],  # type: ignore[type-arg]
) -> None:
    servers["plain_port"] = closed_port()  # nothing answers on "port 80" either
    ws = make_workspace(tmp_path, {"website": servers["down"]})
    result = run("--lang", "de", "probe", str(ws))
    assert result.exit_code == 0, result.output  # unreachable is an observation, not an error
    assert "nicht erreichbar" in result.stdout
    assert "Verbindung abgelehnt" in result.stdout
    assert "Beobachtungen gespeichert" in result.stdout
    (observation,) = latest_observations(ws).values()
    assert observation.reachable is False
    assert observation.error == "unreachable: connection refused"
    finding = findings(ws, dt.date.today())[("EP-TLS", servers["down"])]
    assert finding["outcome"] == "unknown"
    assert finding["messages"][0].startswith("Unreachable at the last probe")


def test_no_endpoint_declared_is_not_an_error(
    tmp_path: Path,
    offline: list[dict],  # type: ignore[type-arg]
) -> None:
    ws = make_workspace(tmp_path, {})
    result = run("probe", str(ws))
    assert result.exit_code == 0
    assert "nothing to probe" in result.stdout
    assert not (ws / "observations").exists()
    assert offline == []


def test_not_a_workspace_is_a_located_input_error(tmp_path: Path) -> None:
    result = run("probe", str(tmp_path))
    assert result.exit_code == 2
    assert "conformite.toml" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [("--timeout", "0"), ("--concurrency", "0"), ("--concurrency", "65"), ("--deadline", "0")],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run("probe", str(tmp_path), *args)
    assert result.exit_code == 2


def test_credentials_written_in_a_url_are_never_sent(ca: LocalCA) -> None:
    with serve({"/": (200, GOOD_HEADERS, b"ok")}, ca.leaf(), versions=TLS12_13) as site:
        url = f"https://admin:secret@127.0.0.1:{site.port}/"
        settings = ProbeSettings(
            allow_private_addresses=True, ca_file=ca.ca_file, http_port=closed_port(), timeout=2
        )
        with pytest.raises(ValueError, match="user name or password"):
            probe_endpoints([url], settings)  # refused, as validate refuses it
        seen = list(site.requests)
    assert seen == []  # nothing sent at all


def test_a_url_that_cannot_be_probed_is_a_located_input_error(
    tmp_path: Path,
    servers: dict[str, Any],
    offline: list[dict],  # type: ignore[type-arg]
) -> None:
    ws = make_workspace(tmp_path, {"website": servers["good"]})
    services = ws / "inventory" / "services.yaml"
    text = services.read_text(encoding="utf-8").replace(servers["good"], "https://x.ch:99999/")
    services.write_text(text, encoding="utf-8")
    for command in ("validate", "probe"):  # the same rule for both
        result = run(command, str(ws))
        assert result.exit_code == 2
        assert "services.yaml" in result.stderr
        assert "services[0].endpoints[0].url" in result.stderr
        assert "the port is not a number from 1 to 65535" in result.stderr
        assert "Traceback" not in result.output
    assert offline == []


def test_the_progress_bar_shows_on_a_terminal_only(
    tmp_path: Path,
    servers: dict[str, Any],
    offline: list[dict],  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from rich.console import Console

    import conformite.cli.probe as command

    buffer = io.StringIO()
    original = command.console

    def console(stderr: bool = False) -> Console:
        if stderr:
            return Console(file=buffer, force_terminal=True, width=100)
        return original(stderr)

    monkeypatch.setattr(command, "console", console)
    ws = make_workspace(tmp_path, {"website": servers["good"]})
    result = run("probe", str(ws))
    assert result.exit_code == 0, result.output
    assert "Probing endpoints" in buffer.getvalue()
    assert "Probing endpoints" not in result.stdout


def test_every_endpoint_control_judges_real_observations(
    tmp_path: Path,
    ca: LocalCA,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A well-run site and mail domain pass every EP- control; a badly run one fails, never errs."""
    expires = (NOW + dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    good_routes = {
        "/": (
            200,
            [*GOOD_HEADERS, ("Set-Cookie", "sessionid=1; Secure; HttpOnly; SameSite=Lax")],
            b"ok",
        ),
        "/.well-known/security.txt": (
            200,
            [("Content-Type", "text/plain; charset=utf-8")],
            f"Contact: mailto:security@testdorf.ch\nExpires: {expires}\n".encode(),
        ),
    }
    bad_routes = {
        "/": (
            200,
            [
                ("Content-Security-Policy", "script-src 'self' 'unsafe-inline'"),
                ("X-Frame-Options", "DENY"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("Referrer-Policy", "unsafe-url"),
                ("Set-Cookie", "sessionid=1"),
            ],
            b"bad",
        )
    }
    policy = b"version: STSv1\nmode: enforce\nmx: mail.testdorf.ch\nmax_age: 604800\n"
    records = {
        "testdorf.ch": ["v=spf1 mx -all"],
        "_dmarc.testdorf.ch": ["v=DMARC1; p=reject"],
        "_mta-sts.testdorf.ch": ["v=STSv1; id=1"],
        "sloppy.ch": ["v=spf1 +all"],
        "_dmarc.sloppy.ch": ["v=DMARC1; p=none"],
    }
    with (
        serve(good_routes, ca.leaf(), versions=TLS12_13) as good,
        serve(bad_routes, SelfSignedCert(tmp_path), versions=TLS12_13) as bad,
        serve({"/": (301, [("Location", "https://127.0.0.1/")], b"")}) as plain,
        serve(
            {"/.well-known/mta-sts.txt": (200, [("Content-Type", "text/plain")], policy)},
            ca.leaf(),
            versions=TLS12_13,
        ) as mta_sts,
    ):

        def make_settings(**kwargs: Any) -> ProbeSettings:
            return ProbeSettings(
                ca_file=ca.ca_file,
                http_port=plain.port,
                resolver=FakeResolver(records),
                mta_sts_url=f"https://127.0.0.1:{mta_sts.port}/.well-known/mta-sts.txt",
                **kwargs,
            )

        monkeypatch.setattr("conformite.cli.probe.make_settings", make_settings)
        ws = make_workspace(
            tmp_path,
            {"website": good.url, "counter": bad.url},
            mail_domains=("testdorf.ch", "sloppy.ch"),
        )
        result = run("probe", str(ws))
        assert result.exit_code == 0, result.output

    found = findings(ws, dt.date.today())
    endpoint_findings = [f for f in found.values() if f["control_id"].startswith("EP-")]
    assert endpoint_findings
    assert [f for f in endpoint_findings if f["outcome"] == "error"] == []
    for target in (good.url, "mail:testdorf.ch"):
        outcomes = {
            f["control_id"]: f["outcome"] for f in endpoint_findings if f["target_id"] == target
        }
        assert "fail" not in outcomes.values(), {
            c: found[(c, target)]["messages"] for c, o in outcomes.items() if o == "fail"
        }
        assert "pass" in outcomes.values()
    failed = {
        (f["control_id"], f["target_id"]) for f in endpoint_findings if f["outcome"] == "fail"
    }
    for control in (
        "EP-TLS",  # self-signed
        "EP-HSTS",
        "EP-CSP",  # 'unsafe-inline'
        "EP-FRAMING",  # DENY and SAMEORIGIN: conflicting duplicates
        "EP-NOSNIFF",
        "EP-REFERRER",
        "EP-COOKIES",
        "EP-SECURITY-TXT",
    ):
        assert (control, bad.url) in failed, control
    for control in ("EP-SPF", "EP-DMARC", "EP-MTA-STS"):
        assert (control, "mail:sloppy.ch") in failed, control
