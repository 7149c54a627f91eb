"""``conformite validate``: check a workspace without auditing it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformite.cli._common import (
    EXIT_INPUT,
    lang_option,
    language,
    load,
    resolve_directory,
    workspace_argument,
)

if TYPE_CHECKING:
    from conformite.errors import Problem


@click.command()
@workspace_argument
@click.option("--demo", is_flag=True, help="Validate the built-in demo commune.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json for tools (schema: conformite schema problems).",
)
@lang_option
def validate(directory: Path | None, demo: bool, output_format: str) -> None:
    """Check conformite.toml, the inventory and the catalogue; report every problem.

    Every problem of every file is listed in one run: values that do not fit the
    format, references between files (a service's vendor, a waiver's control and
    target, data categories, countries), duplicate ids. Exit code 0 when
    everything is valid, 2 with a located list of problems (file:line:column,
    field, what was expected and found, "did you mean") otherwise, in the
    workspace's language (or --lang). With --format json, the same list as one
    JSON document on standard output, each problem with a stable code.

    \b
    Examples:
      conformite validate my-commune
      conformite validate my-commune --format json
    """
    from conformite.errors import InputError
    from conformite.i18n import translate

    folder = resolve_directory(directory, demo)
    try:
        workspace = load(folder)
    except InputError as exc:
        if output_format == "json":
            _print_json(exc.problems, _language_of(folder))
        else:
            _report(exc, _language_of(folder))
        click.get_current_context().exit(EXIT_INPUT)
    if output_format == "json":
        _print_json([], language(workspace))
        return
    inventory = workspace.inventory
    click.echo(
        translate(
            "validate.ok",
            language(workspace),
            services=len(inventory.services),
            vendors=len(inventory.vendors),
            waivers=len(inventory.waivers),
            controls=len(workspace.catalogue.controls),
        )
    )


def _language_of(folder: Path) -> str:
    """--lang, else the language conformite.toml names (even if the rest is invalid)."""
    from conformite.engine.workspace import configured_language

    chosen = (click.get_current_context().find_root().obj or {}).get("lang")
    return str(chosen) if chosen else configured_language(folder) or "en"


def _print_json(problems: list[Problem], lang: str) -> None:
    from conformite.problems_json import problems_json

    click.echo(problems_json(problems, lang), nl=False)


def _report(error: Exception, lang: str) -> None:
    """Every problem, located, in ``lang``: the words conformite writes itself are
    translated, what a parser or a library says stays as it said it."""
    from conformite.errors import InputError
    from conformite.i18n import translate

    assert isinstance(error, InputError)
    click.echo(translate("errors.heading", lang, count=len(error.problems)), err=True)
    for problem in error.problems:
        click.echo(problem.render(lang), err=True)
