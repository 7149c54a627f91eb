"""JSON Schemas of the inventory files, with the reference vocabularies as enums."""

from __future__ import annotations

from typing import Any

from conformite._paths import builtin_catalogue_dir
from conformite.inventory.model import OrganisationFile, ServicesFile, VendorsFile, WaiversFile
from conformite.inventory.reference import load_reference

__all__ = ["inventory_schema"]

_MODELS = {
    "organisation": OrganisationFile,
    "services": ServicesFile,
    "vendors": VendorsFile,
    "waivers": WaiversFile,
}


def inventory_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``inventory/<kind>.yaml``."""
    schema = _MODELS[kind].model_json_schema()
    reference = load_reference(builtin_catalogue_dir() / "reference")
    defs = schema.get("$defs", {})
    if "Service" in defs:
        defs["Service"]["properties"]["data_categories"]["items"] = {
            "enum": sorted(reference.categories)
        }
    if "Certification" in defs:
        defs["Certification"]["properties"]["standard"] = {"enum": sorted(reference.certifications)}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"conformite inventory: {kind}.yaml"
    return schema
