"""Benchmark: audit of a generated inventory of 1,000 services and 300 vendors.

    python benchmarks/bench_audit.py            # prints the figures quoted in the README

It builds the inventory from the demo commune's entries (copied with new ids,
so every control has realistic data to chew on), then measures, each as the
best of several runs:

* ``conformite --help`` as a fresh process (start-up cost);
* parsing and validating the YAML (``load_workspace``), and within it the
  YAML parsing alone (every YAML file an audit reads: inventory, catalogue,
  reference data), which evaluation and scoring must take less time than;
* evaluation, waivers and scoring (``run_audit``);
* the whole ``conformite audit DIR --format json`` as a fresh process.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

from conformite._gc import freeze_after_pauses
from conformite._paths import demo_dir
from conformite.engine.audit import run_audit
from conformite.engine.workspace import load_workspace
from conformite.inventory import safe_yaml as _yaml

SERVICES = 1000
VENDORS = 300
AS_OF = dt.date(2026, 11, 28)


def generate(target: Path) -> None:
    """Write a workspace with SERVICES services and VENDORS vendors to ``target``."""
    shutil.copytree(demo_dir(), target)
    inventory = target / "inventory"
    services = yaml.safe_load((inventory / "services.yaml").read_text(encoding="utf-8"))["services"]
    vendors = yaml.safe_load((inventory / "vendors.yaml").read_text(encoding="utf-8"))["vendors"]
    new_vendors = []
    for i in range(VENDORS):
        vendor = copy.deepcopy(vendors[i % len(vendors)])
        if i >= len(vendors):  # the originals keep their ids: the organisation refers to them
            vendor["id"] = f"{vendor['id']}-{i}"
        new_vendors.append(vendor)
    copies: dict[str, list[str]] = {}
    for i, vendor in enumerate(new_vendors):
        copies.setdefault(vendors[i % len(vendors)]["id"], []).append(vendor["id"])
    new_services = []
    for i in range(SERVICES):
        service = copy.deepcopy(services[i % len(services)])
        if i >= len(services):
            service["id"] = f"{service['id']}-{i}"
        if service.get("vendor"):
            choices = copies[service["vendor"]]
            service["vendor"] = choices[i % len(choices)]
        new_services.append(service)
    dump = {"Dumper": yaml.SafeDumper, "allow_unicode": True, "sort_keys": False}
    (inventory / "services.yaml").write_text(
        yaml.dump({"services": new_services}, **dump), encoding="utf-8"
    )
    (inventory / "vendors.yaml").write_text(
        yaml.dump({"vendors": new_vendors}, **dump), encoding="utf-8"
    )
    (inventory / "waivers.yaml").write_text("waivers: []\n", encoding="utf-8")


def yaml_parse_time(workspace_dir: Path) -> float:
    """Time spent in the YAML parser during one ``load_workspace``."""
    spent = 0.0
    parse = _yaml.load_yaml_text

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal spent
        start = time.perf_counter()
        try:
            return parse(*args, **kwargs)
        finally:
            spent += time.perf_counter() - start

    _yaml.load_yaml_text = timed  # load_yaml_file calls it through the module
    try:
        load_workspace(workspace_dir)
    finally:
        _yaml.load_yaml_text = parse
    return spent


def best_of(runs: int, func) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    freeze_after_pauses()  # as the conformite command does (see conformite._gc)
    with tempfile.TemporaryDirectory() as tmp:
        workspace_dir = Path(tmp) / "big"
        generate(workspace_dir)
        lines = sum(
            len(p.read_text(encoding="utf-8").splitlines())
            for p in (workspace_dir / "inventory").glob("*.yaml")
        )
        exe = Path(sys.executable).with_name("conformite")
        help_time = best_of(
            5, lambda: subprocess.run([exe, "--help"], check=True, capture_output=True)
        )
        load_time = best_of(5, lambda: load_workspace(workspace_dir))
        parse_time = min(yaml_parse_time(workspace_dir) for _ in range(5))
        workspace = load_workspace(workspace_dir)
        result = run_audit(workspace, AS_OF, "en")
        eval_time = best_of(5, lambda: run_audit(workspace, AS_OF, "en"))
        cli_time = best_of(
            3,
            lambda: subprocess.run(
                [
                    exe,
                    "audit",
                    str(workspace_dir),
                    "--as-of",
                    AS_OF.isoformat(),
                    "--format",
                    "json",
                    "-o",
                    str(Path(tmp) / "out.json"),
                ],
                check=True,
                capture_output=True,
            ),
        )
        tracemalloc.start()
        run_audit(load_workspace(workspace_dir), AS_OF, "en")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"inventory: {SERVICES} services, {VENDORS} vendors, {lines:,} YAML lines")
    controls = len(workspace.catalogue.controls)
    print(f"catalogue: {controls} controls, {len(result.findings):,} findings")
    print(f"conformite --help (process):          {help_time:6.3f} s")
    print(f"load: parse + validate YAML:          {load_time:6.3f} s")
    print(f"  of which YAML parsing:              {parse_time:6.3f} s")
    print(f"evaluate + waive + score:             {eval_time:6.3f} s")
    print(f"conformite audit --format json (process): {cli_time:6.3f} s")
    print(f"peak Python memory (load + audit):    {peak / 1_048_576:6.1f} MiB")


if __name__ == "__main__":
    main()
