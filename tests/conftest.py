from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformite._paths import builtin_catalogue_dir
from conformite.catalogue.loader import load_catalogue
from conformite.inventory.reference import load_reference

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "conformite" / "demo"

#: CI sets CI=true; there a skipped test means a missing system package
#: (Chromium, Pango) that .ci/run should have installed, not an optional extra.
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skipped test fails, with the reason it would have skipped."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {reason}"


def require_pdf() -> None:
    """Skip (fail under CI) when WeasyPrint or the Pango library it needs is missing.

    ``importorskip`` is not enough: without Pango, importing WeasyPrint raises
    OSError, which :func:`require_weasyprint` turns into the reason.
    """
    from conformite.report.render.pdf import PdfUnavailable, require_weasyprint

    try:
        require_weasyprint()
    except PdfUnavailable as exc:
        pytest.skip(f"PDF rendering unavailable ({exc}): pip install '.[pdf]' and Pango")


def require_libreoffice() -> str:
    """The LibreOffice program (``soffice``); skip (fail under CI) when it is missing."""
    import shutil

    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        pytest.skip("LibreOffice missing: apt-get install libreoffice-writer-nogui")
    return program


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
