"""Safe, bounded XLSX reading: the workbook counterpart of :mod:`safe_yaml`.

An XLSX file is a zip of XML files, and a hostile one costs memory and time
out of all proportion to its size: a 13 kB file whose only cell sits at
``XFD1048576`` (openpyxl's normal mode builds the whole declared grid), a
1 MB zip that inflates to 1 GB of whitespace, 300,000 rows. So, before openpyxl
sees the file, :func:`open_workbook` checks the zip itself:

* the file's size, that it is a zip (an encrypted workbook is an OLE container,
  not a zip), and its number of members;
* every member: no zip encryption, a known compression method, its declared
  uncompressed size, the total, and the compression ratio of large members;
* then every member is inflated once, counting bytes (the declared size may
  lie; Python's zipfile also stops at the declared size and checks the CRC),
  and refused if an XML member is not UTF-8 (Excel writes UTF-8; another
  encoding would hide markup from the next check) or carries a DTD (XLSX never
  does; entity expansion is the XML bomb).

Only then is the workbook opened with openpyxl in ``read_only`` mode (rows are
streamed, nothing is built for the declared dimension, which is never
trusted; opening reads the shared strings, bounded by the member limits), and
:meth:`SafeWorkbook.rows` streams one sheet with a row limit, a column range,
a cell-length limit and a deadline checked at every row. A value outside the
range is not skipped but refused at its cell, so nothing is silently lost.
Every refusal is an :class:`~conformite.errors.InputError` naming the file and
the member or ``sheet!cell``.

openpyxl parses the XML with ``defusedxml`` when it is installed (a dependency
of conformite for this reason).
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformite._files import FileTooLarge, read_regular_file
from conformite.errors import InputError, Problem, Text, os_reason

__all__ = ["Formula", "SafeWorkbook", "XlsxLimits", "open_workbook"]

_MIB = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
#: Encrypted (password-protected) Office files and legacy .xls are OLE compound files.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class XlsxLimits:
    """Bounds for one workbook. The defaults suit an inventory-sized workbook."""

    #: Size of the .xlsx file itself.
    max_file_bytes: int = 10 * _MIB
    #: Files inside the zip (a three-sheet workbook has about 20).
    max_members: int = 500
    #: Declared and actual uncompressed size of one member, and of all together.
    max_member_bytes: int = 32 * _MIB
    max_total_bytes: int = 64 * _MIB
    #: Uncompressed/compressed ratio allowed for members larger than ``ratio_floor``
    #: (XML compresses 5-20 times; a whitespace bomb 1,000 times).
    max_ratio: int = 100
    ratio_floor: int = 256 * 1024
    #: Rows and columns read from one sheet; text length of one cell.
    max_rows: int = 10_000
    max_columns: int = 100
    max_cell_chars: int = 32_767
    #: Wall-clock time for checking, opening and reading the workbook.
    max_seconds: float = 20.0


def _refuse(file: str, message: str, *, path: str = "", **extra: Any) -> InputError:
    return InputError([Problem(file=file, path=path, message=message, **extra)])


def _read(path: Path, file: str, limits: XlsxLimits) -> bytes:
    """The workbook's bytes, read once: what is checked is what openpyxl reads
    (the file cannot change in between), and a FIFO or device is refused."""
    try:
        return read_regular_file(path, limits.max_file_bytes)
    except FileTooLarge as exc:
        size = exc.size if exc.size is not None else limits.max_file_bytes + 1
    except OSError as exc:
        raise _refuse(file, Text("input.cannot_read", reason=os_reason(exc))) from None
    raise _refuse(file, _too_large(size, limits))


def _too_large(size: int, limits: XlsxLimits) -> Text:
    return Text(
        "refuse.xlsx_too_large",
        size=f"{size / _MIB:.1f}",
        limit=f"{limits.max_file_bytes / _MIB:g}",
    )


def _check_archive(data: bytes, file: str, limits: XlsxLimits, deadline: float) -> None:
    """Refuse anything but a plain, reasonably sized zip, before any XML is parsed."""
    size = len(data)
    magic = data[:8]
    if size > limits.max_file_bytes:
        raise _refuse(file, _too_large(size, limits))
    if magic.startswith(_OLE_MAGIC):
        raise _refuse(
            file,
            Text("refuse.xlsx_encrypted_or_xls"),
            hint=Text("refuse.xlsx_remove_password"),
        )
    if not magic.startswith(_ZIP_MAGIC):
        raise _refuse(
            file,
            Text("refuse.xlsx_not_zip"),
            found=repr(magic[:4]),
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(file, Text("refuse.xlsx_damaged_archive", detail=str(exc))) from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise _refuse(
                file,
                Text(
                    "refuse.xlsx_too_many_members",
                    count=f"{len(members):,}",
                    limit=f"{limits.max_members:,}",
                ),
            )
        declared_total = 0
        for info in members:
            _check_declared(info, file, limits)
            declared_total += info.file_size
            if declared_total > limits.max_total_bytes:
                raise _refuse(
                    file,
                    Text("refuse.xlsx_inflates_total", limit=f"{limits.max_total_bytes / _MIB:g}"),
                    path=info.filename,
                    hint=Text("refuse.xlsx_zip_bomb"),
                )
        for info in members:
            _check_content(archive, info, file, limits, deadline)


def _check_declared(info: zipfile.ZipInfo, file: str, limits: XlsxLimits) -> None:
    where = info.filename
    if info.flag_bits & 0x1:
        raise _refuse(file, Text("refuse.xlsx_encrypted_member"), path=where)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refuse(
            file,
            Text("refuse.xlsx_compression", method=str(info.compress_type)),
            path=where,
            expected=Text("refuse.xlsx_compression_expected"),
        )
    if info.file_size > limits.max_member_bytes:
        raise _refuse(
            file,
            Text(
                "refuse.xlsx_member_too_large",
                size=f"{info.file_size / _MIB:,.1f}",
                limit=f"{limits.max_member_bytes / _MIB:g}",
            ),
            path=where,
            hint=Text("refuse.xlsx_zip_bomb"),
        )
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        raise _refuse(
            file,
            Text(
                "refuse.xlsx_member_ratio",
                ratio=f"{info.file_size // max(info.compress_size, 1):,}",
                limit=str(limits.max_ratio),
            ),
            path=where,
            hint=Text("refuse.xlsx_zip_bomb"),
        )


def _check_content(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, limits: XlsxLimits, deadline: float
) -> None:
    """Inflate one member counting bytes: its actual size, CRC and no DTD."""
    where = info.filename
    xml = where.lower().endswith(_XML_SUFFIXES)
    count = 0
    tail = b""
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                count += len(chunk)
                if count > info.file_size or count > limits.max_member_bytes:
                    raise _refuse(file, Text("refuse.xlsx_member_larger"), path=where)
                if xml and count == len(chunk) and not _utf8_xml(chunk):
                    raise _refuse(file, Text("refuse.xlsx_not_utf8"), path=where)
                window = tail + chunk
                if xml and any(marker in window for marker in _DTD_MARKERS):
                    raise _refuse(
                        file,
                        Text("refuse.xlsx_dtd"),
                        path=where,
                    )
                tail = chunk[-16:]
                if time.monotonic() > deadline:
                    raise _timeout(file, limits)
    except InputError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        raise _refuse(
            file, Text("refuse.xlsx_damaged_member", detail=str(exc)), path=where
        ) from None
    if count != info.file_size:
        raise _refuse(file, Text("refuse.xlsx_member_smaller"), path=where)


_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def _utf8_xml(start: bytes) -> bool:
    """Whether an XML member's first bytes say UTF-8 (no UTF-16/32 byte order, no
    other declared encoding)."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"<\x00")):
        return False
    declared = _DECLARED_ENCODING.match(start.removeprefix(b"\xef\xbb\xbf"))
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


def _timeout(file: str, limits: XlsxLimits) -> InputError:
    return _refuse(file, Text("refuse.xlsx_timeout", seconds=f"{limits.max_seconds:g}"))


class Formula(str):
    """The text of a formula cell, as :meth:`SafeWorkbook.rows` gives it when the
    workbook was opened with ``formulas=True`` (a reader that wants values only
    can then refuse it at its cell instead of trusting a cached result)."""


def _with_formulas(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        Formula(cell.value) if getattr(cell, "data_type", None) == "f" else cell.value
        for cell in row
    )


class SafeWorkbook:
    """A workbook opened read-only after :func:`_check_archive`; close it (or use ``with``)."""

    def __init__(
        self, workbook: Any, file: str, limits: XlsxLimits, deadline: float, formulas: bool = False
    ):
        self._workbook = workbook
        self.file = file
        self.limits = limits
        self._deadline = deadline
        self._formulas = formulas

    @property
    def sheetnames(self) -> list[str]:
        return list(self._workbook.sheetnames)

    def __enter__(self) -> SafeWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._workbook.close()

    def rows(
        self,
        sheet: str,
        *,
        min_row: int,
        max_col: int,
        max_rows: int | None = None,
    ) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """``(row number, values of columns 1..max_col)`` for each row that has a value.

        Rows above ``min_row`` (the header) are skipped. A value outside the range
        (beyond ``max_col``, or below the last allowed row: ``max_rows`` rows or the
        limits') is an error located at its cell: nothing is silently left out.
        The sheet's declared dimension is ignored: rows are as wide as their last
        written cell, and missing rows cost nothing but a counter.
        """
        limit = min(max_rows or self.limits.max_rows, self.limits.max_rows)
        width = min(max_col, self.limits.max_columns)
        last = min_row + limit - 1
        try:
            worksheet = self._workbook[sheet]
            worksheet.reset_dimensions()  # never trust the <dimension> the file declares
            cells = worksheet.iter_rows(min_row=min_row, values_only=not self._formulas)
            if self._formulas:
                cells = map(_with_formulas, cells)
            for number, values in enumerate(cells, start=min_row):
                if time.monotonic() > self._deadline:
                    raise _timeout(self.file, self.limits)
                if not values:
                    continue
                for column, value in enumerate(values, start=1):
                    if _blank(value):
                        continue
                    if column > width:
                        raise _refuse(
                            self.file,
                            Text("refuse.xlsx_outside_columns", last=_letter(width)),
                            path=f"{sheet}!{_letter(column)}{number}",
                            found=_preview(value),
                            hint=Text("refuse.xlsx_answers_in_cells"),
                        )
                    if number > last:
                        raise _refuse(
                            self.file,
                            Text(
                                "refuse.xlsx_too_many_rows",
                                limit=f"{limit:,}",
                                first=str(min_row),
                                last=str(last),
                            ),
                            path=f"{sheet}!{_letter(column)}{number}",
                            found=_preview(value),
                            hint=Text("refuse.xlsx_split_answers"),
                        )
                    if isinstance(value, str) and len(value) > self.limits.max_cell_chars:
                        raise _refuse(
                            self.file,
                            Text(
                                "refuse.xlsx_cell_too_long",
                                length=f"{len(value):,}",
                                limit=f"{self.limits.max_cell_chars:,}",
                            ),
                            path=f"{sheet}!{_letter(column)}{number}",
                        )
                if any(not _blank(value) for value in values):
                    padded = tuple(values[:width]) + (None,) * (width - len(values))
                    yield number, padded
        except InputError:
            raise
        except Exception as exc:  # malformed sheet XML, refused DTD: openpyxl parses lazily
            raise _refuse(
                self.file,
                _unreadable(exc),
                path=sheet,
            ) from None


def _unreadable(exc: Exception) -> Text:
    """What a parser or openpyxl said, as it said it, after conformite's own words."""
    return Text("refuse.xlsx_unreadable", detail=f"{type(exc).__name__}: {exc}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(column))


def open_workbook(
    path: Path,
    limits: XlsxLimits | None = None,
    display: str | None = None,
    *,
    formulas: bool = False,
) -> SafeWorkbook:
    """Check ``path`` as a zip within ``limits``, then open it read-only with openpyxl.

    ``formulas``: formula cells come as :class:`Formula` (their text) instead of
    the value last computed."""
    limits = limits or XlsxLimits()
    file = display or str(path)
    deadline = time.monotonic() + limits.max_seconds
    data = _read(path, file, limits)
    _check_archive(data, file, limits, deadline)
    import warnings

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it ignores (data validation lists).
            warnings.simplefilter("ignore")
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=not formulas, keep_links=False
            )
    except Exception as exc:  # XML and openpyxl errors alike
        raise _refuse(file, _unreadable(exc)) from None
    if time.monotonic() > deadline:
        workbook.close()
        raise _timeout(file, limits)
    return SafeWorkbook(workbook, file, limits, deadline, formulas)
