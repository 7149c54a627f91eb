"""The CEL layer: how expressions are rewritten and what the checker says they read."""

from __future__ import annotations

import pytest

from conformite.catalogue.cel import PRESENCE, check_expression, index_fields
from conformite.catalogue.celbinding import cel
from conformite.catalogue.context import FUNCTIONS, context_shape
from conformite.engine.targets import _project, projection


@pytest.mark.parametrize(
    ("source", "rewritten"),
    [
        ("vendor.dpa.signed_on", 'vendor["dpa"]["signed_on"]'),
        ("has(vendor.dpa.signed_on)", 'has(vendor["dpa"].signed_on)'),
        ("has( vendor.dpa )", "has( vendor.dpa )"),
        (
            "vendor.sub_processors.exists(s, s.country in ref.adequate_countries)",
            'vendor["sub_processors"].exists(s, s["country"] in ref["adequate_countries"])',
        ),
        ("math.greatest([1, 2])", "math.greatest([1, 2])"),
        ('service.name + "a.b.c" + x.y', 'service["name"] + "a.b.c" + x["y"]'),
        (
            "days_since(service.security.last_review_on)",
            'days_since(service["security"]["last_review_on"])',
        ),
        ("vendor.name.startsWith('A')", "vendor[\"name\"].startsWith('A')"),
        ("size(vendor_services) > 0", "size(vendor_services) > 0"),
        ("vendor\n  .dpa\n  .signed_on", 'vendor["dpa"]["signed_on"]'),
    ],
)
def test_field_selections_become_indexing(source: str, rewritten: str) -> None:
    assert index_fields(source) == rewritten
    assert index_fields(rewritten) == rewritten  # idempotent: inlined variables are rewritten twice


CONTEXT = {
    "m": {"a": None, "b": {"c": 1, "d": [1, 2]}, "s": "text", "l": [{"x": 1}, {"x": 2}]},
    "n": None,
}


@pytest.mark.parametrize(
    "expression",
    [
        "m.b.c",
        "m.b.d.exists(v, v == 2)",
        "m.l.map(e, e.x)",
        "has(m.b.c)",
        "has(m.b.z)",
        "m.a == null",
        "m.a.x",  # select on null: an error either way
        "m.z",  # missing key
        "m.b.z",
        "m.s.x",  # select on a string
        "has(m.a.x)",
        "n.x",
        "m.l.x",
    ],
)
def test_indexing_means_the_same_as_selection(expression: str) -> None:
    context = cel.Context()
    for name, value in CONTEXT.items():
        context.add_variable(name, value)

    def run(source: str) -> object:
        try:
            return cel.compile(source).execute(context)
        except Exception as exc:  # the binding raises several types: compare them
            return type(exc)

    assert run(index_fields(expression)) == run(expression)


def paths_of(expression: str, target: str = "organisation") -> set[tuple[str, ...]]:
    return check_expression(expression, dict(context_shape(target)), FUNCTIONS)


def test_a_macro_reads_only_what_its_body_reads() -> None:
    paths = paths_of('services.exists(s, s.name == "x")')
    assert paths == {("services", "[]", PRESENCE), ("services", "[]", "name")}


def test_size_of_a_list_needs_only_its_elements() -> None:
    assert paths_of("size(vendor_services) > 0", "vendor") == {("vendor_services", "[]", PRESENCE)}
    # A string's size needs the string.
    assert paths_of("size(vendor.name) > 0", "vendor") == {("vendor", "name")}


def test_filter_keeps_whole_elements() -> None:
    # filter() returns whole records, whose later use the checker cannot follow.
    paths = paths_of("vendor.sub_processors.filter(s, s.approved).size() > 0", "vendor")
    assert ("vendor", "sub_processors") in paths


def test_projection_keeps_the_elements_but_not_unread_fields() -> None:
    paths = paths_of('services.exists(s, s.name == "x") && size(vendors) > 1')

    class Control:  # what projection() reads of a compiled control
        def __init__(self, read: set[tuple[str, ...]]) -> None:
            self.paths = read

    tree = projection([Control(paths)])  # type: ignore[list-item]
    services = [{"name": "a", "purpose": "long text"}, {"name": "x", "purpose": "more"}]
    vendors = [{"id": "v1", "name": "V"}, {"id": "v2", "name": "W"}]
    assert _project(services, tree["services"]) == [{"name": "a"}, {"name": "x"}]
    assert _project(vendors, tree["vendors"]) == [{}, {}]


def test_a_comprehension_variable_is_bound_inside_its_macro_only() -> None:
    # After the macro, ``commune`` is the context variable again: its field is read.
    paths = paths_of(
        'service.endpoints.exists(commune, commune.kind == "web") || commune.name == "T"',
        "service",
    )
    assert ("commune", "name") in paths
    assert ("service", "endpoints", "[]", "kind") in paths


@pytest.mark.parametrize(
    ("expression", "rewritten"),
    [
        # A raw string has no escapes: r'\' is a whole string, and what follows is code.
        (
            r"service.name == r'\' || service.owner == 'service.owner'",
            r"""service["name"] == r'\' || service["owner"] == 'service.owner'""",
        ),
        # A comment is not code.
        (
            'service.owner == "a" // service.owner.x\n || service.name == "b"',
            'service["owner"] == "a" // service.owner.x\n || service["name"] == "b"',
        ),
        (
            r"service.owner == '''a.b''' || service.name == 'it\'s.x'",
            r"""service["owner"] == '''a.b''' || service["name"] == 'it\'s.x'""",
        ),
    ],
)
def test_rewriting_leaves_strings_and_comments_alone(expression: str, rewritten: str) -> None:
    assert index_fields(expression) == rewritten
    context = cel.Context()
    context.add_variable("service", {"name": "x", "owner": "service.owner"})
    expected = cel.compile(expression).execute(context)
    assert cel.compile(rewritten).execute(context) == expected
