"""Benchmark: the Commission's HTML report for 1,000 services and 300 vendors.

    python benchmarks/bench_report.py            # prints the figures quoted in the README

It reuses the generated inventory of ``bench_audit.py`` (the demo's entries
copied with new ids), audits it once, then measures, each as the best of
several runs:

* building the report's view model (``build_report``: rankings, action plan,
  suppliers, register, methodology), with a previous result for the trend;
* rendering it to HTML, Markdown and XLSX;
* the whole ``conformite report DIR --format html`` as a fresh process
  (load, audit, report, write, save the JSON result).

The target is under 3 s for the HTML report (view model + HTML).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audit import AS_OF, SERVICES, VENDORS, best_of, generate

from conformite._gc import freeze_after_pauses
from conformite.engine.audit import run_audit
from conformite.engine.workspace import load_workspace
from conformite.report.build import build_report
from conformite.report.render import render_report

PREVIOUS = dt.date(AS_OF.year - 1, AS_OF.month, AS_OF.day)


def main() -> None:
    freeze_after_pauses()  # as the conformite command does (see conformite._gc)
    with tempfile.TemporaryDirectory() as tmp:
        workspace_dir = Path(tmp) / "big"
        generate(workspace_dir)
        workspace = load_workspace(workspace_dir)
        result = run_audit(workspace, AS_OF, "fr")
        previous = run_audit(workspace, PREVIOUS, "fr")
        build_time = best_of(3, lambda: build_report(workspace, result, previous, "fr"))
        report = build_report(workspace, result, previous, "fr")
        html_time = best_of(3, lambda: render_report("html", report))
        html = render_report("html", report)
        md_time = best_of(3, lambda: render_report("md", report))
        xlsx_time = best_of(1, lambda: render_report("xlsx", report))
        exe = Path(sys.executable).with_name("conformite")
        cli_time = best_of(
            3,
            lambda: subprocess.run(
                [exe, "report", str(workspace_dir), "--as-of", AS_OF.isoformat(), "--format",
                 "html", "-o", str(Path(tmp) / "report.html"), "--no-save"],
                check=True,
                capture_output=True,
            ),
        )  # fmt: skip
    print(f"inventory: {SERVICES} services, {VENDORS} vendors")
    print(
        f"catalogue: {len(workspace.catalogue.controls)} controls, "
        f"{len(result.findings):,} findings, {report.open_findings:,} open"
    )
    print(f"report view model (build_report):      {build_time:6.3f} s")
    print(f"render HTML ({len(html) / 1_048_576:.1f} MiB):                {html_time:6.3f} s")
    print(f"HTML report (view model + HTML):       {build_time + html_time:6.3f} s")
    print(f"render Markdown:                       {md_time:6.3f} s")
    print(f"render XLSX:                           {xlsx_time:6.3f} s")
    print(f"conformite report --format html (process): {cli_time:6.3f} s")


if __name__ == "__main__":
    main()
