"""Located input problems, collected rather than raised one at a time.

Every stage that reads user files (inventory, configuration, catalogue, waivers)
reports what is wrong as :class:`Problem` objects: file, line, column, field
path, what was expected and what was found. They are gathered in a
:class:`ProblemCollector` so that one run shows *all* problems, and raised
together as :class:`InputError`, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["InputError", "Problem", "ProblemCollector", "closest", "format_path"]


def format_path(path: Sequence[str | int]) -> str:
    """Render a field path the way a user reads YAML: ``services[3].vendor``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word``, for "did you mean" hints.

    With many candidates only those of similar length and the same first
    letter are compared, so that a file with thousands of dangling
    references still reports in linear time.
    """
    pool = list(candidates)
    if len(pool) > 200:
        pool = [c for c in pool if c[:1] == word[:1] and abs(len(c) - len(word)) <= 3][:200]
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one place of one file."""

    file: str
    line: int | None = None
    column: int | None = None
    path: str = ""
    message: str = ""
    expected: str | None = None
    found: str | None = None
    hint: str | None = None

    def location(self) -> str:
        """``file:line:column`` with whatever part is known."""
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def render(self) -> str:
        """One or more lines a person can act on."""
        head = self.location()
        if self.path:
            head += f": {self.path}"
        text = f"{head}: {self.message}"
        if self.expected is not None:
            text += f"\n    expected: {self.expected}"
        if self.found is not None:
            text += f"\n    found: {self.found}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
        }


class InputError(Exception):
    """Raised when user input cannot be used; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


@dataclass
class ProblemCollector:
    """Gathers problems from many files and checks, then raises them together."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def report(
        self,
        file: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        path: str = "",
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.add(
            Problem(
                file=str(file),
                line=line,
                column=column,
                path=path,
                message=message,
                expected=expected,
                found=found,
                hint=hint,
            )
        )

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            # Stable order: by file then position, as a compiler lists errors.
            raise InputError(
                sorted(self.problems, key=lambda p: (p.file, p.line or 0, p.column or 0))
            )
