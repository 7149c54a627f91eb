"""Signatures that the real ``minisign`` tool accepts, and minisign's that conformite accepts.

The oracle is the ``minisign`` program itself (Debian package ``minisign``,
installed by ``.ci/run``): it checks conformite's ``.minisig`` with the public
key exported by ``conformite keygen --minisign``, and signs with keys it
generates itself for ``conformite verify`` to check.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite import __version__
from conformite.cli import cli
from conformite.minisign import trusted_comment
from conformite.signing import fingerprint, load_public_key

AS_OF = "2026-11-28"


def run(*args: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--lang", lang, *args])


def require_minisign() -> str:
    """The ``minisign`` program; skip (fail under CI) when it is missing."""
    program = shutil.which("minisign")
    if program is None:
        pytest.skip("the minisign tool is missing: apt-get install minisign")
    return program


def minisign(*args: str | Path) -> subprocess.CompletedProcess[str]:
    program = require_minisign()
    return subprocess.run(
        [program, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def signed(tmp_path: Path) -> dict[str, Path]:
    """A key pair with its minisign public key, and the demo audit JSON signed as minisign."""
    key = tmp_path / "keys" / "signing.key"
    result = run("keygen", str(key), "--minisign")
    assert result.exit_code == 0, result.output
    audit = tmp_path / "audit.json"
    result = run("audit", "--demo", "--as-of", AS_OF, "--format", "json", "-o", str(audit))
    assert result.exit_code == 0, result.output
    result = run("sign", str(audit), "--key", str(key), "--format", "minisign")
    assert result.exit_code == 0, result.output
    return {
        "key": key,
        "pub": key.with_name("signing.key.pub"),
        "minisign_pub": key.with_name("signing.key.minisign.pub"),
        "file": audit,
        "minisig": tmp_path / "audit.json.minisig",
    }


def test_minisign_accepts_the_signature_of_the_demo_audit(signed: dict[str, Path]) -> None:
    checked = minisign("-V", "-m", signed["file"], "-p", signed["minisign_pub"])
    assert checked.returncode == 0, checked.stderr
    assert "Signature and comment signature verified" in checked.stdout
    assert (
        f"Trusted comment: file:audit.json\tcommune:Val-d'Arbonne\taudit:{AS_OF}"
        f"\tconformite:{__version__}\thashed"
    ) in checked.stdout


def test_minisign_accepts_the_one_line_command_printed_by_sign(signed: dict[str, Path]) -> None:
    """``sign`` prints ``minisign -Vm FILE -P KEY``; ``-H`` also demands the prehashed form."""
    result = run("sign", str(signed["file"]), "--key", str(signed["key"]), "--format", "minisign")
    assert result.exit_code == 0, result.output
    hint = result.output.strip().splitlines()[-1]
    key = hint.split(" -P ", 1)[1]
    assert hint.endswith(f"minisign -Vm audit.json -P {key}")
    assert key == signed["minisign_pub"].read_text(encoding="ascii").splitlines()[1]
    checked = minisign("-V", "-H", "-m", signed["file"], "-P", key)
    assert checked.returncode == 0, checked.stderr


def test_minisign_rejects_the_signature_of_a_changed_file(signed: dict[str, Path]) -> None:
    signed["file"].write_bytes(signed["file"].read_bytes().replace(b'"as_of"', b'"as_of" '))
    checked = minisign("-V", "-m", signed["file"], "-p", signed["minisign_pub"])
    assert checked.returncode == 1
    assert "Signature verification failed" in checked.stderr
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 1
    assert "INVALID" in result.output and "changed" in result.output


def test_altered_trusted_comment_is_refused_by_both(signed: dict[str, Path]) -> None:
    text = signed["minisig"].read_text(encoding="utf-8")
    signed["minisig"].write_text(text.replace(f"audit:{AS_OF}", "audit:2027-11-28"), "utf-8")
    checked = minisign("-V", "-m", signed["file"], "-p", signed["minisign_pub"])
    assert checked.returncode == 1
    assert "Comment signature verification failed" in checked.stderr
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 1
    assert "signed comment was altered" in result.output


def test_minisign_names_the_key_id_that_conformite_shows(
    signed: dict[str, Path], tmp_path: Path
) -> None:
    """The key id minisign prints is the 16 hex digits of conformite's fingerprint."""
    require_minisign()
    other = tmp_path / "other"
    made = minisign("-G", "-W", "-p", f"{other}.pub", "-s", f"{other}.key")
    assert made.returncode == 0, made.stderr
    checked = minisign("-V", "-m", signed["file"], "-p", f"{other}.pub")
    assert checked.returncode == 1
    own = fingerprint(load_public_key(signed["pub"].read_bytes())).removeprefix("SHA256:")
    # minisign prints the key id as a number without leading zeros (printf "%llX"),
    # so one key in sixteen shows 15 digits: compare the numbers, not the strings.
    shown = re.search(
        rf"Signature key id in {re.escape(str(signed['minisig']))} is ([0-9A-F]+)\n", checked.stderr
    )
    assert shown is not None, checked.stderr
    assert int(shown.group(1), 16) == int(own, 16)


@pytest.mark.parametrize("pubkey", ["pub", "minisign_pub"])
def test_conformite_verifies_its_minisig_with_either_public_key(
    signed: dict[str, Path], pubkey: str
) -> None:
    # no --signature: FILE.sig is absent, so FILE.minisig is read
    result = run("verify", str(signed["file"]), "--pubkey", str(signed[pubkey]))
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output
    assert f"Signed comment: file:audit.json\tcommune:Val-d'Arbonne\taudit:{AS_OF}" in (
        result.output
    )


def test_the_minisig_is_prehashed_and_carries_the_same_key(signed: dict[str, Path]) -> None:
    lines = signed["minisig"].read_text(encoding="ascii").splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("untrusted comment: ")
    assert lines[2].startswith("trusted comment: ")
    raw = base64.b64decode(lines[1])
    key = base64.b64decode(signed["minisign_pub"].read_text(encoding="ascii").splitlines()[1])
    assert raw[:2] == b"ED" and key[:2] == b"Ed"
    assert raw[2:10] == key[2:10]  # the key id
    pem = load_public_key(signed["pub"].read_bytes())
    assert key[10:] == pem.public_bytes_raw()


def test_signing_twice_gives_byte_identical_files(signed: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "again.minisig"
    result = run(
        "sign", str(signed["file"]), "--key", str(signed["key"]), "--format", "minisign",
        "-o", str(again), lang="de",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == signed["minisig"].read_bytes()


def test_default_format_is_unchanged(signed: dict[str, Path]) -> None:
    result = run("sign", str(signed["file"]), "--key", str(signed["key"]))
    assert result.exit_code == 0, result.output
    sig = signed["file"].with_name("audit.json.sig")
    assert len(base64.b64decode(sig.read_text(encoding="ascii").strip())) == 64
    assert "minisign" not in result.output
    ok = run("verify", str(signed["file"]), "--pubkey", str(signed["minisign_pub"]))
    assert ok.exit_code == 0, ok.output  # FILE.sig first, checked with the minisign key


@pytest.fixture
def minisign_keys(tmp_path: Path) -> dict[str, Path]:
    """A key pair made by minisign itself (-W: no password) and a report it signed."""
    require_minisign()
    pub, key = tmp_path / "minisign.pub", tmp_path / "minisign.key"
    made = minisign("-G", "-W", "-p", pub, "-s", key)
    assert made.returncode == 0, made.stderr
    report = tmp_path / "report.html"
    report.write_bytes("<!DOCTYPE html><p>Score : 53.7 — Vallon-Test</p>\n".encode())
    return {"pub": pub, "key": key, "file": report}


@pytest.mark.parametrize("legacy", [False, True], ids=["prehashed", "legacy"])
def test_conformite_verifies_a_signature_made_by_minisign(
    minisign_keys: dict[str, Path], legacy: bool
) -> None:
    signature = minisign_keys["file"].with_name("report.html.minisig")
    flags = ["-l"] if legacy else []
    made = minisign(
        "-S", *flags, "-s", minisign_keys["key"], "-m", minisign_keys["file"],
        "-t", "séance du 28 novembre",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert base64.b64decode(signature.read_text(encoding="utf-8").splitlines()[1])[:2] == (
        b"Ed" if legacy else b"ED"
    )
    result = run("verify", str(minisign_keys["file"]), "--pubkey", str(minisign_keys["pub"]))
    assert result.exit_code == 0, result.output
    assert "Signed comment: séance du 28 novembre" in result.output
    minisign_keys["file"].write_bytes(minisign_keys["file"].read_bytes() + b"\n")
    result = run("verify", str(minisign_keys["file"]), "--pubkey", str(minisign_keys["pub"]))
    assert result.exit_code == 1
    assert "INVALID" in result.output


def test_minisign_signature_checked_with_another_key_is_invalid(
    minisign_keys: dict[str, Path], signed: dict[str, Path]
) -> None:
    made = minisign("-S", "-s", minisign_keys["key"], "-m", minisign_keys["file"])
    assert made.returncode == 0, made.stderr
    result = run("verify", str(minisign_keys["file"]), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 1
    assert "key ids differ" in result.output


def test_keygen_minisign_on_an_existing_pair_exports_only(signed: dict[str, Path]) -> None:
    exported = signed["minisign_pub"].read_bytes()
    private = signed["key"].read_bytes()
    again = run("keygen", str(signed["key"]), "--minisign")
    assert again.exit_code == 2
    assert "already exists" in again.output
    signed["minisign_pub"].unlink()
    again = run("keygen", str(signed["key"]), "--minisign")
    assert again.exit_code == 0, again.output
    assert signed["minisign_pub"].read_bytes() == exported  # derived, not stored
    assert signed["key"].read_bytes() == private
    assert "minisign -P RW" in again.output
    without = run("keygen", str(signed["key"]))
    assert without.exit_code == 2  # without --minisign, an existing key is still refused


def test_keygen_write_error_is_translated(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run("keygen", str(blocker / "k"), lang="fr")
    assert result.exit_code == 2
    assert "écriture impossible" in result.output
    assert "cannot write" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("target", "content", "expected"),
    [
        ("minisig", "untrusted comment: x\nnot base64\n", "is not a minisign signature"),
        ("minisig", "untrusted comment: x\nRUQ=\ntrusted comment: y\nAAAA\n", "not a minisign"),
        ("minisign_pub", "untrusted comment: x\nRWQ=\n", "is not a minisign public key"),
    ],
)
def test_broken_minisign_files_are_exit_2(
    signed: dict[str, Path], target: str, content: str, expected: str
) -> None:
    signed[target].write_text(content, encoding="ascii")
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["minisign_pub"]))
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_trusted_comment_of_a_plain_file_is_one_line() -> None:
    comment = trusted_comment("a\tb\nc.html", b"<!DOCTYPE html>", "9.9")
    assert comment == "file:a_b_c.html\tconformite:9.9\thashed"


def test_trusted_comment_fits_minisign_s_line_limit(
    signed: dict[str, Path], tmp_path: Path
) -> None:
    """minisign refuses a trusted comment line of 8192 bytes or more: a huge commune
    name is cut (on a character boundary), and the signature still checks."""
    result = tmp_path / "huge.json"
    commune = "é".encode() * 9000
    result.write_bytes(b'{"tool_version": "0.1.0", "workspace": {"commune": "' + commune + b'"}}')
    signing = run("sign", str(result), "--key", str(signed["key"]), "--format", "minisign")
    assert signing.exit_code == 0, signing.output
    line = tmp_path.joinpath("huge.json.minisig").read_bytes().split(b"\n")[2]
    assert line.startswith(b"trusted comment: file:huge.json\tcommune:\xc3\xa9\xc3\xa9")
    assert 8180 <= len(line + b"\n") < 8192
    checked = minisign("-V", "-m", result, "-p", signed["minisign_pub"])
    assert checked.returncode == 0, checked.stderr
