"""A YAML document's values built straight from libyaml (for :mod:`.safe_yaml`).

Two builders give the values PyYAML's safe constructor would, with the YAML 1.2
scalars of safe_yaml's loader (whose resolver and number constructors they call):

* :func:`build_from_nodes` walks a composed node tree (documents without aliases);
* :func:`build_from_event` reads the parser's events as they come and keeps no
  node at all: a 17 MB inventory composes into about 460 MiB of nodes and marks.

Anything they do not handle as PyYAML would (a tag, an anchor or alias, a merge
key, a repeated key, a collection as a key, nesting deeper than
:data:`MAX_DEPTH`) raises :class:`Unusual`: safe_yaml then takes the composed
path, which checks the document and reports its problems with their lines.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "STR", "TAG", "Unusual", "build_from_event", "build_from_nodes"]

TAG = "tag:yaml.org,2002:"
STR = TAG + "str"
#: Nodes nested deeper than this are refused (libyaml itself stops at 1,000).
MAX_DEPTH = 200


class Unusual(Exception):
    """A node the direct builder leaves to PyYAML's constructor."""


_NULL, _BOOL, _INT, _FLOAT = (TAG + "null", TAG + "bool", TAG + "int", TAG + "float")
_TIMESTAMP, _MERGE = TAG + "timestamp", TAG + "merge"


def build_from_nodes(loader: Any, node: yaml.Node) -> Any:
    """The value of a document without aliases, built straight from its nodes.

    PyYAML's constructor is generic (a generator and a dispatch per node, alias
    bookkeeping) and was most of an inventory's load. This builds the same
    values: scalars by their resolved tag (integers, floats and dates through
    the loader's own constructors, for their located errors), lists, and
    mappings of scalar keys. Anything else (a merge key ``<<``, a repeated key,
    a collection as a key, another tag) raises :class:`Unusual`, and the whole
    document is left to PyYAML, which builds it or raises the located error.
    """
    kind = type(node)
    if kind is yaml.ScalarNode:
        return _scalar(loader, node.tag, node.value, node)
    if kind is yaml.SequenceNode:
        return [build_from_nodes(loader, item) for item in node.value]
    keys = []
    for key_node, _ in node.value:
        if type(key_node) is not yaml.ScalarNode or key_node.tag == _MERGE:
            raise Unusual
        keys.append(build_from_nodes(loader, key_node))
    if len(set(keys)) != len(keys):
        raise Unusual  # the loader reports the repeated key with both lines
    pairs = zip(keys, node.value, strict=True)
    return {key: build_from_nodes(loader, value) for key, (_, value) in pairs}


def _scalar(loader: Any, tag: str, value: str, source: Any) -> Any:
    """The value of a scalar by its resolved tag; ``source`` (its node, or the
    parser's event) gives the position of a number or date that is refused."""
    if tag == STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"  # the resolver matched true or false
    if tag not in (_INT, _FLOAT, _TIMESTAMP):
        raise Unusual
    node = source
    if type(node) is not yaml.ScalarNode:
        node = yaml.ScalarNode(tag, value, source.start_mark, source.end_mark)
    if tag == _INT:
        return loader.construct_yaml_int(node)
    if tag == _FLOAT:
        return loader.construct_yaml_float(node)
    return loader.construct_yaml_timestamp(node)


def build_from_event(loader: Any, event: Any, depth: int) -> Any:
    """The value starting at ``event``, built as the parser reads on (no nodes kept)."""
    kind = type(event)
    if kind is yaml.AliasEvent or event.anchor is not None or event.tag is not None:
        raise Unusual  # anchors and tags: the composed path checks and reports them
    if kind is yaml.ScalarEvent:
        value = event.value
        return _scalar(loader, loader.resolve(yaml.ScalarNode, value, event.implicit), value, event)
    if depth >= MAX_DEPTH:
        raise Unusual  # refused with its line by the node check
    get = loader.get_event
    if kind is yaml.SequenceStartEvent:
        items = []
        event = get()
        while type(event) is not yaml.SequenceEndEvent:
            items.append(build_from_event(loader, event, depth + 1))
            event = get()
        return items
    mapping: dict[Any, Any] = {}
    event = get()
    while type(event) is not yaml.MappingEndEvent:
        if type(event) is not yaml.ScalarEvent:
            raise Unusual  # a collection or an alias as a key
        key = build_from_event(loader, event, depth + 1)
        if key in mapping:
            raise Unusual  # the loader reports the repeated key with both lines
        mapping[key] = build_from_event(loader, get(), depth + 1)
        event = get()
    return mapping
