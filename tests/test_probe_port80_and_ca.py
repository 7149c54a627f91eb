"""The http:// port's states (closed only when refused), and an extra CA bundle (--ca-file)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformite.cli.probe import describe_observation
from conformite.inventory.observations import Observation
from conformite.probe import ProbeSettings, probe_endpoints
from test_probe import findings, make_workspace, run
from test_probe_support import LocalCA, closed_port, serve, silent_server

TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
PAGE = [("Strict-Transport-Security", "max-age=31536000"), ("X-Content-Type-Options", "nosniff")]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.create(tmp_path_factory.mktemp("ca"))


@contextlib.contextmanager
def not_http_server() -> Iterator[int]:
    """A port that reads the request and answers something that is not HTTP."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(4096)
                    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n")

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        listener.close()


@contextlib.contextmanager
def http_port(kind: str) -> Iterator[int]:
    if kind == "closed":
        yield closed_port()
    elif kind == "silent":
        with silent_server() as port:
            yield port
    elif kind == "malformed":
        with not_http_server() as port:
            yield port
    else:
        with serve({"/": (301, [("Location", "https://127.0.0.1/")], b"")}) as plain:
            yield plain.port


def probe_with_http_port(kind: str, ca: LocalCA) -> Observation:
    with (
        serve({"/": (200, PAGE, b"ok")}, ca.leaf(), versions=TLS12_13) as site,
        http_port(kind) as port,
    ):
        settings = ProbeSettings(
            allow_private_addresses=True, ca_file=ca.ca_file, http_port=port, timeout=1, retries=0
        )
        (observation,) = probe_endpoints([site.url], settings).observations
    return observation


@pytest.mark.parametrize(
    ("kind", "state", "wording"),
    [
        ("closed", "closed", "port 80 closed"),
        ("silent", "silent", "port 80 open but silent (no answer)"),
        ("malformed", "malformed", "port 80 open, answer is not HTTP"),
        ("redirect", "answered", "http:// redirects to https://"),
    ],
)
def test_port_80_is_closed_only_when_the_connection_is_refused(
    kind: str, state: str, wording: str, ca: LocalCA
) -> None:
    observation = probe_with_http_port(kind, ca)
    http = observation.http
    assert http.http_port_state == state
    assert (http.redirects_to_https is True) is (kind == "redirect")
    parts = describe_observation(observation, "en")
    assert wording in parts
    if kind != "closed":
        assert "port 80 closed" not in parts
    if kind == "closed":
        assert http.http_port_error == "connection refused"


def test_port_80_wording_is_translated(ca: LocalCA) -> None:
    observation = probe_with_http_port("silent", ca)
    assert "port 80 ouvert mais muet (aucune réponse)" in describe_observation(observation, "fr")


# -- --ca-file ----------------------------------------------------------------------------


@pytest.fixture
def certifi_only(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The CLI's settings with the public roots (certifi) only, as a user gets them."""
    calls: list[dict[str, Any]] = []

    def make_settings(**kwargs: Any) -> ProbeSettings:
        calls.append(kwargs)
        return ProbeSettings(http_port=closed_port(), retries=0, **{**kwargs, "timeout": 2})

    monkeypatch.setattr("conformite.cli.probe.make_settings", make_settings)
    return calls


def latest(ws: Path) -> dict[str, Any]:
    """The observation of the newest run (``probe-T.json`` and ``probe-T-1.json`` in one second)."""
    files = sorted((ws / "observations").iterdir(), key=lambda f: f.stat().st_mtime_ns)
    return json.loads(files[-1].read_text(encoding="utf-8"))["observations"][0]  # type: ignore[no-any-return]


def test_a_private_ca_is_trusted_with_ca_file_and_not_without(
    tmp_path: Path, ca: LocalCA, certifi_only: list[dict[str, Any]]
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    with serve({"/": (200, PAGE, b"ok")}, ca.leaf(), versions=TLS12_13) as site:
        ws = make_workspace(tmp_path, {"website": site.url})
        result = run("probe", str(ws))
        assert result.exit_code == 0, result.output
        without = latest(ws)
        verdict_without = findings(ws, today)[("EP-TLS", site.url)]["outcome"]

        result = run("probe", str(ws), "--ca-file", ca.ca_file)
        assert result.exit_code == 0, result.output
        with_ca = latest(ws)
        verdict_with = findings(ws, today)[("EP-TLS", site.url)]["outcome"]
    assert certifi_only[0]["extra_ca_file"] is None
    assert certifi_only[1]["extra_ca_file"] == ca.ca_file
    assert without["tls"]["certificate"]["trusted"] is False
    assert without["tls"]["extra_ca_file"] is None
    assert verdict_without == "fail"
    assert with_ca["tls"]["certificate"]["trusted"] is True
    assert with_ca["tls"]["certificate"]["trusted_by_extra_ca"] is True
    assert with_ca["tls"]["extra_ca_file"] == ca.ca_file
    assert verdict_with == "pass"
    parts = describe_observation(Observation.model_validate(with_ca), "en")
    assert "certificate trusted through the extra CA (--ca-file)" in parts
    assert "certificate trusted through the extra CA (--ca-file)" not in describe_observation(
        Observation.model_validate(without), "en"
    )


def test_ca_file_in_conformite_toml_is_relative_to_the_workspace(
    tmp_path: Path, ca: LocalCA, certifi_only: list[dict[str, Any]]
) -> None:
    with serve({"/": (200, PAGE, b"ok")}, ca.leaf(), versions=TLS12_13) as site:
        ws = make_workspace(tmp_path, {"website": site.url})
        (ws / "pki").mkdir()
        (ws / "pki" / "commune-ca.pem").write_bytes(Path(ca.ca_file).read_bytes())
        config = ws / "conformite.toml"
        config.write_text(
            config.read_text(encoding="utf-8") + 'ca_file = "pki/commune-ca.pem"\n',
            encoding="utf-8",
        )
        result = run("probe", str(ws))
        assert result.exit_code == 0, result.output
    assert certifi_only[0]["extra_ca_file"] == str(ws / "pki" / "commune-ca.pem")
    assert latest(ws)["tls"]["certificate"]["trusted_by_extra_ca"] is True


def test_a_public_chain_does_not_need_the_extra_ca(ca: LocalCA, tmp_path: Path) -> None:
    """ca_file stands for the public roots here; the extra bundle is not what trusts it."""
    other = LocalCA.create(tmp_path)
    with serve({"/": (200, PAGE, b"ok")}, ca.leaf(), versions=TLS12_13) as site:
        settings = ProbeSettings(
            allow_private_addresses=True, ca_file=ca.ca_file, extra_ca_file=other.ca_file,
            http_port=closed_port(), timeout=2, retries=0,
        )  # fmt: skip
        (observation,) = probe_endpoints([site.url], settings).observations
    assert observation.tls.certificate.trusted is True
    assert observation.tls.certificate.trusted_by_extra_ca is False
    assert observation.tls.extra_ca_file == other.ca_file


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "the CA certificate file does not exist"),
        (b"not a certificate\n", "the file holds no readable certificate in PEM format"),
        (b"", "the file holds no readable certificate in PEM format"),
        (
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "the file holds no readable certificate in PEM format",
        ),
    ],
)
def test_a_bad_ca_file_is_a_located_input_error(
    tmp_path: Path,
    certifi_only: list[dict[str, Any]],
    content: bytes | None,
    expected: str,
) -> None:
    ws = make_workspace(tmp_path, {"website": f"https://127.0.0.1:{closed_port()}/"})
    pem = tmp_path / "ca.pem"
    if content is not None:
        pem.write_bytes(content)
    result = run("probe", str(ws), "--ca-file", str(pem))
    assert result.exit_code == 2, result.output
    assert str(pem) in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert certifi_only == []  # nothing was probed
    assert not (ws / "observations").exists() or not any((ws / "observations").iterdir())


def test_a_bad_ca_file_in_the_config_points_at_its_line(
    tmp_path: Path, certifi_only: list[dict[str, Any]]
) -> None:
    ws = make_workspace(tmp_path, {"website": f"https://127.0.0.1:{closed_port()}/"})
    config = ws / "conformite.toml"
    text = config.read_text(encoding="utf-8") + 'ca_file = "missing.pem"\n'
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index('ca_file = "missing.pem"') + 1
    result = run("probe", str(ws))
    assert result.exit_code == 2, result.output
    assert f"conformite.toml:{line}" in result.stderr
    assert "probe.ca_file" in result.stderr
    assert "the CA certificate file does not exist" in result.stderr
    assert certifi_only == []
