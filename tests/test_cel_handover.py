"""Handing targets' values to the CEL binding: converted only when they changed,
and contexts holding only the functions their controls call."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from conformite.catalogue.celbinding import add_functions, cel
from conformite.catalogue.context import make_functions
from conformite.engine.projection import Handover, functions_called, paths_tree


class Counting:
    """A real context that counts the variables handed to it."""

    def __init__(self) -> None:
        self.context = cel.Context()
        self.added: list[str] = []

    def add_variable(self, name: str, value: Any) -> None:
        self.added.append(name)
        self.context.add_variable(name, value)


def test_a_variable_is_converted_again_only_when_it_changed() -> None:
    tree = paths_tree([("vendor", "name"), ("derived", "needs")])
    counting = Counting()
    handover = Handover(counting, tree)
    vendor = {"name": "A", "long": "unread"}
    handover.hand({"vendor": vendor, "derived": {"needs": 1}, "other": 1})
    assert counting.added == ["vendor", "derived"]  # "other" is read by no control
    # The same vendor object, and an equal (new) derived value: nothing converted.
    handover.hand({"vendor": vendor, "derived": {"needs": 1}})
    assert counting.added == ["vendor", "derived"]
    # Equal once projected: the unread field changed only.
    handover.hand({"vendor": {"name": "A", "long": "other"}, "derived": {"needs": 2}})
    assert counting.added == ["vendor", "derived", "derived"]
    program = cel.compile('vendor["name"] == "A" && derived["needs"] == 2')
    assert program.execute(counting.context) is True


def test_values_equal_in_python_but_not_in_cel_are_handed_again() -> None:
    # 1 == True == 1.0 in Python; in CEL they are an int, a bool and a double.
    handover = Handover(cel.Context(), paths_tree([("derived", "level")]))
    is_type = {
        name: cel.compile(f'type(derived["level"]) == {name}') for name in ("int", "bool", "double")
    }
    for value, expected in ((1, "int"), (True, "bool"), (1.0, "double"), (1, "int")):
        handover.hand({"derived": {"level": value}})
        assert {name: p.execute(handover.context) for name, p in is_type.items()} == {
            name: name == expected for name in is_type
        }


def test_a_context_holds_the_functions_its_controls_call() -> None:
    sources = [
        "math.greatest([1, 2]) == 2",  # namespaced: listed as "greatest"
        '"Ab".lowerAscii() == "ab"',  # a method of the extension library
        'days_since("2026-01-01") == 30',  # conformite's own
    ]
    programs = [cel.compile(source) for source in sources]
    control = SimpleNamespace(
        conditions=[("c", programs[0])],
        unknown_when=[("u", programs[1], None)],
        requirements=[SimpleNamespace(program=programs[2], facts=None)],
    )
    names = functions_called([control])  # type: ignore[list-item]
    context = cel.Context()
    add_functions(context, make_functions(dt.date(2026, 1, 31)), names)
    assert sorted(context.functions) == ["days_since", "lowerAscii", "math.greatest"]
    assert [program.execute(context) for program in programs] == [True, True, True]
    everything = cel.Context()
    add_functions(everything, make_functions(dt.date(2026, 1, 31)))
    assert len(everything.functions) > 40
