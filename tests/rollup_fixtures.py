"""Demo variants for the roll-up tests: four communes audited to JSON.

=========  ====================  ======  ==========  =====  ==================================
file       commune               canton  population  BFS    changed from the demo
=========  ====================  ======  ==========  =====  ==================================
a.json     Val-d'Arbonne         VD      3120        -      nothing (schema 3.0)
a-2025     Val-d'Arbonne         VD      3120        -      audited on 2025-11-28
b.json     Montagny              VD      2500        5502   helvetic-gov renamed "Helvetic Gov
                                                            AG" (same UID), no processing
                                                            agreement; a vendor "Rare Vendor AG"
c.json     Vallorbe-les-Bains    FR      12000       -      helvetic-gov without UID, named
                                                            "HELVETIC-GOV Solutions Sàrl", no
                                                            agreement; "RARE VENDOR SA"
d.json     Orbe-Dessus           VD      4000        5504   nothing, written as schema 2.0
=========  ====================  ======  ==========  =====  ==================================
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conformite.cli import cli

AS_OF = "2026-11-28"
RARE = """
  - id: rare
    name: {name}
    country: CH
    contact: info@rare.example.ch
"""


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def _workspace(base: Path, name: str, commune: str, canton: str, pop: int, bfs: int | None) -> Path:
    folder = base / name
    result = run("init", str(folder), "--demo")
    assert result.exit_code == 0, result.output
    config = folder / "conformite.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('name = "Val-d\'Arbonne"', f'name = "{commune}"')
    text = text.replace('canton = "VD"', f'canton = "{canton}"')
    extra = f"\nbfs_number = {bfs}" if bfs else ""
    text = text.replace("population = 3120", f"population = {pop}{extra}")
    config.write_text(text, encoding="utf-8")
    return folder


def _edit_helvetic(folder: Path, name: str, keep_uid: bool, rare: str) -> None:
    path = folder / "inventory" / "vendors.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    name: Helvetic Gov Solutions SA\n", f"    name: {name}\n", 1)
    if not keep_uid:
        start = text.index("    uid: CHE-999.999.996")
        text = text[:start] + text[text.index("\n", start) + 1 :]
    start = text.index("    dpa:", text.index("  - id: helvetic-gov"))
    end = text.index("    sub_processors:", start)
    text = text[:start] + "    dpa: {signed_on: never}\n" + text[end:]
    path.write_text(text + RARE.format(name=rare), encoding="utf-8")


def _audit(folder: Path, out: Path, as_of: str = AS_OF, *extra: str) -> Path:
    result = run("audit", str(folder), "--as-of", as_of, "--format", "json", "-o", str(out), *extra)
    assert result.exit_code in (0, 1), result.output
    return out


def build(base: Path) -> dict[str, Path]:
    """The result files, by name (see the module's table)."""
    work = base / "work"
    out = base / "results"
    out.mkdir(parents=True)
    a = _workspace(work, "a", "Val-d'Arbonne", "VD", 3120, None)
    b = _workspace(work, "b", "Montagny", "VD", 2500, 5502)
    _edit_helvetic(b, "Helvetic Gov AG", True, "Rare Vendor AG")
    c = _workspace(work, "c", "Vallorbe-les-Bains", "FR", 12000, None)
    _edit_helvetic(c, "HELVETIC-GOV Solutions Sàrl", False, "RARE VENDOR SA")
    d = _workspace(work, "d", "Orbe-Dessus", "VD", 4000, 5504)
    files = {
        "a": _audit(a, out / "a.json"),
        "b": _audit(b, out / "b.json"),
        "c": _audit(c, out / "c.json"),
        "d": _audit(d, out / "d.json", AS_OF, "--schema", "2"),
    }
    old = base / "older"
    old.mkdir()
    files["a-2025"] = _audit(a, old / "a-2025.json", "2025-11-28")
    return files


def copy_results(files: dict[str, Path], target: Path, *names: str) -> Path:
    """A folder holding copies of the named results."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(files[name], target / files[name].name)
    return target


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def findings(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(control id, target kind, target id, outcome) of each finding, in either form."""
    if document["schema_version"].startswith("3."):
        targets = document["targets"]
        return [(f["c"], *targets[f["t"]][:2], f["o"]) for f in document["findings"]]
    return [
        (f["control_id"], f["target_kind"], f["target_id"], f["outcome"])
        for f in document["findings"]
    ]
