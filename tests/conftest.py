from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conformite._paths import builtin_catalogue_dir
from conformite.catalogue.loader import load_catalogue
from conformite.inventory.reference import load_reference

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "conformite" / "demo"


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def reference():
    return load_reference(builtin_catalogue_dir() / "reference")


@pytest.fixture
def demo_workspace(tmp_path: Path) -> Path:
    """A fresh, writable copy of the demo commune."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    return target
