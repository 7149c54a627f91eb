"""The source tree shows the flow: stage packages, imports pointing down, small modules.

inventory → catalogue → engine → report, with the probe and supplier profiles
feeding facts in below the engine, supplier vetting (screening,
questionnaires) above it, and the CLI on top. A stage may import the stages
below it and the shared foundation (errors, signing, i18n, …), never one that
builds on it.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "conformite"

#: What each stage may import (besides itself). The foundation is the root
#: modules (errors, signing, _paths, _gc, _lazy, the version) and i18n.
ALLOWED: dict[str, set[str]] = {
    "foundation": set(),
    "inventory": {"foundation"},
    "catalogue": {"foundation", "inventory"},
    "probe": {"foundation", "inventory"},
    "profiles": {"foundation", "inventory", "probe"},
    "engine": {"foundation", "inventory", "catalogue", "profiles"},
    "suppliers": {"foundation", "inventory", "catalogue", "profiles", "engine"},
    "report": {"foundation", "inventory", "catalogue", "engine"},
    "rollup": {"foundation", "inventory", "catalogue", "engine", "report"},
    "cli": {
        "foundation",
        "inventory",
        "catalogue",
        "probe",
        "profiles",
        "engine",
        "suppliers",
        "report",
        "rollup",
    },
}
STAGE_PACKAGES = {stage for stage in ALLOWED if stage != "foundation"}
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in STAGE_PACKAGES:
        return parts[1]
    if len(parts) > 1 and parts[1] == "__main__":
        return "cli"
    return "foundation"


def imports_of(path: Path) -> set[str]:
    """Every ``conformite`` module ``path`` imports, at module level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "conformite")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "conformite":
                continue
            found.add(node.module)
            for alias in node.names:  # ``from conformite.x import submodule``
                candidate = f"{node.module}.{alias.name}"
                if (SRC.parent / Path(*candidate.split("."))).with_suffix(".py").is_file():
                    found.add(candidate)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; use absolute imports")
    return found


SOURCES = sorted(SRC.rglob("*.py"))
GRAPH = {module_name(p): imports_of(p) for p in SOURCES}


def test_the_sources_were_found() -> None:
    assert len(SOURCES) > 60
    assert "conformite.engine.evaluation" in GRAPH


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_is_over_600_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)} has {lines} lines: split it"


def test_imports_point_down_the_flow() -> None:
    wrong = sorted(
        f"{module} ({stage_of(module)}) imports {target} ({stage_of(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if stage_of(target) != stage_of(module)
        and stage_of(target) not in ALLOWED[stage_of(module)]
    )
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    """Between modules, counting imports inside functions too (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            # A package's own __init__ is imported before its modules; only
            # real module-to-module edges can form a cycle.
            if target not in GRAPH or node.startswith(target + "."):
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not cycles, cycles


@pytest.mark.parametrize(
    "package",
    sorted(
        f"conformite.{p.parent.name}"
        for p in SRC.glob("*/__init__.py")
        if p.parent.name not in ("cli",)
    ),
)
def test_each_stage_says_what_it_takes_and_gives_and_exports_its_names(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__doc__ and len(module.__doc__.strip()) > 80, f"{package}: no docstring"
    exported = getattr(module, "__all__", None)
    assert exported, f"{package}: no __all__"
    for name in exported:
        assert getattr(module, name) is not None, f"{package}.{name} does not resolve"


def test_the_readme_tree_matches_src() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("\nsrc/conformite/\n", 1)[1].split("```", 1)[0]
    listed = {m.group(1) for m in re.finditer(r"^  ([\w.]+/?)", block, flags=re.M)}
    packages = {f"{p.name}/" for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    data = {f"{p.name}/" for p in SRC.iterdir() if p.is_dir() and p.name == "demo"}
    modules = {p.name for p in SRC.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    assert listed == packages | data | modules
