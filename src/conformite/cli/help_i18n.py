"""``--help`` in the reader's language.

Click writes help from the commands' docstrings and the options' ``help=`` texts, in
English, and its own words ("Usage:", "Options:", "[default: …]") in English too.
When ``--help`` is asked for in French, German or Italian (``--lang``,
``CONFORMITE_LANG`` or the workspace named on the command line), :func:`localize_help`
swaps in the translations of ``messages_help*.yaml`` (keys ``help.<command path>`` and
``help.<command path>.<option name>``) and a formatter that writes click's own words in
that language. English help stays the docstrings themselves: the source stays the
reference, and ``tests/test_cli_help.py`` checks that every command and option has its
translation and that the English in the files is the docstring's.
"""

from __future__ import annotations

import click
from click.formatting import HelpFormatter

from conformite.i18n import messages, translate

__all__ = ["help_keys", "localize_help"]

#: Click's own words in help pages, and their message keys.
_CLICK_WORDS = {
    "Show this message and exit.": "help.ui.show_help",
    "Show the version and exit.": "help.ui.show_version",
}
_HEADINGS = {"Options": "help.ui.options", "Commands": "help.ui.commands"}


def help_keys(command: click.Command, path: tuple[str, ...] = ()) -> dict[str, str]:
    """Every help text of ``command`` and its subcommands: key -> English text."""
    import inspect

    key = "help." + (".".join(path) if path else "conformite")
    out: dict[str, str] = {}
    if command.help:
        out[key] = inspect.cleandoc(command.help)
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            out[f"{key}.{param.name}"] = param.help
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            out.update(help_keys(sub, (*path, name)))
    return out


def _swap(command: click.Command, lang: str, path: tuple[str, ...] = ()) -> None:
    table = messages()
    key = "help." + (".".join(path) if path else "conformite")
    entry = table.get(key)
    if entry and lang in entry:
        command.help = entry[lang]
        command.short_help = None  # listed from the first sentence of the new help
    for param in command.params:
        if isinstance(param, click.Option):
            text = table.get(f"{key}.{param.name}", {}).get(lang)
            if text:
                param.help = text
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            _swap(sub, lang, (*path, name))


def localize_help(root: click.Command, lang: str) -> None:
    """Make ``root``'s help pages speak ``lang`` (no change for English)."""
    if lang == "en":
        return
    _swap(root, lang)

    class LocalizedFormatter(HelpFormatter):
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, prefix=translate("help.ui.usage", lang) + " ")

        def write_heading(self, heading: str) -> None:
            key = _HEADINGS.get(heading)
            super().write_heading(translate(key, lang) if key else heading)

        def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:  # type: ignore[no-untyped-def]
            default = translate("help.ui.default", lang)
            required = translate("help.ui.required", lang)
            out = []
            for term, text in rows:
                for english, key in _CLICK_WORDS.items():
                    text = text.replace(english, translate(key, lang))
                text = text.replace("[default: ", f"[{default} ").replace(
                    "[required]", f"[{required}]"
                )
                out.append((term, text))
            super().write_dl(out, col_max, col_spacing)

    click.Context.formatter_class = LocalizedFormatter
