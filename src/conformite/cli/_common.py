"""Options, error handling and output helpers shared by the commands."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from conformite._outputs import write_atomically
from conformite._paths import demo_dir
from conformite.i18n import translate

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

#: ``-o -``: standard output (see :class:`OutputPath`).
STDOUT = Path("-")


class CommandError(click.ClickException):
    """A user error a command detects itself (exit code 2, like input errors)."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, lang: str | None = None):
        super().__init__(message)
        # Shown after the command's context is gone: remember its language now
        # (``lang``: the workspace's, when the command knows it).
        ctx = click.get_current_context(silent=True)
        chosen = (ctx.find_root().obj or {}).get("lang") if ctx else None
        self.lang = chosen or lang or "en"

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
        click.echo(problem.render(lang), err=True)


def handle_input_errors(func: F) -> F:
    """Turn :class:`InputError` into a located report on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from conformite.errors import InputError

        try:
            return func(*args, **kwargs)
        except InputError as exc:
            ctx = click.get_current_context()
            obj = ctx.find_root().obj or {}
            lang = obj.get("lang") or obj.get("workspace_lang") or command_language()
            print_problems(exc, lang)
            ctx.exit(EXIT_INPUT)

    return wrapper  # type: ignore[return-value]


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            translate("cli.bad_date", command_language(), value=value)
        ) from None


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
            raise click.UsageError(translate("cli.directory_or_demo", command_language()))
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


def language(workspace: Workspace | None = None, default: str = "en") -> str:
    """``--lang`` if given, else the workspace's language, else ``default`` (English)."""
    ctx = click.get_current_context()
    chosen = (ctx.find_root().obj or {}).get("lang")
    if chosen:
        return str(chosen)
    if workspace is not None:
        return workspace.config.commune.language
    return default


def is_stdout(path: Path | None) -> bool:
    """Whether ``path`` is ``-o -`` (standard output)."""
    return path is STDOUT


class OutputPath(click.Path):
    """``-o FILE``: a file to write, or a bare ``-`` for standard output.

    Only the bare dash means standard output (converted to :data:`STDOUT`, an
    object compared by identity): ``./-`` is still a file named ``-``.
    """

    def __init__(self) -> None:
        super().__init__(dir_okay=False, allow_dash=True, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "-":
            return STDOUT
        return super().convert(value, param, ctx)


#: The ``-o`` option type of every command that writes a file.
OUTPUT = OutputPath()


def to_stdout(content: str | bytes, *, binary: bool = False, lang: str | None = None) -> None:
    """Write ``content`` to standard output; ``binary`` content (xlsx, pdf) is
    refused with exit code 2 when standard output is a terminal."""
    if isinstance(content, str):
        sys.stdout.write(content)
        sys.stdout.flush()
        return
    if binary and sys.stdout.isatty():
        from conformite.i18n import translate

        raise CommandError(translate("outputs.binary_to_terminal", lang or language()))
    sys.stdout.flush()
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()


def emit(text: str, output: Path | None, lang: str | None = None) -> None:
    """Write ``text`` to ``output`` atomically, or to standard output (no file, or ``-``);
    an error says why in ``lang`` (the command's language)."""
    if output is None or is_stdout(output):
        to_stdout(text, lang=lang)
    else:
        write_file(output, text, lang=lang)


def write_file(
    path: Path,
    content: str | bytes | Iterable[bytes],
    *,
    binary: bool = False,
    lang: str | None = None,
) -> None:
    """:func:`write_atomically`, with a plain error (exit 2) when the path cannot be
    written; ``-o -`` (:data:`STDOUT`) goes to standard output (see :func:`to_stdout`).
    ``content`` may be UTF-8 pieces written one after the other (a large result)."""
    if is_stdout(path):
        if isinstance(content, str | bytes):
            to_stdout(content, binary=binary, lang=lang)
            return
        # Pieces (a large result) go out one after the other, never joined.
        sys.stdout.flush()
        for piece in content:
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
        return
    try:
        write_atomically(path, content)
    except OSError as exc:
        from conformite.errors import os_reason
        from conformite.i18n import translate

        shown = lang or language()
        reason = os_reason(exc).in_language(shown)
        raise CommandError(
            translate("outputs.cannot_write", shown, path=path, reason=reason), lang=shown
        ) from None


class ClosedPipeGuard:
    """Standard output that outlives its reader (``conformite audit | head -1``).

    When the reader goes away, the rest of the output is discarded (the file
    descriptor is pointed at ``os.devnull``, as in the Python documentation's
    recipe for SIGPIPE) instead of raising :class:`BrokenPipeError`: no
    traceback, no message, the command finishes its work (``probe`` still
    saves its observations) and exits with the code it would have had, so
    that ``--fail-on`` still gates a pipeline. Installed by
    :func:`conformite.cli.main`; ``buffer`` (bytes) is guarded the same way.
    """

    def __init__(self, stream: Any, closed: list[bool] | None = None) -> None:
        self._stream = stream
        self._closed = closed if closed is not None else [False]

    @property
    def reader_gone(self) -> bool:
        return self._closed[0]

    def _discard_from_now_on(self) -> None:
        self._closed[0] = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def write(self, data: Any) -> int:
        if self._closed[0]:
            return len(data)
        try:
            return int(self._stream.write(data))
        except BrokenPipeError:
            self._discard_from_now_on()
            return len(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard_from_now_on()
            with contextlib.suppress(OSError):
                self._stream.flush()  # the buffered rest now goes to os.devnull

    @property
    def buffer(self) -> ClosedPipeGuard:
        return ClosedPipeGuard(self._stream.buffer, self._closed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def command_language(argv: list[str] | None = None) -> str:
    """The language of a message given before any workspace is loaded (a usage error,
    an interruption): ``--lang``, else ``CONFORMITE_LANG``, else the language of a
    workspace named on the command line (a folder holding ``conformite.toml``), else
    English."""
    import tomllib

    from conformite.i18n import LANGUAGES

    args = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args) and args[i + 1] in LANGUAGES:
            return args[i + 1]
        if arg.startswith("--lang=") and arg[7:] in LANGUAGES:
            return arg[7:]
    env = os.environ.get("CONFORMITE_LANG", "")
    if env in LANGUAGES:
        return env
    for arg in args:
        if arg.startswith("-") or len(arg) > 4096:
            continue
        config = Path(arg) / "conformite.toml"
        try:
            if config.is_file() and config.stat().st_size <= 1_000_000:
                lang = tomllib.loads(config.read_text(encoding="utf-8"))["commune"]["language"]
                if lang in LANGUAGES:
                    return str(lang)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return "en"
