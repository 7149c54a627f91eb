"""Lazy exports for the stage packages (PEP 562).

A stage package re-exports its public names, but importing one of its
modules must not import the whole stage: ``conformite --help`` imports a
few command modules, and those import small submodules such as
``conformite.inventory.config``, which runs the package's ``__init__``
first. Each ``__init__`` therefore names where its exports live, and a
name's module is imported the first time the name is used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, exports: dict[str, list[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package``.

    ``exports`` maps a submodule (relative to ``package``) to the names it
    provides, e.g. ``{"loader": ["load_catalogue"]}``.
    """
    where = {name: module for module, names in exports.items() for name in names}
    names = sorted(where)

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # the next look-up is a plain one
        return value

    def __dir__() -> list[str]:
        return sorted(set(names) | set(vars(sys.modules[package])))

    return __getattr__, __dir__, names
