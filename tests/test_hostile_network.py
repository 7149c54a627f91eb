"""Slow and hostile servers, and which addresses the probe may contact (issue 11).

Every server here listens on 127.0.0.1; addresses such as 169.254.169.254 are
only given to the policy function, never contacted. Each test is bounded in
time: a command that could hang runs in a subprocess with a time-out, or in a
daemon thread joined with a bound.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.inventory.model import Endpoint, Vendor
from conformite.probe import ProbeSettings, probe_endpoints
from conformite.probe.netguard import address_problem
from conformite.probe.targets import url_problem
from test_probe_support import LocalCA, closed_port, listener, serve, server_context, trickle_server

PYTHON = [sys.executable, "-m", "conformite"]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def bounded(call: Callable[[], Any], seconds: float) -> tuple[Any, float]:
    """``call()`` in a daemon thread; fails the test if it is not done in ``seconds``."""
    box: list[Any] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: box.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"still running after {seconds} s"
    return box[0], time.monotonic() - started


def workspace(tmp_path: Path, url: str, *, allow_private: bool) -> Path:
    ws = tmp_path / "ws"
    result = run(
        "init", str(ws), "--commune", "Testdorf", "--canton", "BE", "--population", "900",
        "--lang", "en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (ws / "inventory" / "services.yaml").write_text(
        "services:\n"
        "  - id: website\n"
        "    name: Website\n"
        "    owner: Gemeindeschreiberei\n"
        "    purpose: Information\n"
        "    hosting: saas\n"
        "    data_categories: [contact]\n"
        f"    endpoints: [{{url: '{url}'}}]\n",
        encoding="utf-8",
    )
    if allow_private:
        config = ws / "conformite.toml"
        config.write_text(
            config.read_text(encoding="utf-8") + "\n[probe]\nallow_private_addresses = true\n",
            encoding="utf-8",
        )
    assert run("validate", str(ws)).exit_code == 0
    return ws


# --- deadlines against a server that trickles bytes -------------------------------------


def test_a_trickled_http_answer_is_cut_off_by_the_request_deadline() -> None:
    with trickle_server() as slow:
        settings = ProbeSettings(
            allow_private_addresses=True, timeout=0.5, deadline=60, retries=0
        )  # one request: at most 3 x 0.5 s; endpoint: at most 6 x 0.5 s
        run_, seconds = bounded(lambda: probe_endpoints([slow.http_url], settings), 15)
    assert seconds < 4.5
    (observation,) = run_.observations
    assert observation.http.redirects_to_https is None  # http:// never answered in full


def test_a_trickled_https_page_and_security_txt_are_cut_off(tmp_path: Path) -> None:
    ca = LocalCA.create(tmp_path)
    context = server_context(ca.leaf())
    with trickle_server(context=context, fast_headers=True) as slow:
        settings = ProbeSettings(
            allow_private_addresses=True,
            ca_file=ca.ca_file,
            http_port=closed_port(),
            timeout=0.5,
            deadline=60,
            retries=0,
        )
        run_, seconds = bounded(lambda: probe_endpoints([slow.https_url], settings), 15)
    assert seconds < 4.5
    (observation,) = run_.observations
    assert observation.tls.versions  # the handshakes went through
    assert observation.http.status == 200  # headers came at once; the page body is not read
    assert observation.security_txt.problems == ["unreachable: timed out"]


def test_probe_exits_at_its_deadline_against_a_trickling_server(tmp_path: Path) -> None:
    with trickle_server() as slow:
        ws = workspace(tmp_path, slow.http_url, allow_private=True)
        started = time.monotonic()
        result = subprocess.run(
            [*PYTHON, "--lang", "en", "probe", str(ws), "--deadline", "2", "--timeout", "5"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert "Not probed before the overall deadline (2 s)" in output, output
    assert slow.http_url in output
    # 2 s of deadline, the interpreter's start (about 1 s) and a margin.
    assert seconds < 2 + 3.5, seconds
    assert not (ws / "observations").exists()  # nothing finished, nothing saved


def test_ctrl_c_stops_a_probe_at_once_without_a_traceback(tmp_path: Path) -> None:
    with trickle_server() as slow:
        ws = workspace(tmp_path, slow.http_url, allow_private=True)
        process = subprocess.Popen(
            [*PYTHON, "--lang", "en", "probe", str(ws), "--deadline", "120", "--timeout", "5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert slow.connected.wait(20), "the probe never connected"
            time.sleep(0.3)
            process.send_signal(signal.SIGINT)
            sent = time.monotonic()
            _, err = process.communicate(timeout=10)
            seconds = time.monotonic() - sent
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 130, err
    assert seconds < 2, seconds
    assert "Traceback" not in err
    assert "Interrupted" in err
    assert not (ws / "observations").exists()


# --- the address policy ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged by its IPv4 address
        ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:10.1.2.3", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ],
)
def test_the_policy_refuses_non_public_addresses(address: str, reason: str) -> None:
    assert address_problem(address) == reason
    assert address_problem(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "195.186.1.1", "2001:4860:4860::8888"])
def test_the_policy_accepts_public_addresses(address: str) -> None:
    assert address_problem(address) is None


def test_loopback_is_refused_without_the_allowance_and_nothing_is_sent() -> None:
    with listener() as (port, contacted):
        settings = ProbeSettings(timeout=2, http_port=port)
        (observation,) = probe_endpoints([f"https://127.0.0.1:{port}/"], settings).observations
        assert not contacted()
    assert observation.reachable is False
    assert observation.error == "not probed: address refused: 127.0.0.1 (loopback)"


def test_a_name_resolving_to_loopback_is_refused_after_resolution() -> None:
    with listener() as (port, contacted):
        settings = ProbeSettings(timeout=2, http_port=port)
        (observation,) = probe_endpoints([f"https://localhost:{port}/"], settings).observations
        assert not contacted()
    assert observation.reachable is False
    assert observation.error is not None
    assert observation.error.startswith("not probed: address refused: ")
    assert observation.error.endswith("(loopback)")  # 127.0.0.1 or ::1, as resolved


def test_a_redirect_to_a_refused_address_is_not_followed(tmp_path: Path) -> None:
    """The first server stands for a public site (allowed by the test's policy); it
    redirects, on the same host name, to a port the policy refuses: every
    connection is checked, so the redirect is refused and nothing reaches it."""
    ca = LocalCA.create(tmp_path)
    with listener() as (hidden, contacted):
        location = f"https://localhost:{hidden}/admin"
        with serve({"/": (302, [("Location", location)], b"")}, ca.leaf("localhost")) as site:

            def policy(address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> Any:
                public = address == ipaddress.ip_address("127.0.0.1") and port == site.port
                return None if public else "loopback"

            settings = ProbeSettings(
                ca_file=ca.ca_file, http_port=closed_port(), timeout=2, address_policy=policy
            )
            url = f"https://localhost:{site.port}/"
            (observation,) = probe_endpoints([url], settings).observations
        assert not contacted()
    assert observation.reachable is True  # the site itself was probed
    assert observation.tls.versions
    assert observation.http.error is not None
    assert observation.http.error.startswith("address refused: ")


def test_an_mta_sts_policy_host_at_a_refused_address_is_not_contacted() -> None:
    from test_probe_support import FakeResolver

    records = {
        "testdorf.ch": ["v=spf1 -all"],
        "_dmarc.testdorf.ch": ["v=DMARC1; p=reject"],
        "_mta-sts.testdorf.ch": ["v=STSv1; id=1"],
    }
    with listener() as (port, contacted):
        settings = ProbeSettings(
            resolver=FakeResolver(records),
            mta_sts_url=f"https://127.0.0.1:{port}/.well-known/mta-sts.txt",
            timeout=2,
        )
        (observation,) = probe_endpoints(["mail:testdorf.ch"], settings).observations
        assert not contacted()
    assert observation.reachable is True  # the DNS checks were made
    assert observation.mail.dmarc_policy == "reject"
    assert (
        "mta_sts_policy_unavailable: address refused: 127.0.0.1 (loopback)"
        in observation.mail.problems
    )


def test_cli_refuses_loopback_unless_allowed_and_the_audit_shows_it_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = LocalCA.create(tmp_path)

    def make_settings(**kwargs: Any) -> ProbeSettings:
        return ProbeSettings(ca_file=ca.ca_file, http_port=closed_port(), **kwargs)

    monkeypatch.setattr("conformite.cli.probe.make_settings", make_settings)
    with serve({"/": (200, [], b"ok")}, ca.leaf()) as site:
        ws = workspace(tmp_path, site.url, allow_private=False)
        refused = run("probe", str(ws), "--timeout", "2")
        assert site.requests == []
        (saved,) = (ws / "observations").glob("probe-*.json")
        (observation,) = json.loads(saved.read_text(encoding="utf-8"))["observations"]
        # The refused observation makes the endpoint controls to document (not checked).
        audit = run("audit", str(ws), "--format", "json", "--schema", "2")
        allowed = run("probe", str(ws), "--timeout", "2", "--allow-private-addresses")
        assert site.requests  # the flag lets it through
    assert refused.exit_code == 0, refused.output
    assert "not probed" in refused.stdout
    assert "address 127.0.0.1 refused (loopback)" in refused.stdout
    assert "--allow-private-addresses" in refused.stdout
    assert observation["reachable"] is False
    assert observation["error"] == "not probed: address refused: 127.0.0.1 (loopback)"
    findings = json.loads(audit.stdout)["findings"]
    (tls,) = [f for f in findings if f["control_id"] == "EP-TLS"]
    assert tls["outcome"] == "unknown"
    assert "--allow-private-addresses" in tls["messages"][0]
    assert allowed.exit_code == 0, allowed.output
    assert "not probed" not in allowed.stdout


def test_the_workspace_setting_allows_private_addresses(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "https://127.0.0.1:1/", allow_private=True)
    from conformite.inventory.config import load_config

    assert load_config(ws).probe.allow_private_addresses is True


# --- validate and probe agree on URLs ----------------------------------------------------

URLS = [
    "https://www.testdorf.ch/",
    "https://www.testdorf.ch",
    "http://guichet.testdorf.ch:8080/path?x=1#top",
    "https://gemeinde-münchenstein.ch/",
    "https://127.0.0.1:8443/",
    "https://[2001:db8::1]:443/a",
    "https://xn--mnchenstein-dlb.ch/",
    "https://www.testdorf.ch:99999/",
    "https://www.testdorf.ch:0/",
    "https://www.testdorf.ch:abc/",
    "https://admin:secret@www.testdorf.ch/",
    "https://user@www.testdorf.ch/",
    "https://www.testdorf.ch/a b",
    "https://www.testdorf.ch/\t",
    "https://www.testdorf.ch/a\tb",
    "https://www.testdorf.ch/a\x00b",
    "https://www.testdorf.ch\\@evil.example/",
    "ftp://www.testdorf.ch/",
    "HTTPS://www.testdorf.ch/",
    "https://",
    "https:///path",
    "https://-bad-.ch/",
    "https://a..ch/",
    "https://%31%32%37.0.0.1/",
    "https://1.2.3/",
    "https://[zz]/",
    "https://[::1/",
    "https://" + "a" * 64 + ".ch/",
    "https://www.testdorf.ch/" + "x" * 2100,
    "javascript:alert(1)",
    "mailto:info@testdorf.ch",
]


def _validated(url: str) -> str | None:
    """The URL as the inventory stores it, or ``None`` when validate refuses it."""
    from pydantic import ValidationError

    try:
        stored = Endpoint.model_validate({"url": url}).url
    except ValidationError:
        return None
    vendor = {"id": "v", "name": "V", "country": "CH", "portal_url": url}
    assert Vendor.model_validate(vendor).portal_url == stored  # the same rule for both
    return stored


@pytest.mark.parametrize("url", URLS)
def test_validate_and_probe_accept_the_same_urls(url: str) -> None:
    stored = _validated(url)
    # The inventory strips surrounding white space; the probe is given what it stored.
    assert (stored is not None) == (url_problem(url.strip()) is None)
    if stored is not None:
        assert url_problem(stored) is None


def test_the_url_list_has_both_kinds() -> None:
    accepted = [url for url in URLS if url_problem(url) is None]
    assert 5 <= len(accepted) < len(URLS) - 10


def test_a_refused_url_is_a_located_error_in_validate_and_in_probe(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "https://www.testdorf.ch/", allow_private=False)
    services = ws / "inventory" / "services.yaml"
    services.write_text(
        services.read_text(encoding="utf-8").replace(
            "https://www.testdorf.ch/", "https://admin:pw@www.testdorf.ch/"
        ),
        encoding="utf-8",
    )
    for command in ("validate", "probe"):
        result = run(command, str(ws))
        assert result.exit_code == 2, result.output
        assert "services.yaml" in result.stderr
        assert "services[0].endpoints[0].url" in result.stderr
        assert "user name or password" in result.stderr
        assert "Traceback" not in result.output
