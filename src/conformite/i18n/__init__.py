"""The one translation layer: every sentence a user reads comes from here.

Texts live in ``messages*.yaml`` beside this file (``messages.yaml`` for the
core, ``messages_<topic>.yaml`` for a feature such as reports), one entry per
key with the four languages side by side, so a missing translation is visible
in review and caught by a test. A key may be defined in one file only.
Control texts (titles, messages, remediation) live in the control files
themselves, also in four languages.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

__all__ = ["LANGUAGES", "fact_label", "messages", "translate"]

LANGUAGES = ("fr", "de", "it", "en")


@functools.cache
def messages() -> dict[str, dict[str, str]]:
    """All message templates: key -> language -> text."""
    import yaml

    out: dict[str, dict[str, str]] = {}
    for path in sorted(Path(__file__).parent.glob("messages*.yaml")):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        for key, texts in data.items():
            if key in out:
                raise ValueError(f"{path.name}: message key {key!r} is defined twice")
            out[str(key)] = {str(lang): str(text) for lang, text in texts.items()}
    return out


#: ``{count, plural, one {mesure} other {mesures}}``: the ICU MessageFormat plural
#: form, reduced to the two categories the four languages need; ``#`` is the number.
_PLURAL = re.compile(r"\{(\w+), plural, one \{([^{}]*)\} other \{([^{}]*)\}\}")


def plural_category(count: float, lang: str) -> str:
    """CLDR plural category of ``count`` in ``lang``: French counts 0 and 1 (and
    1.5) as singular, German, Italian and English only exactly 1."""
    if lang == "fr":
        return "one" if 0 <= count < 2 else "other"
    return "one" if count == 1 else "other"


def _plurals(template: str, lang: str, values: dict[str, Any]) -> str:
    def choose(match: re.Match[str]) -> str:
        count = values[match.group(1)]
        number = count if isinstance(count, (int, float)) else float(str(count))
        text = match.group(2) if plural_category(number, lang) == "one" else match.group(3)
        # "#" is the number as the caller formatted it (``<name>_text``), else as given.
        name = match.group(1)
        shown = name + "_text" if name + "_text" in values else name
        return text.replace("#", "{" + shown + "}")

    return _PLURAL.sub(choose, template)


def translate(key: str, lang: str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (English if the language is unknown).

    Plural forms are written ``{count, plural, one {…} other {…}}`` and chosen by
    the number given for ``count`` (which must then be a number)."""
    entry = messages()[key]
    template = entry.get(lang) or entry["en"]
    if not values:
        return template
    if "plural," in template:
        template = _plurals(template, lang, values)
    return template.format(**values)


_INDEX = re.compile(r"\[[^\]]*\]")


def fact_label(path: str, lang: str) -> str:
    """What an inventory fact is, in words (``number of known critical vulnerabilities
    still open``), from its path (``service.security.patching.open_critical_vulnerabilities``,
    list indexes allowed); the path itself when no label is written
    (``messages_facts.yaml``)."""
    entry = messages().get("fact." + _INDEX.sub("[]", path))
    if entry is None:
        return path
    return entry.get(lang) or entry["en"]
