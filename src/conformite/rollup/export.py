"""The roll-up as JSON (``--format json``) and as Parquet files (``--format parquet``).

Parquet: one file per table in the folder given, written by DuckDB itself
(``COPY … TO … (FORMAT parquet)``), each first to a hidden temporary file
beside it and then renamed, so a reader never sees half a table and a failed
run leaves the folder as it was. Tables (columns in the README):

* the roll-up's own: ``groups``, ``controls``, ``vendors``, ``vendor_controls``,
  ``trend``, and, when not private, ``communes`` (each commune's latest result);
* when not private, the database's: ``results``, ``control_outcomes``,
  ``vendor_entries`` (with the vendor's key), ``vendor_outcomes``.

A private roll-up writes only the tables of figures drawn from at least
:data:`~conformite.rollup.model.PRIVACY_MIN_COMMUNES` communes (suppressed
rows have no figures), and removes the other tables' files left in the folder
by an earlier run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformite._json_schema import publish
from conformite._outputs import temporary_beside
from conformite.rollup.model import ROLLUP_SCHEMA_VERSION, Rollup

if TYPE_CHECKING:
    import duckdb

__all__ = ["PARQUET_TABLES", "rollup_json", "rollup_schema", "write_parquet"]

#: Table -> its columns and types: the roll-up's own tables (rows in the roll-up's order).
_ROLLUP_TABLES: dict[str, str] = {
    "groups": (
        "dimension VARCHAR, key VARCHAR, communes INTEGER, suppressed BOOLEAN, "
        "score_count INTEGER, score_min DOUBLE, score_p25 DOUBLE, score_median DOUBLE, "
        "score_p75 DOUBLE, score_max DOUBLE, score_mean DOUBLE, coverage_count INTEGER, "
        "coverage_min DOUBLE, coverage_p25 DOUBLE, coverage_median DOUBLE, "
        "coverage_p75 DOUBLE, coverage_max DOUBLE, coverage_mean DOUBLE"
    ),
    "communes": (
        "key VARCHAR, name VARCHAR, bfs_number INTEGER, canton VARCHAR, population INTEGER, "
        "band VARCHAR, as_of DATE, score DOUBLE, grade VARCHAR, coverage DOUBLE, "
        "services INTEGER, vendors INTEGER, percentile_in_band DOUBLE, signature VARCHAR"
    ),
    "controls": (
        "control_id VARCHAR, title VARCHAR, family VARCHAR, severity VARCHAR, "
        "communes_fail INTEGER, communes_unknown INTEGER, communes_pass INTEGER, "
        "communes_not_applicable INTEGER, findings_fail INTEGER, findings_unknown INTEGER, "
        "findings_pass INTEGER"
    ),
    "vendors": (
        "key VARCHAR, matched_by VARCHAR, name VARCHAR, uid VARCHAR, profile VARCHAR, "
        "communes INTEGER, share DOUBLE, suppressed BOOLEAN"
    ),
    "vendor_controls": (
        "vendor_key VARCHAR, control_id VARCHAR, title VARCHAR, severity VARCHAR, "
        "communes_fail INTEGER, communes_unknown INTEGER, communes_pass INTEGER"
    ),
    "trend": (
        "year INTEGER, communes INTEGER, score_median DOUBLE, score_mean DOUBLE, "
        "coverage_median DOUBLE, coverage_mean DOUBLE, failures_per_commune DOUBLE"
    ),
}
#: The database's tables (not in a private roll-up): the query of each, in a fixed order.
_STORE_TABLES: dict[str, str] = {
    "results": "SELECT * FROM results ORDER BY result_id",
    "control_outcomes": "SELECT * FROM control_outcomes ORDER BY result_id, control_id",
    "vendor_entries": (
        "SELECT e.*, g.vendor_key FROM vendor_entries e LEFT JOIN vendor_groups g "
        "ON e.name = g.name AND e.uid IS NOT DISTINCT FROM g.uid "
        "AND e.profile IS NOT DISTINCT FROM g.profile ORDER BY e.result_id, e.vendor_id"
    ),
    "vendor_outcomes": "SELECT * FROM vendor_outcomes ORDER BY result_id, vendor_id, control_id",
}
PARQUET_TABLES = (*_ROLLUP_TABLES, *_STORE_TABLES)
_PUBLIC_TABLES = ("groups", "controls", "vendors", "vendor_controls", "trend")


def rollup_json(rollup: Rollup) -> str:
    """``--format json``: deterministic text (two-space indent, final newline)."""
    return rollup.model_dump_json(indent=2) + "\n"


def rollup_schema() -> dict[str, Any]:
    """The published JSON Schema of ``conformite rollup --format json``."""
    return publish(Rollup, kind="rollup", version=ROLLUP_SCHEMA_VERSION)


def _dist(d: Any) -> list[Any]:
    if d is None:
        return [None] * 7
    return [d.count, d.minimum, d.p25, d.median, d.p75, d.maximum, d.mean]


def _rows(rollup: Rollup) -> dict[str, list[list[Any]]]:
    """The rows of the roll-up's own tables."""
    return {
        "groups": [
            [g.dimension, g.key, g.communes, g.suppressed, *_dist(g.score), *_dist(g.coverage)]
            for g in rollup.groups
        ],
        "communes": [
            [
                c.key,
                c.name,
                c.bfs_number,
                c.canton,
                c.population,
                c.band,
                c.as_of,
                c.score,
                c.grade,
                c.coverage,
                c.services,
                c.vendors,
                c.percentile_in_band,
                c.signature,
            ]
            for c in rollup.communes
        ],
        "controls": [
            [
                c.control_id,
                c.title,
                c.family,
                c.severity,
                c.communes_fail,
                c.communes_unknown,
                c.communes_pass,
                c.communes_not_applicable,
                c.findings_fail,
                c.findings_unknown,
                c.findings_pass,
            ]
            for c in rollup.controls
        ],
        "vendors": [
            [v.key, v.matched_by, v.name, v.uid, v.profile, v.communes, v.share, v.suppressed]
            for v in rollup.vendors
        ],
        "vendor_controls": [
            [
                v.key,
                f.control_id,
                f.title,
                f.severity,
                f.communes_fail,
                f.communes_unknown,
                f.communes_pass,
            ]
            for v in rollup.vendors
            for f in v.findings
        ],
        "trend": [
            [
                t.year,
                t.communes,
                t.score.median,
                t.score.mean,
                t.coverage.median,
                t.coverage.mean,
                t.failures_per_commune,
            ]
            for t in rollup.trend
        ],
    }


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, done: list[Path]) -> None:
    """COPY ``query`` to a temporary file beside ``target`` (remembered in ``done``)."""
    descriptor, temporary = temporary_beside(target)
    os.close(descriptor)
    done.append(temporary)
    quoted = str(temporary).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{quoted}' (FORMAT parquet, COMPRESSION zstd)")


def write_parquet(con: duckdb.DuckDBPyConnection, rollup: Rollup, folder: Path) -> list[Path]:
    """Write the tables to ``folder`` (created if need be); the files written, sorted."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = _rows(rollup)
    names = _PUBLIC_TABLES if rollup.private else PARQUET_TABLES
    temporaries: list[Path] = []
    targets: list[Path] = []
    con.execute("SET preserve_insertion_order = true")
    try:
        for name in names:
            target = folder / f"{name}.parquet"
            if name in _ROLLUP_TABLES:
                columns = _ROLLUP_TABLES[name]
                con.execute(f"CREATE OR REPLACE TEMP TABLE out_{name} ({columns})")
                if rows[name]:
                    marks = ", ".join("?" for _ in rows[name][0])
                    con.executemany(f"INSERT INTO out_{name} VALUES ({marks})", rows[name])
                query = f"SELECT * FROM out_{name}"
            else:
                query = _STORE_TABLES[name]
            _copy(con, query, target, temporaries)
            targets.append(target)
        for temporary, target in zip(temporaries, targets, strict=True):
            temporary.replace(target)
        # A table of an earlier run that this one does not write (a private roll-up
        # written over a full one) must not stay behind with the communes' names.
        for name in PARQUET_TABLES:
            if name not in names:
                (folder / f"{name}.parquet").unlink(missing_ok=True)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
    return sorted(targets)
