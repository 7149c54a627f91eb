"""``conformite validate``: check a workspace without auditing it."""

from __future__ import annotations

from pathlib import Path

import click

from conformite.cli._common import (
    handle_input_errors,
    lang_option,
    language,
    load,
    resolve_directory,
    workspace_argument,
)


@click.command()
@workspace_argument
@click.option("--demo", is_flag=True, help="Validate the built-in demo commune.")
@lang_option
@handle_input_errors
def validate(directory: Path | None, demo: bool) -> None:
    """Check conformite.toml, the inventory and the catalogue; report every problem.

    Exit code 0 when everything is valid, 2 with a located list of problems
    (file:line:column, field, what was expected and found) otherwise.

    \b
    Example:
      conformite validate my-commune
    """
    from conformite.i18n import translate

    workspace = load(resolve_directory(directory, demo))
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
