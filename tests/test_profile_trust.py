"""Trust in synced supplier profiles (issue 11): the cached index is verified each
time profiles are used, signed indexes expire (freeze/replay), older indexes are
refused (rollback), and ``profiles add-source`` keeps conformite.toml's comments.

A real HTTP server on 127.0.0.1 serves the publisher's folder (with an ETag, so
an unchanged index is a 304), the commands run through click's CliRunner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.profiles.index import current_copy
from conformite.signing import generate_keypair, load_private_key, sign_bytes, signature_text

AS_OF = "2026-11-28"
PROFILE = """\
# FICTITIOUS vendor for tests.
profile:
  id: trust-cloud
  version: 1
  publisher: Test publisher
  vetted_on: 2026-06-01
  valid_until: 2099-06-01
  sources:
    name: [{url: "https://example.ch/a", checked_on: 2026-05-30}]
    country: [{document: "Registre du commerce", checked_on: 2026-05-30}]
    breach_notification_hours: [{document: "Contrat, art. 4", checked_on: 2026-05-30}]
vendor:
  name: Trust Cloud SA
  country: CH
  breach_notification_hours: 24
"""


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


class _Handler(BaseHTTPRequestHandler):
    folder: Path

    def do_GET(self) -> None:
        path = self.folder / self.path.removeprefix("/pub/")
        if not self.path.startswith("/pub/") or not path.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = path.read_bytes()
        if self.headers.get("If-None-Match") == _etag(body):
            self.send_response(304)
            self.send_header("ETag", _etag(body))
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", _etag(body))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Publisher:
    """A publisher's folder and key; ``url`` serves the folder from 127.0.0.1."""

    def __init__(self, tmp_path: Path, url: str, folder: Path) -> None:
        self.dir = folder
        self.url = url
        (folder / "trust-cloud.v1.yaml").write_text(PROFILE, encoding="utf-8")
        self.keys = generate_keypair()
        self.key = tmp_path / "publisher.key"
        self.key.write_bytes(self.keys.private_pem)
        self.pub = tmp_path / "publisher.pub"
        self.pub.write_bytes(self.keys.public_pem)

    def publish(self, *extra: str):
        result = run("profiles", "publish", str(self.dir), "--key", str(self.key), *extra)
        assert result.exit_code == 0, result.output
        return result

    def index(self) -> dict:
        return json.loads((self.dir / "index.json").read_text(encoding="utf-8"))

    def sign(self, index: dict, folder: Path | None = None) -> None:
        """Write ``index`` and its valid signature by this publisher into ``folder``."""
        folder = folder or self.dir
        data = (json.dumps(index, indent=2) + "\n").encode("utf-8")
        key = load_private_key(self.keys.private_pem)
        (folder / "index.json").write_bytes(data)
        (folder / "index.json.sig").write_text(signature_text(sign_bytes(key, data)))


def run(*args: str):
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[Publisher]:
    folder = tmp_path / "published"
    folder.mkdir()
    handler = type("Handler", (_Handler,), {"folder": folder})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pub = Publisher(tmp_path, f"http://127.0.0.1:{server.server_address[1]}/pub/", folder)
        pub.publish()
        yield pub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def workspace(tmp_path: Path, publisher: Publisher) -> Path:
    folder = tmp_path / "ws"
    result = run(
        "init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"
    )
    assert result.exit_code == 0, result.output
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
    (folder / "inventory" / "vendors.yaml").write_text(
        "vendors:\n  - id: cloud\n    profile: trust-cloud@1\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def synced(workspace: Path) -> Path:
    result = sync(workspace)
    assert result.exit_code == 0, result.output
    audit = run("audit", str(workspace), "--as-of", AS_OF, "--format", "json")
    assert audit.exit_code in (0, 1), audit.output
    assert "profile trust-cloud@1 (Test publisher)" in audit.stdout
    return workspace


def sync(folder: Path):
    return run("profiles", "sync", str(folder), "--as-of", AS_OF, "--timeout", "2")


def snapshot(folder: Path) -> dict[str, bytes]:
    copy = current_copy(folder, "assoc")
    assert copy is not None
    return {str(p.relative_to(copy)): p.read_bytes() for p in copy.rglob("*") if p.is_file()}


def refused(workspace: Path, expected: str) -> None:
    """A sync refused with ``expected`` in its message, the last good copy untouched."""
    before = snapshot(workspace)
    result = sync(workspace)
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert "The previous local copy stays in use." in result.output
    assert snapshot(workspace) == before


USES = {
    "audit": lambda ws: ("audit", str(ws), "--as-of", AS_OF, "--format", "json"),
    "validate": lambda ws: ("validate", str(ws)),
    "screen": lambda ws: (
        "screen",
        "trust-cloud@1",
        "--use",
        "Guichet",
        "--data",
        "contact",
        "--workspace",
        str(ws),
        "--as-of",
        AS_OF,
    ),
}


# --- 1. the cached index is verified where profiles are used ------------------------


@pytest.mark.parametrize("command", sorted(USES))
def test_profile_edited_with_its_hash_in_the_cached_index_is_refused_at_use(
    synced: Path, command: str
):
    copy = current_copy(synced, "assoc")
    assert copy is not None
    profile = copy / "profiles" / "trust-cloud.v1.yaml"
    edited = profile.read_text().replace(
        "breach_notification_hours: 24", "breach_notification_hours: 1"
    )
    profile.write_text(edited)
    index_path = copy / "index.json"
    index = json.loads(index_path.read_text())
    index["profiles"][0]["sha256"] = hashlib.sha256(edited.encode()).hexdigest()
    index_path.write_text(json.dumps(index, indent=2) + "\n")

    result = run(*USES[command](synced))
    assert result.exit_code == 2, result.output
    assert f"{index_path}: cached index of source 'assoc' does not verify: Bad signature" in (
        result.output
    )
    assert "run 'conformite profiles sync' again" in result.output
    assert "Traceback" not in result.output


def test_cached_copy_signed_by_another_key_than_the_configured_one_is_refused_at_use(
    synced: Path, tmp_path: Path
):
    other = tmp_path / "other.pub"
    other.write_bytes(generate_keypair().public_pem)
    toml = synced / "conformite.toml"
    result = run(
        "profiles", "add-source", "assoc", "http://127.0.0.1:9/pub/", str(synced),
        "--pubkey", str(other), "--replace",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "127.0.0.1:9" in toml.read_text()
    result = run("validate", str(synced))
    assert result.exit_code == 2, result.output
    assert "does not verify: The index is signed by an unknown key" in result.output


def test_a_broken_public_key_in_conformite_toml_is_a_plain_error_not_a_traceback(
    synced: Path, publisher: Publisher
):
    toml = synced / "conformite.toml"
    text = toml.read_text()
    start = text.index("-----BEGIN PUBLIC KEY-----")
    toml.write_text(text[:start] + "not a key\\n" + text[text.index('"', start) :])
    result = sync(synced)
    assert result.exit_code == 2, result.output
    assert "is not an Ed25519 public key (PEM)" in result.output
    result = run("validate", str(synced))
    assert result.exit_code == 2, result.output
    assert "is not an Ed25519 public key (PEM)" in result.output


# --- 2. expiry and rollback ------------------------------------------------------------


def test_publish_signs_an_expiry_date_30_days_ahead_or_as_asked(publisher: Publisher):
    index = publisher.index()
    issued = dt.datetime.fromisoformat(index["issued_at"])
    assert dt.datetime.fromisoformat(index["expires"]) - issued == dt.timedelta(days=30)
    result = publisher.publish("--expires-in", "7")
    index = publisher.index()
    issued = dt.datetime.fromisoformat(index["issued_at"])
    expires = dt.datetime.fromisoformat(index["expires"])
    assert expires - issued == dt.timedelta(days=7)
    assert f"The index expires on {expires:%Y-%m-%d %H:%M} UTC" in result.output


def test_expired_index_is_refused_at_sync_and_the_last_good_copy_is_kept(
    synced: Path, publisher: Publisher
):
    index = publisher.index()
    index.update(
        index_version=2,
        issued_at=stamp(NOW - dt.timedelta(days=40)),
        expires=stamp(NOW - dt.timedelta(days=10)),
    )
    publisher.sign(index)
    refused(synced, f"The signed index expired on {stamp(NOW - dt.timedelta(days=10))}")


def test_expired_index_is_refused_at_first_sync(workspace: Path, publisher: Publisher):
    index = publisher.index()
    index["expires"] = stamp(NOW - dt.timedelta(seconds=1))
    publisher.sign(index)
    result = sync(workspace)
    assert result.exit_code == 2, result.output
    assert "The signed index expired on" in result.output
    assert current_copy(workspace, "assoc") is None


def test_an_unchanged_source_whose_index_expired_since_the_last_sync_is_refused(
    synced: Path, publisher: Publisher
):
    # Time passes: the index the source serves, and the cache holds, is now expired
    # (the same bytes on both sides, so the source answers 304 Not Modified).
    index = publisher.index()
    index["expires"] = stamp(NOW - dt.timedelta(days=1))
    copy = current_copy(synced, "assoc")
    assert copy is not None
    publisher.sign(index)
    publisher.sign(index, copy)
    meta = json.loads((copy / "meta.json").read_text())
    meta["etag"] = _etag((publisher.dir / "index.json").read_bytes())
    (copy / "meta.json").write_text(json.dumps(meta))
    refused(synced, f"The signed index expired on {stamp(NOW - dt.timedelta(days=1))}")


@pytest.mark.parametrize("command", sorted(USES))
def test_expired_cached_index_is_an_error_at_use(synced: Path, publisher: Publisher, command: str):
    copy = current_copy(synced, "assoc")
    assert copy is not None
    index = publisher.index()
    index["expires"] = stamp(NOW - dt.timedelta(days=2))
    publisher.sign(index, copy)  # validly signed, but no longer current

    result = run(*USES[command](synced))
    assert result.exit_code == 2, result.output
    expected = f"cached index of source 'assoc' expired on {stamp(NOW - dt.timedelta(days=2))}"
    assert f"{copy / 'index.json'}: {expected}" in result.output
    assert "run 'conformite profiles sync' again" in result.output


def test_expired_cached_index_fails_verify_whatever_the_as_of_date(
    synced: Path, publisher: Publisher
):
    copy = current_copy(synced, "assoc")
    assert copy is not None
    index = publisher.index()
    index["expires"] = stamp(NOW - dt.timedelta(days=2))
    publisher.sign(index, copy)
    # An audit date before the expiry does not revive a stale signature.
    result = run("profiles", "verify", str(synced), "--as-of", "2026-01-01")
    assert result.exit_code == 1, result.output
    assert "The signed index expired on" in result.output
    result = run("audit", str(synced), "--as-of", "2026-01-01", "--format", "json")
    assert result.exit_code == 2, result.output


def test_index_without_expires_from_older_publishers_is_valid_30_days_after_issue(
    workspace: Path, publisher: Publisher
):
    """Decision for indexes published before 'expires' existed: they expire 30 days
    (the default) after their signed issued_at. A recent one is accepted, at sync
    and at use; an old one is refused as expired."""
    index = publisher.index()
    index.pop("expires", None)  # as an older conformite published it
    index["issued_at"] = stamp(NOW - dt.timedelta(days=31))
    publisher.sign(index)
    result = sync(workspace)
    assert result.exit_code == 2, result.output
    assert f"expired on {stamp(NOW - dt.timedelta(days=1))}" in result.output

    index["issued_at"] = stamp(NOW - dt.timedelta(days=29))
    publisher.sign(index)
    result = sync(workspace)
    assert result.exit_code == 0, result.output
    audit = run("audit", str(workspace), "--as-of", AS_OF, "--format", "json")
    assert audit.exit_code in (0, 1), audit.output
    assert "profile trust-cloud@1 (Test publisher)" in audit.stdout

    # The same legacy index, cached 31 days after issue, is refused at use.
    copy = current_copy(workspace, "assoc")
    assert copy is not None
    index["issued_at"] = stamp(NOW - dt.timedelta(days=31))
    publisher.sign(index, copy)
    result = run("validate", str(workspace))
    assert result.exit_code == 2, result.output
    assert "cached index of source 'assoc' expired on" in result.output


def test_rollback_is_refused_even_when_meta_json_is_gone(synced: Path, publisher: Publisher):
    old_index = (publisher.dir / "index.json").read_bytes()
    old_sig = (publisher.dir / "index.json.sig").read_bytes()
    publisher.publish()  # index version 2
    assert sync(synced).exit_code == 0
    copy = current_copy(synced, "assoc")
    assert copy is not None
    # meta.json is not signed: the floor must come from the signed cached index.
    (copy / "meta.json").unlink()
    (publisher.dir / "index.json").write_bytes(old_index)
    (publisher.dir / "index.json.sig").write_bytes(old_sig)
    refused(synced, "(version 1) is older than the local copy (version 2)")


def test_index_issued_before_the_cached_one_is_refused_as_a_rollback(
    synced: Path, publisher: Publisher
):
    cached = publisher.index()
    index = dict(cached)
    issued = dt.datetime.fromisoformat(cached["issued_at"]) - dt.timedelta(days=1)
    index.update(index_version=cached["index_version"] + 1, issued_at=stamp(issued))
    publisher.sign(index)
    refused(
        synced,
        f"(issued {stamp(issued)}) is older than the local copy (issued {cached['issued_at']})",
    )


# --- 3. add-source keeps conformite.toml's comments -----------------------------------

FIRST_KEY = (
    "-----BEGIN PUBLIC KEY-----\\n"
    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n"
    "-----END PUBLIC KEY-----\\n"
)
COMMENTED = f"""\
# conformite.toml of Testville — kept by hand, please keep the comments.

[commune]
name = "Testville"      # official name
canton = "VD"
population = 900


# Profiles we trust (letter from the association, 2026-03-02)
[profiles.sources.first]
url = "https://profils.example.ch/"   # the association
pubkey = "{FIRST_KEY}"

# end of file
"""


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace("\n", "\\n") + '"'


def _add(folder: Path, name: str, pub: Path, *extra: str):
    return run(
        "profiles", "add-source", name, "https://other.example.ch/p/", str(folder),
        "--pubkey", str(pub), *extra,
    )  # fmt: skip


def test_add_source_keeps_comments_and_blank_lines_byte_for_byte(
    tmp_path: Path, publisher: Publisher
):
    folder = tmp_path / "ws"
    result = run(
        "init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"
    )
    assert result.exit_code == 0, result.output
    toml = folder / "conformite.toml"
    toml.write_text(COMMENTED, encoding="utf-8")
    pem = publisher.pub.read_text().strip() + "\n"

    result = _add(folder, "second", publisher.pub)
    assert result.exit_code == 0, result.output
    added = (
        "\n[profiles.sources.second]\n"
        'url = "https://other.example.ch/p/"\n'
        f"pubkey = {_toml_string(pem)}\n"
    )
    assert toml.read_text(encoding="utf-8") == COMMENTED + added

    # --replace changes the values of that source only, in place.
    other = tmp_path / "other.pub"
    other.write_bytes(generate_keypair().public_pem)
    result = _add(folder, "first", other, "--replace")
    assert result.exit_code == 0, result.output
    first_url = 'url = "https://profils.example.ch/"   # the association'
    old_key = COMMENTED.splitlines()[11]
    new_key = "pubkey = " + _toml_string(other.read_text().strip() + "\n")
    expected = (
        COMMENTED.replace(
            first_url, 'url = "https://other.example.ch/p/"   # the association'
        ).replace(old_key, new_key)
        + added
    )
    assert toml.read_text(encoding="utf-8") == expected
    assert run("validate", str(folder)).exit_code in (0, 1)


def test_add_source_to_a_file_without_profiles_appends_one_section(
    tmp_path: Path, publisher: Publisher
):
    folder = tmp_path / "ws"
    result = run(
        "init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"
    )
    assert result.exit_code == 0, result.output
    toml = folder / "conformite.toml"
    original = toml.read_text(encoding="utf-8") + "# a last comment\n\n\n"
    toml.write_text(original, encoding="utf-8")
    result = _add(folder, "assoc", publisher.pub)
    assert result.exit_code == 0, result.output
    pem = publisher.pub.read_text().strip() + "\n"
    assert toml.read_text(encoding="utf-8") == (
        original.rstrip("\n")
        + "\n\n[profiles.sources.assoc]\n"
        + 'url = "https://other.example.ch/p/"\n'
        + f"pubkey = {_toml_string(pem)}\n"
    )


@pytest.mark.parametrize(
    ("issued_at", "expires"),
    [
        ("0001-01-01T00:00:00+01:00", None),
        ("9999-12-31T23:00:00Z", None),
        ("2026-12-01T00:00:00Z", "9999-12-31T23:59:59-05:00"),
    ],
)
def test_index_dates_out_of_range_are_a_malformed_index_not_a_crash(
    issued_at: str, expires: str | None
):
    from conformite.profiles.index import ProfileError, parse_index

    index = {"format": 1, "publisher": "x", "key": "SHA256:" + "0" * 16, "index_version": 1}
    index |= {"issued_at": issued_at, "profiles": []}
    if expires is not None:
        index["expires"] = expires
    with pytest.raises(ProfileError) as caught:
        parse_index(json.dumps(index).encode())
    assert caught.value.key == "profiles.bad_index"
    assert "date out of range" in caught.value.values["detail"]


def test_an_index_time_without_zone_is_read_as_utc():
    from conformite.profiles.index import expires_at, parse_index

    index = {"format": 1, "publisher": "x", "key": "SHA256:" + "0" * 16, "index_version": 1}
    index |= {"issued_at": "2026-12-01T00:00:00", "profiles": []}
    assert expires_at(parse_index(json.dumps(index).encode())) == dt.datetime(
        2026, 12, 31, tzinfo=dt.UTC
    )
