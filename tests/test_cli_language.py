"""The command line speaks the reader's language: usage errors, thresholds, input errors,
control pages and the vendor screening, in a French workspace or with --lang.

The scan reuses the report test's list of distinctive English phrases (every message
whose English text differs from the others): none may appear in the output of a
command run in French, German or Italian.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from test_report_i18n import _english_phrases

AS_OF = "2026-11-28"
#: A built-in supplier profile to screen.
PROFILE = "postbridge-us"

#: Click's own English, which the command line must not show either.
CLICK_ENGLISH = (
    "Invalid value for",
    "No such option",
    "Missing argument",
    "Try '",
    "is not one of",
)


def conformite(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point (usage errors are handled in ``main``, outside click)."""
    return subprocess.run(
        [sys.executable, "-c", "from conformite.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "PYTHONPATH": str(Path.cwd() / "src")},
    )


@pytest.fixture(scope="module")
def french_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("fr") / "commune"
    assert CliRunner().invoke(cli, ["init", "--demo", str(ws)]).exit_code == 0
    assert 'language = "fr"' in (ws / "conformite.toml").read_text(encoding="utf-8")
    return ws


def _no_english(text: str, lang: str) -> None:
    leaks = [phrase for phrase in _english_phrases().values() if phrase in text]
    leaks += [phrase for phrase in CLICK_ENGLISH if phrase in text]
    assert not leaks, f"{lang} output contains English: {leaks}\n{text}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["audit", "{ws}", "--as-of", "2026-13-01"], "valeur non valable pour '--as-of'"),
        (["audit", "{ws}", "--fail-undr", "3"], "option inconnue : --fail-undr"),
        (["audit", "{ws}", "--fail-on", "bogus"], "valeurs possibles : low, medium, high"),
        (["report", "{ws}", "--demo"], "soit un DOSSIER de travail, soit --demo"),
    ],
)
def test_usage_errors_in_the_workspace_language(
    french_workspace: Path, args: list[str], expected: str
) -> None:
    result = conformite(*(a.replace("{ws}", str(french_workspace)) for a in args))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Aide : «" in result.stderr
    assert "Traceback" not in result.stderr
    _no_english(result.stderr, "fr")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("de", "mögliche Werte: low"), ("it", "valori possibili: low"), ("en", "possible values")],
)
def test_usage_errors_follow_lang(lang: str, expected: str) -> None:
    result = conformite("--lang", lang, "audit", "--demo", "--fail-on", "bogus")
    assert result.returncode == 2 and expected in result.stderr


def test_thresholds_say_which_tripped(french_workspace: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["audit", str(french_workspace), "--as-of", AS_OF, "--format", "json", "--fail-on",
         "critical", "--fail-under", "90"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--fail-on critical : 2 écarts confirmés de gravité critique ou plus" in result.stderr
    assert "--fail-under 90.0 : le score global de 48.4 est inférieur au seuil" in result.stderr
    assert result.stdout.lstrip().startswith("{")  # the JSON stays clean


def test_control_page_in_the_workspace_language(french_workspace: Path) -> None:
    result = CliRunner().invoke(
        cli, ["controls", "show", "SVC-MFA", "--workspace", str(french_workspace)]
    )
    assert result.exit_code == 0
    assert "authentification multifacteur" in result.stdout and "Gravité" in result.stdout


@pytest.mark.parametrize("lang", ["fr", "de", "it"])
def test_command_outputs_hold_no_english(french_workspace: Path, lang: str, tmp_path: Path) -> None:
    ws = str(french_workspace)
    runs = [
        ["--lang", lang, "audit", ws, "--as-of", AS_OF, "--top", "5"],
        ["--lang", lang, "controls", "list", "--workspace", ws],
        ["--lang", lang, "controls", "show", "DP-DPIA"],
        ["--lang", lang, "validate", ws],
        ["--lang", lang, "report", ws, "--as-of", AS_OF, "-o", str(tmp_path / "r.md"),
         "--format", "md", "--no-save"],
        ["--lang", lang, "screen", PROFILE, "--use", "Guichet virtuel", "--data",
         "identity,contact", "--canton", "VD", "--as-of", AS_OF],
        ["--lang", lang, "questionnaire", "export", "--workspace", ws, "--vendor",
         "arbonne-it", "-o", str(tmp_path / "q.xlsx")],
    ]  # fmt: skip
    for args in runs:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in (0, 1, 3, 4), (args, result.output)
        _no_english(result.output, lang)


def test_a_screening_names_severity_in_the_reader_language(french_workspace: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--lang", "de", "screen", PROFILE, "--use", "Guichet virtuel", "--data",
              "identity,contact", "--canton", "VD", "--as-of", AS_OF],
    )  # fmt: skip
    assert result.exit_code in (0, 3, 4), result.output
    assert "(high)" not in result.output and "(medium)" not in result.output
    assert "(hoch)" in result.output or "(mittel)" in result.output


def test_a_refused_workbook_is_reported_in_french(tmp_path: Path) -> None:
    answers = tmp_path / "réponses.xlsx"
    answers.write_bytes(b"not a zip, just text")
    result = conformite("questionnaire", "import", str(answers), "--lang", "fr")
    assert result.returncode == 2, result.stderr
    assert "ce n'est pas un classeur XLSX (un fichier .xlsx est une archive zip)" in result.stderr
    assert "trouvé : b'not '" in result.stderr  # the file's own bytes stay as they are
    assert "Traceback" not in result.stderr
    _no_english(result.stderr, "fr")
