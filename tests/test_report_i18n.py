"""Every label, heading and sentence of every report format exists in the four languages.

* every message key the report code and templates name exists, in fr, de, it
  and en (tests/test_i18n.py checks that each key has all four languages with
  the same placeholders);
* the templates hold no text of their own: all words come from translations;
* a report rendered in French, German or Italian contains no English sentence
  (a key forgotten in one language would fall back to English);
* dates and amounts are written the way each language expects.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformite.i18n import messages
from conformite.i18n.formats import (
    colon,
    format_chf,
    format_date,
    format_days,
    format_delta,
    format_number,
    format_score,
)
from conformite.report.register import build_register
from conformite.report.render import REGISTER_FORMATS, render_register, render_report
from test_report import AS_OF, LANGS, golden_report, golden_workspace

SRC = Path(__file__).resolve().parents[1] / "src" / "conformite"
REPORT_CODE = [
    *sorted((SRC / "report").rglob("*.py")),
    SRC / "cli" / "report.py",
    SRC / "cli" / "diff.py",
    SRC / "cli" / "signing.py",
]
TEMPLATES = sorted((SRC / "report" / "render" / "templates").glob("*.j2"))
KEY = re.compile(r"""\b(?:t|_t|translate|lab)\(\s*["']([a-z_]+(?:\.[\w]+)+)["']""")


def test_every_key_named_in_code_and_templates_exists() -> None:
    known = messages()
    missing = []
    for path in [*REPORT_CODE, *TEMPLATES]:
        for key in KEY.findall(path.read_text(encoding="utf-8")):
            if key not in known:
                missing.append(f"{path.name}: {key}")
    assert not missing, "missing message keys:\n" + "\n".join(missing)


def test_dynamic_keys_exist_for_every_value() -> None:
    """Keys built from a value ('severity.' ~ x, f'register.measure.access.{x}')."""
    from typing import get_args

    from conformite.engine.results import Outcome
    from conformite.inventory import model_services as inventory
    from conformite.report.methodology import FORMULA
    from conformite.report.risk import EXPOSURE_FACTORS

    known = messages()
    expected = [f"severity.{s}" for s in ("low", "medium", "high", "critical")]
    expected += [f"report.risk.{r}" for r in ("low", "medium", "high")]
    expected += [f"need.{n}" for n in (1, 2, 3)]
    expected += [f"report.grade.{g}" for g in "ABCDE"] + ["report.grade.none"]
    expected += [f"subject.{s}" for s in get_args(inventory.DataSubject)]
    expected += [f"register.exception.{e}" for e in get_args(inventory.DisclosureException)]
    expected += [
        f"register.measure.access.{a}" for a in ("role_based", "individual", "shared_accounts")
    ]
    expected += [
        f"register.mfa_scope.{s}"
        for s in ("all_users", "administrators", "remote_access", "unknown")
    ]
    expected += [f"register.key_holder.{k}" for k in (*get_args(inventory.KeyHolder), "unknown")]
    expected += [
        f"register.frequency.{f}"
        for f in ("continuous", "hourly", "daily", "weekly", "monthly", "unknown")
    ]
    expected += [f"report.method.formula.{i}" for i in range(1, FORMULA + 1)]
    expected += [f"waiver.{s}" for s in ("applied", "unused", "expired", "not_yet_valid")]
    expected += [f"outcome.{o}" for o in get_args(Outcome)]
    expected += [f"report.kind.{k}" for k in ("gap", "unknown", "fix", "find_out")]
    expected += [f"report.exposure.{f}" for f in EXPOSURE_FACTORS]
    missing = [k for k in expected if k not in known]
    assert not missing, missing


def test_templates_hold_no_words_of_their_own() -> None:
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        text = re.sub(r"&\w+;", " ", text)
        words = re.findall(r"[^\W\d_]{2,}", text)
        assert not words, f"{path.name} has literal words: {words[:10]}"


def _english_phrases() -> dict[str, str]:
    """key -> a distinctive literal part of its English text (before any placeholder)."""
    out = {}
    for key, texts in messages().items():
        english = texts["en"]
        head = english.split("{", 1)[0].strip()
        if len(head) < 16:
            continue
        if all(texts[lang].split("{", 1)[0].strip() != head for lang in ("fr", "de", "it")):
            out[key] = head
    return out


def _rendered(lang: str) -> dict[str, str]:
    report = golden_report(lang)
    register = build_register(golden_workspace(), AS_OF, lang)
    texts = {fmt: render_report(fmt, report).decode("utf-8") for fmt in ("html", "md", "csv")}
    texts.update(
        {
            f"register.{fmt}": render_register(fmt, register, AS_OF).decode("utf-8")
            for fmt in REGISTER_FORMATS
            if fmt != "xlsx"
        }
    )
    texts["xlsx"] = _xlsx_text(render_report("xlsx", report))
    return texts


def _xlsx_text(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    cells = [workbook.sheetnames[:]]
    for sheet in workbook.worksheets:
        cells.append(
            [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        )
    return "\n".join("\n".join(group) for group in cells)


@pytest.mark.parametrize("lang", ["fr", "de", "it"])
def test_no_english_left_in_other_languages(lang: str) -> None:
    # Proper names (e.g. "Swiss-U.S. Data Privacy Framework") also appear in the
    # control texts of every language: those are not leaks.
    catalogue_text = " ".join(
        getattr(c.control, field).get(lang)
        for c in golden_workspace().catalogue.controls
        for field in ("title", "description", "rationale", "remediation")
    )
    phrases = {k: v for k, v in _english_phrases().items() if v not in catalogue_text}
    for fmt, text in _rendered(lang).items():
        leaks = [f"{key}: {phrase!r}" for key, phrase in phrases.items() if phrase in text]
        assert not leaks, f"{lang} {fmt} contains English:\n" + "\n".join(leaks)


@pytest.mark.parametrize("lang", LANGS)
def test_every_format_renders_in_every_language(lang: str) -> None:
    texts = _rendered(lang)
    for fmt, text in texts.items():
        assert text.strip(), fmt
    assert format_date(AS_OF, lang) in texts["html"]
    assert "CHF 18'500" in texts["md"]


def test_dates_and_amounts_per_language() -> None:
    for lang in ("fr", "de", "it"):
        assert format_date("2026-11-28", lang) == "28.11.2026"
        assert format_chf(1234.5, lang) == "CHF 1'235"
    assert format_date("2026-11-28", "en") == "28 Nov 2026"
    assert format_date("2026-03-05", "en") == "5 Mar 2026"
    assert format_date("2026-03-05", "de") == "05.03.2026"
    assert format_date(None, "fr") == "–"
    assert format_chf(1234.5, "en") == "CHF 1'235"
    assert format_chf(1_234_567, "fr") == "CHF 1'234'567"
    assert format_chf(0.5, "de") == "CHF 1" and format_chf(2.5, "de") == "CHF 3"  # half up
    assert format_number(1850, "it") == "1'850"
    assert format_score(60.25, "de") == "60.2" or format_score(60.25, "de") == "60.3"
    assert format_score(None, "en") == "–"
    assert format_delta(4.2, "fr") == "+4.2"
    assert format_delta(-1, "fr") == "−1.0"
    assert format_delta(0.04, "fr") == "±0.0"
    assert format_days(2.0, "fr") == "2" and format_days(0.5, "fr") == "0.5"
    assert colon("Domaine", "fr") == "Domaine\u00a0:" and colon("Family", "en") == "Family:"
