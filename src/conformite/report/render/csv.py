"""CSV: the findings (or the register) as one flat table.

By default for Excel as Swiss offices have it: semicolon-separated (the list
separator of the de-CH, fr-CH and it-CH locales) and UTF-8 with a byte-order
mark, without which Excel reads the accents as Windows-1252. ``--plain-csv``
writes RFC 4180 instead (comma-separated, UTF-8 without a byte-order mark) for
other tools. Both: double quotes, CRLF line ends, column titles in the report's
language. Ids (control,
target) are kept as they are so that rows can be matched across years and
languages; several messages or links in one cell are separated by `` | ``.
Text a spreadsheet would evaluate as a formula (starting with ``= + - @``, a
tab or a carriage return: a vendor's name, an answer) gets a leading ``'``
so that it is shown as text (OWASP, CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from conformite._outputs import csv_cell
from conformite.i18n import translate
from conformite.report.model import Report
from conformite.report.register import COLUMNS as register_columns
from conformite.report.register import Register
from conformite.report.register import rows as register_rows

__all__ = ["render_csv", "render_register_csv"]


#: Excel's byte-order mark for UTF-8.
BOM = "\ufeff"


def _write(header: Sequence[str], rows: Iterable[Sequence[object]], plain: bool) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter="," if plain else ";", lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else csv_cell(v) for v in row])
    return ("" if plain else BOM) + buffer.getvalue()


def render_csv(r: Report, plain: bool = False) -> str:
    """The open findings: confirmed gaps (fail, error) by severity, then facts to document
    (unknown), the riskiest first in each group. The kind column tells them apart; the
    outcome column keeps the finding's outcome."""
    from conformite.report.render.xlsx import open_groups

    t = r.t
    return _write(
        [
            t("column.severity"), t("column.control"), t("column.title"), t("column.family"),
            t("report.col.target_kind"), t("report.col.target_id"), t("column.target"),
            t("report.col.need"), t("report.col.kind"), t("report.col.outcome"),
            t("report.col.problem"), t("report.col.missing"), t("report.col.who"),
            t("report.col.owner"), t("column.basis"), t("report.col.links"),
            t("report.col.what_to_do"), t("report.col.weight"), t("report.col.risk"),
        ],
        (
            [
                t(f"severity.{g.severity}"), g.control_id, g.title, t(f"family.{g.family}"),
                i.target_kind, i.target_id, i.target_name, t(f"need.{i.need}"),
                t(f"report.kind.{g.kind}"), t(f"outcome.{i.outcome}"),
                " | ".join(i.messages + ([i.expired_waiver] if i.expired_waiver else [])),
                " | ".join(i.unknown_facts), " | ".join(i.answer),
                i.owner, " | ".join(b.citation for b in g.legal_basis),
                " | ".join(b.url for b in g.legal_basis), g.remediation, f"{i.weight:g}",
                f"{i.risk:g}",
            ]
            for g in open_groups(r)
            for i in g.items
        ),
        plain,
    )  # fmt: skip


def render_register_csv(register: Register, plain: bool = False) -> str:
    """The record of processing activities, one row per activity."""
    header = [translate(key, register.lang) for key in register_columns]
    return _write(header, register_rows(register, " | ", " | "), plain)
