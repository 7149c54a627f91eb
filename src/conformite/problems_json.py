"""``validate --format json``: the located input problems as a document tools can read.

``{"schema_version", "lang", "problems": [...], "summary": {"count", "ok"}}``.
Each problem has its place (file, line, column, field path), a stable machine
``code`` (the message key of conformite's own sentence, such as
``validate.not_allowed``; ``problem`` when a parser's words were kept as they
are), and its words in the chosen language: message, expected, found, hint
(``null`` when a problem has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from conformite._json_schema import publish
from conformite.errors import Problem, Text, in_language

__all__ = [
    "PROBLEMS_SCHEMA_VERSION",
    "ProblemsDocument",
    "problem_code",
    "problems_json",
    "problems_schema",
]

#: Bump the major part on any change a consumer of the JSON must adapt to.
PROBLEMS_SCHEMA_VERSION = "1.0"
#: The code of a problem whose words come from a parser or a library, not from conformite.
UNCLASSIFIED = "problem"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class ProblemJson(_Model):
    """One thing wrong in one place of one file."""

    file: str = Field(description="the file, as given on the command line or in the workspace")
    line: int | None = Field(description="1-based line, null when not known")
    column: int | None = Field(description="1-based column, null when not known")
    field: str = Field(description="the field's path, e.g. services[0].hosting; empty for a file")
    code: str = Field(
        pattern=r"^[a-z][a-z0-9_.\[\]-]*$",
        description="stable machine code: the message key, e.g. validate.not_allowed",
    )
    message: str
    expected: str | None = None
    found: str | None = None
    hint: str | None = None


class ProblemsSummary(_Model):
    count: int = Field(ge=0)
    ok: bool = Field(description="true when there is no problem (exit code 0)")


class ProblemsDocument(_Model):
    """Every problem conformite validate found in a workspace (conformite validate
    --format json): where it is, a stable code, and what is wrong in the chosen language;
    summary.ok is true when there is none."""

    schema_version: str = PROBLEMS_SCHEMA_VERSION
    lang: Literal["fr", "de", "it", "en"]
    problems: list[ProblemJson]
    summary: ProblemsSummary


def problem_code(problem: Problem) -> str:
    """The stable machine code of ``problem``."""
    message = problem.message
    return message.key if isinstance(message, Text) else UNCLASSIFIED


def problems_json(problems: Sequence[Problem], lang: str) -> str:
    """The problems as a JSON document, their words in ``lang`` (deterministic)."""
    document = ProblemsDocument(
        lang=lang,  # type: ignore[arg-type]
        problems=[
            ProblemJson(
                file=p.file,
                line=p.line,
                column=p.column,
                field=p.path,
                code=problem_code(p),
                message=str(in_language(p.message, lang)),
                expected=_words(p.expected, lang),
                found=_words(p.found, lang),
                hint=_words(p.hint, lang),
            )
            for p in problems
        ],
        summary=ProblemsSummary(count=len(problems), ok=not problems),
    )
    return document.model_dump_json(indent=2) + "\n"


def _words(value: str | None, lang: str) -> str | None:
    return None if value is None else str(in_language(value, lang))


def problems_schema() -> dict[str, object]:
    """The published JSON Schema of ``validate --format json``."""
    return publish(ProblemsDocument, kind="problems", version=PROBLEMS_SCHEMA_VERSION)
