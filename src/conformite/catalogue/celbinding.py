"""The CEL binding, imported without its interactive command-line tool.

The ``cel`` package's ``__init__`` imports its REPL (prompt_toolkit, pygments:
0.12 s, a third of conformite's start-up), which conformite never uses. An
empty module registered under its name first keeps it out. Import ``cel``
through this module, never directly.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Collection
from typing import Any

sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))

import cel  # noqa: E402
from cel.stdlib import EXTENSIONS, add_stdlib_to_context  # noqa: E402

__all__ = ["EXTENSIONS", "STDLIB", "add_functions", "add_stdlib_to_context", "cel"]

#: The binding's extension libraries expressions may call (cel-go's names).
STDLIB = ("core", "strings", "math", "sets", "lists")


def add_functions(
    context: Any,
    own: dict[str, Callable[..., Any]],
    names: Collection[str] | None = None,
) -> None:
    """Register the extension libraries' functions and ``own`` on ``context``.

    With ``names`` (what ``Program.functions()`` lists: a namespaced call
    ``math.greatest`` as ``greatest``), only the functions of those names:
    the binding registers every Python function of a context again at the
    first evaluation after any change to it, once per target (47 of them:
    3 µs a target), and an expression can call no function it does not name.
    """
    functions = {name: f for library in STDLIB for name, f in EXTENSIONS[library].items()}
    functions.update(own)
    for name, function in functions.items():
        if names is None or name.rpartition(".")[2] in names:
            context.add_function(name, function)
