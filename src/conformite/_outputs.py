"""Outputs that cannot be turned against their reader or their writer.

Spreadsheet cells (formula injection, OWASP "CSV injection"): text that a
spreadsheet would evaluate — starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return — is written as text. In CSV such a cell gets a leading
single quote (``'=1``); in XLSX the cell is a string cell (never a formula),
its value unchanged. Numbers given as numbers stay numbers.

Files: written atomically through a temporary file beside the target, with an
unpredictable name and opened exclusively (:func:`tempfile.mkstemp`, so a
planted file or symbolic link is never written through), then renamed over
the target (a symbolic link planted at the target is replaced, not followed).
A write killed half-way leaves a hidden ``.NAME.XXXXXXXX.tmp``; the next write
to the same target removes such files once they are an hour old.

Every stage may import this module (it imports nothing of conformite).
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "FORMULA_TRIGGERS",
    "SAFE_XLSXWRITER",
    "STALE_AFTER_SECONDS",
    "csv_cell",
    "deterministic_xlsx",
    "remove_stale_temporaries",
    "temporary_beside",
    "write_atomically",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: xlsxwriter options of every workbook conformite writes: text stays text (never a
#: formula, a link or a number), built in memory.
SAFE_XLSXWRITER: dict[str, Any] = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

#: Temporary files of ours older than this are leftovers of a killed write.
STALE_AFTER_SECONDS = 3600.0

#: The random part of our temporary names: mkstemp's 8 characters, or a
#: process id (the pattern of earlier versions' ``questionnaire export``).
_RANDOM_PART = re.compile(r"[a-z0-9_]{8}|[0-9]{1,10}")


# --------------------------------------------------------------------------
# spreadsheet cells
# --------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: text a spreadsheet would evaluate gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def deterministic_xlsx(data: bytes, when: dt.date) -> bytes:
    """The XLSX (zip) ``data`` rewritten with fixed timestamps: every member dated
    ``when``, and ``when`` as the document's creation and modification date, so
    that the same content gives the same bytes whatever the time of writing."""
    stamp = f"{when.isoformat()}T00:00:00Z"
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rf"\g<1>{stamp}\2",
                    text,
                )
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(
                info.filename, date_time=(when.year, when.month, when.day, 0, 0, 0)
            )
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------


def _is_our_temporary(name: str, target: str) -> bool:
    prefix = f".{target}."
    if not (name.startswith(prefix) and name.endswith(".tmp")):
        return False
    return _RANDOM_PART.fullmatch(name[len(prefix) : -len(".tmp")]) is not None


def remove_stale_temporaries(path: Path, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove leftovers of killed writes to ``path``: ``.NAME.XXXXXXXX.tmp`` files
    beside it, last modified more than ``older_than`` seconds ago.

    Only regular files are removed (checked without following symbolic links);
    a recent one may belong to a write under way and is left alone. Files
    that cannot be examined or removed are skipped. Returns what was removed.
    """
    removed: list[Path] = []
    limit = time.time() - older_than
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if not _is_our_temporary(entry.name, path.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < limit:
                Path(entry.path).unlink()  # unlink never follows a link
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def temporary_beside(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file beside ``path`` (``.NAME.XXXXXXXX.tmp``), open
    for writing: its descriptor and its path. Creates the folder if needed and
    removes stale temporaries of the same target first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        # A file stands where a folder of the path should be: say that, not "exists".
        raise NotADirectoryError(
            errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path.parent)
        ) from None
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    return fd, Path(tmp)


def _current_umask() -> int:
    """The process's umask. Reading it means setting it, so this is done once, at
    import, before any thread could create a file meanwhile."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _current_umask()


def write_atomically(path: Path, content: str | bytes | Iterable[bytes]) -> None:
    """Write ``content`` (text as UTF-8, bytes, or pieces of bytes written one after
    the other) to ``path`` so that no reader ever sees a half-written file: a
    temporary file beside it, flushed to disk, then renamed. If producing a piece
    raises, the temporary file is removed and the target left as it was.

    A target that exists and is not a regular file (``/dev/null``, a named pipe, a
    terminal) is written to in place: renaming over it would replace the device or
    the pipe with a plain file."""
    pieces: Iterable[bytes]
    if isinstance(content, str):
        pieces = (content.encode("utf-8"),)
    elif isinstance(content, bytes | bytearray | memoryview):
        pieces = (content,)
    else:
        pieces = content
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with Path(path).open("wb") as handle:
            for piece in pieces:
                handle.write(piece)
        return
    fd, tmp = temporary_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp creates the file 0600; give it the mode a plain open() would.
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
