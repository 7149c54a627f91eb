"""Options, error handling and output helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from conformite._paths import demo_dir

if TYPE_CHECKING:
    from rich.console import Console

    from conformite.engine.workspace import Workspace
    from conformite.errors import InputError

LANGUAGES = ("fr", "de", "it", "en")
LANG_CHOICE = click.Choice(LANGUAGES)
F = TypeVar("F", bound=Callable[..., Any])

#: Exit code for usage and input errors (click uses 2 for usage errors too).
EXIT_INPUT = 2
EXIT_FINDINGS = 1


class CommandError(click.ClickException):
    """A user error a command detects itself (exit code 2, like input errors)."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str):
        super().__init__(message)
        # Shown after the command's context is gone: remember its language now.
        ctx = click.get_current_context(silent=True)
        self.lang = ((ctx.find_root().obj or {}).get("lang") if ctx else None) or "en"

    def show(self, file: Any = None) -> None:
        """Like click's, with the "Error:" prefix in the chosen language."""
        from conformite.i18n import translate

        prefix = translate("errors.prefix", self.lang)
        click.echo(f"{prefix} {self.format_message()}", file=file, err=file is None)


def console(stderr: bool = False) -> Console:
    """A rich console; NO_COLOR (https://no-color.org) is honoured by rich itself."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def print_problems(error: InputError, lang: str) -> None:
    from conformite.i18n import translate

    click.echo(translate("errors.heading", lang, count=len(error.problems)), err=True)
    for problem in error.problems:
        click.echo(problem.render(), err=True)


def handle_input_errors(func: F) -> F:
    """Turn :class:`InputError` into a located report on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from conformite.errors import InputError

        try:
            return func(*args, **kwargs)
        except InputError as exc:
            ctx = click.get_current_context()
            print_problems(exc, (ctx.obj or {}).get("lang") or "en")
            ctx.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date such as 2026-11-28, got {value!r}") from None


def _remember_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj["lang"] = value
    return value


def lang_option(func: F) -> F:
    """``--lang`` on a command, as an alternative to ``conformite --lang X command``."""
    return click.option(
        "--lang",
        type=LANG_CHOICE,
        callback=_remember_lang,
        expose_value=False,
        is_eager=True,
        help="Language of the output (fr, de, it, en); default: the workspace's, else en.",
    )(func)


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        callback=parse_date,
        metavar="DATE",
        help="Evaluate as of this date (YYYY-MM-DD). Default: today.",
    )(func)


def workspace_argument(func: F) -> F:
    return click.argument(
        "directory",
        required=False,
        type=click.Path(file_okay=False, path_type=Path),
    )(func)


def resolve_directory(directory: Path | None, demo: bool) -> Path:
    if demo:
        if directory is not None:
            raise click.UsageError("give either a workspace DIRECTORY or --demo, not both")
        return demo_dir()
    return directory if directory is not None else Path.cwd()


def load(directory: Path) -> Workspace:
    """Load a workspace and remember its language for messages."""
    from conformite.engine.workspace import load_workspace

    workspace = load_workspace(directory)
    ctx = click.get_current_context()
    ctx.ensure_object(dict)
    ctx.obj.setdefault("workspace_lang", workspace.config.commune.language)
    return workspace


def language(workspace: Workspace | None = None) -> str:
    """``--lang`` if given, else the workspace's language, else English."""
    ctx = click.get_current_context()
    chosen = (ctx.find_root().obj or {}).get("lang")
    if chosen:
        return str(chosen)
    if workspace is not None:
        return workspace.config.commune.language
    return "en"


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` so that no reader ever sees a
    half-written file: a temporary file beside it, flushed to disk, then renamed."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` atomically, or to standard output."""
    if output is None:
        sys.stdout.write(text)
    else:
        write_file(output, text)


def write_file(path: Path, text: str | bytes) -> None:
    """:func:`write_atomically`, with a plain error (exit 2) when the path cannot be written."""
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
