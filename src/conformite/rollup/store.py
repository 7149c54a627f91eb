"""The roll-up's DuckDB database: one row per result, its counts and its vendors.

An in-memory database for one run, or a file (``conformite rollup --db``) that
grows as communes send their results: a result already stored (same SHA-256)
is not added again, and a commune's result for a date it already has replaces
the older copy (its key: BFS number, else canton and name). Tables (also the
Parquet files of ``--format parquet``, see the README):

* ``results``: one row per result file, the commune and its overall score;
* ``control_outcomes``: per result and control, the findings by outcome
  (``fail`` counts errors too, ``pass`` counts waived findings);
* ``vendor_entries``: per result, each vendor of its inventory (id, name, UID,
  supplier profile as written);
* ``vendor_outcomes``: per result, vendor and control, the worst outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformite.rollup.load import LoadedResult

if TYPE_CHECKING:
    import duckdb

__all__ = ["STORE_VERSION", "LoadStats", "StoreError", "add_results", "open_store"]

#: Bumped when a table changes; a database of another version is refused.
STORE_VERSION = "1"

_TABLES = (
    """CREATE TABLE IF NOT EXISTS store_info (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS results (
        result_id INTEGER PRIMARY KEY, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL UNIQUE,
        signature VARCHAR NOT NULL, signature_key VARCHAR, schema_version VARCHAR NOT NULL,
        tool_version VARCHAR NOT NULL, catalogue_version VARCHAR NOT NULL, lang VARCHAR NOT NULL,
        as_of DATE NOT NULL, commune_key VARCHAR NOT NULL, commune VARCHAR NOT NULL,
        bfs_number INTEGER, canton VARCHAR NOT NULL, population INTEGER NOT NULL,
        band VARCHAR NOT NULL, services INTEGER NOT NULL, vendors INTEGER NOT NULL,
        score DOUBLE, grade VARCHAR, coverage DOUBLE, failed INTEGER NOT NULL,
        unknown INTEGER NOT NULL, passed INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS control_outcomes (
        result_id INTEGER NOT NULL, control_id VARCHAR NOT NULL, title VARCHAR NOT NULL,
        family VARCHAR NOT NULL, severity VARCHAR NOT NULL, fail INTEGER NOT NULL,
        unknown INTEGER NOT NULL, pass INTEGER NOT NULL, not_applicable INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS vendor_entries (
        result_id INTEGER NOT NULL, vendor_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
        uid VARCHAR, profile VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS vendor_outcomes (
        result_id INTEGER NOT NULL, vendor_id VARCHAR NOT NULL, control_id VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL)""",
)
_RESULT_COLUMNS = [
    "file",
    "sha256",
    "signature",
    "key",
    "schema_version",
    "tool_version",
    "catalogue_version",
    "lang",
    "as_of",
    "commune_key",
    "commune",
    "bfs_number",
    "canton",
    "population",
    "band",
    "services",
    "vendors",
    "score",
    "grade",
    "coverage",
    "failed",
    "unknown",
    "passed",
]
#: Results inserted per statement (bounds the memory of the columns built).
_BATCH = 200


class StoreError(ValueError):
    """A database file that is not a roll-up database of this version."""


@dataclass(slots=True)
class LoadStats:
    """What adding results did: new, replacing an older copy, already stored."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0


def open_store(path: Path | None) -> duckdb.DuckDBPyConnection:
    """The database at ``path`` (created if new), or an in-memory one."""
    import duckdb

    try:
        con = duckdb.connect(str(path) if path is not None else ":memory:")
    except duckdb.Error as exc:
        raise StoreError(str(exc).splitlines()[0]) from None
    try:
        for statement in _TABLES:
            con.execute(statement)
        row = con.execute("SELECT value FROM store_info WHERE key = 'version'").fetchone()
    except duckdb.Error as exc:
        con.close()
        raise StoreError(str(exc).splitlines()[0]) from None
    if row is None:
        con.execute("INSERT INTO store_info VALUES ('version', ?)", [STORE_VERSION])
    elif row[0] != STORE_VERSION:
        con.close()
        raise StoreError(f"version {row[0]}, expected {STORE_VERSION}")
    return con


def add_results(con: duckdb.DuckDBPyConnection, results: list[LoadedResult]) -> LoadStats:
    """Add ``results`` (in order: of two copies for one commune and date, the later
    one given stays), in one transaction."""
    stats = LoadStats()
    known = {sha for (sha,) in con.execute("SELECT sha256 FROM results").fetchall()}
    slots = {
        (key, str(day)): rid
        for rid, key, day in con.execute(
            "SELECT result_id, commune_key, as_of FROM results"
        ).fetchall()
    }
    next_id = (con.execute("SELECT max(result_id) FROM results").fetchone() or (None,))[0]
    next_id = (next_id or 0) + 1
    removed: list[int] = []
    pending: dict[tuple[str, str], tuple[int, LoadedResult]] = {}
    for result in results:
        if result.sha256 in known:
            stats.unchanged += 1
            continue
        known.add(result.sha256)
        slot = (result.commune_key, result.as_of)
        if slot in pending:
            known.discard(pending[slot][1].sha256)
            stats.replaced += 1
            stats.added -= 1
        elif slot in slots:
            removed.append(slots[slot])
            stats.replaced += 1
            stats.added -= 1
        pending[slot] = (next_id, result)
        next_id += 1
        stats.added += 1
    con.execute("BEGIN TRANSACTION")
    try:
        if removed:
            for table in ("vendor_outcomes", "vendor_entries", "control_outcomes", "results"):
                con.execute(
                    f"DELETE FROM {table} WHERE list_contains(?, result_id)",
                    [removed],
                )
        items = sorted(pending.values(), key=lambda item: item[0])
        for start in range(0, len(items), _BATCH):
            _insert(con, items[start : start + _BATCH])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return stats


def _insert_columns(con: duckdb.DuckDBPyConnection, table: str, columns: list[list[Any]]) -> None:
    """Insert rows given column by column (one statement, not one per row)."""
    if not columns[0]:
        return
    select = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} SELECT {select}", columns)


def _insert(con: duckdb.DuckDBPyConnection, items: list[tuple[int, LoadedResult]]) -> None:
    heads: list[list[Any]] = [[] for _ in range(len(_RESULT_COLUMNS) + 1)]
    outcomes: list[list[Any]] = [[] for _ in range(9)]
    entries: list[list[Any]] = [[] for _ in range(5)]
    vendor: list[list[Any]] = [[] for _ in range(4)]
    for rid, r in items:
        heads[0].append(rid)
        for i, name in enumerate(_RESULT_COLUMNS, start=1):
            heads[i].append(getattr(r, name))
        for cid in sorted(r.counts):
            title, family, severity = r.controls[cid]
            row = (rid, cid, title, family, severity, *r.counts[cid])
            for column, value in zip(outcomes, row, strict=True):
                column.append(value)
        for entry in r.vendor_entries:
            for column, value in zip(entries, (rid, *entry), strict=True):
                column.append(value)
        for (vid, cid), outcome in sorted(r.vendor_outcomes.items()):
            for column, value in zip(vendor, (rid, vid, cid, outcome), strict=True):
                column.append(value)
    # as_of travels as text: DuckDB casts it to DATE on insert.
    _insert_columns(con, "results", heads)
    _insert_columns(con, "control_outcomes", outcomes)
    _insert_columns(con, "vendor_entries", entries)
    _insert_columns(con, "vendor_outcomes", vendor)
