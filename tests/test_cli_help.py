"""``--help`` in four languages: every command and option has its translation, the English
of the message files is the docstring's (so a changed docstring fails until translated
again), and a help page asked for in French, German or Italian holds no English."""

from __future__ import annotations

import pytest

from conformite.cli import cli
from conformite.cli.help_i18n import help_keys
from conformite.i18n import LANGUAGES, messages
from test_cli_language import _no_english, conformite


def test_every_help_text_is_translated_and_in_step_with_the_code() -> None:
    keys = help_keys(cli)
    assert len(keys) > 100
    table = messages()
    missing = [k for k in keys if k not in table]
    assert not missing, missing
    stale = [k for k, english in keys.items() if table[k]["en"].strip() != english.strip()]
    assert not stale, f"the docstring changed, translate again: {stale}"
    for key in keys:
        assert set(table[key]) == set(LANGUAGES), key
        for lang in ("fr", "de", "it"):
            # "\b" (a backspace) keeps click from rewrapping the next paragraph.
            assert table[key][lang].count("\b") == table[key]["en"].count("\b"), (key, lang)
    orphans = [k for k in table if k.startswith("help.") and not k.startswith("help.ui.")]
    assert not [k for k in orphans if k not in keys], "help texts of commands that do not exist"


@pytest.mark.parametrize(
    ("lang", "usage", "heading"),
    [("fr", "Utilisation :", "Options"), ("de", "Aufruf:", "Optionen"), ("it", "Uso:", "Opzioni")],
)
def test_help_pages_in_the_reader_language(lang: str, usage: str, heading: str) -> None:
    table = messages()
    for args in (["audit", "--help"], ["report", "--help"], ["--help"], ["profiles", "--help"]):
        result = conformite("--lang", lang, *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(usage), result.stdout[:200]
        assert f"\n{heading}:" in result.stdout or f"\n{heading} :" in result.stdout
        _no_english(result.stdout, lang)
    audit = conformite("--lang", lang, "audit", "--help").stdout
    assert table["help.audit.fail_under"][lang].split()[0] in audit


def test_english_help_is_the_docstring() -> None:
    result = conformite("audit", "--help")
    assert result.returncode == 0 and result.stdout.startswith("Usage: conformite audit")
    assert "Exit 1 if the overall score is below" in " ".join(result.stdout.split())
