"""``conformite questionnaire``: export a vendor questionnaire, import the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from conformite.cli._common import (
    OUTPUT,
    CommandError,
    emit,
    handle_input_errors,
    is_stdout,
    lang_option,
    language,
    load,
    write_file,
)


@click.group()
def questionnaire() -> None:
    """Vendor questionnaires built from the supplier controls.

    \b
    Example:
      conformite questionnaire export --lang fr --format xlsx -o questionnaire.xlsx
      conformite questionnaire import questionnaire.xlsx -o nuage.yaml
      conformite questionnaire export --vendor roomly --workspace . -o roomly.xlsx
      conformite questionnaire import roomly.xlsx --workspace . -o roomly.yaml
    """


def _workspace_options(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--demo", is_flag=True, help="Use the built-in demo commune as the workspace."
    )(func)
    return click.option(
        "--workspace",
        "directory",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="Workspace whose inventory holds the vendor (default with --vendor: the "
        "current directory).",
    )(func)


def _folder(directory: Path | None, demo: bool) -> Path:
    from conformite.cli._common import resolve_directory
    from conformite.i18n import translate

    if demo and directory is not None:
        raise CommandError(translate("questionnaire.workspace_or_demo", language()))
    return resolve_directory(directory, demo)


def _find_vendor(workspace: Any, vendor_id: str, lang: str) -> Any:
    """The vendor of the loaded workspace, or exit 2 naming vendors.yaml and the closest id."""
    from conformite.errors import closest
    from conformite.i18n import translate

    vendor = workspace.inventory.vendor(vendor_id)
    if vendor is not None:
        return vendor
    ids = [v.id for v in workspace.inventory.vendors]
    file = workspace.directory / "inventory" / "vendors.yaml"
    message = translate("questionnaire.unknown_vendor", lang, file=file, id=vendor_id)
    suggestion = closest(vendor_id, ids)
    if suggestion:
        hint = translate("validate.did_you_mean", lang, suggestion=suggestion)
    else:
        hint = translate("questionnaire.known_vendors", lang, ids=", ".join(ids) or "-")
    error = CommandError(f"{message} ({hint})")
    error.lang = lang  # the workspace's language, for the "Error:" prefix too
    raise error


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
@click.option(
    "--vendor",
    "vendor_id",
    metavar="VENDOR-ID",
    help="The questionnaire of this vendor of the workspace: what is known pre-filled, "
    "the unknown facts open.",
)
@_workspace_options
@lang_option
@handle_input_errors
def export(
    fmt: str, output: Path | None, vendor_id: str | None, directory: Path | None, demo: bool
) -> None:
    """Write a vendor questionnaire: empty, or for one vendor of the inventory.

    One question per vendor fact the supplier controls read (with its allowed
    answers and help), plus tables for sub-processors and certifications.
    XLSX: drop-down lists for closed answers, date cells, frozen header.

    With --vendor, the questionnaire of one vendor of the workspace (its
    language by default): the questions whose fact is unknown come first,
    blank and marked open (status TO ANSWER, answer cell highlighted; in YAML
    `open: true`); what the inventory knows is filled in for the vendor to
    confirm; its sub-processors and certifications fill the tables. Read the
    answers back with `questionnaire import FILE --workspace DIR`.

    \b
    Example:
      conformite questionnaire export --lang de --format xlsx -o fragebogen.xlsx
      conformite questionnaire export --lang fr --format yaml -o questionnaire.yaml
      conformite questionnaire export --vendor roomly --workspace my-commune -o roomly.xlsx
      conformite questionnaire export --vendor formbridge --demo --format yaml
    """
    from conformite._paths import builtin_catalogue_dir
    from conformite.i18n import translate
    from conformite.inventory.reference import load_reference
    from conformite.suppliers.questionnaire import export_yaml
    from conformite.suppliers.questionnaire_xlsx import export_xlsx

    prefilled = None
    if vendor_id is None:
        if directory is not None or demo:
            raise CommandError(translate("questionnaire.workspace_needs_vendor", language()))
        lang = language()
        reference = load_reference(builtin_catalogue_dir() / "reference")
    else:
        from conformite.suppliers.prefill import prefill

        workspace = load(_folder(directory, demo))
        lang = language(workspace)
        reference = workspace.reference
        prefilled = prefill(_find_vendor(workspace, vendor_id, lang), lang, reference)
    if fmt == "xlsx" and output is None:
        raise CommandError(translate("questionnaire.xlsx_to_stdout", lang))
    if fmt == "yaml":
        emit(export_yaml(lang, reference, prefilled), output, lang)
    else:
        # The one atomic writer: unpredictable temporary name, opened exclusively.
        assert output is not None
        write_file(output, export_xlsx(lang, reference, prefilled), binary=True, lang=lang)
    if output is None or is_stdout(output):
        return
    if prefilled is None:
        click.echo(translate("questionnaire.exported", lang, path=output), err=True)
        return
    known = sum(1 for q in prefilled.ordered() if prefilled.status(q) == "confirm")
    click.echo(
        translate(
            "questionnaire.exported_vendor",
            lang,
            vendor=prefilled.vendor_name,
            id=prefilled.vendor_id,
            path=output,
            count=len(prefilled.open),
            known=known,
        ),
        err=True,
    )


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
@_workspace_options
@lang_option
@handle_input_errors
def import_(
    file: Path, output: Path | None, vendor_id: str | None, directory: Path | None, demo: bool
) -> None:
    """Check a filled questionnaire (XLSX or YAML) and write the vendor entry.

    Every wrong answer is reported with its place (sheet and cell, or YAML
    path), the field, what was expected and what was found; exit code 2.
    The entry is in the inventory's format, ready to paste into vendors.yaml,
    and can be screened as is.

    With --workspace (or --demo), the answers update that workspace's entry
    for the vendor (the questionnaire's id, or --id): each answered question
    replaces the inventory's value, a blank one leaves it as it is (unknown
    stays unknown), and what only the commune knows (last review, approved
    sub-processors, profile) is kept. The output replaces the vendor's item
    in inventory/vendors.yaml.

    \b
    Example:
      conformite questionnaire import reponses.xlsx --id nuage -o nuage.yaml
      conformite screen nuage.yaml --use "Guichet virtuel" --data identity,contact
      conformite questionnaire import roomly.xlsx --workspace my-commune -o roomly.yaml
    """
    from conformite._paths import builtin_catalogue_dir
    from conformite.i18n import translate
    from conformite.inventory.reference import load_reference
    from conformite.suppliers.answers import import_answers, vendor_entry_yaml

    lang = language()
    if vendor_id is not None and not _valid_id(vendor_id):
        raise CommandError(f"--id: '{vendor_id}' is not a lower-case id (letters, digits, . _ -)")
    workspace = None
    if directory is not None or demo:
        workspace = load(_folder(directory, demo))
        lang = language(workspace)
        reference = workspace.reference
    else:
        reference = load_reference(builtin_catalogue_dir() / "reference")
    candidate = import_answers(file, reference, lang=lang, vendor_id=vendor_id)
    if workspace is None:
        text = vendor_entry_yaml(candidate, lang, file.name)
    else:
        from conformite.suppliers.prefill import merge_answers
        from conformite.suppliers.screening import Candidate

        vendor = _find_vendor(workspace, candidate.vendor.id, lang)
        candidate = Candidate(vendor=merge_answers(vendor, candidate, file.name))
        text = vendor_entry_yaml(candidate, lang, file.name, workspace=str(workspace.directory))
    if output is None or is_stdout(output):
        emit(text, None, lang)
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
