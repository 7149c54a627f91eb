"""``conformite schema``: JSON Schemas so editors can validate and complete the YAML."""

from __future__ import annotations

import json

import click

KINDS = ("organisation", "services", "vendors", "waivers")


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
def schema(kind: str) -> None:
    """Print the JSON Schema of one inventory file kind.

    Save it beside the inventory and point your editor at it, e.g. with the
    YAML language server (VS Code "YAML" extension), as the first line of
    inventory/services.yaml:

    \b
      # yaml-language-server: $schema=../schemas/services.json

    \b
    Example:
      conformite schema services > schemas/services.json
    """
    from conformite.inventory.schemas import inventory_schema

    click.echo(json.dumps(inventory_schema(kind), ensure_ascii=False, indent=2))
