"""``conformite questionnaire``: export a vendor questionnaire, import the answers."""

from __future__ import annotations

from pathlib import Path

import click

from conformite.cli._common import (
    OUTPUT,
    CommandError,
    emit,
    handle_input_errors,
    is_stdout,
    lang_option,
    language,
    write_file,
)


@click.group()
def questionnaire() -> None:
    """Vendor questionnaires built from the supplier controls.

    \b
    Example:
      conformite questionnaire export --lang fr --format xlsx -o questionnaire.xlsx
      conformite questionnaire import questionnaire.xlsx -o nuage.yaml
    """


@questionnaire.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "yaml"]),
    default="xlsx",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=OUTPUT,
    help="File to write, - for standard output (required for xlsx); default for yaml: "
    "standard output.",
)
@lang_option
@handle_input_errors
def export(fmt: str, output: Path | None) -> None:
    """Write an empty vendor questionnaire in the chosen language.

    One question per vendor fact the supplier controls read (with its allowed
    answers and help), plus tables for sub-processors and certifications.
    XLSX: drop-down lists for closed answers, date cells, frozen header.

    \b
    Example:
      conformite questionnaire export --lang de --format xlsx -o fragebogen.xlsx
      conformite questionnaire export --lang fr --format yaml -o questionnaire.yaml
    """
    from conformite._paths import builtin_catalogue_dir
    from conformite.i18n import translate
    from conformite.inventory.reference import load_reference
    from conformite.suppliers.questionnaire import export_xlsx, export_yaml

    lang = language()
    reference = load_reference(builtin_catalogue_dir() / "reference")
    if fmt == "yaml":
        emit(export_yaml(lang, reference), output)
        if output is not None and not is_stdout(output):
            click.echo(translate("questionnaire.exported", lang, path=output), err=True)
        return
    if output is None:
        raise CommandError(translate("questionnaire.xlsx_to_stdout", lang))
    # The one atomic writer: unpredictable temporary name, opened exclusively.
    write_file(output, export_xlsx(lang, reference), binary=True, lang=lang)
    if not is_stdout(output):
        click.echo(translate("questionnaire.exported", lang, path=output), err=True)


@questionnaire.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=OUTPUT,
    help="Vendor entry to write (YAML); default: standard output. Use - for standard output.",
)
@click.option(
    "--id", "vendor_id", help="Vendor id to use (default: the answer, else from the name)."
)
@lang_option
@handle_input_errors
def import_(file: Path, output: Path | None, vendor_id: str | None) -> None:
    """Check a filled questionnaire (XLSX or YAML) and write the vendor entry.

    Every wrong answer is reported with its place (sheet and cell, or YAML
    path), the field, what was expected and what was found; exit code 2.
    The entry is in the inventory's format, ready to paste into vendors.yaml,
    and can be screened as is.

    \b
    Example:
      conformite questionnaire import reponses.xlsx --id nuage -o nuage.yaml
      conformite screen nuage.yaml --use "Guichet virtuel" --data identity,contact
    """
    from conformite._paths import builtin_catalogue_dir
    from conformite.i18n import translate
    from conformite.inventory.reference import load_reference
    from conformite.suppliers.answers import import_answers, vendor_entry_yaml

    lang = language()
    if vendor_id is not None and not _valid_id(vendor_id):
        raise CommandError(f"--id: '{vendor_id}' is not a lower-case id (letters, digits, . _ -)")
    reference = load_reference(builtin_catalogue_dir() / "reference")
    candidate = import_answers(file, reference, lang=lang, vendor_id=vendor_id)
    text = vendor_entry_yaml(candidate, lang, file.name)
    if output is None or is_stdout(output):
        emit(text, None)
        return
    write_file(output, text)
    click.echo(
        translate(
            "questionnaire.imported",
            lang,
            vendor=candidate.vendor.name,
            id=candidate.vendor.id,
            path=output,
        ),
        err=True,
    )


def _valid_id(value: str) -> bool:
    import re

    return re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,79}", value) is not None
