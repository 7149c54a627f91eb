"""Turn pydantic validation errors into located, readable problems."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from conformite.errors import InputError, Problem, ProblemCollector, closest, format_path
from conformite.inventory.safe_yaml import YamlDocument, load_yaml_file

__all__ = ["allowed_keys", "problems_from_validation_error", "read_model"]

M = TypeVar("M", bound=BaseModel)


def read_model(
    path: Path, model: type[M], problems: ProblemCollector, display: str | None = None
) -> tuple[M | None, YamlDocument | None]:
    """Parse ``path`` and validate it as ``model``, adding any problem to ``problems``.

    Returns the model (None if invalid) and the document (None if unreadable),
    so that callers can still locate later problems in a valid file.
    """
    try:
        doc = load_yaml_file(path, display)
    except InputError as exc:
        problems.extend(exc.problems)
        return None, None
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc, doc, model))
        return None, doc


def _unwrap(annotation: Any) -> Any:
    """The model class inside ``X | None``, ``list[X]`` or ``dict[str, X]``, if any."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is not None:
        for arg in typing.get_args(annotation):
            found = _unwrap(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    return annotation


def allowed_keys(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Field names accepted at ``path`` (the mapping that holds the bad key)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _unwrap(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_EXPECTED = {
    "missing": "this field",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "date_type": "a date such as 2025-03-31",
    "date_from_datetime_parsing": "a date such as 2025-03-31",
    "date_parsing": "a date such as 2025-03-31",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
}


def problems_from_validation_error(
    error: ValidationError,
    doc: YamlDocument,
    model: type[BaseModel],
    prefix: tuple[str | int, ...] = (),
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, located in ``doc``."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        # pydantic adds the tag of a union member ("function-after[...]"): drop it.
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
        path = prefix + loc
        kind = item["type"]
        found = None if kind == "missing" else _describe(item.get("input"))
        hint = None
        expected: str | None
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            options = allowed_keys(model, loc[:-1])
            suggestion = closest(key, options)
            message = f"unknown key '{key}'"
            hint = f"did you mean '{suggestion}'?" if suggestion else None
            expected = ", ".join(options) if options else None
            found = None
        elif kind == "missing":
            message = f"missing required field '{loc[-1]}'" if loc else "missing value"
            expected = None
        elif kind in ("literal_error", "enum"):
            message = "value not allowed"
            expected = str(item.get("ctx", {}).get("expected", ""))
        elif kind == "string_pattern_mismatch":
            message = "value has the wrong form"
            expected = _pattern_words(str(item.get("ctx", {}).get("pattern", "")))
        else:
            message = item["msg"]
            expected = _EXPECTED.get(kind)
        line, column = doc.locate(path)
        problems.append(
            Problem(
                file=doc.file,
                line=line,
                column=column,
                path=format_path(path),
                message=message,
                expected=expected,
                found=found,
                hint=hint,
            )
        )
    return problems


def _pattern_words(pattern: str) -> str:
    known = {
        r"^[A-Z]{2}$": "a two-letter ISO country code in capitals, such as CH or DE",
        r"^[a-z0-9][a-z0-9._-]{0,79}$": "a lower-case id (letters, digits, '.', '_', '-')",
        r"^https://\S+$": "an https:// address",
        r"^https?://[^\s/]+(/\S*)?$": "a web address starting with https:// or http://",
    }
    return known.get(pattern, f"text matching {pattern}")
