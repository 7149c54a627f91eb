"""Safe, bounded YAML reading with line and column positions.

Inventories, controls and profiles are read here and nowhere else:

* only plain data is built (libyaml-backed safe loader, no Python objects);
* YAML 1.2 booleans: only ``true``/``false``. YAML 1.1 would read Norway's
  country code ``NO`` as ``False``, which in a data-protection tool is a bug;
* duplicate keys are errors, not a silent "last one wins";
* limits on file size and on the size an anchor/alias graph expands to
  ("billion laughs"), and deep nesting reported rather than crashing;
* positions: on a validation error the file is composed again (nodes carry
  marks) and the field path is mapped back to ``line:column``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from conformite.errors import InputError, Problem

__all__ = ["MAX_FILE_BYTES", "YamlDocument", "load_yaml_file", "load_yaml_text"]

#: Larger inventories than this are not hand-written; refusing them bounds memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: How many nodes a document may expand to once aliases are followed.
MAX_EXPANDED_NODES = 2_000_000
#: An expansion this many times larger than the text's own nodes is an alias bomb.
MAX_EXPANSION_RATIO = 50


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe loader with YAML 1.2 booleans and duplicate-key detection."""

    def _located(self, construct: Any, node: yaml.ScalarNode) -> Any:
        """Run a scalar constructor; turn Python's ValueError into a located YAML error."""
        try:
            return construct(self, node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value {node.value[:40]!r}: {exc}", node.start_mark
            ) from None

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        return self._located(yaml.SafeLoader.construct_yaml_timestamp, node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:  # type: ignore[override]
        return self._located(yaml.SafeLoader.construct_yaml_int, node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Compare scalar keys by their text (cheap); other keys are rare and
        # left to the constructor, which rejects unhashable ones.
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                continue
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    f"while reading the mapping started at line {node.start_mark.line + 1}",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)

# Replace the YAML 1.1 boolean resolver (yes/no/on/off/y/n) by YAML 1.2's.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
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


def _expanded_size(data: Any, limit: int) -> tuple[int, int]:
    """Count nodes as a consumer would see them (aliases expanded) and distinct nodes.

    Memoised by object identity, so the count is exact and the walk linear in
    the *distinct* nodes even for an alias bomb.
    """
    memo: dict[int, int] = {}

    def size(obj: Any, depth: int) -> int:
        if isinstance(obj, dict | list):
            known = memo.get(id(obj))
            if known is not None:
                return known
            if depth > 200:
                raise RecursionError
            items = obj.values() if isinstance(obj, dict) else obj
            total = 1
            for item in items:
                total += size(item, depth + 1)
                if total > limit * 10:
                    break
            memo[id(obj)] = total
            return total
        return 1

    return size(data, 0), len(memo)


def load_yaml_text(text: str, file: str) -> YamlDocument:
    """Parse YAML text; raise :class:`InputError` with a located problem on failure."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "invalid YAML"
        if exc.context and "duplicate key" not in message:
            message = f"{message} ({exc.context})"
        raise InputError(
            [
                Problem(
                    file=file,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    message=f"YAML syntax error: {message}",
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
                    message=f"character not allowed in YAML: {exc.reason}",
                    found=f"U+{exc.character:04X}" if isinstance(exc.character, int) else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(file=file, message=f"YAML error: {exc}")]) from None
    except RecursionError:
        raise InputError(
            [Problem(file=file, message="the document is nested too deeply to be an inventory")]
        ) from None
    try:
        expanded, distinct = _expanded_size(data, MAX_EXPANDED_NODES)
    except RecursionError:
        raise InputError(
            [
                Problem(
                    file=file,
                    message="the document is nested too deeply (more than 200 levels)",
                )
            ]
        ) from None
    if expanded > MAX_EXPANDED_NODES or (
        expanded > 10_000 and expanded > MAX_EXPANSION_RATIO * max(distinct, 1)
    ):
        raise InputError(
            [
                Problem(
                    file=file,
                    message="anchors and aliases expand to too many values "
                    f"(more than {min(expanded, MAX_EXPANDED_NODES * 10):,}); "
                    "this looks like an alias bomb",
                    hint="write the values out, or use fewer nested aliases",
                )
            ]
        )
    return YamlDocument(file, text, data)


def load_yaml_file(path: Path, display: str | None = None) -> YamlDocument:
    """Read and parse one YAML file with the size and encoding checks."""
    file = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Problem(file=file, message=f"cannot read: {exc.strerror}")]) from None
    if size > MAX_FILE_BYTES:
        raise InputError(
            [
                Problem(
                    file=file,
                    message=f"file is {size / 1_048_576:.1f} MiB, more than the "
                    f"{MAX_FILE_BYTES // 1_048_576} MiB limit for one YAML file",
                    hint="split the inventory or check that this is the right file",
                )
            ]
        )
    raw = path.read_bytes()
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
                    message="the file is not valid UTF-8",
                    found=f"byte 0x{raw[exc.start]:02x}",
                    hint="save the file as UTF-8 (most editors: 'Save with encoding')",
                )
            ]
        ) from None
    return load_yaml_text(text, file)
