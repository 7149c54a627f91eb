"""The CEL binding, imported without its interactive command-line tool.

The ``cel`` package's ``__init__`` imports its REPL (prompt_toolkit, pygments:
0.12 s, a third of conformite's start-up), which conformite never uses. An
empty module registered under its name first keeps it out. Import ``cel``
through this module, never directly.
"""

from __future__ import annotations

import sys
import types

sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))

import cel  # noqa: E402
from cel.stdlib import EXTENSIONS, add_stdlib_to_context  # noqa: E402

__all__ = ["EXTENSIONS", "add_stdlib_to_context", "cel"]
