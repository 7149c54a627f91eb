"""Benchmark: the audit result of 10,000 services and 3,000 vendors, both forms.

    python benchmarks/bench_scale.py            # prints the figures quoted in the README
    python benchmarks/bench_scale.py 3          # three runs of each form

It generates the inventory the way ``bench_audit.py`` does (the demo commune's
entries copied with new ids), then runs ``conformite audit DIR --format json -o
FILE`` as a fresh process, once (or as many times as asked, alternating) for each
form of the result (``--schema 3``, the compact default, and ``--schema 2``, the
full form), and reports for each run its time and its peak memory: the maximum
resident set size of the audit process and of the worker it forks (the larger
of the two; ``ru_maxrss`` of a waited-for child), then the best time, the
highest peak, and the bytes of JSON written, in total and per service.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_audit

SERVICES = 10_000
VENDORS = 3_000
AS_OF = bench_audit.AS_OF

_CHILD = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def audit(exe: Path, workspace: Path, out: Path, schema: str) -> tuple[float, int]:
    """Seconds and peak resident memory (bytes) of one ``conformite audit`` process."""
    command = [str(exe), "audit", str(workspace), "--as-of", AS_OF.isoformat()]
    command += ["--format", "json", "--schema", schema, "-o", str(out)]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *command], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, int(done.stdout.strip()) * 1024


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    bench_audit.SERVICES, bench_audit.VENDORS = SERVICES, VENDORS
    exe = Path(sys.executable).with_name("conformite")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "big"
        bench_audit.generate(workspace)
        print(f"inventory: {SERVICES:,} services, {VENDORS:,} vendors")
        measured: dict[str, list[tuple[float, int]]] = {"3": [], "2": []}
        sizes: dict[str, int] = {}
        for run in range(1, runs + 1):
            for schema in ("3", "2"):
                out = Path(tmp) / f"audit-{schema}.json"
                seconds, peak = audit(exe, workspace, out, schema)
                measured[schema].append((seconds, peak))
                sizes[schema] = out.stat().st_size
                out.unlink()
                print(
                    f"run {run}, --schema {schema}: {seconds:6.1f} s, "
                    f"peak memory {peak / 1_048_576:5.0f} MiB"
                )
        for schema, results in measured.items():
            best = min(seconds for seconds, _ in results)
            peak = max(peak for _, peak in results)
            size = sizes[schema]
            print(
                f"--schema {schema}: best {best:6.1f} s, highest peak memory "
                f"{peak / 1_048_576:5.0f} MiB, JSON {size / 1_000_000:6.1f} MB = "
                f"{size / SERVICES / 1000:5.1f} kB per service"
            )


if __name__ == "__main__":
    main()
