"""The Commission's report: the view model (reporting.py) and ``conformite report``/``register``.

The view-model tests run on the small, frozen workspace and catalogue in
``tests/golden/`` (so they do not move when the live catalogue grows); the
command tests run on a copy of the demo commune. Other report test files
import the helpers below.
"""

from __future__ import annotations

import dataclasses
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
    return workspace_at(GOLDEN / "workspace")


def workspace_at(directory: Path) -> Workspace:
    """A workspace (the golden one, or a changed copy of it) with the golden catalogue."""
    catalogue = load_catalogue([GOLDEN / "catalogue"])
    reference = load_reference(GOLDEN / "catalogue" / "reference")
    problems = ProblemCollector()
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


def changed_workspace(tmp_path: Path, **replacements: str | list[str]) -> Path:
    """A copy of the golden workspace with text replaced in its inventory files.

    Keys name a file (``services``, ``vendors``, …); each value is ``old=>new`` (or a list).
    """
    import shutil

    target = tmp_path / "workspace"
    shutil.copytree(GOLDEN / "workspace", target)
    for name, changes in replacements.items():
        path = target / "inventory" / f"{name}.yaml"
        text = path.read_text(encoding="utf-8")
        for change in [changes] if isinstance(changes, str) else changes:
            old, new = change.split("=>")
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return target


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def render_text(fmt: str, report: Report) -> str:
    from conformite.report.render import render_report

    return render_report(fmt, report).decode("utf-8")


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

    workspace = golden_workspace()
    config = workspace.config.model_copy(deep=True)
    config.commune.canton = "AG"
    _, current = golden_results("fr")
    report = build_report(dataclasses.replace(workspace, config=config), current, None, "fr")
    assert report.law_summary is None
    assert any("base fédérale" in x for x in report.methodology.not_assessed)


def test_top_risks_are_confirmed_gaps_ranked_by_risk() -> None:
    from conformite.report.risk import Exposures, finding_risk

    report = golden_report("en")
    assert [r.control_id for r in report.risks] == [
        "SVC-CRITICAL-VULNS",  # weight 12 on the pupils' school administration: 12 x 1.25
        "SVC-MFA",  # 6 x 1.25
        "SUP-CERT-VALID",  # 4 x 1.75 (sensitive data, 1,000 people or more, internet)
        "GOV-COMMISSION-REVIEW",  # 2 x 1
    ]
    assert [r.risk for r in report.risks] == [15.0, 7.5, 7.0, 2.0]
    assert all(r.kind == "gap" for r in report.risks)
    # only the confirmed gap counts: the same control is still to document elsewhere
    assert report.risks[0].targets == 1 and report.risks[0].target_names == [
        "Administration scolaire"
    ]
    assert report.risks[0].exposure == ["vulnerable people"]
    assert all(r.why and not r.why.endswith(" ") for r in report.risks)
    # the risk is the sum of weight x exposure of the group's findings
    _, current = golden_results("en")
    exposures = Exposures(golden_workspace())
    cert = [f for f in current.findings if f.control_id == "SUP-CERT-VALID" and f.outcome == "fail"]
    assert sum(finding_risk(f, exposures(f.target_kind, f.target_id)) for f in cert) == 7.0
    # facts to document are not risks: DP-RETENTION is only to document
    assert "DP-RETENTION" not in {r.control_id for r in report.risks}


def test_what_we_do_not_know_yet_lists_the_facts_and_who_can_answer() -> None:
    report = golden_report("en")
    unknowns = {u.control_id: u for u in report.unknowns}
    assert [u.control_id for u in report.unknowns][:2] == ["SVC-CRITICAL-VULNS", "DP-DPIA"]
    assert all(u.kind == "unknown" for u in report.unknowns)
    risks = [u.risk for u in report.unknowns]
    assert risks == sorted(risks, reverse=True)
    vulns = unknowns["SVC-CRITICAL-VULNS"]
    # very high need x weight 8 x (2.0 for the mail, 1.75 for the register)
    assert vulns.risk == 16 * 2.0 + 16 * 1.75
    assert vulns.missing == ["service.security.patching.open_critical_vulnerabilities"]
    assert vulns.who == (
        "Who can answer: the service owners (Secrétariat communal, "
        "Préposé au contrôle des habitants)."
    )
    dpa = unknowns["SUP-DPA"]
    assert dpa.missing == ["vendor.dpa.signed_on"]
    assert dpa.who == (
        "Who can answer: the vendor Nimbus Cloud Ireland Ltd, through the vendor questionnaire."
    )
    assert "Qui peut répondre : le fournisseur Nimbus" in golden_report("fr").unknowns[3].who


def test_a_check_to_document_without_named_facts_says_its_message_and_whom_to_ask() -> None:
    from conformite.engine.results import Finding
    from conformite.report.common import Owners
    from conformite.report.findings import unknown_groups
    from conformite.report.risk import Exposures
    from conformite.report.summary import top_unknowns

    workspace = golden_workspace()
    never_probed = Finding(
        "EP-TLS", "endpoint", ["confidentiality"], "high", "The site accepts only safe TLS",
        "endpoint", "https://guichet.vallon.example.ch", "https://guichet.vallon.example.ch",
        3, "unknown", [], ["Never probed: run 'conformite probe'."], [], weight=8.0,
    )  # fmt: skip
    owners, exposures = Owners(workspace, "en"), Exposures(workspace)
    groups = unknown_groups(workspace, [never_probed], owners, exposures, "en")
    assert groups[0].items[0].answer == [] and groups[0].items[0].owner == (
        "Préposé au contrôle des habitants"
    )
    (unknown,) = top_unknowns(groups, [never_probed], exposures, owners, "en")
    assert unknown.missing == [] and unknown.why == "Never probed: run 'conformite probe'."
    assert unknown.who == "Who can answer: the service owner (Préposé au contrôle des habitants)."
    assert unknown.risk == 8.0 * 1.75  # the register's exposure: sensitive, large, internet


def test_summary_counts_gaps_and_facts_to_document_apart() -> None:
    report = golden_report("en")
    assert report.counts_sentence == (
        "Of 20 applicable checks, 5 pass, 4 are confirmed gaps, 10 are still to document "
        "(facts are missing) and 1 are waived."
    )
    assert report.coverage_sentence == (
        "Documentation coverage: 56.2 % of the facts the checks read are known (21 of 48 missing)."
    )
    assert "capped" not in report.coverage_sentence  # E by its score: no cap to explain
    assert report.open_findings == 4 and report.unknown_findings == 10
    md = render_text("md", report)
    assert "## What we do not know yet" in md
    assert "Missing facts: date the processing agreement was signed." in md


def test_capped_grade_is_said_and_marked() -> None:
    from conformite.engine.results import Score
    from conformite.report.model import ScoreRow
    from conformite.report.render.markdown import _scores
    from conformite.report.summary import coverage_sentence

    score = Score(
        score=92.0, grade="B", passed=9, failed=1, errors=0, waived=0, not_applicable=0,
        weight_passed=46.0, weight_total=50.0, unknown=1, weight_failed=2.0,
        weight_unknown=2.0, facts_read=30, facts_unknown=4, coverage=86.7, grade_capped=True,
    )  # fmt: skip
    assert coverage_sentence(score, "en") == (
        "Documentation coverage: 86.7 % of the facts the checks read are known (4 of 30 "
        "missing). The grade is capped at B because coverage is only 86.7 %; by its score "
        "alone it would be A."
    )
    row = ScoreRow("booking", "Room booking", score)
    assert row.grade_label == "B*" and row.gaps == 1 and row.unknown == 1
    table = _scores(golden_report("de"), [row], "Leistung")
    assert "| Room booking | 92.0 | B\\* | 9 | 1 | 1 | 0 | 86.7 % |" in table
    assert "Note durch den Dokumentationsgrad begrenzt" in table
    uncapped = ScoreRow("x", "X", score.model_copy(update={"grade_capped": False, "grade": "A"}))
    assert "begrenzt" not in _scores(golden_report("de"), [uncapped], "Leistung")


def test_score_rows_carry_gaps_unknown_and_coverage() -> None:
    report = golden_report("en")
    services = {row.key: row for row in report.by_service}
    school = services["school-admin"]
    assert (school.score.passed, school.gaps, school.unknown) == (0, 2, 3)
    assert school.score.coverage == 41.7
    md = render_text("md", report)
    assert "| Administration scolaire | 0.0 | E | 0 | 2 | 3 | 0 | 41.7 % |" in md
    html = render_text("html", report)
    assert '<th scope="col" class="num">Coverage</th>' in html
    assert "<td>Administration scolaire</td>" in html


def test_findings_keep_confirmed_gaps_and_facts_to_document_apart() -> None:
    report = golden_report("en")
    severities = [s for s, _ in report.findings]
    assert severities == ["critical", "high", "medium"]
    for _, groups in report.findings:
        risks = [g.risk for g in groups]
        assert risks == sorted(risks, reverse=True)
        for group in groups:
            assert group.kind == "gap"
            assert group.legal_basis and group.rationale and group.remediation
            for item in group.items:
                assert item.owner and item.outcome in ("fail", "error")
    assert [g.control_id for g in report.to_document] == [
        "SVC-CRITICAL-VULNS",
        "DP-DPIA",
        "SUP-DPA",  # its waiver expired: ranked up
        "SUP-DISCLOSURE-ABROAD",
        "DP-RETENTION",
        "SVC-BACKUP-RESTORE-TEST",
    ]
    sup_dpa = next(g for g in report.to_document if g.control_id == "SUP-DPA")
    item = sup_dpa.items[0]
    assert item.outcome == "unknown" and item.unknown_facts == ["vendor.dpa.signed_on"]
    assert item.answer == [
        "the vendor Nimbus Cloud Ireland Ltd (nimbus), through its questionnaire "
        "('conformite questionnaire export --vendor nimbus')."
    ]
    assert not any("Who can answer" in m for m in item.messages)
    assert sup_dpa.items[0].owner == "Secrétariat communal"  # owners of the vendor's services
    md = render_text("md", report)
    assert (
        md.index("## Confirmed gaps")
        < md.index("## Facts to document")
        < md.index("## Action plan")
    )


def test_an_expired_waiver_is_flagged_and_ranks_up() -> None:
    from conformite.report.risk import EXPIRED_WAIVER_FACTOR

    workspace = golden_workspace()
    later = run_audit(workspace, dt.date(2027, 6, 1), "en")  # SVC-MFA waiver of the mail expired
    report = build_report(workspace, later, None, "en")
    mfa = next(r for r in report.risks if r.control_id == "SVC-MFA")
    assert report.risks[0] is mfa
    assert mfa.expired_waivers == ["Messagerie en ligne"]
    # 8 (high, very high need) x 2.0 (sensitive, large, abroad, internet) x 1.5, + 6 x 1.25
    assert EXPIRED_WAIVER_FACTOR == 1.5 and mfa.risk == 8 * 2.0 * 1.5 + 6 * 1.25
    md = render_text("md", report)
    assert "**Waiver expired for: Messagerie en ligne.**" in md
    assert "**SVC-MFA** Logging in" in md and "multi-factor authentication ⚠" in md
    html = render_text("html", report)
    assert "⚠ Waiver expired for: Messagerie en ligne." in html
    action = next(a for a in report.plan.actions if a.control_id == "SVC-MFA")
    assert action.expired_waiver and action.kind == "fix"


def test_terminal_audit_counts_gaps_and_facts_to_document_apart() -> None:
    from conformite.report.render import render

    _, current = golden_results("en")
    text = " ".join(render("table", current, "en").split())
    assert "5 passed, 4 confirmed gaps, 10 to document, 1 waived, 0 errors" in text
    assert "Documentation coverage: 56.2 %" in text
    assert "Confirmed gaps" in text and "To document" in text and "Coverage" in text
    assert "The 4 findings that matter most (of 4)" in text  # confirmed gaps only
    assert "10 checks to document (missing facts): listed by 'conformite report'." in text
    assert "capped" not in text
    overall = current.scores.overall.model_copy(
        update={"score": 92.0, "grade": "B", "coverage": 86.7, "grade_capped": True}
    )
    capped = current.model_copy(
        update={"scores": current.scores.model_copy(update={"overall": overall})}
    )
    text = " ".join(render("table", capped, "de").split())
    assert "Dokumentationsgrad: 86.7 % (Note begrenzt; nach der Punktzahl allein: A)" in text


def test_exposure_of_every_kind_of_target() -> None:
    from conformite.report.risk import Exposures

    exposures = Exposures(golden_workspace())
    assert exposures("service", "population-register").factors == (
        "sensitive",
        "large",
        "internet",
    )
    assert exposures("service", "email").factors == ("sensitive", "large", "abroad", "internet")
    assert exposures("service", "school-admin").factors == ("vulnerable",)  # on premises
    assert exposures("service", "school-admin").factor == 1.25
    assert exposures("vendor", "nimbus") == exposures("service", "email")
    assert exposures("vendor", "swiss-gov-soft").factor == 1.75
    assert exposures("endpoint", "https://guichet.vallon.example.ch").factors == (
        "sensitive",
        "large",
        "internet",
    )
    assert exposures("endpoint", "mail:vallon.example.ch").factors == ("internet",)
    assert exposures("organisation", "organisation").factor == 1.0


def test_exposure_changes_the_order_of_risks(tmp_path: Path) -> None:
    # By weight alone SVC-MFA (6) comes before SUP-CERT-VALID (4). With minors among
    # the register's data subjects, Swiss Gov Soft's exposure rises to 2.0: 4 x 2.0 > 6 x 1.25.
    directory = changed_workspace(
        tmp_path, services="data_subjects: [residents]=>data_subjects: [residents, minors]"
    )
    workspace = workspace_at(directory)
    report = build_report(workspace, run_audit(workspace, AS_OF, "en"), None, "en")
    order = [r.control_id for r in report.risks]
    assert order.index("SUP-CERT-VALID") < order.index("SVC-MFA")
    cert = next(r for r in report.risks if r.control_id == "SUP-CERT-VALID")
    assert cert.risk == 8.0 and "vulnerable people" in cert.exposure


def test_waivers_expired_first_and_flagged() -> None:
    waivers = golden_report("en").waivers
    assert waivers[0].expired and waivers[0].control_id == "SUP-DPA"
    assert not waivers[1].expired and waivers[1].status == "applied"


def test_trend_against_the_previous_result() -> None:
    report = golden_report("en")
    assert report.trend is not None
    comparison = report.trend.comparison
    assert comparison.overall.delta == pytest.approx(-4.6)
    assert {c.control_id for c in comparison.new} == {"GOV-COMMISSION-REVIEW", "SUP-CERT-VALID"}
    assert len(comparison.still_to_document) == 9
    assert "fell by 4.6 points" in report.trend.sentence
    assert "Confirmed gaps: new: 2; resolved: 0; still open: 2." in report.trend.sentence
    assert "new: 1; still to document: 9." in report.trend.sentence
    assert any("explain" in d for d in report.decisions)
    assert golden_report("en", with_previous=False).trend is None
    assert any("baseline" in d for d in golden_report("en", with_previous=False).decisions)


def test_suppliers_show_where_data_goes_and_certificates() -> None:
    suppliers = {s.vendor_id: s for s in golden_report("en").suppliers}
    nimbus = suppliers["nimbus"]
    assert {d.country: d.safe for d in nimbus.destinations} == {"IE": True, "US": False}
    assert nimbus.parent == "Nimbus Cloud Inc. (US)"
    # facts nobody gave are "not known", not "no"
    assert (nimbus.audit_rights, nimbus.dpf, nimbus.fdpic_clauses) == ("not known",) * 3
    assert (nimbus.dpa_signed_on, nimbus.last_review_on) == ("not known", "not known")
    gov = suppliers["swiss-gov-soft"]
    assert gov.destinations == []
    assert gov.audit_rights == "yes"
    assert (gov.dpf, gov.fdpic_clauses) == ("–", "–")  # nothing abroad: not relevant
    assert gov.certifications[0].valid is False  # expired on 2026-06-30


def test_suppliers_tell_never_from_not_known(tmp_path: Path) -> None:
    directory = changed_workspace(
        tmp_path,
        vendors="    breach_notification_hours: 72\n=>    breach_notification_hours: 72\n"
        "    dpa: {signed_on: never}\n    last_review_on: never\n    audit_rights: false\n",
    )
    workspace = workspace_at(directory)
    report = build_report(workspace, run_audit(workspace, AS_OF, "fr"), None, "fr")
    nimbus = next(s for s in report.suppliers if s.vendor_id == "nimbus")
    assert nimbus.dpa_signed_on == "aucun contrat signé"
    assert nimbus.last_review_on == "jamais"
    assert nimbus.audit_rights == "non"
    assert "| Dernière revue | jamais |" in render_text("md", report)


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
    assert email.listed is None  # not said: "not known", not "no"
    assert "| Listed in the commune's register | not known; To complete:" in render_text(
        "md", golden_report("en")
    )


def test_methodology_says_what_was_not_assessed() -> None:
    method = golden_report("en").methodology
    assert any("not probed" in x and "guichet.vallon.example.ch" in x for x in method.not_assessed)
    assert any("Weight = severity weight" in x for x in method.formula)
    assert any("as of 28 Nov 2026" in x for x in method.scope)
    assert "10 to document" in method.scope[2]


@pytest.mark.parametrize(
    ("lang", "phrases"),
    [
        ("en", ["counts as not passed", "(accountability)", "at most B, below 75 % at most C",
                "1 + 0.25 per factor", "multiplies the risk by 1.5", "0.25 person-day"]),
        ("fr", ["compte comme non conforme", "devoir de rendre compte",
                "au plus B, sous 75 % au plus C", "1 + 0.25 par facteur", "0.25 jour-personne"]),
        ("de", ["zählt als nicht erfüllt", "Rechenschaftspflicht",
                "höchstens B, unter 75 % höchstens C", "1 + 0.25 pro Faktor"]),
        ("it", ["conta come non conforme", "obbligo di rendiconto",
                "al massimo B, sotto il 75 % al massimo C", "1 + 0.25 per fattore"]),
    ],
)  # fmt: skip
def test_methodology_explains_unknowns_coverage_caps_and_risk(
    lang: str, phrases: list[str]
) -> None:
    text = " ".join(golden_report(lang).methodology.formula)
    for phrase in phrases:
        assert phrase in text, phrase


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
    assert "## La situazione" in md


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

    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeffRéférence;")  # Swiss Excel: BOM and semicolons
    rows = list(csv.reader(text.removeprefix("\ufeff").splitlines(), delimiter=";"))
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
