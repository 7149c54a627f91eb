"""Plumbing shared by the engine's forked children (the second evaluation
process, :mod:`conformite.engine.evaluation`, and the limited process of a
workspace's own controls, :mod:`conformite.engine.guard`)."""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

__all__ = ["Incomplete", "pieces_received", "reap", "send_in_pieces", "unmarshal_list"]

#: Items a child sends per piece (see :func:`send_in_pieces`).
PIECE = 5_000


def reap(pid: int) -> int | None:
    """Wait for a child; its exit status, or None when the system reaped it already
    (an embedding program that ignores SIGCHLD)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def unmarshal_list(blob: bytes) -> list[Any] | None:
    """The list a child sent as one ``marshal`` blob, or None if it sent nothing usable."""
    if not blob:
        return None
    try:
        packed = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None
    return packed if isinstance(packed, list) else None


class Incomplete(Exception):
    """A child's pieces ended before the last one, or one could not be read."""


def send_in_pieces(pipe: BinaryIO, items: list[Any], size: int = PIECE) -> None:
    """Send ``items`` (``marshal``-able) ``size`` at a time: each piece an 8-byte
    length and a ``marshal`` blob, then an empty piece to say all were sent. The
    receiver unpacks one piece at a time instead of holding the whole blob and its
    list beside what it builds from them (10,000 services: about 50 MiB less at
    the audit's peak)."""
    for start in range(0, len(items), size):
        blob = marshal.dumps(items[start : start + size])
        pipe.write(len(blob).to_bytes(8, "little") + blob)
    pipe.write(bytes(8))


def pieces_received(pipe: BinaryIO) -> Iterator[list[Any]]:
    """The lists :func:`send_in_pieces` sent, one at a time; :class:`Incomplete`
    if the pipe ends before the empty piece or a piece cannot be read."""
    while True:
        head = pipe.read(8)
        if len(head) != 8:
            raise Incomplete
        size = int.from_bytes(head, "little")
        if size == 0:
            return
        piece = unmarshal_list(pipe.read(size))
        if piece is None:
            raise Incomplete
        yield piece
