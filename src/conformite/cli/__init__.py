"""The ``conformite`` command line: one thin command per concern.

Commands import their heavy dependencies (pydantic models, CEL, rich) inside
the function body so that ``conformite --help`` stays fast.

Shell completion (bash, zsh, fish), e.g. for bash add to ``~/.bashrc``::

    eval "$(_CONFORMITE_COMPLETE=bash_source conformite)"
"""

from __future__ import annotations

import click

from conformite import __version__
from conformite.cli._common import LANG_CHOICE
from conformite.cli.audit import audit
from conformite.cli.controls import controls
from conformite.cli.init import init
from conformite.cli.schema import schema
from conformite.cli.validate import validate

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


for command in (audit, validate, controls, init, schema):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``conformite`` script."""
    cli(prog_name="conformite")
