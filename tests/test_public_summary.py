"""The public summary for residents: aggregates only, nothing an attacker could use."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.report.render import render_public
from test_report import LANGS, golden_report, golden_workspace

CONTROL_ID = re.compile(r"\b(?:SVC|SUP|DP|GOV|EP|CAN)-[A-Z]")


def _names_that_must_not_appear() -> list[str]:
    inventory = golden_workspace().inventory
    names = [s.name for s in inventory.services] + [v.name for v in inventory.vendors]
    names += [s.id for s in inventory.services] + [v.id for v in inventory.vendors]
    return [n for n in names if len(n) > 3]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_public_summary_names_no_system_supplier_control_or_weakness(fmt: str, lang: str) -> None:
    report = golden_report(lang)
    text = html.unescape(render_public(fmt, report).decode("utf-8")).replace("\\", "")
    leaks = [n for n in _names_that_must_not_appear() if n in text]
    assert not leaks, leaks
    assert not CONTROL_ID.search(text)
    for finding in report.result.findings:  # no finding's own words either
        for message in finding.messages:
            assert message not in text
    assert report.t("public.what_is_left_out") in text


def test_public_summary_gives_the_aggregates() -> None:
    report = golden_report("en")
    text = render_public("md", report).decode("utf-8")
    assert "Data protection in Vallon-Test — as of 28 Nov 2026" in text
    services = report.result.workspace.services
    assert f"{services} digital services are inventoried" in text
    assert "Since the review of 28 Nov 2025 the score changed by −4.6 points" in text
    assert "0 gaps were fixed and 2 new ones were found" in text
    assert "| Year 1 |" in text and "within the yearly digital credit of CHF 18'500" in text


def test_public_summary_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "public.html"
    args = ["report", "--demo", "--as-of", "2026-11-28", "--audience", "public", "-o", str(out)]
    result = CliRunner().invoke(cli, [*args, "--no-save"])
    assert result.exit_code == 0, result.output
    page = html.unescape(out.read_text(encoding="utf-8"))
    assert "Résumé public" in page and "Val-d'Arbonne" in page
    refused = CliRunner().invoke(cli, [*args[:-2], "--format", "xlsx", "--no-save"])
    assert refused.exit_code == 2 and "html, md, pdf" in refused.output
