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

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformite.rollup.load import LoadedResult, commune_key

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
    """What adding results did: new, replacing an older copy, already stored; and
    what the user should hear about (see :func:`add_results`)."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    #: (file kept, file left out, commune, date): two results given for one
    #: commune and date; the one given later is kept.
    conflicts: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: (BFS number, names): one BFS number under several commune names.
    clashes: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass(slots=True)
class _Stored:
    rid: int
    sha256: str
    file: str
    key: str
    as_of: str
    bfs_number: int | None
    canton: str
    commune: str


def open_store(path: Path | None) -> duckdb.DuckDBPyConnection:
    """The database at ``path`` (created if new), or an in-memory one."""
    import duckdb

    try:
        con = duckdb.connect(str(path) if path is not None else ":memory:")
    except duckdb.Error as exc:
        raise StoreError(str(exc).splitlines()[0]) from None
    try:
        # A database of another kind is refused before anything is written to it.
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        existing = {name for (name,) in tables}
        if existing and "store_info" not in existing:
            con.close()
            listed = ", ".join(sorted(existing))
            raise StoreError(f"not a conformite roll-up database: it holds {listed}")
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


def add_results(
    con: duckdb.DuckDBPyConnection, results: list[LoadedResult], *, commit: bool = True
) -> LoadStats:
    """Add ``results`` to the database, in one transaction (left open when
    ``commit`` is False: the caller commits or rolls back).

    A commune is one slot per date: of two results for one commune and date, the
    one given later stays (a result already stored counts as given where it is
    named again; named nowhere, it comes before every result given). A result
    without a BFS number (schema 2.0, or none in conformite.toml) belongs to the
    commune with a BFS number of the same canton and name, when exactly one has
    it: the rows stored under its name move to that commune."""
    stats = LoadStats()
    stored = [
        _Stored(rid, sha, file, key, str(day), bfs, canton, commune)
        for rid, sha, file, key, day, bfs, canton, commune in con.execute(
            "SELECT result_id, sha256, file, commune_key, as_of, bfs_number, canton, commune "
            "FROM results ORDER BY result_id"
        ).fetchall()
    ]
    numbered: dict[tuple[str, str], set[str]] = {}
    for canton, commune, bfs in [(r.canton, r.commune, r.bfs_number) for r in stored] + [
        (r.canton, r.commune, r.bfs_number) for r in results
    ]:
        if bfs is not None:
            numbered.setdefault(commune_key(None, canton, commune), set()).add(f"bfs:{bfs}")

    def identity(key: str) -> str:
        """The commune a key names: a name key moves to its one numbered twin."""
        twins = numbered.get(key, set()) if key.startswith("name:") else set()
        return next(iter(twins)) if len(twins) == 1 else key

    owner: dict[tuple[str, str], tuple[str, int]] = {}  # slot -> ("db", rid) | ("new", i)
    names: dict[tuple[str, int], str] = {}
    moved: list[tuple[str, int]] = []  # stored rows now under their numbered commune
    for row in stored:
        key = identity(row.key)
        if key != row.key:
            row.key = key
            moved.append((key, row.rid))
        owner[(row.key, row.as_of)] = ("db", row.rid)
        names[("db", row.rid)] = row.file
    by_sha = {row.sha256: row for row in stored}
    seen: set[str] = set()
    given: set[tuple[str, int]] = set()  # owners named in this run

    def take(slot: tuple[str, str], new_owner: tuple[str, int], commune: str) -> None:
        before = owner.get(slot)
        if before in given and before != new_owner:  # two given for one commune and date
            stats.conflicts.append((names[new_owner], names[before], commune, slot[1]))
        owner[slot] = new_owner
        given.add(new_owner)

    for index, result in enumerate(results):
        row = by_sha.get(result.sha256)
        if row is not None:  # already stored, named again: it stands where it is named
            stats.unchanged += 1
            take((row.key, row.as_of), ("db", row.rid), row.commune)
            continue
        if result.sha256 in seen:  # the same file named twice
            stats.unchanged += 1
            continue
        seen.add(result.sha256)
        result.commune_key = identity(result.commune_key)
        names[("new", index)] = result.file
        take((result.commune_key, result.as_of), ("new", index), result.commune)
    winners = set(owner.values())
    kept = [row for row in stored if ("db", row.rid) in winners]
    left = [row for row in stored if ("db", row.rid) not in winners]
    removed = [row.rid for row in left]
    replaced_slots = {(row.key, row.as_of) for row in left}
    new = sorted(i for kind, i in winners if kind == "new")
    for index in new:
        result = results[index]
        if (result.commune_key, result.as_of) in replaced_slots:
            stats.replaced += 1
        else:
            stats.added += 1
    rekeyed = [(key, rid) for key, rid in moved if ("db", rid) in winners]
    next_id = (stored[-1].rid if stored else 0) + 1
    items = [(next_id + n, results[i]) for n, i in enumerate(new)]
    bfs_names: dict[int, set[str]] = {}
    for commune, bfs in [(r.commune, r.bfs_number) for r in kept] + [
        (r.commune, r.bfs_number) for _, r in items
    ]:
        if bfs is not None:
            bfs_names.setdefault(bfs, set()).add(commune)
    stats.clashes = [(n, sorted(c)) for n, c in sorted(bfs_names.items()) if len(c) > 1]
    con.execute("BEGIN TRANSACTION")
    try:
        if removed:
            for table in ("vendor_outcomes", "vendor_entries", "control_outcomes", "results"):
                con.execute(f"DELETE FROM {table} WHERE list_contains(?, result_id)", [removed])
        if rekeyed:
            con.executemany("UPDATE results SET commune_key = ? WHERE result_id = ?", rekeyed)
        for start in range(0, len(items), _BATCH):
            _insert(con, items[start : start + _BATCH])
        if commit:
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
