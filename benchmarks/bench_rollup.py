"""Benchmark: ``conformite rollup`` over 2,000 communes' results (~100,000 services).

    python benchmarks/bench_rollup.py                # prints the figures quoted in the README
    python benchmarks/bench_rollup.py --communes 200 --keep /tmp/results

Method. Auditing 2,000 inventories would take an hour; the roll-up only reads
results, so the results are synthesised from one real audit:

1. the demo commune is audited once (``run_audit``, compact result 3.0: 24
   services, 12 vendors, about 1,200 findings);
2. three templates are made from it by copying every service target and its
   findings 1, 2 or 3 times (new ids), so a commune has 24, 48 or 72 services
   (about 48 on average, so 2,000 communes hold about 100,000 services and five
   million findings);
3. each commune is a template rewritten with a seeded RNG (``random.Random(7)``,
   so every run writes the same files): its name, BFS number, canton,
   population, ``as_of``; its vendors drawn from a shared pool of 300 companies
   (skewed: a few are used by most communes, as in life; one in three carries a
   UID, some are written with another legal form or case, so matching has work
   to do); each finding's outcome redrawn among pass, fail and unknown with
   the commune's own quality (not-applicable findings stay); its overall score,
   grade and coverage set from the outcomes drawn.

Then ``conformite rollup`` runs as a fresh process over the folder, each time
as the best of N runs (wall time; peak RSS of the child from
``resource.getrusage(RUSAGE_CHILDREN)``, measured from a small wrapper process
so that one run's peak does not hide another's):

* ``--format json -o out.json`` (an in-memory database);
* ``--db new.duckdb -o out.json`` (a database file, created);
* ``--db new.duckdb -o out.json`` with no RESULT (recompute what is stored);
* ``--format parquet -o DIR``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic_core import to_json

from conformite._paths import demo_dir
from conformite.engine.audit import run_audit
from conformite.engine.workspace import load_workspace

AS_OF = dt.date(2026, 11, 28)
CANTONS = ("VD", "GE", "FR", "NE", "VS", "JU", "BE", "ZH", "TI", "GR", "LU", "AG", "SG", "BL")
FORMS = ("SA", "AG", "Sàrl", "GmbH", "Ltd", "S.A.", "")
POOL = 300
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - t\n"
    "print(code, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def base_document() -> dict[str, Any]:
    """The demo commune's compact result, as plain JSON data."""
    workspace = load_workspace(demo_dir())
    document: dict[str, Any] = json.loads(run_audit(workspace, AS_OF, "fr").to_json())
    return document


def template(document: dict[str, Any], copies: int) -> dict[str, Any]:
    """``document`` with every service (and its findings) present ``copies`` times."""
    out = json.loads(json.dumps(document))
    targets = out["targets"]
    findings = out["findings"]
    services = [i for i, t in enumerate(targets) if t[0] == "service"]
    for copy in range(1, copies):
        moved = {}
        for i in services:
            kind, target_id, name = targets[i]
            moved[i] = len(targets)
            targets.append([kind, f"{target_id}-{copy}", f"{name} ({copy})"])
        findings += [dict(f, t=moved[f["t"]]) for f in document["findings"] if f["t"] in moved]
    out["workspace"]["services"] = len(services) * copies
    return out


def vendor_pool(rng: random.Random) -> list[dict[str, Any]]:
    """The shared pool of companies: name stem, UID (one in three), legal form."""
    pool = []
    for i in range(POOL):
        uid = f"CHE-{100 + i:03d}.{rng.randrange(1000):03d}.{rng.randrange(1000):03d}"
        pool.append(
            {"stem": f"Fournisseur {i:03d} Informatique", "uid": uid if i % 3 == 0 else None}
        )
    return pool


def commune(
    n: int, templates: list[dict[str, Any]], pool: list[dict[str, Any]], rng: random.Random
) -> tuple[bytes, int]:
    """The result of commune ``n`` (see the module's method) and its services."""
    base = templates[rng.randrange(len(templates))]
    document = dict(base)
    population = int(rng.lognormvariate(8, 1.2)) + 50
    document["as_of"] = (AS_OF - dt.timedelta(days=rng.randrange(0, 730))).isoformat()
    document["workspace"] = dict(
        base["workspace"],
        commune=f"Commune {n:04d}",
        bfs_number=1000 + n,
        canton=CANTONS[rng.randrange(len(CANTONS))],
        population=population,
    )
    # Vendors: the template's vendor targets get companies of the pool (skewed draw).
    targets = [list(t) for t in base["targets"]]
    chosen: set[int] = set()
    vendors = []
    for i, (kind, target_id, _) in enumerate(targets):
        if kind != "vendor":
            continue
        while True:
            pick = min(int(rng.paretovariate(1.1)) - 1, POOL - 1)
            pick = pick if rng.random() < 0.6 else rng.randrange(POOL)
            if pick not in chosen:
                break
        chosen.add(pick)
        company = pool[pick]
        form = FORMS[rng.randrange(len(FORMS))]
        name = f"{company['stem']} {form}".strip()
        name = name.upper() if rng.random() < 0.1 else name
        targets[i] = [kind, target_id, name]
        uid = company["uid"] if rng.random() < 0.8 else None
        vendors.append({"id": target_id, "name": name, "uid": uid, "profile": None})
    document["targets"] = targets
    document["vendors"] = vendors
    quality = rng.uniform(0.3, 0.85)
    outcomes = rng.choices(
        ("pass", "fail", "unknown"),
        weights=(quality, 0.7 * (1 - quality), 0.3 * (1 - quality)),
        k=len(base["findings"]),
    )
    findings = []
    tally = {"pass": 0, "fail": 0, "unknown": 0}
    for finding, outcome in zip(base["findings"], outcomes, strict=True):
        if finding["o"] in ("pass", "fail", "unknown"):
            finding = dict(finding, o=outcome)
            tally[outcome] += 1
        findings.append(finding)
    document["findings"] = findings
    score = round(100 * tally["pass"] / max(1, sum(tally.values())), 1)
    grade = "ABCDE"[min(4, int((100 - score) // 15))]
    overall = dict(
        base["scores"]["overall"],
        score=score,
        grade=grade,
        passed=tally["pass"],
        failed=tally["fail"],
        unknown=tally["unknown"],
        coverage=round(rng.uniform(55, 100), 1),
    )
    document["scores"] = dict(base["scores"], overall=overall)
    return to_json(document), int(document["workspace"]["services"])


def generate(folder: Path, communes: int) -> int:
    """Write ``communes`` results to ``folder``; the number of services."""
    rng = random.Random(7)
    document = base_document()
    templates = [template(document, copies) for copies in (1, 2, 3)]
    pool = vendor_pool(rng)
    services = 0
    for n in range(communes):
        data, count = commune(n, templates, pool, rng)
        (folder / f"commune-{n:04d}.json").write_bytes(data)
        services += count
    return services


def measure(args: list[str], runs: int, before: Any = None) -> tuple[float, float]:
    """Best wall time (s) and peak RSS (MiB) of ``conformite ARGS`` over ``runs`` runs."""
    best_wall, best_rss = float("inf"), 0.0
    for _ in range(runs):
        if before is not None:
            before()
        command = [sys.executable, "-c", WRAPPER, sys.executable, "-m", "conformite", *args]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        code, wall, rss = output.split()
        if code != "0":
            raise SystemExit(f"conformite {' '.join(args)} exited {code}")
        if float(wall) < best_wall:
            best_wall, best_rss = float(wall), int(rss) / 1024
    return best_wall, best_rss


def main() -> None:
    """Generate the results, run the roll-up, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the results here and keep them")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-rollup-"))
    results = options.keep or work / "results"
    try:
        results.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        services = generate(results, options.communes)
        size = sum(p.stat().st_size for p in results.glob("*.json")) / 1024 / 1024
        print(
            f"generated {options.communes} results, {services} services, {size:.0f} MiB "
            f"in {time.perf_counter() - start:.1f} s"
        )
        out, db, tables = work / "out.json", work / "set.duckdb", work / "tables"

        def fresh_db() -> None:
            db.unlink(missing_ok=True)

        cases = [
            ("--format json", [str(results), "--format", "json", "-o", str(out)], None),
            ("--db (new file)", [str(results), "--db", str(db), "-o", str(out)], fresh_db),
            ("--db, recompute only", ["--db", str(db), "-o", str(out)], None),
            ("--format parquet", [str(results), "--format", "parquet", "-o", str(tables)], None),
        ]
        for label, args, before in cases:
            wall, rss = measure(["rollup", *args], options.runs, before)
            print(f"{label:<24} {wall:6.1f} s   peak RSS {rss:6.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
