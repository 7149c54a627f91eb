"""Leaf fields handed as flat variables (catalogue.leaves, engine.projection.LeafHandover).

Every case runs an expression both ways, nested in a plain context (as before
flat variables existed) and through the engine's handover, and requires the
same value or the same error, type and message.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformite.catalogue.cel import _blank_strings, compile_checked
from conformite.catalogue.celbinding import add_functions, cel
from conformite.catalogue.context import make_functions
from conformite.catalogue.leaves import Dual, LeafContext, flatten
from conformite.engine.projection import LeafHandover, _project, paths_tree
from conformite.inventory.model import Service, Vendor
from test_custom_controls import _finding, _workspace

AS_OF = dt.date(2026, 11, 28)
SERVICE = Service(
    id="a", name="A", owner="Greffe", purpose="P", hosting="saas", vendor="v"
).model_dump(mode="json")
SERVICE["security"]["mfa"]["enabled"] = True
SERVICE["endpoints"] = [{"url": "https://a.example", "kind": "web"}]
VENDOR = Vendor(id="v", name="V", country="CH").model_dump(mode="json")


def _outcome(program: Any, context: Any) -> tuple[Any, ...]:
    try:
        return ("value", program.execute(context))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


def _context() -> Any:
    context = cel.Context()
    add_functions(context, make_functions(AS_OF))
    return context


def _both(expression: str, variables: dict[str, Any]) -> tuple[Any, Any, LeafContext]:
    """(nested outcome in a plain context, outcome through the handover, leaf context)."""
    dual, _, paths = compile_checked(expression, "service", parameters={}, variables={})
    tree = paths_tree(paths)
    plain = _context()
    for name, value in variables.items():
        if name in tree:
            plain.add_variable(name, _project(value, tree[name]))
    requirement = SimpleNamespace(program=dual, facts=None)
    control = SimpleNamespace(conditions=(), unknown_when=(), requirements=[requirement])
    handover = LeafHandover(_context(), tree, [control])  # type: ignore[list-item]
    handover.hand(variables)
    context = handover.context
    assert isinstance(context, LeafContext)
    return _outcome(dual.nested, plain), _outcome(dual, context), context


def _service(**changes: Any) -> dict[str, Any]:
    service = copy.deepcopy(SERVICE)
    service.update(changes)
    return service


CASES = [
    # A null intermediate map: the nested error, from the nested program.
    ("service.security.mfa.enabled == true", {"security": None}, "error", True),
    # A missing key: the nested KeyError, word for word.
    ("service.security.mfa.enabled == true", {"security": {"backup": {}}}, "error", True),
    ("service.security.mfa.enabled == true", {}, "value", False),
    # has(): the last field stays a selection, on the flat value before it.
    ("has(service.security.mfa)", {}, "value", False),
    ("has(service.security.mfa)", {"security": {"backup": {}}}, "value", False),
    # ... a null map before it: the flat program itself gives the nested error.
    ("has(service.security.mfa)", {"security": None}, "error", False),
    ("has(service.owner)", {}, "value", False),
    # Iteration over a list read through a chain.
    ('service.endpoints.exists(e, e.kind == "web")', {}, "value", False),
    ("service.endpoints.all(e, e.url.startsWith('https'))", {"endpoints": []}, "value", False),
    ("service.endpoints.exists(e, e.kind == 'web')", {"endpoints": None}, "error", False),
    ("size(service.security.mfa) == 2", {}, "value", False),
    # A string literal holding a path: never rewritten.
    ('service.owner + "service.owner" == "Greffeservice.owner"', {}, "value", False),
    # Short-circuit over a null vendor: same value, the nested program runs.
    ("vendor == null || vendor.dpa.signed_on != null", {}, "value", False),
]


@pytest.mark.parametrize(("expression", "changes", "kind", "broken"), CASES)
def test_flat_and_nested_agree(
    expression: str, changes: dict[str, Any], kind: str, broken: bool
) -> None:
    variables = {"service": _service(**changes), "vendor": None, "derived": {}}
    if "vendor" in expression:
        variables["vendor"] = None if "null" in expression else VENDOR
    nested, flat, context = _both(expression, variables)
    assert flat == nested
    assert flat[0] == kind
    assert bool(context.broken) is broken or "vendor" in expression
    if kind == "error":
        assert "__" not in str(flat)  # no internal variable name in a message


def test_null_vendor_runs_nested_and_a_vendor_runs_flat() -> None:
    expression = "vendor == null || vendor.dpa.signed_on != null"
    variables = {"service": SERVICE, "vendor": None, "derived": {}}
    nested, flat, context = _both(expression, variables)
    assert flat == nested == ("value", True)
    assert context.broken == {"vendor__dpa__signed_on"}
    nested, flat, context = _both(expression, {**variables, "vendor": VENDOR})
    assert flat == nested == ("value", False)
    assert not context.broken


def test_string_literals_and_comments_are_not_rewritten() -> None:
    expression = "service.name == 'service.name' && vendor.id != \"vendor.dpa\" // service.x"
    source, _, leaves = flatten(
        expression, _blank_strings(expression), frozenset({"service", "vendor"})
    )  # type: ignore[misc]
    assert source == (
        "service__name == 'service.name' && vendor__id != \"vendor.dpa\" // service.x"
    )
    assert leaves == {"service__name": ("service", ("name",)), "vendor__id": ("vendor", ("id",))}


@pytest.mark.parametrize(
    "expression",
    [
        "service.owner__x == 1",  # a name with __ could meet a flat variable
        "[1].exists(service, service == 1)",  # a comprehension variable named like a root
        "{1: 2}.all(k, service, service == 2)",  # ... the second of two
        "size([service, 1]) == 2",  # a root followed by a comma: taken for one
    ],
)
def test_expressions_that_stay_nested(expression: str) -> None:
    assert flatten(expression, _blank_strings(expression), frozenset({"service"})) is None


def test_flat_roots_and_dual_programs() -> None:
    dual, bound, _ = compile_checked(
        "vendor != null && vendor.dpa.signed_on != null", "service", parameters={}, variables={}
    )
    assert isinstance(dual, Dual) and dual.flat is not None
    assert bound == 'vendor != null && vendor["dpa"]["signed_on"] != null'  # cost: as written
    assert set(dual.leaves) == {"vendor__", "vendor__dpa__signed_on"}
    assert dual.roots == {"vendor"}
    # The organisation is one target: its expressions stay nested.
    organisation, _, _ = compile_checked(
        "services.size() > 0", "organisation", parameters={}, variables={}
    )
    assert organisation.flat is None


def test_a_custom_control_reading_a_null_map_errors_as_before(tmp_path: Path) -> None:
    # The service has no vendor: the chain breaks, the nested program gives the error.
    finding = _finding(_workspace(tmp_path, "vendor.dpa.signed_on != null"))
    assert finding["outcome"] == "error"
    message = json.dumps(finding["messages"])
    assert "requirements.check" in message and "__" not in message


def test_a_custom_control_with_a_path_in_a_string(tmp_path: Path) -> None:
    finding = _finding(_workspace(tmp_path, "\"'service.owner' != service.owner\""))
    assert finding["outcome"] == "pass"


def _changed(value: Any, path: tuple[str, ...], new: Any) -> Any:
    """A copy of ``value`` with ``path`` set to ``new`` (``_DELETE``: removed)."""
    if len(path) == 1:
        out = dict(value)
        if new is _DELETE:
            out.pop(path[0], None)
        else:
            out[path[0]] = new
        return out
    return {**value, path[0]: _changed(value[path[0]], path[1:], new)}


_DELETE = object()


def _mutations(variables: dict[str, Any], chains: set[tuple[str, ...]]) -> Any:
    """The target as it is, then with each map along each chain null, missing,
    a string, a list; and each root null."""
    yield variables
    prefixes = {chain[:i] for chain in chains for i in range(1, len(chain))}
    for prefix in sorted(prefixes):
        root, fields = prefix[0], prefix[1:]
        value = variables.get(root)
        if not fields:
            yield {**variables, root: None}
            continue
        walked = value
        for name in fields[:-1]:
            walked = walked.get(name) if isinstance(walked, dict) else None
        if not isinstance(walked, dict):
            continue
        for new in (None, _DELETE, "text", []):
            yield {**variables, root: _changed(value, fields, new)}


def test_flat_and_nested_agree_on_every_control_of_the_demo() -> None:
    """Every built-in expression on the demo's services and vendors, and on
    copies with each map along each flat chain broken: the engine's contexts give
    the value or error, type and message, that the expression as written gives."""
    from conformite._paths import demo_dir
    from conformite.engine.derive import derive
    from conformite.engine.evaluation import evaluation_input
    from conformite.engine.projection import Handover, _programs, functions_called
    from conformite.engine.targets import _base_context, iter_targets, projection
    from conformite.engine.workspace import load_workspace

    data = evaluation_input(load_workspace(demo_dir()), AS_OF, "en")
    catalogue = load_workspace(demo_dir()).catalogue
    targets = list(iter_targets(data, derive(data.inventory, data.reference)))
    compared = broken = errors = 0
    for kind in ("service", "vendor"):  # (endpoints and the organisation: nested only)
        controls = [c for c in catalogue.controls if c.control.target == kind]
        programs = list(_programs(controls))
        tree = projection(controls)
        functions = functions_called(controls)
        nested = Handover(_base_context(data, tree, functions), tree)
        flat = LeafHandover(_base_context(data, tree, functions), tree, controls)
        chains = {(root, *fields) for p in programs for root, fields in p.leaves.values()}
        for target in [t for t in targets if t.kind == kind]:
            for variables in _mutations(target.variables, chains):
                nested.hand(variables)
                flat.hand(variables)
                broken += bool(flat.context.broken)
                for program in programs:
                    expected = _outcome(program.nested, nested.context)
                    assert _outcome(program, flat.context) == expected, program.leaves
                    compared += 1
                    errors += expected[0] == "error"
    assert compared > 400_000 and broken > 2_000 and errors > 45_000
