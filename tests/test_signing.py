"""``conformite keygen``, ``sign`` and ``verify``: Ed25519 detached signatures, tampering caught."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.signing import (
    SignatureFormatError,
    generate_keypair,
    load_private_key,
    load_public_key,
    read_signature,
    sign_bytes,
    verify_bytes,
)


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--lang", "en", *args])


@pytest.fixture
def signed(tmp_path: Path) -> dict[str, Path]:
    key = tmp_path / "keys" / "signing.key"
    assert run("keygen", str(key)).exit_code == 0
    report = tmp_path / "report.html"
    report.write_bytes("<!DOCTYPE html><p>Score : 53.7 — Vallon-Test</p>\n".encode())
    result = run("sign", str(report), "--key", str(key))
    assert result.exit_code == 0, result.output
    return {"key": key, "pub": key.with_name("signing.key.pub"), "file": report}


def test_keygen_writes_a_private_key_readable_by_the_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "k"
    result = run("keygen", str(key))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = tmp_path / "k.pub"
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert "SHA256:" in result.output
    load_private_key(key.read_bytes())
    load_public_key(public.read_bytes())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    key = tmp_path / "k"
    assert run("keygen", str(key)).exit_code == 0
    before = key.read_bytes()
    result = run("keygen", str(key))
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert key.read_bytes() == before


def test_keygen_refuses_when_only_the_public_key_exists(tmp_path: Path) -> None:
    (tmp_path / "k.pub").write_text("mine", encoding="utf-8")
    result = run("keygen", str(tmp_path / "k"))
    assert result.exit_code == 2
    assert not (tmp_path / "k").exists()


def test_keygen_into_an_unwritable_place_is_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run("keygen", str(blocker / "k"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_signature_is_base64_of_64_bytes_beside_the_file(signed: dict[str, Path]) -> None:
    signature = signed["file"].with_name("report.html.sig")
    assert len(base64.b64decode(signature.read_text(encoding="ascii").strip())) == 64


def test_valid_signature(signed: dict[str, Path]) -> None:
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output


@pytest.mark.parametrize("position", [0, 20, -1])
def test_one_changed_byte_is_detected(signed: dict[str, Path], position: int) -> None:
    data = bytearray(signed["file"].read_bytes())
    data[position] ^= 0x01
    signed["file"].write_bytes(bytes(data))
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 1
    assert "INVALID" in result.output and "changed" in result.output


def test_appended_newline_is_detected(signed: dict[str, Path]) -> None:
    signed["file"].write_bytes(signed["file"].read_bytes() + b"\n")
    assert run("verify", str(signed["file"]), "--pubkey", str(signed["pub"])).exit_code == 1


def test_wrong_key_is_detected(signed: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    assert run("keygen", str(other)).exit_code == 0
    result = run("verify", str(signed["file"]), "--pubkey", str(tmp_path / "other.key.pub"))
    assert result.exit_code == 1
    assert "another key" in result.output or "other than" in result.output


def test_tampered_signature_is_detected(signed: dict[str, Path]) -> None:
    signature = signed["file"].with_name("report.html.sig")
    raw = bytearray(base64.b64decode(signature.read_text(encoding="ascii")))
    raw[5] ^= 0xFF
    signature.write_text(base64.b64encode(bytes(raw)).decode() + "\n", encoding="ascii")
    assert run("verify", str(signed["file"]), "--pubkey", str(signed["pub"])).exit_code == 1


def test_missing_signature_is_said_plainly(signed: dict[str, Path]) -> None:
    signed["file"].with_name("report.html.sig").unlink()
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 2
    assert "No signature" in result.output and "report.html.sig" in result.output


def test_garbage_signature_file_is_exit_2(signed: dict[str, Path]) -> None:
    signed["file"].with_name("report.html.sig").write_text("not a signature", encoding="ascii")
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 2
    assert "not an Ed25519 signature" in result.output


@pytest.mark.parametrize(
    ("which", "content", "expected"),
    [
        ("pub", b"hello", "not an Ed25519 public key"),
        ("pub", None, "no such file"),
        ("key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "private key"),
    ],
)
def test_bad_keys_are_exit_2(
    signed: dict[str, Path], which: str, content: bytes | None, expected: str
) -> None:
    path = signed[which]
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)
    if which == "pub":
        result = run("verify", str(signed["file"]), "--pubkey", str(path))
    else:
        result = run("sign", str(signed["file"]), "--key", str(path))
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_private_key_given_as_public_key_is_refused(signed: dict[str, Path]) -> None:
    result = run("verify", str(signed["file"]), "--pubkey", str(signed["key"]))
    assert result.exit_code == 2
    assert "is a private key" in result.output


def test_missing_file_to_sign_or_verify_is_exit_2(signed: dict[str, Path], tmp_path: Path) -> None:
    assert run("sign", str(tmp_path / "nope"), "--key", str(signed["key"])).exit_code == 2
    result = run("verify", str(tmp_path / "nope"), "--pubkey", str(signed["pub"]))
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_signature_to_another_path(signed: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "sigs" / "r.sig"
    assert (
        run("sign", str(signed["file"]), "--key", str(signed["key"]), "-o", str(out)).exit_code == 0
    )
    ok = run("verify", str(signed["file"]), "--pubkey", str(signed["pub"]), "--signature", str(out))
    assert ok.exit_code == 0


def test_library_round_trip_and_raw_signature() -> None:
    pair = generate_keypair()
    private = load_private_key(pair.private_pem)
    public = load_public_key(pair.public_pem)
    signature = sign_bytes(private, b"report")
    assert verify_bytes(public, b"report", read_signature(signature))
    assert not verify_bytes(public, b"report!", signature)
    with pytest.raises(SignatureFormatError):
        read_signature(b"c2hvcnQ=")
