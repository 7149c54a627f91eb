"""Value types every inventory model shares: ids, countries, texts, dates.

See :mod:`conformite.inventory.model` for what a commune writes down.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "NEVER",
    "NOT_A_FACT",
    "Country",
    "Date",
    "EventDate",
    "Identifier",
    "Level",
    "Model",
    "Text",
]

Level = Literal["normal", "high", "very_high"]
Country = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2 code")
]
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$"),
    Field(description="lower-case id: letters, digits, '.', '_' or '-'"),
]


def _no_control_characters(text: str) -> str:
    """Refuse C0/C1 control characters other than tab and line breaks: they have no
    place in a name or a description, and spreadsheets refuse them."""
    for char in text:
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code < 0xA0:
            raise PydanticCustomError(
                "control_character",
                "contains the control character U+{code}",
                {"code": f"{code:04X}"},
            )
    return text


Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    AfterValidator(_no_control_characters),
]
Date = dt.date

#: The answer "never happened" for the date of an event (a review, a test, a
#: signature). ``null`` or an absent key means "not known"; ``never`` is a fact.
NEVER = "never"


def _event_date(value: object) -> dt.date | str:
    """A date, or ``never``; one error for anything else (not one per union member)."""
    if value == NEVER:
        return NEVER
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError(
        "event_date", "not a date YYYY-MM-DD nor 'never'", {"input": repr(value)}
    )


EventDate = Annotated[
    dt.date | Literal["never"],
    BeforeValidator(_event_date),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date"}, {"const": "never"}],
            "description": "ISO date, or 'never' when it never happened; null: not known",
        }
    ),
]

#: ``json_schema_extra`` of a field whose ``null`` is not an unknown fact but
#: a choice ("none", "use the control's parameter"): see :mod:`conformite.inventory.facts`.
NOT_A_FACT: dict[str, object] = {"x-null-means": "none"}


class Model(BaseModel):
    """Base of every inventory model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
