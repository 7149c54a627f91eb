"""Plumbing shared by the engine's forked children (the second evaluation
process, :mod:`conformite.engine.evaluation`, and the limited process of a
workspace's own controls, :mod:`conformite.engine.guard`)."""

from __future__ import annotations

import marshal
import os
from typing import Any

__all__ = ["reap", "unmarshal_list"]


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
