"""Located input problems, collected rather than raised one at a time.

Every stage that reads user files (inventory, configuration, catalogue, waivers)
reports what is wrong as :class:`Problem` objects: file, line, column, field
path, what was expected and what was found. They are gathered in a
:class:`ProblemCollector` so that one run shows *all* problems, and raised
together as :class:`InputError`, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "InputError",
    "Problem",
    "ProblemCollector",
    "Text",
    "closest",
    "did_you_mean",
    "format_path",
    "in_language",
    "os_reason",
]


class Text(str):
    """A sentence conformite writes itself: English as a plain string, any language on demand.

    ``Text("validate.unknown_key", key="nmae")`` is the string
    ``unknown key 'nmae'`` (so code and tests that read problems as English text
    keep working), and :meth:`in_language` gives the same sentence in fr, de or
    it through :func:`conformite.i18n.translate`. Values may be :class:`Text`
    themselves; they are translated too.
    """

    key: str
    args: dict[str, Any]

    def __new__(cls, key: str, /, **args: Any) -> Text:
        from conformite.i18n import translate

        self = super().__new__(cls, translate(key, "en", **args))
        self.key = key
        self.args = args
        return self

    def in_language(self, lang: str) -> str:
        """The sentence in ``lang`` (English when the language is unknown)."""
        from conformite.i18n import translate

        values = {name: in_language(value, lang) for name, value in self.args.items()}
        return translate(self.key, lang, **values)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_text, (self.key, tuple(self.args.items())))


def _text(key: str, args: tuple[tuple[str, Any], ...]) -> Text:
    return Text(key, **dict(args))


def in_language(value: Any, lang: str) -> Any:
    """``value`` in ``lang`` if it is a :class:`Text`, else unchanged."""
    if isinstance(value, Text) and lang != "en":
        return value.in_language(lang)
    return value


#: errno -> message key of an operating-system refusal (messages_os.yaml).
_OS_REASONS = {
    errno.ENOENT: "os.not_found",
    errno.EACCES: "os.permission_denied",
    errno.EPERM: "os.permission_denied",
    errno.EISDIR: "os.is_a_folder",
    errno.ENOTDIR: "os.not_a_folder",
    errno.ENOSPC: "os.no_space",
    errno.EDQUOT: "os.no_space",
    errno.EROFS: "os.read_only",
    errno.ELOOP: "os.too_many_links",
    errno.ENAMETOOLONG: "os.name_too_long",
    errno.EEXIST: "os.exists",
    errno.EIO: "os.input_output",
    errno.EMFILE: "os.too_many_open",
    errno.ENFILE: "os.too_many_open",
}


def os_reason(exc: OSError) -> Text:
    """Why the system refused to read or write a file, in words the reader's language
    has (``Permission denied`` → ``permission refusée``); the English text keeps the
    system's own words. A refusal of :func:`conformite._files.read_regular_file`
    (not a regular file, over the size limit) says so."""
    from conformite._files import FileTooLarge, NotARegularFile

    raw = str(exc.strerror or exc)
    if isinstance(exc, FileTooLarge):
        return Text("os.too_large", raw=raw, limit=f"{exc.limit / 1024 / 1024:g}")
    if isinstance(exc, NotARegularFile):
        return Text("os.not_regular", raw=raw)
    key = _OS_REASONS.get(exc.errno or 0)
    if key is not None:
        return Text(key, raw=raw)
    code = errno.errorcode.get(exc.errno or 0, "?")
    return Text("os.other", raw=raw, code=code)


def did_you_mean(suggestion: str | None) -> Text | None:
    """The "did you mean 'x'?" hint, or None without a suggestion."""
    return Text("validate.did_you_mean", suggestion=suggestion) if suggestion else None


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

    def render(self, lang: str = "en") -> str:
        """One or more lines a person can act on, in ``lang``.

        The words conformite writes itself (``expected``, "did you mean", its own
        messages, which are :class:`Text`) are translated; what comes from a
        parser or a library stays as it was written.
        """
        head = self.location()
        if self.path:
            head += f": {self.path}"
        text = f"{head}: {in_language(self.message, lang)}"
        for label, value in (
            ("expected", self.expected),
            ("found", self.found),
            ("hint", self.hint or None),
        ):
            if value is not None:
                text += "\n    " + _label(label, in_language(value, lang), lang)
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


def _label(label: str, value: str, lang: str) -> str:
    if lang == "en":
        return f"{label}: {value}"
    from conformite.i18n import translate

    return translate(f"validate.label.{label}", lang, value=value)


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
