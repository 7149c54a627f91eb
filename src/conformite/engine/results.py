"""The audit result: findings, waivers and scores, and its JSON form.

The JSON document is the contract with every other tool (reports, diff, CI):
it carries ``schema_version`` and is byte-identical for the same inputs and
``--as-of`` date (no clock, no random order, no absolute paths).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from pydantic import TypeAdapter

from conformite._json_schema import publish
from conformite.engine.compact import (
    COMPACT_SCHEMA_VERSION,
    CompactResult,
    compact_document,
    compact_parts,
    compact_schema,
    expand,
)
from conformite.engine.result_parts import (
    AppliedWaiver,
    CatalogueInfo,
    FactResult,
    Finding,
    Grade,
    JurisdictionInfo,
    LegalCitation,
    Outcome,
    ResultHead,
    Score,
    Scores,
    VendorIdentity,
    WaiverStatus,
    WorkspaceInfo,
)

__all__ = [
    "FULL_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "AppliedWaiver",
    "AuditResult",
    "CatalogueInfo",
    "FactResult",
    "Finding",
    "Grade",
    "JurisdictionInfo",
    "LegalCitation",
    "Outcome",
    "Score",
    "Scores",
    "VendorIdentity",
    "WaiverStatus",
    "WorkspaceInfo",
    "result_schema",
    "result_schema_v2",
]

#: Bump the major part on any change a consumer of the JSON must adapt to.
#: The version ``audit --format json`` writes: the compact form (see
#: :mod:`conformite.engine.compact`).
SCHEMA_VERSION = COMPACT_SCHEMA_VERSION
#: The full form (every finding carries its control's data): ``audit --schema 2``
#: and the result embedded in ``report --format json``. Kept for one major version.
FULL_SCHEMA_VERSION = "2.0"
#: Results with more findings than this are written without indentation.
COMPACT_ABOVE = 5_000


class AuditResult(ResultHead):
    """The audit result, full form (conformite audit --format json --schema 2): findings,
    waivers and scores, each finding with its control's data. Also the 'result' part of
    conformite report --format json."""

    schema_version: str = FULL_SCHEMA_VERSION
    findings: list[Finding]
    waivers: list[WaiverStatus]

    @classmethod
    def from_json(cls, text: str | bytes) -> AuditResult:
        """Read a result written by :meth:`to_json`, in either form (validated):
        3.0 (compact) is expanded, 2.0 and 1.x are read as they are."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        match = _VERSION.search(data, 0, 400)
        if match and int(match.group(1)) >= 3:
            fields = expand(CompactResult.model_validate_json(data))
            return cls.model_construct(schema_version=FULL_SCHEMA_VERSION, **fields)
        return cls.model_validate_json(data)

    def to_json(self, schema: int = 3) -> str:
        """Deterministic JSON text (UTF-8, two-space indent, final newline), in the
        compact form (``schema=3``, the default) or the full form (``schema=2``)."""
        # pydantic-core's serialiser: the standard library's pure-Python
        # indenting encoder takes seconds on 20,000 findings. Large results are
        # written compact (a third of the size, twice as fast to write and read);
        # 'python -m json.tool' indents them for reading.
        indent = 2 if len(self.findings) <= COMPACT_ABOVE else None
        if schema == 2:
            full = self.model_copy(update={"schema_version": FULL_SCHEMA_VERSION})
            return full.model_dump_json(indent=indent) + "\n"
        from pydantic_core import to_json

        return to_json(compact_document(self), indent=indent).decode("utf-8") + "\n"

    def json_chunks(self, schema: int = 3) -> Iterator[bytes]:
        """:meth:`to_json`'s text, byte for byte, as UTF-8 pieces to write one after
        the other: a large result is serialised a few thousand findings at a time
        instead of as one document (10,000 services: the compact text is 44 MB,
        and the whole document as Python data and as text took about 135 MiB)."""
        if len(self.findings) <= COMPACT_ABOVE:  # indented, and small: in one piece
            yield self.to_json(schema).encode("utf-8")
            return
        from pydantic_core import to_json

        findings = self.findings
        if schema == 2:
            full = self.model_copy(update={"schema_version": FULL_SCHEMA_VERSION})
            head = full.model_dump_json(exclude={"findings", "waivers"}).encode("utf-8")
            tail = full.model_dump_json(include={"waivers"}).encode("utf-8")
            serialise = _findings_adapter().dump_json
        else:
            document, index, waivers = compact_parts(self)
            head = to_json(document)
            tail = to_json({"waivers": waivers})

            def serialise(part: list[Finding]) -> bytes:
                return to_json([index.row(f) for f in part])

        # Pieces of one JSON document without spaces: {head..., "findings": [rows], tail...}
        yield head[:-1] + b',"findings":['
        for start in range(0, len(findings), _CHUNK):
            part = serialise(findings[start : start + _CHUNK])
            yield part[1:-1] if start == 0 else b"," + part[1:-1]
        yield b"]," + tail[1:] + b"\n"


#: Findings serialised at a time by :meth:`AuditResult.json_chunks`.
_CHUNK = 2_000


@cache
def _findings_adapter() -> TypeAdapter[list[Finding]]:
    """The serialiser of the full form's findings (built when first needed)."""
    return TypeAdapter(list[Finding])


_VERSION = re.compile(rb'"schema_version"\s*:\s*"(\d+)\.')


def result_schema() -> dict[str, object]:
    """The published JSON Schema of ``audit --format json`` (3.0, compact)."""
    return compact_schema()


def result_schema_v2() -> dict[str, object]:
    """The published JSON Schema of the full form (``audit --schema 2``, 2.0)."""
    return publish(AuditResult, kind="result", version=FULL_SCHEMA_VERSION)
