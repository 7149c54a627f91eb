"""Every user-facing sentence exists in the four languages, with the same placeholders."""

from __future__ import annotations

import re

import pytest

from conformite.i18n import LANGUAGES, messages, translate

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("key", sorted(messages()))
def test_message_has_every_language_and_the_same_placeholders(key: str) -> None:
    entry = messages()[key]
    assert set(entry) == set(LANGUAGES), f"{key}: languages {sorted(entry)}"
    expected = set(PLACEHOLDER.findall(entry["en"]))
    for lang in LANGUAGES:
        assert entry[lang].strip(), f"{key}.{lang} is empty"
        assert set(PLACEHOLDER.findall(entry[lang])) == expected, f"{key}.{lang} placeholders"


def test_unknown_language_falls_back_to_english() -> None:
    assert translate("outcome.pass", "rm") == "pass"
