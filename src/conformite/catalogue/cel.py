"""CEL compilation with the checks the CEL binding does not do.

``cel.compile`` checks syntax only; an unknown variable or a misspelt field
would surface at evaluation time as an ``error`` outcome in every audit. Here
every expression is also checked statically when the catalogue loads:

* every identifier must be a context variable, a bound comprehension
  variable (``exists(s, ...)``), a function or a CEL keyword;
* every field path rooted in a known variable (``vendor.dpa.signed_on``,
  ``s.country`` where ``s`` ranges over ``vendor.sub_processors``) must exist
  in the context's shape (:mod:`conformite.catalogue.context`).

The check reads the expression's tokens, not a full AST: it is conservative
(it never rejects a valid expression over a field that exists) and catches
the typos that matter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from conformite.catalogue.celbinding import cel
from conformite.catalogue.context import ANY, FUNCTIONS, Shape, context_shape
from conformite.catalogue.leaves import FLAT_ROOTS, Dual, cut_after, flatten
from conformite.errors import Text, closest, did_you_mean

__all__ = ["ExpressionError", "cel", "compile_checked"]

_MACROS = {"all", "exists", "exists_one", "map", "filter"}
_KEYWORDS = {"true", "false", "null", "in", "has"}
_TYPE_NAMES = {
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
    "timestamp",
    "duration",
}
# cel-go style extension libraries shipped by the binding (cel.stdlib).
_NAMESPACES = {"math", "sets", "base64", "strings", "lists"}
# String literals and // comments. A raw literal has no escapes (r'\' is a whole
# string); the prefix of a raw or bytes literal cannot end a name ("owner'").
_LITERAL = re.compile(
    r"""(?<!\w)(?:[bB]?[rR]|[rR][bB])(?:'''.*?'''|\"\"\".*?\"\"\"|'[^'\n]*'|"[^"\n]*")"""
    r"""|(?:(?<!\w)[bB])?(?:'''(?:\\.|.)*?'''|\"\"\"(?:\\.|.)*?\"\"\""""
    r"""|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")"""
    r"""|//[^\n]*""",
    re.S,
)
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)*)(\s*\()?")
_SEGMENT = re.compile(r"\.\s*([A-Za-z_]\w*)")
_BINDING = re.compile(r"\.\s*(all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


@dataclass
class ExpressionError(Exception):
    """Why an expression cannot be used, with a hint when one helps."""

    message: str
    hint: str | None = None


def _blank_strings(expression: str) -> str:
    """Replace string literals by ``""`` and comments by spaces (offsets are kept).

    What remains is code only: names, fields and parentheses.
    """

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("//"):
            return " " * len(text)
        return '""' + " " * (len(text) - 2)

    return _LITERAL.sub(blank, expression)


def _closing_paren(text: str, opening: int) -> int:
    """The offset of the parenthesis closing the one at ``opening`` (end of text if none)."""
    depth = 0
    for index in range(opening, len(text)):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(text)


def _field_shape(shape: Shape, name: str) -> Shape | None:
    if shape is ANY:
        return ANY
    if isinstance(shape, dict):
        return shape.get(name)
    return None


def _element(shape: Shape) -> Shape:
    if isinstance(shape, list):
        return shape[0]
    return ANY


def _walk(
    root_name: str, root: Shape, segments: list[str], is_call: bool
) -> tuple[Shape, str | None]:
    """Follow ``segments`` from ``root``; return (shape reached, problem or None).

    When the chain ends in a call (``x.size()``, ``l.exists(...)``) the last
    segment is a method, not a field.
    """
    fields = segments[:-1] if is_call and segments else segments
    shape = root
    walked = root_name
    for name in fields:
        if isinstance(shape, list):
            return ANY, (
                f"'{walked}' is a list: use a macro such as "
                f"{walked}.exists(x, x.{name} ...) to read '{name}' of its items"
            )
        nxt = _field_shape(shape, name)
        if nxt is None:
            if not isinstance(shape, dict):
                return ANY, Text("cel.plain_value", walked=walked, name=name)
            suggestion = closest(name, shape)
            hint = did_you_mean(f"{walked}.{suggestion}") if suggestion else None
            known = ", ".join(sorted(shape)) if len(shape) <= 12 else None
            raise ExpressionError(
                Text("cel.unknown_field", name=name, walked=walked),
                hint or (Text("cel.known_fields", fields=known) if known else None),
            )
        shape = nxt
        walked = f"{walked}.{name}"
    return shape, None


#: Macros whose result is made only of what their body computes. ``filter``
#: is not one: it returns whole elements, whose later use is not tracked.
_ELEMENT_MACROS = {"all", "exists", "exists_one", "map"}

#: Lists that grow with the commune: CEL's filter() re-copies its result list at
#: every step, so on lists of records it is quadratic (about 6 s for 1,000
#: services); map(x, condition, value) keeps only small values.
_LONG_LISTS = {("services",), ("vendors",)}

#: The last element of a recorded path when only the value's presence is read
#: (``vendor != null``): the value must be there, none of its fields.
PRESENCE = "?"
_NULL_TEST_AFTER = re.compile(r"\s*[!=]=\s*null\b")
_NULL_TEST_BEFORE = re.compile(r"\bnull\s*[!=]=\s*$")
_SIZE_BEFORE = re.compile(r"(?<![\w.])size\s*\(\s*$")
_CLOSE_AFTER = re.compile(r"\s*\)")


def check_expression(
    expression: str, variables: dict[str, Shape], functions: set[str]
) -> set[tuple[str, ...]]:
    """Raise :class:`ExpressionError` for unknown names or fields in ``expression``.

    Returns the context paths the expression reads, e.g. ``("vendor", "dpa",
    "signed_on")``; ``"[]"`` stands for "each element of the list" and a final
    :data:`PRESENCE` for a value only compared with ``null``. The evaluation
    uses them to hand CEL only the parts of the context a control can read.
    """
    text = _blank_strings(expression)
    # Comprehension variables, with the offset from which they are bound.
    bindings: list[tuple[int, int, str, Shape, tuple[str, ...]]] = []
    paths: set[tuple[str, ...]] = set()

    def binding_of(name: str, position: int) -> tuple[Shape, tuple[str, ...]] | None:
        for start, end, bound, shape, path in reversed(bindings):
            if bound == name and start <= position < end:
                return shape, path
        if name in variables:
            return variables[name], (name,)
        return None

    declarations: set[int] = set()  # offsets of comprehension variables where bound
    for match in _CHAIN.finditer(text):
        if match.start() in declarations:
            continue  # ``s`` in ``exists(s, ...)`` declares a name; it reads nothing
        root = match.group(1)
        segments = _SEGMENT.findall(match.group(2) or "")
        is_call = bool(match.group(3))
        start = match.start()
        if root in _KEYWORDS or root in _TYPE_NAMES:
            continue
        if not segments and is_call:
            if root not in functions and root not in _MACROS:
                raise ExpressionError(
                    Text("cel.unknown_function", name=root),
                    _suggest(root, functions),
                )
            continue
        if root in _NAMESPACES and is_call:
            continue
        found = binding_of(root, start)
        root_shape, root_path = found if found is not None else (None, ())
        if root_shape is None:
            # A name bound later in the text is a comprehension variable used
            # inside its own macro (the binding regex starts after the name).
            if any(b[2] == root for b in bindings) or _is_bound_later(text, root):
                continue
            raise ExpressionError(
                Text("cel.unknown_variable", name=root),
                _suggest(root, list(variables)),
            )
        shape, problem = _walk(root, root_shape, segments, is_call)
        if problem:
            raise ExpressionError(problem)
        fields = tuple(segments[:-1] if is_call and segments else segments)
        path = root_path + fields
        null_test = not is_call and (
            _NULL_TEST_AFTER.match(text, match.end()) or _NULL_TEST_BEFORE.search(text, 0, start)
        )
        counted = (
            not is_call
            and _SIZE_BEFORE.search(text, 0, start) is not None
            and _CLOSE_AFTER.match(text, match.end()) is not None
        )
        if isinstance(shape, list) and (
            counted or (is_call and segments and segments[-1] in _ELEMENT_MACROS)
        ):
            # size(list) needs only the elements' number; a macro's body reads
            # them through its bound variable, which records its own paths.
            paths.add((*path, "[]", PRESENCE))
        else:
            paths.add((*path, PRESENCE) if null_test else path)
        if (
            is_call
            and segments
            and segments[-1] == "filter"
            and path[:1] in _LONG_LISTS
            and isinstance(shape, list)
            and isinstance(shape[0], dict)
        ):
            raise ExpressionError(
                Text("cel.filter_copies", path=".".join(path)),
                Text("cel.use_map", path=".".join(path)),
            )
        if is_call and segments and segments[-1] in _MACROS:
            # Bind the comprehension variable to the element shape.
            after = text[match.end() - 1 :]
            bind = re.match(r"\(\s*([A-Za-z_]\w*)\s*,", after)
            if bind:
                declarations.add(match.end() - 1 + bind.start(1))
                element = _element(shape) if isinstance(shape, list) else ANY
                # The name is bound inside the macro's parentheses only.
                end = _closing_paren(text, match.end() - 1)
                bindings.append((match.end(), end, bind.group(1), element, (*path, "[]")))
    return paths


def _is_bound_later(text: str, name: str) -> bool:
    return any(m.group(2) == name for m in _BINDING.finditer(text))


def _suggest(name: str, candidates: Any) -> str | None:
    return did_you_mean(closest(name, candidates))


def _literal(value: Any) -> str:
    """A parameter value as a CEL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    raise TypeError(f"unsupported parameter value {value!r}")


_REFERENCE = re.compile(r"(?<![\w.])(params|variables)\s*\.\s*([A-Za-z_]\w*)")


def bind(expression: str, parameters: dict[str, Any], variables: dict[str, str]) -> str:
    """Substitute ``params.X`` by its literal value and ``variables.Y`` by its expression.

    The CEL binding re-converts the whole context after any change to it, so
    values that are constant for a control are written into its program
    instead of being set in the context for every evaluation. ``variables``
    maps names to already-bound expressions (pure, so inlining keeps meaning).
    """

    def replacement(kind: str, name: str) -> str:
        return _literal(parameters[name]) if kind == "params" else f"({variables[name]})"

    return _splice(
        expression,
        (
            (match.start(), match.end(), replacement(match.group(1), match.group(2)))
            for match in _REFERENCE.finditer(_blank_strings(expression))
        ),
    )


def _splice(expression: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """``expression`` with each (start, end) span, given in order, replaced by its text."""
    out = []
    last = 0
    for start, end, text in edits:
        out.append(expression[last:start])
        out.append(text)
        last = end
    out.append(expression[last:])
    return "".join(out)


_HAS_BEFORE = re.compile(r"(?<![\w.])has\s*\(\s*$")


def index_fields(expression: str, blanked: str | None = None) -> str:
    """Write field selections on names as map indexing: ``a.b.c`` → ``a["b"]["c"]``.

    Same meaning and same errors on maps (a missing key, a null, a string),
    but the CEL interpreter copies a map selected with ``.field`` in full,
    while ``["field"]`` hands out a shared reference: on the benchmark's
    records, 12 µs against 0.3 µs per selection of a large map. Method
    calls (``.exists(``) and the last field inside ``has()`` stay as written;
    ``has()`` needs a selection.
    """
    text = _blank_strings(expression) if blanked is None else blanked
    return _splice(expression, _field_selections(text))


def _field_selections(text: str) -> Iterator[tuple[int, int, str]]:
    """The (start, end, indexed form) of each chain of field selections in ``text``."""
    for match in _CHAIN.finditer(text):
        root = match.group(1)
        segments = _SEGMENT.findall(match.group(2) or "")
        if not segments or root in _KEYWORDS or root in _TYPE_NAMES:
            continue
        is_call = bool(match.group(3))
        fields, method = (segments[:-1], segments[-1]) if is_call else (segments, None)
        selected: list[str] = []
        if not is_call and _HAS_BEFORE.search(text, 0, match.start()):
            fields, selected = fields[:-1], fields[-1:]
        if not fields:
            continue
        rewritten = root + "".join(f'["{name}"]' for name in fields)
        rewritten += "".join(f".{name}" for name in selected)
        if method is not None:
            rewritten += f".{method}"
        yield match.start(), match.start(3) if is_call else match.end(2), rewritten


#: Longest expression accepted, as written and once its variables and
#: parameters are written into it (the built-in catalogue's longest: 1,202).
#: Variables referring to variables twice would double the text at each step.
MAX_SOURCE = 10_000
MAX_BOUND = 50_000
#: Most iterations that nested comprehensions over lists written in the
#: expression (``[1, 2, 3]``, ``lists.range(1000)``, list parameters) may make
#: on one target. Lists from the context are bounded at run time
#: (:mod:`conformite.engine.guard`).
MAX_LITERAL_ITERATIONS = 100_000

_MACRO_CALL = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(")
_RANGE_CALL = re.compile(r"(?<![\w.])lists\s*\.\s*range\s*\(\s*(\d+)\s*\)")
_RANGE_BEFORE = re.compile(r"(?<![\w.])lists\s*\.\s*range\s*$")


def _opening(text: str, closing: int) -> int:
    """The offset of the bracket opening the one at ``closing`` (-1 if none)."""
    depth = 0
    for index in range(closing, -1, -1):
        char = text[index]
        if char in ")]}":
            depth += 1
        elif char in "([{":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _literal_size(text: str, end: int) -> int:
    """How many elements the list (or map) written just before ``end`` has, if written
    in the expression: a literal, ``lists.range(N)``, or a sum of them in parentheses;
    else 1 (the run-time limits bound the rest)."""
    end = len(text[:end].rstrip())
    if end == 0 or text[end - 1] not in ")]}":
        return 1
    start = _opening(text, end - 1)
    if start < 0:
        return 1
    before = text[:start].rstrip()
    inner = text[start + 1 : end - 1]
    named = bool(before) and (before[-1].isalnum() or before[-1] == "_")
    if text[end - 1] in "]}":
        if named or (before and before[-1] in ")]."):
            return 1  # an index (a[0]) or a message (T{f: 1})
        return _count_elements(inner)
    if _RANGE_BEFORE.search(before) and inner.strip().isdigit():
        return int(inner)
    if named:
        return 1  # a call: size(x)
    # (a + b): each part's size, summed.
    return sum(_literal_size(part, len(part)) for part in _top_level_parts(inner, "+"))


def _top_level_parts(inner: str, separator: str) -> list[str]:
    parts = []
    depth = 0
    last = 0
    for index, char in enumerate(inner):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(inner[last:index])
            last = index + 1
    parts.append(inner[last:])
    return parts


def _count_elements(inner: str) -> int:
    if not inner.strip():
        return 0
    parts = _top_level_parts(inner, ",")
    return len(parts) - (0 if parts[-1].strip() else 1)


def check_cost(bound: str, text: str | None = None) -> None:
    """Raise :class:`ExpressionError` when ``bound`` (an expression with its
    variables and parameters written in) is statically too costly.

    ``text`` is ``bound`` with its strings blanked, when already computed.
    """
    if len(bound) > MAX_BOUND:
        raise ExpressionError(
            Text("cel.too_long_bound", length=f"{len(bound):,}", limit=f"{MAX_BOUND:,}"),
            Text("cel.too_long_bound_hint"),
        )
    if text is None:
        text = _blank_strings(bound)
    for ranged in _RANGE_CALL.finditer(text):
        if int(ranged.group(1)) > MAX_LITERAL_ITERATIONS:
            raise ExpressionError(
                Text(
                    "cel.range_too_long",
                    count=ranged.group(1),
                    limit=f"{MAX_LITERAL_ITERATIONS:,}",
                )
            )
    # Each comprehension: its span (the parentheses) and the size of its list.
    spans = [
        (m.end() - 1, _closing_paren(text, m.end() - 1), _literal_size(text, m.start()))
        for m in _MACRO_CALL.finditer(text)
    ]
    worst = 0
    for start, end, size in spans:
        iterations = size
        for outer_start, outer_end, outer_size in spans:
            if outer_start < start and end <= outer_end:
                iterations *= max(outer_size, 1)
        worst = max(worst, iterations)
    if worst > MAX_LITERAL_ITERATIONS:
        raise ExpressionError(
            Text(
                "cel.nested_too_costly",
                iterations=f"{worst:,}",
                limit=f"{MAX_LITERAL_ITERATIONS:,}",
            ),
            Text("cel.nested_too_costly_hint"),
        )


def _compile(expression: str) -> Any:
    """``cel.compile``; its parser's failures (some are Rust panics) as ExpressionError."""
    try:
        return cel.compile(expression)
    except (ValueError, RuntimeError) as exc:
        detail = str(exc).split("ERROR: <input>:", 1)[-1].strip()
        raise ExpressionError(Text("cel.syntax", detail=detail)) from None
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise ExpressionError(Text("cel.parser_failed", detail=str(exc))) from None


def compile_checked(
    expression: str,
    target: str,
    *,
    parameters: dict[str, Any],
    variables: dict[str, str],
) -> tuple[Any, str, set[tuple[str, ...]]]:
    """Check and compile ``expression`` for a control on ``target``.

    ``variables`` are the control's earlier variables (name -> bound expression).
    Returns the program, the bound source and the context paths it reads;
    raises :class:`ExpressionError`.
    """
    _compile(expression)
    if len(expression) > MAX_SOURCE:
        raise ExpressionError(
            Text("cel.too_long", length=f"{len(expression):,}", limit=f"{MAX_SOURCE:,}")
        )
    shape = dict(context_shape(target))
    shape["params"] = dict.fromkeys(parameters, ANY)
    shape["variables"] = dict.fromkeys(variables, ANY)
    paths = check_expression(expression, shape, FUNCTIONS)
    bound = bind(expression, parameters, variables)
    blanked = _blank_strings(bound)
    check_cost(bound, blanked)
    flat = _flat_program(bound, blanked, target)
    bound = index_fields(bound, blanked)
    # Variables are inlined: what they read is read by the expression too.
    paths = {p for p in paths if p[0] not in ("params", "variables")}
    program = _compile(bound)
    if flat is None:
        return Dual(program), bound, paths
    return Dual(program, *flat), bound, paths


def _flat_program(
    bound: str, blanked: str, target: str
) -> tuple[Any, dict[str, tuple[str, tuple[str, ...]]]] | None:
    """The flat form of ``bound`` (see :mod:`conformite.catalogue.leaves`): its
    program and flat variables; None where it has none. ``bound`` was checked:
    the flat form reads the same fields, each through one variable."""
    roots = FLAT_ROOTS.get(target)
    found = flatten(bound, blanked, roots, cut_after(target)) if roots else None
    if found is None:
        return None
    source, blanked_source, leaves = found
    return _compile(index_fields(source, blanked_source)), leaves
