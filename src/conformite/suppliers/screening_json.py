"""``screen --format json``: the shape of the screening verdict, and its published schema.

``{"schema_version", "vendor": {"id", "name"}, "verdict", "exit_code", "as_of",
"canton", "blocking", "conditions", "to_clarify", "passed", "not_applicable"}``:
:meth:`conformite.suppliers.screening.ScreeningResult.to_dict` builds it,
``conformite schema screening`` publishes it (every key required, no other key).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from 3.12

from conformite._json_schema import publish
from conformite.catalogue.model import Severity
from conformite.engine.results import Outcome

__all__ = ["SCREENING_SCHEMA_VERSION", "ScreeningDocument", "Verdict", "screening_schema"]

#: Version of ``screen --format json``. Bump the major part on any change a consumer
#: of the JSON must adapt to.
SCREENING_SCHEMA_VERSION = "1.0"

Verdict = Literal["go", "conditional", "no-go"]

_closed = with_config(ConfigDict(extra="forbid"))


@_closed
class VendorJson(TypedDict):
    id: str
    name: str


@_closed
class ReasonJson(TypedDict):
    """A supplier control that did not pass: why, and the contract clause that cures it
    (null when none does, or for a question to settle)."""

    control: str
    severity: Severity
    title: str
    outcome: Outcome
    messages: list[str]
    clause: str | None


@_closed
class ScreeningDocument(TypedDict):
    """A candidate vendor screened before procurement (conformite screen --format json):
    the verdict (go, conditional, no-go) and its exit code, the blocking reasons, the
    conditions with their contract clauses, the questions to settle before signing, and
    the supplier controls that passed or do not apply."""

    schema_version: str
    vendor: VendorJson
    verdict: Verdict
    exit_code: Literal[0, 3, 4]
    as_of: Annotated[str, Field(json_schema_extra={"format": "date"})]
    canton: str | None
    blocking: list[ReasonJson]
    conditions: list[ReasonJson]
    to_clarify: list[ReasonJson]
    passed: list[str]
    not_applicable: list[str]


def screening_schema() -> dict[str, Any]:
    """The published JSON Schema of ``screen --format json``."""
    return publish(ScreeningDocument, kind="screening", version=SCREENING_SCHEMA_VERSION)
