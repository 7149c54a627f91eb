"""Published JSON Schemas of what conformite writes: one header, one naming scheme.

Each JSON document conformite writes for tools (the audit result, the report,
the list of input problems, the probe's observations) has a schema generated
from the model that writes it (a pydantic model, or typed dicts through a
:class:`pydantic.TypeAdapter`), so the schema cannot drift from the output.
:func:`publish` adds the header: draft 2020-12, an ``$id`` carrying the
document's version (``urn:conformite:schema:result:2.0``), a title, a
description (the model's docstring), and the version key fixed to the version written.

Every stage may import this module (it imports nothing of conformite).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

__all__ = ["DIALECT", "output_schema", "publish", "schema_id"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(kind: str, version: str) -> str:
    """The ``$id`` of version ``version`` of the schema of ``kind``."""
    return f"urn:conformite:schema:{kind}:{version}"


def output_schema(model: Any) -> dict[str, Any]:
    """The JSON Schema of what ``model`` (a pydantic model, dataclass or typed dict)
    serialises to. Models whose fields have defaults set
    ``json_schema_serialization_defaults_required`` so that every key they always
    write is required."""
    return TypeAdapter(model).json_schema(mode="serialization")


def publish(
    model: Any, *, kind: str, version: str, version_key: str = "schema_version"
) -> dict[str, Any]:
    """The schema of ``model`` with the published header, ``version_key`` fixed to
    ``version``; the description is ``model``'s docstring."""
    schema = output_schema(model)
    schema["properties"][version_key] = {
        "const": version,
        "description": "Version of this document's format; see $id.",
    }
    schema.pop("title", None)
    description = " ".join(schema.pop("description").split())
    header = {
        "$schema": DIALECT,
        "$id": schema_id(kind, version),
        "title": f"conformite {kind} {version}",
        "description": description,
    }
    return {**header, **schema}
