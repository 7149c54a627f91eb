"""``conformite schema``: JSON Schemas of the inventory files and of the JSON conformite writes."""

from __future__ import annotations

import importlib
import json
from typing import Any

import click

INVENTORY_KINDS = ("organisation", "services", "vendors", "waivers")
#: What conformite writes for tools -> (module, function) that publishes its schema.
OUTPUT_KINDS = {
    "result": ("conformite.engine.results", "result_schema"),
    "report": ("conformite.report.render.report_json", "report_schema"),
    "problems": ("conformite.problems_json", "problems_schema"),
    "observations": ("conformite.inventory.observations", "observations_schema"),
    "diff": ("conformite.report.compare", "diff_schema"),
    "screening": ("conformite.suppliers.screening_json", "screening_schema"),
    "controls": ("conformite.catalogue.listing_json", "controls_schema"),
}
KINDS = (*INVENTORY_KINDS, *OUTPUT_KINDS)


def schema_of(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (an inventory file or an output)."""
    if kind in OUTPUT_KINDS:
        module, function = OUTPUT_KINDS[kind]
        published: dict[str, Any] = getattr(importlib.import_module(module), function)()
        return published
    from conformite.inventory.schemas import inventory_schema

    return inventory_schema(kind)


def schema_text(kind: str) -> str:
    """The schema of ``kind`` as printed (and as shipped in the repository's schemas/)."""
    return json.dumps(schema_of(kind), ensure_ascii=False, indent=2) + "\n"


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
def schema(kind: str) -> None:
    """Print the JSON Schema of an inventory file kind or of a JSON output.

    Inventory files (organisation, services, vendors, waivers): save the schema
    beside the inventory and point your editor at it, e.g. with the YAML
    language server (VS Code "YAML" extension), as the first line of
    inventory/services.yaml:

    \b
      # yaml-language-server: $schema=../schemas/services.json

    Outputs, to validate what tools read: result (audit --format json), report
    (report --format json), problems (validate --format json), observations
    (the files probe writes), diff (diff --format json), screening (screen
    --format json), controls (controls list --format json). Their $id carries
    the version the output writes.

    \b
    Examples:
      conformite schema services > schemas/services.json
      conformite schema result > result.schema.json
    """
    click.echo(schema_text(kind), nl=False)
