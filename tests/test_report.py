"""The Commission's report: the view model (reporting.py) and ``conformite report``/``register``.

The view-model tests run on the small, frozen workspace and catalogue in
``tests/golden/`` (so they do not move when the live catalogue grows); the
command tests run on a copy of the demo commune. Other report test files
import the helpers below.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.catalogue.loader import load_catalogue
from conformite.cli import cli
from conformite.engine.audit import run_audit
from conformite.engine.results import AuditResult
from conformite.engine.workspace import Workspace, load_inventory
from conformite.errors import ProblemCollector
from conformite.inventory.config import load_config
from conformite.inventory.reference import load_reference
from conformite.report.build import build_report
from conformite.report.model import Report
from conftest import require_pdf

GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF = dt.date(2026, 11, 28)
PREVIOUS_AS_OF = dt.date(2025, 11, 28)
LANGS = ("fr", "de", "it", "en")


@functools.cache
def golden_workspace() -> Workspace:
    """The golden workspace with its own frozen catalogue and reference data."""
    catalogue = load_catalogue([GOLDEN / "catalogue"])
    reference = load_reference(GOLDEN / "catalogue" / "reference")
    problems = ProblemCollector()
    directory = GOLDEN / "workspace"
    inventory = load_inventory(directory, reference, catalogue, problems)
    problems.raise_if_any()
    assert inventory is not None
    return Workspace(
        directory=directory,
        config=load_config(directory),
        catalogue=catalogue,
        reference=reference,
        inventory=inventory,
    )


@functools.cache
def golden_results(lang: str) -> tuple[AuditResult, AuditResult]:
    """(previous, current) results of the golden workspace, a year apart."""
    workspace = golden_workspace()
    return run_audit(workspace, PREVIOUS_AS_OF, lang), run_audit(workspace, AS_OF, lang)


def golden_report(lang: str, with_previous: bool = True) -> Report:
    previous, current = golden_results(lang)
    return build_report(golden_workspace(), current, previous if with_previous else None, lang)


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


# --------------------------------------------------------------------------
# the view model
# --------------------------------------------------------------------------


def test_cover_names_the_commune_and_the_law_that_applies() -> None:
    report = golden_report("fr")
    assert (report.commune, report.canton, report.population) == ("Vallon-Test", "VS", 1850)
    assert report.catalogue_version == "golden-1"
    assert "LIPDA" in report.law[0] and "RS/VS 170.2" in report.law[0]
    assert "Préposé" in report.law[1]
    assert "nLPD" in report.law[2] and "OPDo" in report.law[2]
    assert "revDSG" in golden_report("de").law[2]
    assert report.law_summary and "LIPDA" in report.law_summary


def test_canton_without_overlay_says_the_federal_baseline_applies() -> None:
    from conformite.report.common import law_lines

    assert "base fédérale" in law_lines("AG", None, "fr")[0]
    import dataclasses

    workspace = golden_workspace()
    config = workspace.config.model_copy(deep=True)
    config.commune.canton = "AG"
    _, current = golden_results("fr")
    report = build_report(dataclasses.replace(workspace, config=config), current, None, "fr")
    assert report.law_summary is None
    assert any("base fédérale" in x for x in report.methodology.not_assessed)


def test_top_risks_are_grouped_by_control_and_ranked_by_weight() -> None:
    report = golden_report("en")
    assert 3 <= len(report.risks) <= 5
    weights = [r.weight for r in report.risks]
    assert weights == sorted(weights, reverse=True)
    assert report.risks[0].control_id == "SVC-CRITICAL-VULNS"
    retention = next(r for r in report.risks if r.control_id == "DP-RETENTION")
    assert retention.targets == 2
    assert all(r.why and not r.why.endswith(" ") for r in report.risks)


def test_findings_are_grouped_by_severity_then_need() -> None:
    report = golden_report("en")
    severities = [s for s, _ in report.findings]
    assert severities == ["critical", "high", "medium"]
    for _, groups in report.findings:
        needs = [g.max_need for g in groups]
        assert needs == sorted(needs, reverse=True)
        for group in groups:
            assert group.legal_basis and group.rationale and group.remediation
            for item in group.items:
                assert item.owner
    sup_dpa = next(g for _, gs in report.findings for g in gs if g.control_id == "SUP-DPA")
    assert sup_dpa.items[0].expired_waiver  # the expired waiver is pointed at
    assert sup_dpa.items[0].owner == "Secrétariat communal"  # owners of the vendor's services


def test_action_plan_costs_and_years_against_the_framework_credit() -> None:
    plan = golden_report("en").plan
    assert plan.annual_credit == 18_500.0  # CHF 10 x 1850 inhabitants
    assert plan.person_day_chf == 800.0
    first = plan.actions[0]
    assert first.control_id == "SVC-CRITICAL-VULNS"
    assert first.cost_chf == first.person_days * 800 + first.external_chf
    assert plan.total_cost == pytest.approx(sum(a.cost_chf for a in plan.actions))
    for year in plan.years[:-1]:
        assert year.cost_chf <= plan.annual_credit
    assert [a.year for a in plan.actions] == sorted(a.year for a in plan.actions)
    assert plan.years_needed == 2
    ranks = [a.rank for a in plan.actions]
    assert ranks == list(range(1, len(ranks) + 1))


def test_action_plan_uses_configured_amounts(tmp_path: Path) -> None:
    import dataclasses

    workspace = golden_workspace()
    config = workspace.config.model_copy(deep=True)
    config.report.framework_credit_chf_per_inhabitant = 20.0
    config.report.person_day_chf = 1000.0
    changed = dataclasses.replace(workspace, config=config)
    _, current = golden_results("en")
    plan = build_report(changed, current, None, "en").plan
    assert plan.annual_credit == 37_000.0
    assert plan.years_needed == 1
    assert (
        plan.actions[0].cost_chf
        == plan.actions[0].person_days * 1000 + plan.actions[0].external_chf
    )


def test_waivers_expired_first_and_flagged() -> None:
    waivers = golden_report("en").waivers
    assert waivers[0].expired and waivers[0].control_id == "SUP-DPA"
    assert not waivers[1].expired and waivers[1].status == "applied"


def test_trend_against_the_previous_result() -> None:
    report = golden_report("en")
    assert report.trend is not None
    comparison = report.trend.comparison
    assert comparison.overall.delta == pytest.approx(-4.8)
    assert {c.control_id for c in comparison.new} == {
        "GOV-COMMISSION-REVIEW",
        "SUP-CERT-VALID",
        "SUP-DPA",
    }
    assert "fell by 4.8 points" in report.trend.sentence
    assert any("explain" in d for d in report.decisions)
    assert golden_report("en", with_previous=False).trend is None
    assert any("baseline" in d for d in golden_report("en", with_previous=False).decisions)


def test_decisions_name_the_expired_waiver_and_the_plan() -> None:
    decisions = golden_report("en").decisions
    assert any("SUP-DPA" in d and "30 Sep 2026" in d for d in decisions)
    assert any("CHF 18'500.00" in d for d in decisions)
    assert any("critical" in d for d in decisions)


def test_suppliers_show_where_data_goes_and_certificates() -> None:
    suppliers = {s.vendor_id: s for s in golden_report("en").suppliers}
    nimbus = suppliers["nimbus"]
    assert {d.country: d.safe for d in nimbus.destinations} == {"IE": True, "US": False}
    assert nimbus.parent == "Nimbus Cloud Inc. (US)"
    gov = suppliers["swiss-gov-soft"]
    assert gov.destinations == []
    assert not gov.certifications[0].valid  # expired on 2026-06-30


def test_register_has_the_art_12_contents() -> None:
    register = golden_report("en").register
    entry = register.entries[0]
    assert entry.reference == "RT-01"
    assert entry.controller.startswith("Commune of Vallon-Test")
    assert entry.purpose and entry.legal_basis and entry.retention
    assert "residents" in entry.data_subjects
    assert "Religious views or activities" in entry.sensitive_categories
    assert any("Swiss Gov Soft SA" in r for r in entry.recipients)
    assert entry.security_measures
    email = register.entries[1]
    assert [(d.country, d.safe) for d in email.destinations] == [("IE", True), ("US", False)]
    assert "retention period" in email.missing


def test_methodology_says_what_was_not_assessed() -> None:
    method = golden_report("en").methodology
    assert any("not probed" in x and "guichet.vallon.example.ch" in x for x in method.not_assessed)
    assert any("Weight = severity weight" in x for x in method.formula)
    assert any("as of 28 Nov 2026" in x for x in method.scope)


def test_report_is_deterministic() -> None:
    from conformite.report.render import render_report

    for fmt in ("html", "md", "csv", "xlsx", "json"):
        assert render_report(fmt, golden_report("fr")) == render_report(fmt, golden_report("fr"))


def test_no_absolute_path_in_outputs() -> None:
    from conformite.report.render import render_report

    root = str(GOLDEN.parent.parent)
    for fmt in ("html", "md", "csv", "json"):
        assert root not in render_report(fmt, golden_report("en")).decode("utf-8")


def test_html_is_self_contained_and_escaped() -> None:
    from conformite.report.render import render_report

    html = render_report("html", golden_report("fr")).decode("utf-8")
    assert '<html lang="fr">' in html
    assert "<script" not in html
    assert " src=" not in html and "<link" not in html
    assert "@media print" in html
    assert "Content-Security-Policy" in html
    assert "l&#39;administration" in html  # text from the inventory is escaped


def test_html_headings_do_not_skip_levels() -> None:
    from conformite.report.render import render_report

    for lang in LANGS:
        html = render_report("html", golden_report(lang)).decode("utf-8")
        levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", html)]
        assert levels[0] == 1 and levels.count(1) == 1
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, f"{lang}: h{before} followed by h{after}"
        # every table has header cells
        for table in re.findall(r"<table>.*?</table>", html, flags=re.S):
            assert "<th" in table


def test_html_colours_have_enough_contrast() -> None:
    from conformite.report.render.html import GRADE_COLOURS

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        la, lb = sorted((luminance(a), luminance(b)), reverse=True)
        return (la + 0.05) / (lb + 0.05)

    for colour in (*GRADE_COLOURS.values(), "#7a1a14", "#b3261e", "#8a5a00", "#44474e"):
        assert contrast(colour, "#ffffff") >= 4.5, colour
    pairs = [
        ("#1f1f1f", "#e8eef6"),
        ("#1f1f1f", "#fdecea"),
        ("#1f1f1f", "#fff4d6"),
        ("#0b57d0", "#ffffff"),
        ("#44474e", "#ffffff"),
        ("#1f3a5f", "#ffffff"),
    ]
    for text, background in pairs:
        assert contrast(text, background) >= 4.5, (text, background)


def test_inventory_text_cannot_break_markdown_tables() -> None:
    from conformite.report.render.markdown import esc

    assert esc("a | b\nc") == "a \\| b c"
    assert esc("<script>") == "\\<script\\>"


# --------------------------------------------------------------------------
# conformite report / register
# --------------------------------------------------------------------------


@pytest.fixture
def ws(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(demo_workspace.parent)
    return Path(demo_workspace.name)


def test_report_default_path_and_saved_result(ws: Path) -> None:
    result = run("report", str(ws), "--as-of", "2026-11-28")
    assert result.exit_code == 0, result.output
    html = ws / "reports" / "2026" / "report-2026-11-28.fr.html"
    saved = ws / "reports" / "2026" / "audit-2026-11-28.json"
    assert html.is_file() and saved.is_file()
    assert AuditResult.from_json(saved.read_bytes()).as_of == "2026-11-28"
    assert stat.S_IMODE(saved.stat().st_mode) & 0o044, "the saved result is readable by others"
    assert "Val-d&#39;Arbonne" in html.read_text(encoding="utf-8")


def test_report_uses_the_newest_older_result_for_the_trend(ws: Path) -> None:
    assert run("report", str(ws), "--as-of", "2024-11-28", "--format", "json").exit_code == 0
    assert run("report", str(ws), "--as-of", "2025-11-28", "--format", "json").exit_code == 0
    (ws / "reports" / "junk").mkdir()
    (ws / "reports" / "junk" / "audit-2025-12-01.json").write_text("{not json", encoding="utf-8")
    result = run("--lang", "en", "report", str(ws), "--as-of", "2026-11-28", "--format", "md")
    assert result.exit_code == 0, result.output
    assert "audit-2025-12-01.json" in result.output  # skipped, said so
    assert "reports/2025/audit-2025-11-28.json" in result.output
    md = (ws / "reports" / "2026" / "report-2026-11-28.en.md").read_text(encoding="utf-8")
    assert "since the report of 28 Nov 2025" in md


def test_report_lang_option_after_the_command(ws: Path) -> None:
    result = run("report", str(ws), "--as-of", "2026-11-28", "--format", "md", "--lang", "it")
    assert result.exit_code == 0, result.output
    md = (ws / "reports" / "2026" / "report-2026-11-28.it.md").read_text(encoding="utf-8")
    assert "Sintesi per la Commissione" in md


def test_report_output_option_and_no_save(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "r.xlsx"
    result = run(
        "report", str(ws), "--as-of", "2026-11-28", "--format", "xlsx", "-o", str(out), "--no-save"
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    assert not (ws / "reports").exists()


def test_report_explicit_previous(ws: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    assert (
        run("audit", str(ws), "--as-of", "2025-11-28", "--format", "json", "-o", str(old)).exit_code
        == 0
    )
    result = run(
        "report", str(ws), "--as-of", "2026-11-28", "--format", "md", "--previous", str(old)
    )
    assert result.exit_code == 0, result.output
    md = (ws / "reports" / "2026" / "report-2026-11-28.fr.md").read_text(encoding="utf-8")
    assert "depuis le rapport du 28.11.2025" in md


@pytest.mark.parametrize("content", ["{not json", '{"a": 1}', ""])
def test_report_bad_previous_is_exit_2(ws: Path, tmp_path: Path, content: str) -> None:
    old = tmp_path / "old.json"
    old.write_text(content, encoding="utf-8")
    result = run("report", str(ws), "--as-of", "2026-11-28", "--previous", str(old))
    assert result.exit_code == 2
    assert "old.json" in result.output and "Traceback" not in result.output


def test_report_unwritable_output_is_exit_2(ws: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run("report", str(ws), "--as-of", "2026-11-28", "-o", str(blocker / "r.html"))
    assert result.exit_code == 2
    # In the workspace's language (the demo commune writes French).
    assert "impossible d'écrire" in result.output and "Traceback" not in result.output


def test_report_keeps_the_previous_file_when_interrupted(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = ws / "reports" / "2026" / "report-2026-11-28.fr.html"
    assert run("report", str(ws), "--as-of", "2026-11-28").exit_code == 0
    before = target.read_bytes()

    monkeypatch.setattr("os.fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    result = run("report", str(ws), "--as-of", "2026-11-28")
    assert result.exit_code != 0
    assert target.read_bytes() == before
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_report_on_bad_input_writes_nothing(ws: Path) -> None:
    (ws / "inventory" / "services.yaml").write_text("services: [{id: 1}]\n", encoding="utf-8")
    result = run("report", str(ws), "--as-of", "2026-11-28")
    assert result.exit_code == 2
    assert not (ws / "reports").exists()


def test_pdf_without_weasyprint_says_how_to_get_it(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    result = run("--lang", "en", "report", str(ws), "--as-of", "2026-11-28", "--format", "pdf")
    assert result.exit_code == 2
    assert "pip install 'conformite[pdf]'" in result.output
    assert not (ws / "reports").exists()


def test_pdf_with_weasyprint(ws: Path) -> None:
    require_pdf()
    result = run("report", str(ws), "--as-of", "2026-11-28", "--format", "pdf")
    assert result.exit_code == 0, result.output
    pdf = (ws / "reports" / "2026" / "report-2026-11-28.fr.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 50_000


def test_pdf_is_deterministic() -> None:
    require_pdf()
    from conformite.report.render import render_report

    first = render_report("pdf", golden_report("de"))
    assert first == render_report("pdf", golden_report("de"))
    assert b"conformite" in first


def test_demo_report_goes_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("report", "--demo", "--as-of", "2026-11-28", "--format", "md")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "2026" / "report-2026-11-28.fr.md").is_file()


@pytest.mark.parametrize("fmt", ["md", "xlsx", "csv", "html"])
def test_register_command(ws: Path, fmt: str) -> None:
    result = run("register", str(ws), "--as-of", "2026-11-28", "--format", fmt, "--lang", "de")
    assert result.exit_code == 0, result.output
    path = ws / "reports" / "2026" / f"register-2026-11-28.de.{fmt}"
    data = path.read_bytes()
    if fmt == "xlsx":
        assert data[:2] == b"PK"
    else:
        assert "Contrôle des habitants" in data.decode("utf-8")


def test_register_output_to_stdout_like_file(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    result = run("register", str(ws), "--as-of", "2026-11-28", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    import csv

    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0][0] == "Référence"
    assert (
        len(rows)
        == 1
        + json.loads(run("audit", str(ws), "--format", "json", "--as-of", "2026-11-28").output)[
            "workspace"
        ]["services"]
    )


def test_help_mentions_formats() -> None:
    result = run("report", "--help")
    assert result.exit_code == 0
    for fmt in ("html", "pdf", "md", "xlsx", "csv", "json"):
        assert fmt in result.output
