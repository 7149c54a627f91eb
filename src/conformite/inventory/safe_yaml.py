"""Safe, bounded YAML reading with line and column positions.

Inventories, controls, profiles, screening candidates and questionnaire answers
are read here and nowhere else:

* only plain data is built (libyaml-backed safe loader, no Python objects);
* scalars follow the YAML 1.2 core schema, as the README promises: booleans are
  only ``true``/``false`` (YAML 1.1 would read Norway's country code ``NO`` as
  ``False``, which in a data-protection tool is a bug); integers are decimal
  (``010`` is 10), ``0o`` octal or ``0x`` hex; ``12:30`` and ``1_000`` are text;
  ``YYYY-MM-DD`` dates are kept, the inventory format relies on them, and one the
  calendar does not have (``2026-02-30``) stays text, for the model to report on
  its field;
* explicit tags (``!!bool``, ``!!set``, ``!!python/...``, ``!foo``) are refused with
  their position; only ``!!str`` on a scalar, which just says "text", is read;
* duplicate keys are errors, not a silent "last one wins";
* limits on file size, on nesting depth and on the size an anchor/alias graph
  expands to ("billion laughs"), checked on the composed nodes before any value
  is built, so that every refusal carries the line of the anchor or node;
* positions: on a validation error the file is composed again (nodes carry
  marks) and the field path is mapped back to ``line:column``;
* :func:`dump_yaml` writes YAML that this module reads back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from conformite._files import FileTooLarge, read_regular_file
from conformite.errors import InputError, Problem, Text, os_reason
from conformite.inventory.syntax_problems import yaml_problem_text
from conformite.inventory.yaml_build import MAX_DEPTH, STR, TAG
from conformite.inventory.yaml_build import Unusual as _Unusual
from conformite.inventory.yaml_build import build_from_event as _from_event
from conformite.inventory.yaml_build import build_from_nodes as _build

__all__ = [
    "MAX_FILE_BYTES",
    "YamlDocument",
    "dump_yaml",
    "load_yaml_bytes",
    "load_yaml_file",
    "load_yaml_text",
    "read_bounded",
]

#: Larger inventories than this are not hand-written; refusing them bounds memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: How many nodes a document may expand to once aliases are followed.
MAX_EXPANDED_NODES = 2_000_000
#: An expansion this many times larger than the text's own nodes is an alias bomb.
MAX_EXPANSION_RATIO = 50


_TAG = TAG
_STR = STR


class _Implicit(str):
    """A tag the resolver chose from the node's text, as opposed to one written in the file.

    The composer calls :meth:`_Loader.resolve` only for untagged nodes (and the
    non-specific ``!``); wrapping its answer in this type lets the node check tell
    an explicit ``!!bool`` apart from an implicitly resolved ``true``.
    """

    __slots__ = ()


_CORE_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_CORE_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe loader: YAML 1.2 core schema scalars, duplicate-key detection, marked tags."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        #: Resolved tags by (node kind, text, implicit flags): inventories repeat
        #: their scalars (countries, levels, booleans), and resolving one through
        #: the implicit resolvers' regular expressions costs several µs.
        self._resolved: dict[tuple[Any, Any, Any], _Implicit] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        key = (kind, value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = _Implicit(super().resolve(kind, value, implicit))
        return tag

    def _located(self, construct: Any, node: yaml.ScalarNode) -> Any:
        """Run a scalar constructor; turn Python's ValueError into a located YAML error."""
        try:
            return construct(self, node)
        except _TooManyDigits as exc:
            problem = Text(
                "yaml.integer_too_long",
                value=repr(node.value[:40]),
                digits=f"{exc.digits:,}".replace(",", "'"),
                limit=f"{MAX_INT_DIGITS:,}".replace(",", "'"),
            )
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None
        except ValueError as exc:
            problem = Text("yaml.bad_number", value=repr(node.value[:40]), raw=str(exc))
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        # A date the calendar does not have (2026-02-30, 2026-13-01) stays the text it
        # is: the model then reports it as a value error on its field, with its line,
        # instead of a syntax error that hides the rest of the file; a text field
        # keeps the text.
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(self, node)
        except ValueError:
            return node.value

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        return self._located(_core_int, node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        return self._located(_core_float, node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Scalar keys are compared as the values they become (``1``, ``01`` and ``0x1``
        # are one key; so are ``~`` and ``null``), the first one named with its line.
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _TAG + "merge":
                continue
            key = self.construct_object(key_node)
            first = seen.get(key)
            if first is not None:
                where = {"name": repr(key_node.value), "line": first.start_mark.line + 1}
                duplicate = (
                    Text("yaml.duplicate_key", **where)
                    if first.value == key_node.value
                    else Text("yaml.duplicate_key_written", **where, first=repr(first.value))
                )
                raise yaml.constructor.ConstructorError(
                    f"while reading the mapping started at line {node.start_mark.line + 1}",
                    node.start_mark,
                    duplicate,
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


#: Python refuses decimal integers of more digits than this (a quadratic
#: conversion); hexadecimal and octal ones are held to the same length.
MAX_INT_DIGITS = 4300


class _TooManyDigits(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(f"an integer of {digits:,} digits; at most {MAX_INT_DIGITS:,}")
        self.digits = digits


def _core_int(_loader: Any, node: yaml.ScalarNode) -> int:
    """YAML 1.2 core schema integers: ``010`` is ten, ``0o10`` eight, ``0x1F`` 31."""
    text: str = node.value
    if len(text) > MAX_INT_DIGITS:
        raise _TooManyDigits(len(text))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _core_float(_loader: Any, node: yaml.ScalarNode) -> float:
    text: str = node.value
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text)


_Loader.add_constructor(_TAG + "timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor(_TAG + "int", _Loader.construct_yaml_int)
_Loader.add_constructor(_TAG + "float", _Loader.construct_yaml_float)

# YAML 1.2 core schema instead of PyYAML's YAML 1.1 resolvers: booleans are only
# true/false (not yes/no/on/off/y/n), integers are decimal, 0o octal or 0x hex (no
# leading-zero octal, no 0b, no 1_000, no sexagesimal 12:30), floats per 1.2, and
# the 1.1 ``=`` value type is gone. Null, the ``<<`` merge key and dates
# (``YYYY-MM-DD``, which the inventory format relies on) are kept.
_DROPPED = {_TAG + "bool", _TAG + "int", _TAG + "float", _TAG + "value"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _TAG + "bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_Loader.add_implicit_resolver(_TAG + "int", _CORE_INT, list("-+0123456789"))
_Loader.add_implicit_resolver(_TAG + "float", _CORE_FLOAT, list("-+.0123456789"))


class _Dumper(yaml.SafeDumper):
    """Quotes every string that YAML 1.1 *or* 1.2 would read as something else.

    PyYAML's dumper follows YAML 1.1: it would write the text ``1e3`` or ``0o10``
    plain, and :class:`_Loader` (YAML 1.2) would read it back as a number.
    """


_Dumper.add_implicit_resolver(_TAG + "int", _CORE_INT, list("-+0123456789"))
_Dumper.add_implicit_resolver(_TAG + "float", _CORE_FLOAT, list("-+.0123456789"))


def dump_yaml(data: Any) -> str:
    """``data`` as block YAML that :func:`load_yaml_text` reads back unchanged."""
    return yaml.dump(  # type: ignore[no-any-return]
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
    )


class YamlDocument:
    """A parsed document, its source text, and the means to locate a path in it."""

    def __init__(self, file: str, text: str, data: Any):
        self.file = file
        self.text = text
        self.data = data
        self._root: yaml.Node | None = None
        self._composed = False

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """1-based ``(line, column)`` of the deepest node on ``path`` that exists."""
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=_Loader)
            except (yaml.YAMLError, RecursionError):
                self._root = None
        node = self._root
        if node is None:
            return None, None
        mark = node.start_mark
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            # Point at the key for mapping entries: that is where people look.
            mark = (key_node or node).start_mark
        return mark.line + 1, mark.column + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node, value_node
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        return None, node.value[part]
    return None


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _NodeCheck:
    """One walk over the composed nodes, before any value is built.

    * explicit tags are refused (``!!str`` on a scalar, which only says "text", is
      allowed): conformite reads plain data, and PyYAML's tag constructors either
      build types the models do not expect (sets, bytes, pairs) or crash;
    * nesting deeper than :data:`MAX_DEPTH` and aliases to a value that contains
      them (recursive data) are refused with the anchor's line;
    * the size the document expands to once aliases are followed is counted,
      memoised by node, so the walk is linear in the nodes written even for an
      alias bomb.
    """

    def __init__(self, file: str):
        self.file = file
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()
        #: Nodes as written in the text (an alias counts once).
        self.written = 0
        #: The largest value reached again through an alias, and its size.
        self.repeated: tuple[int, yaml.Node] | None = None

    def problem(self, node: yaml.Node, message: str, hint: str | None = None) -> InputError:
        mark = node.start_mark
        return InputError(
            [
                Problem(
                    file=self.file,
                    line=mark.line + 1,
                    column=mark.column + 1,
                    message=message,
                    hint=hint,
                )
            ]
        )

    def size(self, node: yaml.Node, depth: int) -> int:
        self.written += 1
        tag = node.tag
        if type(tag) is not _Implicit and not (tag == _STR and isinstance(node, yaml.ScalarNode)):
            raise self.problem(
                node,
                Text(
                    "validate.yaml_syntax",
                    detail=Text("yaml.explicit_tag", tag=repr(_short_tag(tag))),
                ),
                hint=Text("input.remove_tag"),
            )
        if isinstance(node, yaml.ScalarNode):
            return 1
        key = id(node)
        known = self.sizes.get(key)
        if known is not None:
            if self.repeated is None or known > self.repeated[0]:
                self.repeated = (known, node)
            return known
        if key in self.open:
            raise self.problem(
                node,
                Text("input.recursive_alias"),
                hint=Text("input.write_values_out"),
            )
        if depth >= MAX_DEPTH:
            raise self.problem(node, Text("input.too_deep", levels=MAX_DEPTH))
        self.open.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += self.size(key_node, depth + 1) + self.size(value_node, depth + 1)
        else:
            for item in node.value:
                total += self.size(item, depth + 1)
        self.open.discard(key)
        self.sizes[key] = total
        return total

    def check(self, root: yaml.Node) -> None:
        expanded = self.size(root, 0)
        written = max(self.written, 1)
        if expanded > written and (
            expanded > MAX_EXPANDED_NODES
            or (expanded > 10_000 and expanded > MAX_EXPANSION_RATIO * written)
        ):
            assert self.repeated is not None  # expansion needs an alias
            raise self.problem(
                self.repeated[1],
                "anchors and aliases expand to too many values "
                f"(more than {min(expanded, MAX_EXPANDED_NODES * 10):,} from "
                f"{written:,} written); this looks like an alias bomb",
                hint="the value anchored here is repeated through aliases; write the "
                "values out, or use fewer nested aliases",
            )


def _parse_streaming(text: str) -> Any:
    """The value of a plain document (one document; no tag, anchor, alias, merge key
    or repeated key), built from the parser's events without composing the node
    tree: a 17 MB inventory composes into about 460 MiB of nodes and marks, which
    the process would keep as its peak. Anything else raises :class:`_Unusual`."""
    loader = _Loader(text)
    try:
        get = loader.get_event
        if type(get()) is not yaml.StreamStartEvent:
            raise _Unusual
        event = get()
        if type(event) is yaml.StreamEndEvent:
            return None
        if type(event) is not yaml.DocumentStartEvent:
            raise _Unusual
        value = _from_event(loader, get(), 0)
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            raise _Unusual  # several documents: the composer says so
        return value
    finally:
        loader.dispose()


def _parse(text: str, file: str) -> Any:
    try:
        return _parse_streaming(text)
    except Exception:  # any refusal or error: the composed path reports it
        pass
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        check = _NodeCheck(file)
        check.check(root)
        if check.repeated is None:  # no alias: every node is built once
            try:
                return _build(loader, root)
            except _Unusual:
                pass
        return loader.construct_document(root)
    finally:
        loader.dispose()


def load_yaml_text(text: str, file: str) -> YamlDocument:
    """Parse YAML text; raise :class:`InputError` with a located problem on failure."""
    try:
        data = _parse(text, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # conformite's own problems (duplicate keys, numbers) are Text already.
        message = (
            exc.problem
            if isinstance(exc.problem, Text)
            else yaml_problem_text(exc.problem, exc.context)
        )
        raise InputError(
            [
                Problem(
                    file=file,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    message=Text("validate.yaml_syntax", detail=message),
                )
            ]
        ) from None
    except yaml.reader.ReaderError as exc:
        # Raised for characters YAML forbids (NUL, most control characters).
        position = max(0, exc.position)
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        raise InputError(
            [
                Problem(
                    file=file,
                    line=line,
                    column=column,
                    message=Text("yaml.forbidden_character", raw=exc.reason),
                    found=f"U+{exc.character:04X}" if isinstance(exc.character, int) else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(
            [Problem(file=file, message=Text("input.yaml_error", detail=str(exc)))]
        ) from None
    except RecursionError:
        # Only the pure-Python parser (PyYAML without libyaml) gets here; libyaml
        # stops at 1,000 levels with a located error, and the node check at 200.
        raise InputError([Problem(file=file, message=Text("input.too_deep_document"))]) from None
    return YamlDocument(file, text, data)


def read_bounded(path: Path, file: str, limit: int = MAX_FILE_BYTES, kind: str = "YAML") -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; an :class:`InputError` with
    the reason when the file cannot be read or is larger.

    Only regular files (a FIFO would block, a device never end), and at most
    ``limit + 1`` bytes whatever the file's size said when it was checked.
    """

    try:
        return read_regular_file(path, limit)
    except FileTooLarge as exc:
        raise InputError(
            [
                Problem(
                    file=file,
                    message=Text(
                        "input.too_large",
                        size=f"{exc.size / 1_048_576:.1f}"
                        if exc.size
                        else f"> {limit // 1_048_576}",
                        limit=limit // 1_048_576,
                        kind=kind,
                    ),
                    hint=Text("input.split_inventory"),
                )
            ]
        ) from None
    except OSError as exc:
        raise InputError(
            [Problem(file=file, message=Text("input.cannot_read", reason=os_reason(exc)))]
        ) from None


def load_yaml_file(path: Path, display: str | None = None) -> YamlDocument:
    """Read and parse one YAML file with the size and encoding checks."""
    file = display or str(path)
    return load_yaml_bytes(read_bounded(path, file), file)


def load_yaml_bytes(raw: bytes, file: str) -> YamlDocument:
    """Parse YAML bytes already read (e.g. those whose hash was checked): UTF-8 check,
    then :func:`load_yaml_text`."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            [
                Problem(
                    file=file,
                    line=line,
                    column=column,
                    message=Text("input.not_utf8"),
                    found=f"byte 0x{raw[exc.start]:02x}",
                    hint=Text("input.save_utf8"),
                )
            ]
        ) from None
    return load_yaml_text(text, file)
