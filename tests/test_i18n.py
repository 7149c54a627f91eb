"""Every user-facing sentence exists in the four languages, with the same placeholders."""

from __future__ import annotations

import re

import pytest

from conformite.i18n import LANGUAGES, messages, translate

PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: ``{count, plural, one {…} other {…}}``: the plural argument counts as placeholder ``count``.
PLURAL = re.compile(r"\{(\w+), plural, one \{[^{}]*\} other \{[^{}]*\}\}")
#: Placeholders only the English text shows: a parser's or a library's own English
#: words (libyaml, pydantic), kept for search engines and bug reports.
ENGLISH_ONLY = {"raw"}


def placeholders(text: str) -> set[str]:
    plurals = set(PLURAL.findall(text))
    return plurals | set(PLACEHOLDER.findall(PLURAL.sub("", text)))


@pytest.mark.parametrize("key", sorted(messages()))
def test_message_has_every_language_and_the_same_placeholders(key: str) -> None:
    entry = messages()[key]
    assert set(entry) == set(LANGUAGES), f"{key}: languages {sorted(entry)}"
    expected = placeholders(entry["en"])
    for lang in LANGUAGES:
        assert entry[lang].strip(), f"{key}.{lang} is empty"
        found = placeholders(entry[lang])
        if lang != "en":
            found |= expected & ENGLISH_ONLY
        assert found == expected, f"{key}.{lang} placeholders"
        assert "plural," not in PLURAL.sub("", entry[lang]), f"{key}.{lang}: malformed plural"


def test_unknown_language_falls_back_to_english() -> None:
    assert translate("outcome.pass", "rm") == "pass"


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("fr", 0, "0 mesure planifiée"),
        ("fr", 1, "1 mesure planifiée"),
        ("fr", 2, "2 mesures planifiées"),
        ("de", 1, "1 geplante Massnahme"),
        ("de", 0, "0 geplante Massnahmen"),
        ("it", 1, "1 misura pianificata"),
        ("it", 3, "3 misure pianificate"),
        ("en", 1, "1 action planned"),
        ("en", 0, "0 actions planned"),
    ],
)
def test_plural_forms_follow_each_language(lang: str, count: int, expected: str) -> None:
    text = translate(
        "report.plan.total", lang, count=count, cash="CHF 0", days="0", years=4, unplanned=1,
        value="CHF 0",
    )  # fmt: skip
    assert text.startswith(expected + (" " if lang == "fr" else ":")), text


#: Pseudo-plurals a reader trips over: "mesure(s)", "Abweichung(en)", "lacuna/e critica/he".
PSEUDO_PLURAL = re.compile(r"\w\((s|e|es|en|n|x|nt)\)|\w/(e|i|he|hi)\b")


@pytest.mark.parametrize("key", sorted(messages()))
def test_no_message_writes_plurals_with_brackets_or_slashes(key: str) -> None:
    for lang, text in messages()[key].items():
        assert not PSEUDO_PLURAL.search(text), (
            f"{key}.{lang}: use {{n, plural, one {{…}} other {{…}}}}"
        )
