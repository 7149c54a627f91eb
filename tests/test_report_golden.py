"""Golden files: the Markdown report in four languages, the JSON result, the register and a diff.

They come from the small frozen workspace and catalogue in ``tests/golden/``
(never from the live catalogue), so they change only when a renderer, a text
or the scoring changes. Review the diff, then regenerate with:

    CONFORMITE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report_golden.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conformite.cli.diff import render_diff_markdown
from conformite.report.compare import compare
from conformite.report.register import build_register
from conformite.report.render import render_register, render_report
from test_report import AS_OF, GOLDEN, LANGS, golden_report, golden_results, golden_workspace

EXPECTED = GOLDEN / "expected"


def _report(fmt: str, lang: str) -> Callable[[], bytes]:
    return lambda: render_report(fmt, golden_report(lang))


def _register_md() -> bytes:
    return render_register("md", build_register(golden_workspace(), AS_OF, "fr"), AS_OF)


def _diff_md() -> bytes:
    previous, current = golden_results("en")
    return render_diff_markdown(compare(previous, current), "en").encode("utf-8")


CASES: dict[str, Callable[[], bytes]] = {
    **{f"report.{lang}.md": _report("md", lang) for lang in LANGS},
    "audit.json": _report("json", "fr"),
    "register.fr.md": _register_md,
    "diff.en.md": _diff_md,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    actual = CASES[name]()
    path: Path = EXPECTED / name
    if os.environ.get("CONFORMITE_UPDATE_GOLDEN") == "1":
        EXPECTED.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.is_file(), f"{path} missing: regenerate (see this file's docstring)"
    expected = path.read_bytes()
    if actual != expected:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                expected.decode("utf-8").splitlines(keepends=True),
                actual.decode("utf-8").splitlines(keepends=True),
                fromfile=f"{name} (expected)",
                tofile=f"{name} (actual)",
                n=1,
            )
        )
        pytest.fail(f"{name} differs from the golden file; if intended, regenerate:\n{diff[:6000]}")
