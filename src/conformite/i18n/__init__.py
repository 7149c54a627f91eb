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
from pathlib import Path
from typing import Any

__all__ = ["LANGUAGES", "messages", "translate"]

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


def translate(key: str, lang: str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (English if the language is unknown)."""
    entry = messages()[key]
    template = entry.get(lang) or entry["en"]
    return template.format(**values) if values else template
