"""The ``conformite`` command line: one thin command per concern.

Commands import their heavy dependencies (pydantic models, CEL, rich) inside
the function body so that ``conformite --help`` stays fast.

Shell completion (bash, zsh, fish), e.g. for bash add to ``~/.bashrc``::

    eval "$(_CONFORMITE_COMPLETE=bash_source conformite)"
"""

from __future__ import annotations

import importlib
import sys

import click

from conformite import __version__
from conformite.cli._common import LANG_CHOICE, ClosedPipeGuard
from conformite.i18n import translate

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="conformite")
@click.option(
    "--lang",
    type=LANG_CHOICE,
    default=None,
    envvar="CONFORMITE_LANG",
    help="Language of the output: fr, de, it or en. Default: the workspace's, else en.",
)
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """Data-protection and security gap audits for Swiss communes.

    Describe your commune's services and suppliers in YAML, then get a scored,
    explained list of gaps against nLPD/OPDo, cantonal law and sound security.

    \b
    Quick start:
      conformite audit --demo                 # audit the built-in demo commune
      conformite init my-commune --commune "Grellingen" --canton BL --population 1900
      conformite audit my-commune

    Exit codes: 0 clean, 1 findings at or above --fail-on or score under
    --fail-under, 2 usage or input error.
    """
    ctx.ensure_object(dict)
    ctx.obj["lang"] = lang


#: One module per command (or command group) in this package, each defining a
#: click command of the same name. Command modules import heavy libraries
#: inside their functions, so registering them all stays cheap.
COMMAND_MODULES = (
    "audit",
    "validate",
    "controls",
    "init",
    "schema",
    "probe",
    "report",
    "register",
    "diff",
    "keygen",
    "sign",
    "verify",
    "profiles",
    "screen",
    "questionnaire",
    "inventory",
    "rollup",
)

for _name in COMMAND_MODULES:
    cli.add_command(getattr(importlib.import_module(f"conformite.cli.{_name}"), _name))


def main() -> None:
    """Entry point of the ``conformite`` script."""
    from conformite._gc import freeze_after_pauses

    freeze_after_pauses()  # one short process: see conformite._gc
    # `conformite audit | head -1`: a closed pipe is not an error (see ClosedPipeGuard).
    sys.stdout = ClosedPipeGuard(sys.stdout)  # type: ignore[assignment]
    # Click's standalone mode turns Ctrl-C into "Aborted!" and exit code 1; a
    # command that was interrupted exits 130 (128 + SIGINT), as shells expect,
    # and says so in the user's language.
    if any(arg in ("--help", "-h") for arg in sys.argv[1:]) or len(sys.argv) == 1:
        from conformite.cli.help_i18n import localize_help

        localize_help(cli, _language())
    try:
        code = cli.main(prog_name="conformite", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if not isinstance(exc.__context__, KeyboardInterrupt):  # end of input at a prompt
            click.echo(translate("errors.aborted", _language()), err=True)
            sys.exit(1)
        _interrupted()
    except KeyboardInterrupt:
        _interrupted()
    except click.UsageError as exc:
        _usage_error(exc)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


EXIT_INTERRUPTED = 130


def _language() -> str:
    """The language asked for (``--lang``, CONFORMITE_LANG, the workspace named on the
    command line), once click's context is gone."""
    from conformite.cli._common import command_language

    return command_language()


def _usage_error(exc: click.UsageError) -> None:
    """A usage error in the user's language, exit 2: click's own wording is English."""
    lang = _language()
    if isinstance(exc, click.NoSuchOption):
        message = translate("cli.no_such_option", lang, option=exc.option_name)
        if exc.possibilities:
            message += " " + translate(
                "cli.did_you_mean", lang, options=", ".join(sorted(exc.possibilities))
            )
    elif isinstance(exc, click.MissingParameter):
        param, ctx = exc.param, exc.ctx
        name = param.get_error_hint(ctx) if param and ctx else "?"
        message = translate("cli.missing_parameter", lang, param=name)
    elif isinstance(exc, click.BadParameter):
        param, ctx = exc.param, exc.ctx
        name = param.get_error_hint(ctx) if param and ctx else str(exc.param_hint or "?")
        detail = exc.message
        if param is not None and isinstance(param.type, click.Choice):
            choices = ", ".join(str(c) for c in param.type.choices)
            detail = translate("cli.one_of", lang, choices=choices)
        message = translate("cli.bad_parameter", lang, param=name, detail=detail)
    else:
        message = translate("cli.usage_error", lang, detail=exc.message)
    command = exc.ctx.command_path if exc.ctx else "conformite"
    click.echo(message, err=True)
    click.echo(translate("cli.try_help", lang, command=command), err=True)
    sys.exit(exc.exit_code)


def _interrupted() -> None:
    """Say that the command was interrupted (Ctrl-C) and exit 130."""
    click.echo(translate("errors.interrupted", _language()), err=True)
    sys.exit(EXIT_INTERRUPTED)
