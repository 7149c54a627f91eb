"""``controls list --format json``: the catalogue's controls as a document tools can read.

``{"schema_version", "version", "canton", "controls": [...]}``: the catalogue's
version, the canton chosen (``null`` for none) and each control with its family,
severity, target, status, title (in the chosen language) and legal basis (the
cantonal citations first when a canton is chosen). ``conformite schema controls``
publishes the shape (every key required, no other key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from 3.12

from conformite._json_schema import publish
from conformite.catalogue.model import Catalogue, CompiledControl, Family, Severity, TargetKind
from conformite.inventory.config import CANTONS

__all__ = ["CONTROLS_SCHEMA_VERSION", "ControlsDocument", "controls_document", "controls_schema"]

#: Version of ``controls list --format json``. Bump the major part on any change a
#: consumer of the JSON must adapt to.
CONTROLS_SCHEMA_VERSION = "1.0"

Canton = Literal[CANTONS]  # type: ignore[valid-type]
_closed = with_config(ConfigDict(extra="forbid"))


@_closed
class CitationJson(TypedDict):
    citation: str
    url: str
    canton: Canton | None


@_closed
class ControlJson(TypedDict):
    id: str
    family: Family
    severity: Severity
    target: TargetKind
    status: Literal["active", "draft", "deprecated"]
    title: str
    legal_basis: list[CitationJson]


@_closed
class ControlsDocument(TypedDict):
    """The controls of the catalogue (conformite controls list --format json): the
    catalogue's version, the canton chosen (null for none) and each control with its
    family, severity, target, status, title and legal basis, cantonal citations first."""

    schema_version: str
    version: str
    canton: Canton | None
    controls: list[ControlJson]


def controls_document(
    catalogue: Catalogue, selected: Sequence[CompiledControl], canton: str | None, lang: str
) -> ControlsDocument:
    """The ``selected`` controls of ``catalogue``, their words in ``lang``."""
    rows: list[ControlJson] = [
        {
            "id": c.id,
            "family": c.control.family,
            "severity": c.control.severity,
            "target": c.control.target,
            "status": c.control.status,
            "title": c.control.title.get(lang),
            "legal_basis": [
                {"citation": text, "url": url, "canton": where}
                for text, url, where in catalogue.citations(c.control, canton, lang)
            ],
        }
        for c in selected
    ]
    return {
        "schema_version": CONTROLS_SCHEMA_VERSION,
        "version": catalogue.version,
        "canton": canton,
        "controls": rows,
    }


def controls_schema() -> dict[str, Any]:
    """The published JSON Schema of ``controls list --format json``."""
    return publish(ControlsDocument, kind="controls", version=CONTROLS_SCHEMA_VERSION)
