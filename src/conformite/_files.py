"""Reading a file that a user, a vendor or a server may have named or written.

:func:`read_regular_file` reads regular files only — a FIFO would block on
open until a writer comes, a device such as ``/dev/zero`` would never end —
and at most a limit of bytes, whatever the file's size said when it was
checked. Its refusals are :class:`OSError` subclasses whose ``strerror`` says
why, so callers that already turn ``OSError`` into a plain message need no
new branch.

Every stage may import this module (it imports nothing of conformite).
"""

from __future__ import annotations

import errno
import stat
from pathlib import Path

__all__ = ["FileTooLarge", "NotARegularFile", "read_regular_file"]

_MIB = 1024 * 1024


class NotARegularFile(OSError):
    """The path is a directory, a FIFO, a device or a socket."""


class FileTooLarge(OSError):
    """The file holds more than the limit; ``size`` is its size when known."""

    def __init__(self, limit: int, size: int | None) -> None:
        super().__init__(errno.EFBIG, f"larger than the {limit / _MIB:g} MiB limit")
        self.limit = limit
        self.size = size


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path``: a regular file of at most ``limit`` bytes."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFile(errno.EINVAL, "not a regular file")
    if info.st_size > limit:
        raise FileTooLarge(limit, info.st_size)
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit, None)
    return data
