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
    "rollup": ("conformite.rollup.export", "rollup_schema"),
}
KINDS = (*INVENTORY_KINDS, *OUTPUT_KINDS)
#: Earlier versions still written (``schema KIND --version N``) -> (module, function).
EARLIER = {("result", "2"): ("conformite.engine.results", "result_schema_v2")}


def versions_of(kind: str) -> list[str]:
    """The earlier major versions of ``kind`` whose schema is still published."""
    return [version for (k, version) in EARLIER if k == kind]


def schema_of(kind: str, version: str | None = None) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (an inventory file or an output); ``version``, an
    earlier major version still written (see :data:`EARLIER`), or the current one."""
    if kind in OUTPUT_KINDS:
        module, function = EARLIER.get((kind, version or ""), OUTPUT_KINDS[kind])
        published: dict[str, Any] = getattr(importlib.import_module(module), function)()
        return published
    from conformite.inventory.schemas import inventory_schema

    return inventory_schema(kind)


def schema_text(kind: str, version: str | None = None) -> str:
    """The schema of ``kind`` as printed (and as shipped in the repository's schemas/)."""
    return json.dumps(schema_of(kind, version), ensure_ascii=False, indent=2) + "\n"


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--version",
    "version",
    metavar="MAJOR",
    help="An earlier major version still written (result: 2, the full form of audit --schema 2).",
)
def schema(kind: str, version: str | None) -> None:
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
    --format json), controls (controls list --format json), rollup (rollup
    --format json). Their $id carries the version the output writes.

    \b
    Examples:
      conformite schema services > schemas/services.json
      conformite schema result > result.schema.json
      conformite schema result --version 2 > result-2.schema.json
    """
    if version is not None and version not in versions_of(kind):
        from conformite.cli._common import CommandError, language
        from conformite.i18n import translate

        known = ", ".join(versions_of(kind)) or "-"
        raise CommandError(
            translate(
                "schema.no_such_version",
                language(),
                kind=kind,
                version=version,
                known=known,
            )
        )
    click.echo(schema_text(kind, version), nl=False)
