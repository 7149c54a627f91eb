"""Signed profile sources over real HTTP (pytest-httpserver, 127.0.0.1 only):
publish, add-source, sync, list, verify; and every way a source is refused
while the cache keeps its last good copy."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.wrappers import Request, Response

from conformite._paths import builtin_profiles_dir
from conformite.cli import cli
from conformite.profiles.index import ProfileError, current_copy
from conformite.profiles.sync import sync_source
from conformite.signing import generate_keypair

PROFILE = """\
# FICTITIOUS vendor for tests.
profile:
  id: test-cloud
  version: {version}
  publisher: Test publisher
  vetted_on: 2026-06-01
  valid_until: {valid_until}
  sources:
    name: [{{url: "https://example.ch/a", checked_on: 2026-05-30}}]
    country: [{{document: "Registre du commerce", checked_on: 2026-05-30}}]
    breach_notification_hours: [{{document: "Contrat, art. 4", checked_on: 2026-05-30}}]
vendor:
  name: Test Cloud SA
  country: CH
  breach_notification_hours: {hours}
"""


class Publisher:
    """A publisher's folder, served by a real HTTP server with ETag and Last-Modified."""

    def __init__(self, tmp_path: Path, httpserver) -> None:
        self.dir = tmp_path / "published"
        self.dir.mkdir()
        for path in builtin_profiles_dir().glob("*.yaml"):
            shutil.copy(path, self.dir / path.name)
        self.write_profile()
        self.keys = generate_keypair()
        self.key = tmp_path / "publisher.key"
        self.key.write_bytes(self.keys.private_pem)
        self.pub = tmp_path / "publisher.pub"
        self.pub.write_bytes(self.keys.public_pem)
        self.server = httpserver
        self.requests: list[Request] = []
        self.delay = 0.0
        #: Seconds before answering for a profile (.yaml); ``profile_asked`` is set then.
        self.profile_delay = 0.0
        self.profile_asked = threading.Event()
        httpserver.expect_request(__import__("re").compile(r"^/pub/.*")).respond_with_handler(
            self.handle
        )
        self.url = httpserver.url_for("/pub/")

    def write_profile(self, version: int = 1, valid_until: str = "2027-06-01", hours: int = 24):
        for old in self.dir.glob("test-cloud.*.yaml"):
            old.unlink()
        (self.dir / f"test-cloud.v{version}.yaml").write_text(
            PROFILE.format(version=version, valid_until=valid_until, hours=hours),
            encoding="utf-8",
        )

    def publish(self, *extra: str, key: Path | None = None) -> None:
        result = CliRunner().invoke(
            cli, ["profiles", "publish", str(self.dir), "--key", str(key or self.key), *extra]
        )
        assert result.exit_code == 0, result.output

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        if self.profile_delay and request.path.endswith(".yaml"):
            self.profile_asked.set()
            time.sleep(self.profile_delay)
        path = self.dir / request.path.removeprefix("/pub/")
        if not path.is_file():
            return Response("not found", status=404)
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(
            body,
            headers={"ETag": etag, "Last-Modified": "Sat, 28 Nov 2026 08:00:00 GMT"},
            content_type="application/octet-stream",
        )


@pytest.fixture
def publisher(tmp_path: Path, httpserver) -> Publisher:
    pub = Publisher(tmp_path, httpserver)
    pub.publish()
    return pub


def run(*args: str):
    return CliRunner().invoke(cli, ["--lang", "en", *args])


@pytest.fixture
def workspace(tmp_path: Path, publisher: Publisher) -> Path:
    folder = tmp_path / "ws"
    result = run(
        "init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"
    )
    assert result.exit_code == 0, result.output
    original = (folder / "conformite.toml").read_text()
    result = run(
        "profiles",
        "add-source",
        "assoc",
        publisher.url,
        str(folder),
        "--pubkey",
        str(publisher.pub),
    )
    assert result.exit_code == 0, result.output
    # The section is appended: what was written before (comments too) stays as is.
    assert (folder / "conformite.toml").read_text().startswith(original.rstrip("\n"))
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    copy = current_copy(folder, "assoc")
    assert copy is not None
    return {str(p.relative_to(copy)): p.read_bytes() for p in copy.rglob("*") if p.is_file()}


def sync(folder: Path, *extra: str):
    return run("profiles", "sync", str(folder), "--as-of", "2026-11-28", "--timeout", "2", *extra)


def test_sync_then_the_workspace_uses_the_synced_profile(workspace: Path, publisher: Publisher):
    result = sync(workspace)
    assert result.exit_code == 0, result.output
    assert "Source 'assoc': index version 1, 6 profiles (6 downloaded)." in result.output
    listing = run("profiles", "list", str(workspace))
    assert "test-cloud@1" in listing.output and "assoc" in listing.output
    (workspace / "inventory" / "vendors.yaml").write_text(
        "vendors:\n  - id: cloud\n    profile: test-cloud@1\n"
    )
    audit = run("audit", str(workspace), "--as-of", "2026-11-28", "--format", "json")
    assert audit.exit_code in (0, 1), audit.output
    assert "profile test-cloud@1 (Test publisher)" in audit.stdout
    verify = run("profiles", "verify", str(workspace), "--as-of", "2026-11-28")
    assert verify.exit_code == 0, verify.output
    assert "local copy verified (index version 1, 6 profiles" in verify.output


def test_unchanged_source_is_a_304_and_nothing_is_downloaded(workspace: Path, publisher: Publisher):
    assert sync(workspace).exit_code == 0
    before = snapshot(workspace)
    publisher.requests.clear()
    result = sync(workspace)
    assert result.exit_code == 0, result.output
    assert "not modified (index version 1)" in result.output
    assert len(publisher.requests) == 1
    assert publisher.requests[0].headers.get("If-None-Match")
    assert publisher.requests[0].headers.get("If-Modified-Since")
    assert snapshot(workspace) == before


def test_new_index_downloads_only_changed_profiles(workspace: Path, publisher: Publisher):
    assert sync(workspace).exit_code == 0
    publisher.write_profile(version=2, hours=12)
    publisher.publish()
    result = sync(workspace)
    assert result.exit_code == 0, result.output
    assert "index version 2, 6 profiles (1 downloaded)" in result.output
    assert "test-cloud@2" in run("profiles", "list", str(workspace)).output


def _refused(workspace: Path, publisher: Publisher, expected: str, *extra: str) -> None:
    """A first good sync, then a refused one: the last good copy is kept, exit code 2."""
    before = snapshot(workspace)
    result = sync(workspace, *extra)
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert "The previous local copy stays in use." in result.output
    assert snapshot(workspace) == before
    leftovers = [p.name for p in (workspace / ".conformite/profiles/assoc").iterdir()]
    assert len(leftovers) == 2, leftovers  # 'current' and the copy it points to


@pytest.fixture
def synced(workspace: Path, publisher: Publisher) -> Path:
    assert sync(workspace).exit_code == 0
    publisher.write_profile(version=2, hours=12)
    return workspace


def test_tampered_profile_is_refused(synced: Path, publisher: Publisher):
    publisher.publish()
    path = publisher.dir / "test-cloud.v2.yaml"
    path.write_text(path.read_text().replace("hours: 12", "hours: 1"))
    _refused(synced, publisher, "test-cloud.v2.yaml does not match its SHA-256 in the signed index")


def test_bad_signature_is_refused(synced: Path, publisher: Publisher):
    publisher.publish()
    index = publisher.dir / "index.json"
    index.write_text(index.read_text().replace('"index_version": 2', '"index_version": 3'))
    _refused(synced, publisher, "Bad signature")


def test_missing_signature_is_refused(synced: Path, publisher: Publisher):
    publisher.publish()
    (publisher.dir / "index.json.sig").unlink()
    _refused(synced, publisher, "publishes no signature")


def test_signature_by_an_unknown_key_is_refused(synced: Path, publisher: Publisher, tmp_path: Path):
    other = tmp_path / "other.key"
    other.write_bytes(generate_keypair().private_pem)
    publisher.publish(key=other)
    _refused(synced, publisher, "signed by an unknown key")


def test_expired_profile_is_refused(synced: Path, publisher: Publisher):
    publisher.write_profile(version=2, valid_until="2026-11-27")
    publisher.publish()
    _refused(synced, publisher, "The profile test-cloud@2 expired on 2026-11-27")


def test_downgrade_is_refused(workspace: Path, publisher: Publisher):
    old_index = (publisher.dir / "index.json").read_bytes()
    old_sig = (publisher.dir / "index.json.sig").read_bytes()
    publisher.publish()  # version 2
    assert sync(workspace).exit_code == 0
    (publisher.dir / "index.json").write_bytes(old_index)
    (publisher.dir / "index.json.sig").write_bytes(old_sig)
    _refused(workspace, publisher, "(version 1) is older than the local copy (version 2)")


def test_malformed_index_even_if_signed_is_refused(synced: Path, publisher: Publisher):
    from conformite.signing import load_private_key, sign_bytes, signature_text

    data = b'{"format": 1, "profiles": "nope"}'
    key = load_private_key(publisher.keys.private_pem)
    (publisher.dir / "index.json").write_bytes(data)
    (publisher.dir / "index.json.sig").write_text(signature_text(sign_bytes(key, data)))
    _refused(synced, publisher, "The profile index is malformed")


def test_oversized_index_is_refused(synced: Path, publisher: Publisher):
    (publisher.dir / "index.json").write_bytes(b" " * (1024 * 1024 + 10))
    _refused(synced, publisher, "larger than the limit (1048576 bytes)")


def test_redirect_to_another_host_is_refused(synced: Path, publisher: Publisher, httpserver):
    host = "127.0.0.1" if "localhost" in publisher.url else "localhost"
    other = publisher.url.replace("localhost", host).replace("127.0.0.1", host)
    httpserver.clear()
    httpserver.expect_request("/pub/index.json").respond_with_response(
        Response(status=302, headers={"Location": other + "index.json"})
    )
    _refused(synced, publisher, "redirects to another host")


def test_unreachable_source_is_a_clear_error_and_the_cache_is_kept(
    synced: Path, publisher: Publisher
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    toml = synced / "conformite.toml"
    toml.write_text(toml.read_text().replace(publisher.url, f"http://localhost:{port}/pub/"))
    _refused(synced, publisher, "unreachable: connection refused")


def test_slow_source_times_out_and_nothing_is_written(tmp_path: Path, publisher: Publisher):
    publisher.delay = 1.5
    start = time.monotonic()
    with pytest.raises(ProfileError) as caught:
        sync_source(
            tmp_path,
            "assoc",
            publisher.url,
            publisher.keys.public_pem.decode(),
            dt.date(2026, 11, 28),
            timeout=0.3,
            attempts=2,
            backoff=0.05,
        )
    assert caught.value.key == "profiles.unreachable"
    assert "timed out" in caught.value.values["reason"]
    assert time.monotonic() - start < 5
    assert current_copy(tmp_path, "assoc") is None


def test_edited_cache_is_refused_by_verify_and_by_loading(workspace: Path, publisher: Publisher):
    assert sync(workspace).exit_code == 0
    copy = current_copy(workspace, "assoc")
    assert copy is not None
    path = copy / "profiles" / "test-cloud.v1.yaml"
    path.write_text(path.read_text().replace("hours: 24", "hours: 2"))
    verify = run("profiles", "verify", str(workspace), "--as-of", "2026-11-28")
    assert verify.exit_code == 1
    assert "test-cloud.v1.yaml does not match its SHA-256" in verify.output
    validate = run("validate", str(workspace))
    assert validate.exit_code == 2
    assert "cached profile missing or changed since it was verified" in validate.output


def test_add_source_refuses_plain_http_to_another_host_and_bad_keys(
    workspace: Path, publisher: Publisher
):
    result = run(
        "profiles",
        "add-source",
        "x",
        "http://profils.example.ch/",
        str(workspace),
        "--pubkey",
        str(publisher.pub),
    )
    assert result.exit_code == 2
    assert "must use https://" in result.output
    result = run(
        "profiles",
        "add-source",
        "x",
        "https://profils.example.ch/",
        str(workspace),
        "--pubkey",
        str(publisher.key),
    )
    assert result.exit_code == 2
    assert "private key" in result.output or "public key" in result.output
    result = run(
        "profiles",
        "add-source",
        "assoc",
        "https://profils.example.ch/",
        str(workspace),
        "--pubkey",
        str(publisher.pub),
    )
    assert result.exit_code == 2 and "--replace" in result.output


def test_publish_refuses_an_invalid_profile_with_a_located_error(publisher: Publisher):
    (publisher.dir / "broken.yaml").write_text("profile: {id: x}\nvendor: {nam: X}\n")
    result = CliRunner().invoke(
        cli, ["profiles", "publish", str(publisher.dir), "--key", str(publisher.key)]
    )
    assert result.exit_code == 2
    assert "broken.yaml:2:10: vendor.nam: unknown key 'nam'" in result.output


def test_sync_of_an_unknown_source_suggests_the_closest(workspace: Path):
    result = sync(workspace, "--source", "asoc")
    assert result.exit_code == 2
    assert "Unknown source: 'asoc'" in result.output and "assoc?" in result.output


def test_sync_without_any_source_says_how_to_add_one(tmp_path: Path):
    folder = tmp_path / "bare"
    result = run(
        "init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"
    )
    assert result.exit_code == 0, result.output
    result = sync(folder)
    assert result.exit_code == 2
    assert "conformite profiles add-source NAME URL --pubkey KEY" in result.output


# --- slow and hostile sources (issue 11) ---------------------------------------------------


def _trickling_source(tmp_path: Path, url: str) -> Path:
    """A workspace whose only source is ``url`` (a key nobody uses: nothing gets that far)."""
    folder = tmp_path / "slow-ws"
    result = run(
        "init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"
    )
    assert result.exit_code == 0, result.output
    pub = tmp_path / "any.pub"
    pub.write_bytes(generate_keypair().public_pem)
    result = run("profiles", "add-source", "slow", url, str(folder), "--pubkey", str(pub))
    assert result.exit_code == 0, result.output
    return folder


def test_a_trickling_source_is_cut_off_and_the_command_exits(tmp_path: Path):
    from test_probe_support import trickle_server

    with trickle_server(interval=0.2) as slow:  # one byte every 0.2 s: no read ever times out
        folder = _trickling_source(tmp_path, slow.http_url)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "conformite", "--lang", "en", "profiles", "sync",
             str(folder), "--timeout", "0.3"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        seconds = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert "timed out" in result.stderr
    assert "Traceback" not in result.stderr
    # 3 attempts cut off after 3 x 0.3 s each, backoff 0.5 s and 1 s, the interpreter's start.
    assert seconds < 8, seconds
    assert current_copy(folder, "slow") is None


def test_the_source_deadline_bounds_the_whole_sync(tmp_path: Path):
    from test_probe_support import trickle_server

    errors: list[ProfileError] = []

    def call() -> None:
        try:
            sync_source(
                tmp_path, "slow", slow.http_url, generate_keypair().public_pem.decode(),
                dt.date(2026, 11, 28), timeout=5, deadline=1.0,
            )  # fmt: skip
        except ProfileError as exc:
            errors.append(exc)

    with trickle_server(interval=0.2, fast_headers=True) as slow:
        started = time.monotonic()
        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        thread.join(10)
        seconds = time.monotonic() - started
    assert not thread.is_alive()
    assert seconds < 2.5, seconds  # a request alone could take 3 x 5 s
    (error,) = errors
    assert error.key == "profiles.unreachable"
    assert "timed out" in error.values["reason"]
    assert not (tmp_path / ".conformite").exists() or not list(
        (tmp_path / ".conformite").rglob("v*")
    )


def test_the_total_size_of_a_source_is_capped(tmp_path: Path, publisher: Publisher):
    with pytest.raises(ProfileError) as caught:
        sync_source(
            tmp_path, "assoc", publisher.url, publisher.keys.public_pem.decode(),
            dt.date(2026, 11, 28), max_total_bytes=8192,
        )  # fmt: skip
    assert caught.value.key == "profiles.too_large"
    assert caught.value.values["limit"] == 8192
    assert current_copy(tmp_path, "assoc") is None
    assert list((tmp_path / ".conformite/profiles/assoc").iterdir()) == []  # no staging left


def test_ctrl_c_during_a_sync_keeps_the_last_good_copy(workspace: Path, publisher: Publisher):
    assert sync(workspace).exit_code == 0
    before = snapshot(workspace)
    publisher.write_profile(version=2, hours=12)
    publisher.publish()
    publisher.profile_delay = 4  # the new profile is slow to come: the user presses Ctrl-C
    process = subprocess.Popen(
        [sys.executable, "-m", "conformite", "--lang", "en", "profiles", "sync", str(workspace),
         "--as-of", "2026-11-28", "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert publisher.profile_asked.wait(20), "the sync never asked for the profile"
        staging = list((workspace / ".conformite/profiles/assoc").iterdir())
        assert len(staging) == 3  # 'current', its copy and the new copy being built
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = process.communicate(timeout=10)
        seconds = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert seconds < 2, seconds
    assert process.returncode == 130  # interrupted, as shells count it (cli.main)
    assert "Interrupted (Ctrl-C)" in err and "Traceback" not in err
    assert "Traceback" not in err
    assert snapshot(workspace) == before
    leftovers = [p.name for p in (workspace / ".conformite/profiles/assoc").iterdir()]
    assert len(leftovers) == 2, leftovers  # the half-built copy is gone


def test_the_deadline_option_bounds_the_whole_sync_command(tmp_path: Path):
    """--deadline is for the command: two slow sources share it, they do not get one each."""
    from test_probe_support import trickle_server

    with trickle_server(interval=0.2, fast_headers=True) as slow:
        folder = _trickling_source(tmp_path, slow.http_url)
        second = run(
            "profiles", "add-source", "slow2", slow.http_url, str(folder),
            "--pubkey", str(tmp_path / "any.pub"),
        )  # fmt: skip
        assert second.exit_code == 0, second.output
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "conformite", "--lang", "en", "profiles", "sync",
             str(folder), "--timeout", "5", "--deadline", "2"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        seconds = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("timed out") == 2, result.stderr  # both sources refused
    assert seconds < 4.5, seconds  # 2 s for both, plus the interpreter's start
