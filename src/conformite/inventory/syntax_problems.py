"""Syntax errors of YAML and TOML files in words the reader can act on, in the reader's language.

libyaml reports a problem ("did not find expected key") and a context ("while
parsing a block mapping") in English parser terms. Each known problem is mapped
to one cause a commune's IT manager can fix (an unclosed bracket, an
indentation, a tab, a quote); the English text keeps libyaml's own words in
front, so a search engine or a bug report still finds them. The same for the
messages of Python's TOML parser (``conformite.toml``).
"""

from __future__ import annotations

from conformite.errors import Text

__all__ = ["toml_problem_text", "yaml_problem_text"]

#: (words in libyaml's problem, words in its context or "") -> message key; first match wins.
_CAUSES: tuple[tuple[str, str, str], ...] = (
    ("did not find expected ',' or", "", "yaml.flow_unclosed"),
    ("did not find expected key", "", "yaml.block_structure"),
    ("did not find expected '-' indicator", "", "yaml.block_structure"),
    ("expected <block end>", "", "yaml.block_structure"),
    ("mapping values are not allowed", "", "yaml.mapping_value"),
    ("block sequence entries are not allowed", "", "yaml.block_structure"),
    ("could not find expected ':'", "", "yaml.missing_colon"),
    ("found character that cannot start any token", "", "yaml.bad_character"),
    ("found a tab character", "", "yaml.bad_character"),
    ("found unexpected end of stream", "quoted scalar", "yaml.unclosed_quote"),
    ("found unknown escape character", "", "yaml.unknown_escape"),
    ("found undefined alias", "", "yaml.undefined_alias"),
    ("second occurrence", "duplicate anchor", "yaml.duplicate_anchor"),
    ("but found another document", "", "yaml.several_documents"),
    ("did not find expected <document start>", "", "yaml.after_document_end"),
    ("did not find expected node content", "", "yaml.missing_value"),
    ("did not find expected comment or line break", "block scalar", "yaml.text_after_value"),
    ("", "while scanning a tag", "yaml.bad_indicator"),
    ("", "while scanning an anchor", "yaml.bad_indicator"),
    ("", "while scanning an alias", "yaml.bad_indicator"),
    ("", "while scanning a directive", "yaml.bad_indicator"),
)


def yaml_problem_text(problem: str | None, context: str | None) -> Text:
    """The cause of a libyaml error as a translatable :class:`Text`.

    ``raw`` (libyaml's problem, with its context in brackets) is what the English
    text shows; an unknown problem says in every language that the text is not
    valid YAML at that place, which the file, line and column make precise.
    """
    problem = problem or "invalid YAML"
    context = context or ""
    raw = problem if not context or "duplicate" in context else f"{problem} ({context})"
    for in_problem, in_context, key in _CAUSES:
        if in_problem in problem and in_context in context:
            return Text(key, raw=raw)
    return Text("yaml.other", raw=raw)


#: Words that start a message of Python's TOML parser (tomllib) -> message key.
_TOML_CAUSES: tuple[tuple[str, str], ...] = (
    ("Invalid value", "toml.invalid_value"),
    ("Expected '=' after a key", "toml.missing_equals"),
    ("Cannot declare", "toml.defined_twice"),
    ("Cannot overwrite a value", "toml.defined_twice"),
    ("Cannot redefine namespace", "toml.defined_twice"),
    ("Cannot mutate immutable namespace", "toml.defined_twice"),
    ("Duplicate inline table key", "toml.defined_twice"),
    ("Unterminated string", "toml.unclosed_quote"),
    ("Unclosed array", "toml.unclosed_bracket"),
    ("Unclosed inline table", "toml.unclosed_bracket"),
    ("Expected ']", "toml.unclosed_bracket"),
    ("Unescaped '\\'", "toml.escape"),
    ("Escaped character", "toml.escape"),
    ("Invalid hex value", "toml.escape"),
    ("Invalid date or datetime", "toml.bad_date"),
    # A line break inside a one-line "…" string: the quote is not closed on its line.
    ("Illegal character '\\n'", "toml.unclosed_quote"),
    ("Illegal character", "toml.bad_character"),
    ("Found invalid character", "toml.bad_character"),
    ("Invalid statement", "toml.bad_line"),
    ("Invalid initial character for a key part", "toml.bad_line"),
    ("Expected ", "toml.bad_line"),
)


def toml_problem_text(message: str) -> Text:
    """The cause of a ``tomllib`` error (its message without the position) as a :class:`Text`."""
    for start, key in _TOML_CAUSES:
        if message.startswith(start):
            return Text(key, raw=message)
    return Text("toml.other", raw=message)
