"""The figures of the roll-up, computed from the database (:mod:`.store`) into a
:class:`~conformite.rollup.model.Rollup`.

Each commune counts once, with its latest result (latest ``as_of``; the
database holds one result per commune and date). Rules, so that every figure
can be checked by hand:

* quantiles (p25, median, p75) interpolate linearly between the sorted values
  (the "inclusive" method, numpy's default); figures are rounded to 0.1, the
  mean to 0.01, halves up on the shortest decimal form (48.05 gives 48.1);
* a commune's percentile in its band is its percentile rank among the communes
  of its band that have a score (itself included): (lower + half of equal) /
  count, in % (ties share one rank; the lowest of three has 16.7, the highest
  83.3); None when no other commune of its band has a score;
* a commune's outcome on a control is its worst finding of that control:
  fail (or error) > unknown > pass (or waived); not applicable when every
  finding is;
* vendors: entries matched as :mod:`.vendors` says; a vendor's control
  outcome in a commune is the worst over that commune's entries of it;
* the trend: per calendar year of ``as_of``, each commune's latest result of
  that year;
* private: groups and vendors of fewer than 3 communes keep their row (flagged
  ``suppressed``, no figures); controls applicable in fewer than 3 communes and
  trend years of fewer than 3 communes are left out.

Orders: groups all, then cantons, then bands (smallest first); communes by
canton, name, key; controls by communes failing (most first), then unknown,
then id; vendors by communes (most first), then key; a vendor's controls like
the controls; trend by year.
"""

from __future__ import annotations

import math
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from conformite.rollup.model import (
    POPULATION_BANDS,
    PRIVACY_MIN_COMMUNES,
    CommuneRow,
    ControlRow,
    Distribution,
    GroupRow,
    Rollup,
    SourceRow,
    TrendRow,
    VendorControlRow,
    VendorRow,
)
from conformite.rollup.vendors import Entry, match_vendors

if TYPE_CHECKING:
    import duckdb

__all__ = ["compute_rollup", "distribution", "half_up", "quantile", "refresh_vendor_groups"]

_LATEST = """
CREATE OR REPLACE TEMP VIEW latest AS
SELECT * FROM results
QUALIFY row_number() OVER (PARTITION BY commune_key ORDER BY as_of DESC, result_id DESC) = 1
"""


def half_up(value: float, places: int = 1) -> float:
    """``value`` rounded as people do by hand: to ``places`` decimals, halves up, on its
    shortest decimal form (48.05 is 48.1, although the float is 48.04999…)."""
    step = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile of sorted ``values`` (linear interpolation, inclusive)."""
    position = (len(values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def distribution(values: list[float | None], private: bool = False) -> Distribution:
    """Quantiles of the values given (None values left out).

    ``private``: no minimum, maximum or mean. The extremes are one commune's own
    figures, and means add up: the mean of all communes and of every canton but one
    give that canton's total by subtraction, a hidden commune's score when it is
    alone there. Quartiles and medians do not subtract."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return Distribution(
            count=0, minimum=None, p25=None, median=None, p75=None, maximum=None, mean=None
        )
    return Distribution(
        count=len(known),
        minimum=None if private else half_up(known[0]),
        p25=half_up(quantile(known, 0.25)),
        median=half_up(quantile(known, 0.5)),
        p75=half_up(quantile(known, 0.75)),
        maximum=None if private else half_up(known[-1]),
        mean=None if private else half_up(math.fsum(known) / len(known), 2),
    )


def refresh_vendor_groups(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build ``vendor_groups``: each distinct (name, uid, profile) of
    ``vendor_entries`` -> its vendor's key and how it was matched."""
    rows = con.execute("SELECT DISTINCT name, uid, profile FROM vendor_entries").fetchall()
    entries = {row: Entry.of(row[0], row[1], row[2]) for row in rows}
    groups = match_vendors(entries.values())
    columns: list[list[Any]] = [[], [], [], [], [], [], []]
    for (name, uid, profile), entry in sorted(entries.items(), key=lambda i: repr(i[0])):
        group = groups[entry]
        for column, value in zip(
            columns,
            (name, uid, profile, group.key, group.matched_by, entry.uid, entry.profile),
            strict=True,
        ):
            column.append(value)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE vendor_groups (name VARCHAR, uid VARCHAR, "
        "profile VARCHAR, vendor_key VARCHAR, matched_by VARCHAR, uid_normalised VARCHAR, "
        "profile_id VARCHAR)"
    )
    if rows:
        select = ", ".join(f"unnest(${i + 1})" for i in range(7))
        con.execute(f"INSERT INTO vendor_groups SELECT {select}", columns)


def _groups(communes: list[dict[str, Any]], private: bool) -> list[GroupRow]:
    cantons = sorted({c["canton"] for c in communes})
    slices: list[tuple[str, str, list[dict[str, Any]]]] = [("all", "all", communes)]
    slices += [("canton", k, [c for c in communes if c["canton"] == k]) for k in cantons]
    for _, label in POPULATION_BANDS:
        members = [c for c in communes if c["band"] == label]
        if members:
            slices.append(("band", label, members))
    out = []
    for dimension, key, members in slices:
        hidden = private and len(members) < PRIVACY_MIN_COMMUNES
        out.append(
            GroupRow(
                dimension=dimension,  # type: ignore[arg-type]
                key=key,
                communes=len(members),
                suppressed=hidden,
                score=None if hidden else distribution([c["score"] for c in members], private),
                coverage=None
                if hidden
                else distribution([c["coverage"] for c in members], private),
            )
        )
    return out


def _percentiles(communes: list[dict[str, Any]]) -> dict[str, float | None]:
    by_band: dict[str, list[float]] = {}
    for c in communes:
        if c["score"] is not None:
            by_band.setdefault(c["band"], []).append(c["score"])
    out: dict[str, float | None] = {}
    for c in communes:
        peers = by_band.get(c["band"], [])
        if c["score"] is None or len(peers) < 2:  # no peer to be compared with
            out[c["commune_key"]] = None
            continue
        lower = sum(1 for s in peers if s < c["score"])
        equal = sum(1 for s in peers if s == c["score"])  # itself included
        out[c["commune_key"]] = half_up(100 * (lower + equal / 2) / len(peers))
    return out


def _titles(lang: str) -> dict[str, tuple[str, str, str]]:
    """The shipped catalogue's controls: id -> (title in ``lang``, family, severity)."""
    from conformite.catalogue.loader import load_catalogue

    return {
        c.id: (c.control.title.get(lang), c.control.family, c.control.severity)
        for c in load_catalogue().controls
    }


def _controls(con: duckdb.DuckDBPyConnection, lang: str) -> list[ControlRow]:
    catalogue = _titles(lang)
    rows = con.execute(
        """
        SELECT o.control_id,
          count(*) FILTER (WHERE o.fail > 0),
          count(*) FILTER (WHERE o.fail = 0 AND o.unknown > 0),
          count(*) FILTER (WHERE o.fail = 0 AND o.unknown = 0 AND o.pass > 0),
          count(*) FILTER (WHERE o.fail = 0 AND o.unknown = 0 AND o.pass = 0),
          sum(o.fail)::BIGINT, sum(o.unknown)::BIGINT, sum(o.pass)::BIGINT,
          arg_max(o.title, (l.as_of, l.result_id)), arg_max(o.family, (l.as_of, l.result_id)),
          arg_max(o.severity, (l.as_of, l.result_id))
        FROM control_outcomes o JOIN latest l ON o.result_id = l.result_id
        GROUP BY o.control_id
        ORDER BY 2 DESC, 3 DESC, o.control_id
        """
    ).fetchall()
    out = []
    for cid, cf, cu, cp, cn, ff, fu, fp, title, family, severity in rows:
        known = catalogue.get(cid)
        if known is not None:
            title, family, severity = known
        out.append(
            ControlRow(
                control_id=cid,
                title=title,
                family=family,
                severity=severity,
                communes_fail=cf,
                communes_unknown=cu,
                communes_pass=cp,
                communes_not_applicable=cn,
                findings_fail=ff,
                findings_unknown=fu,
                findings_pass=fp,
            )
        )
    return out


def _vendors(
    con: duckdb.DuckDBPyConnection, total: int, private: bool, controls: list[ControlRow]
) -> list[VendorRow]:
    users = con.execute(
        """
        SELECT g.vendor_key, any_value(g.matched_by), l.commune_key, l.commune, e.name,
               g.uid_normalised, g.profile_id
        FROM vendor_entries e JOIN latest l ON e.result_id = l.result_id
        JOIN vendor_groups g ON e.name = g.name AND e.uid IS NOT DISTINCT FROM g.uid
             AND e.profile IS NOT DISTINCT FROM g.profile
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    outcomes = con.execute(
        """
        SELECT g.vendor_key, o.control_id, l.commune_key,
               max(CASE o.outcome WHEN 'fail' THEN 3 WHEN 'unknown' THEN 2
                   WHEN 'pass' THEN 1 ELSE 0 END)
        FROM vendor_outcomes o JOIN latest l ON o.result_id = l.result_id
        JOIN vendor_entries e ON e.result_id = o.result_id AND e.vendor_id = o.vendor_id
        JOIN vendor_groups g ON e.name = g.name AND e.uid IS NOT DISTINCT FROM g.uid
             AND e.profile IS NOT DISTINCT FROM g.profile
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    meta = {c.control_id: c for c in controls}
    per_control: dict[str, dict[str, list[int]]] = {}
    for key, cid, _, worst in outcomes:
        counts = per_control.setdefault(key, {}).setdefault(cid, [0, 0, 0])
        if worst > 0:
            counts[3 - worst] += 1
    found: dict[str, dict[str, Any]] = {}
    for key, matched_by, commune_key, commune, name, uid, profile in users:
        vendor = found.setdefault(
            key,
            {"matched_by": "uid", "communes": {}, "names": Counter(), "uids": Counter()}
            | {"profiles": Counter()},
        )
        vendor["matched_by"] = max(
            vendor["matched_by"], matched_by, key=("uid", "profile", "name").index
        )
        vendor["communes"][commune_key] = commune
        vendor["names"][name] += 1
        if uid:
            vendor["uids"][uid] += 1
        if profile:
            vendor["profiles"][profile] += 1
    rows = []
    for key, vendor in found.items():
        count = len(vendor["communes"])
        hidden = private and count < PRIVACY_MIN_COMMUNES
        findings = []
        for cid, (fail, unknown, passed) in sorted(per_control.get(key, {}).items()):
            control = meta.get(cid)
            if private and control is None:  # a control the roll-up does not show
                continue
            if (fail or unknown) and not hidden:
                findings.append(
                    VendorControlRow(
                        control_id=cid,
                        title=control.title if control else cid,
                        severity=control.severity if control else "medium",
                        communes_fail=fail,
                        communes_unknown=unknown,
                        communes_pass=passed,
                    )
                )
        findings.sort(key=lambda f: (-f.communes_fail, -f.communes_unknown, f.control_id))
        names = [] if private else sorted(set(vendor["communes"].values()))
        rows.append(
            VendorRow(
                key=key,
                matched_by=vendor["matched_by"],
                name=_most_frequent(vendor["names"]),
                uid=_most_frequent(vendor["uids"]) if vendor["uids"] else None,
                profile=_most_frequent(vendor["profiles"]) if vendor["profiles"] else None,
                communes=count,
                share=half_up(100 * count / total) if total else 0.0,
                commune_names=names,
                findings=findings,
                suppressed=hidden,
            )
        )
    rows.sort(key=lambda v: (-v.communes, v.key))
    if private:
        # A vendor of one or two communes is not named: its name, number or profile
        # could point at them. Its row stays, counted, under a neutral key.
        rows = [
            v.model_copy(
                update={"key": f"suppressed:{n}", "name": "", "uid": None, "profile": None}
            )
            if v.suppressed
            else v
            for n, v in enumerate(rows, start=1)
        ]
    return rows


def _most_frequent(counts: Counter[str]) -> str:
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def _trend(con: duckdb.DuckDBPyConnection, private: bool) -> list[TrendRow]:
    rows = con.execute(
        """
        SELECT year(as_of), score, coverage, failed FROM results
        QUALIFY row_number() OVER (
            PARTITION BY commune_key, year(as_of) ORDER BY as_of DESC, result_id DESC) = 1
        ORDER BY ALL
        """
    ).fetchall()
    years: dict[int, list[tuple[Any, ...]]] = {}
    for year, *values in rows:
        years.setdefault(year, []).append(tuple(values))
    out = []
    for year, values in sorted(years.items()):
        if private and len(values) < PRIVACY_MIN_COMMUNES:
            continue
        out.append(
            TrendRow(
                year=year,
                communes=len(values),
                score=distribution([v[0] for v in values], private),
                coverage=distribution([v[1] for v in values], private),
                # A mean: left out of a private roll-up, like the others (it subtracts).
                failures_per_commune=None
                if private
                else half_up(sum(v[2] for v in values) / len(values), 2),
            )
        )
    return out


def compute_rollup(
    con: duckdb.DuckDBPyConnection, *, lang: str, private: bool, tool_version: str
) -> Rollup:
    """The roll-up of every result in the database."""
    con.execute(_LATEST)
    refresh_vendor_groups(con)
    cursor = con.execute(
        "SELECT commune_key, commune, bfs_number, canton, population, band, "
        "as_of::VARCHAR AS as_of, score, grade, coverage, services, vendors, signature "
        "FROM latest ORDER BY canton, commune, commune_key"
    )
    names = [d[0] for d in cursor.description]
    communes = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    percentiles = _percentiles(communes)
    sources = con.execute(
        "SELECT file, sha256, signature, signature_key FROM results ORDER BY file, sha256"
    ).fetchall()
    signatures = Counter(s[2] for s in sources)
    versions = con.execute("SELECT DISTINCT catalogue_version FROM results ORDER BY 1").fetchall()
    dates = sorted(c["as_of"] for c in communes)
    controls = _controls(con, lang)
    # Private: a control applied in one or two communes (a canton's own, say) would
    # show their outcomes.
    shown = [
        c
        for c in controls
        if not private
        or c.communes_fail + c.communes_unknown + c.communes_pass >= PRIVACY_MIN_COMMUNES
    ]
    return Rollup(
        tool_version=tool_version,
        lang=lang,
        private=private,
        results=len(sources),
        communes_count=len(communes),
        as_of_from=dates[0] if dates else None,
        as_of_until=dates[-1] if dates else None,
        catalogue_versions=[v for (v,) in versions],
        signatures={s: signatures.get(s, 0) for s in ("verified", "unsigned", "not_checked")},
        sources=[]
        if private
        else [SourceRow(file=f, sha256=h, signature=s, key=k) for f, h, s, k in sources],
        groups=_groups(communes, private),
        communes=[]
        if private
        else [
            CommuneRow(
                key=c["commune_key"],
                name=c["commune"],
                bfs_number=c["bfs_number"],
                canton=c["canton"],
                population=c["population"],
                band=c["band"],
                as_of=c["as_of"],
                score=c["score"],
                grade=c["grade"],
                coverage=c["coverage"],
                services=c["services"],
                vendors=c["vendors"],
                percentile_in_band=percentiles[c["commune_key"]],
                signature=c["signature"],
            )
            for c in communes
        ],
        controls=shown,
        # Private: a vendor's findings only on the controls shown.
        vendors=_vendors(con, len(communes), private, shown),
        trend=_trend(con, private),
    )
