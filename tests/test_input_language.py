"""Problems in an input file read in the reader's language: YAML syntax errors (one cause
per libyaml problem, not the parser's English), every kind of value error pydantic
reports for the inventory, and web addresses that cannot be probed."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.cli import cli
from conformite.errors import InputError, Text
from conformite.i18n import messages
from conformite.inventory import safe_yaml
from conformite.inventory.validation import _KNOWN

#: A YAML text per libyaml problem, with the cause conformite names for it.
SYNTAX_ERRORS = {
    "a: [1, 2\nb: 3\n": "yaml.flow_unclosed",
    "a: {x: 1\nb: 3\n": "yaml.flow_unclosed",
    "a:\n  b: 1\n c: 2\n": "yaml.block_structure",
    "a: 1\n- b\n": "yaml.block_structure",
    "- a\nb: 1\n": "yaml.block_structure",
    'a: "x" y\n': "yaml.block_structure",
    "a: b: c\n": "yaml.mapping_value",
    "a\nb: 1\n": "yaml.mapping_value",
    "a: 1\n? b\nc\n": "yaml.missing_colon",
    "a:\n\tb: 1\n": "yaml.bad_character",
    "a: @x\n": "yaml.bad_character",
    'a: "abc\nb: 2\n': "yaml.unclosed_quote",
    "a: 'abc\n": "yaml.unclosed_quote",
    'a: "C:\\path"\n': "yaml.unknown_escape",
    "a: *x\n": "yaml.undefined_alias",
    "a: &x 1\nb: &x 2\n": "yaml.duplicate_anchor",
    "a: 1\n---\nb: 2\n": "yaml.several_documents",
    "a: 1\n...\nb\n": "yaml.after_document_end",
    "[1,,2]\n": "yaml.missing_value",
    "a: |x\n  t\n": "yaml.text_after_value",
    "a: !<x 1\n": "yaml.bad_indicator",
    "a: & 1\n": "yaml.bad_indicator",
    "%FOO\n---\na: 1\n": "yaml.bad_indicator",
    "a: 1\na: 2\n": "yaml.duplicate_key",
    "1: a\n01: b\n": "yaml.duplicate_key_written",
    "a: !!python/object x\n": "yaml.explicit_tag",
    f"a: {'9' * 5000}\n": "yaml.integer_too_long",
}

#: English that must not reach a French, German or Italian reader: libyaml's and
#: pydantic's own sentences.
PARSER_ENGLISH = (
    "did not find",
    "not allowed in this context",
    "cannot start any token",
    "unexpected end of stream",
    "while parsing",
    "while scanning",
    "duplicate key",
    "Input should",
    "String should",
    "Value error",
    "Field required",
    "not a usable",
    "is not a valid",
    "contains a user name",
)


def _the_cause(problem_message: Text) -> Text:
    """The cause inside "YAML syntax error: {cause}"."""
    detail = problem_message.args.get("detail", problem_message)
    assert isinstance(detail, Text)
    return detail


@pytest.mark.parametrize(("text", "cause"), SYNTAX_ERRORS.items(), ids=list(SYNTAX_ERRORS.values()))
def test_each_yaml_problem_names_its_cause_in_four_languages(text: str, cause: str) -> None:
    with pytest.raises(InputError) as raised:
        safe_yaml.load_yaml_text(text, "services.yaml")
    (problem,) = raised.value.problems
    assert problem.line is not None
    message = problem.message
    assert isinstance(message, Text)
    assert _the_cause(message).key == cause
    for lang in ("fr", "de", "it"):
        words = message.in_language(lang)
        leaks = [phrase for phrase in PARSER_ENGLISH if phrase in words]
        assert not leaks, (lang, words)
        assert words != str(message)


def test_the_english_text_keeps_the_parsers_words() -> None:
    with pytest.raises(InputError) as raised:
        safe_yaml.load_yaml_text("a: [1, 2\nb: 3\n", "services.yaml")
    english = str(raised.value.problems[0].message)
    assert "did not find expected ',' or ']' (while parsing a flow sequence)" in english
    assert "a list [ or table { opened above is not closed" in english


def test_an_unknown_parser_problem_still_reads_in_french() -> None:
    from conformite.inventory.syntax_problems import yaml_problem_text

    text = yaml_problem_text("found something new", "while reading")
    assert text.key == "yaml.other"
    assert text.in_language("fr") == "le texte n'est pas du YAML valable à cet endroit"
    assert str(text) == "found something new (while reading)"


def test_every_pydantic_type_conformite_words_has_its_messages() -> None:
    known = messages()
    for kind, (message_key, expected_key) in _KNOWN.items():
        assert message_key in known and expected_key in known, kind


#: One bad value of every kind the inventory's fields check, with the French words.
BAD_VALUES = {
    'name: "a\\x01"': "contient le caractère de contrôle U+0001",
    'endpoints: [{url: "ftp://x.example.ch"}]': "seules les adresses http:// et https://",
    'endpoints: [{url: "https://u:p@x.example.ch"}]': "contient un nom d'utilisateur",
    'endpoints: [{url: "https://x.example.ch:99999/"}]': "le port n'est pas un nombre",
    'endpoints: [{url: "https://[::zz]/"}]': "adresse mal formée",
    'endpoints: [{url: "https://-x-.example.ch/"}]': "n'est pas un nom d'hôte valable",
    'endpoints: [{url: "https://1.2.3.4.5/"}]': "n'est pas une adresse IPv4 valable",
    "data_subject_count: 1.5": "ce n'est pas un nombre entier",
    'owner: ""': "texte vide",
    f"owner: {'x' * 2001}": "texte trop long",
    "purpose: 12": "ce n'est pas du texte",
    "retention: {period_days: -1}": "valeur trop petite",
    "protection_needs: [1]": "ce n'est pas une table de clés et de valeurs",
    "data_location: {stored_in: CH}": "ce n'est pas une liste",
    "security: {backup: {recovery_point_hours: vite}}": "ce n'est pas un nombre",
    "security: {mfa: {enabled: peut-être}}": "ni true ni false",
}


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("demo") / "commune"
    assert CliRunner().invoke(cli, ["init", "--demo", str(ws)]).exit_code == 0
    return ws


@pytest.mark.parametrize(("line", "french"), BAD_VALUES.items(), ids=list(range(len(BAD_VALUES))))
def test_each_kind_of_bad_value_is_reported_in_french(
    demo_workspace: Path, tmp_path: Path, line: str, french: str
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(demo_workspace, ws)
    # One service holding the bad value (the other files' references to the demo's
    # services become problems too, in French as well).
    name = "" if line.startswith("name:") else "    name: Guichet\n"
    service = f"services:\n  - id: guichet\n{name}    {line}\n"
    (ws / "inventory" / "services.yaml").write_text(service, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(ws)])
    assert result.exit_code == 2, result.output
    assert french in result.output, result.output
    leaks = [phrase for phrase in PARSER_ENGLISH if phrase in result.output]
    assert not leaks, result.output


#: A conformite.toml text per tomllib problem, with the cause conformite names for it.
TOML_ERRORS = {
    "[commune]\ncanton = \n": "toml.invalid_value",
    "[commune]\ncanton\n": "toml.missing_equals",
    '[commune]\ncanton = "VD"\ncanton = "GE"\n': "toml.defined_twice",
    "[commune]\n[commune]\n": "toml.defined_twice",
    '[commune]\nname = "Val\n': "toml.unclosed_quote",
    "[report]\nx = [1, 2\n": "toml.unclosed_bracket",
    "[commune\n": "toml.unclosed_bracket",
    '[commune]\nname = "C:\\x"\n': "toml.escape",
    "[probe]\nx = 2026-02-30\n": "toml.bad_date",
    '[commune]\nname = "a" b\n': "toml.bad_line",
}


@pytest.mark.parametrize(("text", "cause"), TOML_ERRORS.items(), ids=list(TOML_ERRORS.values()))
def test_each_toml_problem_names_its_cause_in_four_languages(
    tmp_path: Path, text: str, cause: str
) -> None:
    from conformite.inventory.config import load_config

    (tmp_path / "conformite.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_config(tmp_path)
    (problem,) = raised.value.problems
    assert problem.line is not None
    message = problem.message
    assert isinstance(message, Text)
    assert _the_cause(message).key == cause
    raw = str(_the_cause(message).args["raw"])
    for lang in ("fr", "de", "it"):
        assert raw not in message.in_language(lang), lang


@pytest.mark.parametrize(
    ("error", "french", "english"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "permission refusée",
         "Permission denied"),
        (OSError(errno.ENOSPC, "No space left on device"), "plus de place sur le disque",
         "No space left on device"),
        (OSError(errno.EBUSY, "Device or resource busy"), "refus du système (EBUSY)",
         "Device or resource busy (EBUSY)"),
    ],
)  # fmt: skip
def test_system_refusals_are_in_the_readers_language(
    error: OSError, french: str, english: str
) -> None:
    from conformite.errors import os_reason

    reason = os_reason(error)
    assert reason.in_language("fr") == french
    assert str(reason) == english


def test_a_file_over_the_limit_and_a_folder_say_why_in_french(tmp_path: Path) -> None:
    from conformite._files import FileTooLarge, read_regular_file
    from conformite.errors import os_reason

    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(FileTooLarge) as raised:
        read_regular_file(big, 1024 * 1024)
    assert os_reason(raised.value).in_language("fr") == "plus grand que la limite de 1 Mio"
    assert str(os_reason(raised.value)) == "larger than the 1 MiB limit"


def test_an_output_that_cannot_be_written_says_why_in_french(
    demo_workspace: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "fichier"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["audit", str(demo_workspace), "--as-of", "2026-11-28", "--format", "json", "-o",
         str(blocker / "audit.json")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "une partie du chemin n'est pas un dossier" in result.output
    assert "Not a directory" not in result.output
