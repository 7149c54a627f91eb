"""Where the data shipped with conformite lives.

In a wheel, ``controls/`` and ``supplier_profiles/`` are packaged inside
``conformite/`` (as ``_catalogue`` and ``_supplier_profiles``, see
``pyproject.toml``); in a clone they sit at the repository root. Every stage
asks here instead of working it out from its own ``__file__``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["builtin_catalogue_dir", "builtin_profiles_dir", "demo_dir", "inventory_templates_dir"]

_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = _PACKAGE.parents[1]


def _shipped(packaged: str, in_repository: str) -> Path:
    path = _PACKAGE / packaged
    return path if path.is_dir() else _REPOSITORY / in_repository


def builtin_catalogue_dir() -> Path:
    """Where the shipped catalogue lives: in the wheel, or at the repository root."""
    return _shipped("_catalogue", "controls")


def builtin_profiles_dir() -> Path:
    """Where the shipped supplier profiles live: in the wheel, or at the repository root."""
    return _shipped("_supplier_profiles", "supplier_profiles")


def demo_dir() -> Path:
    """The demo commune shipped inside the package."""
    return _PACKAGE / "demo"


def inventory_templates_dir() -> Path:
    """The commented inventory templates ``conformite init`` writes."""
    return _PACKAGE / "inventory" / "templates"
