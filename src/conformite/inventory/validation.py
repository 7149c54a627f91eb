"""Turn pydantic validation errors into located, readable problems."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from conformite.errors import (
    InputError,
    Problem,
    ProblemCollector,
    Text,
    closest,
    did_you_mean,
    format_path,
)
from conformite.inventory.safe_yaml import YamlDocument, load_yaml_file
from conformite.inventory.uid import UID_EXAMPLE

__all__ = [
    "allowed_keys",
    "describe_error",
    "error_path",
    "one_of",
    "problems_from_validation_error",
    "read_model",
]

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


def _field_annotation(model: type[BaseModel], path: tuple[str | int, ...]) -> Any:
    """The annotation of the field at ``path`` (list indexes skipped), or None."""
    current: Any = model
    annotation: Any = None
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        current = _unwrap(annotation)
    return annotation


def _literal_values(annotation: Any) -> list[str]:
    """The allowed values of the ``Literal`` inside ``annotation`` (through lists, unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    if origin is None:
        return []
    values: list[str] = []
    for arg in typing.get_args(annotation):
        values += [v for v in _literal_values(arg) if v not in values]
    return values


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
        return Text("validate.found.mapping")
    if isinstance(value, list):
        return Text("validate.found.list")
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def one_of(options: Sequence[str]) -> str:
    """``'a', 'b' or 'c'`` (the "or" in the reader's language)."""
    quoted = [repr(str(option)) for option in options]
    if len(quoted) < 2:
        return "".join(quoted)
    return Text("validate.one_of", items=", ".join(quoted[:-1]), last=quoted[-1])


#: Error types of pydantic -> (message, expected) keys of messages_validate.yaml.
_KNOWN: dict[str, tuple[str, str]] = {
    "bool_type": ("validate.not_a_boolean", "validate.expected.bool"),
    "bool_parsing": ("validate.not_a_boolean", "validate.expected.bool"),
    "int_type": ("validate.not_a_whole_number", "validate.expected.whole_number"),
    "int_parsing": ("validate.not_a_whole_number", "validate.expected.whole_number"),
    "int_from_float": ("validate.not_a_whole_number", "validate.expected.whole_number"),
    "float_type": ("validate.not_a_number", "validate.expected.number"),
    "float_parsing": ("validate.not_a_number", "validate.expected.number"),
    "string_type": ("validate.not_text", "validate.expected.text"),
    "date_type": ("validate.not_a_date", "validate.expected.date"),
    "date_parsing": ("validate.not_a_date", "validate.expected.date"),
    "date_from_datetime_parsing": ("validate.not_a_date", "validate.expected.date"),
    "date_from_datetime_inexact": ("validate.not_a_date", "validate.expected.date"),
    "event_date": ("validate.not_a_date", "validate.expected.event_date"),
    "list_type": ("validate.not_a_list", "validate.expected.list"),
    "dict_type": ("validate.not_a_mapping", "validate.expected.mapping"),
    "model_type": ("validate.not_a_mapping", "validate.expected.mapping"),
    "model_attributes_type": ("validate.not_a_mapping", "validate.expected.mapping"),
}


def describe_error(
    item: Mapping[str, Any], model: type[BaseModel], loc: tuple[str | int, ...]
) -> tuple[str, str | None, str | None, str | None]:
    """``(message, expected, found, hint)`` for one pydantic error at ``loc`` of ``model``.

    The common error types get conformite's own words (translatable :class:`Text`)
    and a "did you mean" hint where a close allowed value exists; any other type
    says "invalid value" in the reader's language (pydantic's sentence in English).
    """
    kind = item["type"]
    value = item.get("input")
    found: str | None = None if kind == "missing" else _describe(value)
    hint: str | None = None
    expected: str | None = None
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        options = allowed_keys(model, loc[:-1])
        message: str = Text("validate.unknown_key", name=key)
        hint = did_you_mean(closest(key, options))
        expected = ", ".join(options) if options else None
        found = None
    elif kind == "missing":
        message = (
            Text("validate.missing_field", field=loc[-1]) if loc else Text("validate.missing_value")
        )
    elif kind in ("literal_error", "enum"):
        message = Text("validate.not_allowed")
        options = _literal_values(_field_annotation(model, loc))
        if options:
            expected = one_of(options)
            if isinstance(value, str):
                hint = did_you_mean(closest(value.strip(), options))
        else:
            expected = str(ctx.get("expected", ""))
    elif kind == "string_pattern_mismatch":
        message = Text("validate.wrong_form")
        pattern = str(ctx.get("pattern", ""))
        expected = _pattern_words(pattern)
        hint = _pattern_hint(pattern, value)
    elif kind == "greater_than_equal":
        message = Text("validate.too_small")
        expected = Text("validate.expected.at_least", limit=ctx.get("ge"))
    elif kind == "less_than_equal":
        message = Text("validate.too_large")
        expected = Text("validate.expected.at_most", limit=ctx.get("le"))
    elif kind == "string_too_short":
        limit = ctx.get("min_length", 1)
        message = Text("validate.empty_text" if limit == 1 else "validate.wrong_form")
        expected = Text("validate.expected.at_least_characters", limit=limit)
    elif kind == "string_too_long":
        message = Text("validate.too_long")
        expected = Text("validate.expected.at_most_characters", limit=ctx.get("max_length"))
        if isinstance(value, str):
            found = Text("validate.found.characters", count=len(value))
    elif kind == "too_long":
        message = Text("validate.too_many_items")
        expected = Text("validate.expected.at_most_items", limit=ctx.get("max_length"))
        found = None
    elif kind == "control_character":
        message = Text("validate.control_character", code=ctx.get("code"))
    elif kind == "endpoint_url":
        message = Text("validate.not_a_web_address", reason=ctx.get("reason"))
    elif kind in ("uid_format", "uid_check_digit", "uid_never_issued"):
        message = Text(f"validate.{kind}", digit=ctx.get("digit"))
        expected = Text("validate.expected.uid", example=UID_EXAMPLE)
        if kind != "uid_format":
            hint = Text("validate.hint.uid_register")
    else:
        message_key, expected_key = _KNOWN.get(kind, (None, None))
        # A type pydantic adds in a later version still reads in the reader's
        # language; the English text keeps pydantic's own sentence.
        message = Text(message_key or "validate.invalid_value", raw=item["msg"])
        expected = Text(expected_key) if expected_key else None
    return message, expected, found, hint


def problems_from_validation_error(
    error: ValidationError,
    doc: YamlDocument,
    model: type[BaseModel],
    prefix: tuple[str | int, ...] = (),
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, located in ``doc``."""
    problems = []
    for item in error.errors(include_url=False):
        loc = error_path(item)
        path = prefix + loc
        message, expected, found, hint = describe_error(item, model, loc)
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


def error_path(item: Mapping[str, Any]) -> tuple[str | int, ...]:
    """The field path of a pydantic error, without the tags pydantic adds for union members."""
    loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
    # pydantic adds the tag of a union member ("function-after[...]"): drop it.
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))


_PATTERNS = {
    r"^[A-Z]{2}$": "validate.expected.country",
    r"^[a-z0-9][a-z0-9._-]{0,79}$": "validate.expected.identifier",
    r"^https://\S+$": "validate.expected.https",
    r"^https?://[^\s/]+(/\S*)?$": "validate.expected.web_address",
}


def _pattern_words(pattern: str) -> str:
    key = _PATTERNS.get(pattern)
    return Text(key) if key else Text("validate.expected.pattern", pattern=pattern)


def _pattern_hint(pattern: str, value: Any) -> str | None:
    """ "did you mean" for a country or an id written in the wrong case."""
    if not isinstance(value, str) or pattern not in _PATTERNS:
        return None
    key = _PATTERNS[pattern]
    text = value.strip()
    if key == "validate.expected.country":
        text = text.upper()
    elif key == "validate.expected.identifier":
        text = "-".join(text.lower().split())
    else:
        return None
    return did_you_mean(text) if text != value and re.fullmatch(pattern, text) else None
