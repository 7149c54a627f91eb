"""``conformite inventory``: the inventory as a spreadsheet, out and back in."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import click

from conformite.cli._common import (
    OUTPUT,
    CommandError,
    handle_input_errors,
    is_stdout,
    lang_option,
    language,
    load,
    resolve_directory,
    workspace_argument,
    write_file,
)

INVENTORY_NAMES = ("organisation.yaml", "services.yaml", "vendors.yaml", "waivers.yaml")


@click.group()
def inventory() -> None:
    """The inventory as a spreadsheet: export it, fill it in, import it back.

    \b
    Example:
      conformite inventory export my-commune --format xlsx -o inventaire.xlsx
      conformite inventory import inventaire.xlsx my-commune --force
      conformite inventory export --template --lang fr -o modele.xlsx
    """


@inventory.command("export")
@workspace_argument
@click.option("--format", "fmt", type=click.Choice(["xlsx"]), default="xlsx", show_default=True)
@click.option("-o", "--output", type=OUTPUT, help="File to write, - for standard output.")
@click.option(
    "--template", is_flag=True, help="The empty workbook (headers, drop-downs, help), no workspace."
)
@click.option("--demo", is_flag=True, help="Export the built-in demo commune.")
@lang_option
@handle_input_errors
def export(
    directory: Path | None, fmt: str, output: Path | None, template: bool, demo: bool
) -> None:
    """Write the inventory as a workbook: one sheet per list, one row per entry.

    Organisation facts, services, vendors and waivers, with the child lists
    (endpoints, sub-processors, certifications, commission, breaches,
    policies) on their own sheets. An empty cell is a fact not known; yes/no
    and closed lists are drop-downs; each header's comment says what it holds,
    in the workspace's language. The workspace is validated first.

    \b
    Example:
      conformite inventory export my-commune -o inventaire.xlsx
    """
    from conformite._paths import builtin_catalogue_dir
    from conformite.i18n import translate
    from conformite.inventory.reference import load_reference
    from conformite.inventory.safe_yaml import load_yaml_file
    from conformite.inventory.spreadsheet_export import export_workbook

    if output is None:
        raise CommandError(translate("inventory.needs_output", language()))
    data: dict[str, Any] = {}
    commune: dict[str, Any] = {}
    if template:
        reference = load_reference(builtin_catalogue_dir() / "reference")
        lang = language()
    else:
        folder = resolve_directory(directory, demo)
        workspace = load(folder)  # every problem of the workspace, before anything is written
        lang = language(workspace)
        reference = workspace.reference
        commune = workspace.config.commune.model_dump()
        for name in INVENTORY_NAMES:
            path = folder / "inventory" / name
            if path.is_file():
                data[name] = load_yaml_file(path).data
    content = export_workbook(data, commune, reference, lang)
    write_file(output, content, binary=True, lang=lang)
    if not is_stdout(output):
        click.echo(translate("inventory.exported", lang, path=output), err=True)


@inventory.command("import")
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@workspace_argument
@click.option("--force", is_flag=True, help="Overwrite existing inventory files.")
@lang_option
@handle_input_errors
def import_(workbook: Path, directory: Path | None, force: bool) -> None:
    """Write the inventory files of DIRECTORY from a workbook.

    Every cell is checked as `validate` checks the YAML, and every problem is
    listed at once at its cell (Services!F12 (hosting): ...), exit code 2,
    nothing written. Existing files are kept unless --force. Without a
    conformite.toml in DIRECTORY, one is written from the commune rows of the
    Organisation sheet. YAML comments are not kept.

    \b
    Example:
      conformite inventory import inventaire.xlsx my-commune --force
    """
    folder = directory if directory is not None else Path.cwd()
    import_workbook(workbook, folder, force)


def _sort_key(problem: Any, order: dict[str, int]) -> tuple[int, int, int]:
    """Problems by sheet (workbook order), row and column."""
    match = re.match(r"^([^!]+)!([A-Z]+)(\d+)", problem.path or "")
    if match is None:
        return (len(order) + 1, 0, 0)
    column = 0
    for char in match[2]:
        column = column * 26 + ord(char) - 64
    return (order.get(match[1], len(order)), int(match[3]), column)


def _import_language(folder: Path, workbook: Path) -> str:
    """--lang, else the workspace's language, else the workbook's commune.language
    (read before anything else, so that even its refusal is in that language)."""
    from conformite.engine.workspace import configured_language

    ctx = click.get_current_context()
    root = ctx.find_root()
    root.ensure_object(dict)
    chosen = root.obj.get("lang") or configured_language(folder) or _workbook_language(workbook)
    root.obj.setdefault("workspace_lang", chosen or "en")
    return str(chosen or "en")


def _workbook_language(workbook: Path) -> str | None:
    from conformite.errors import InputError
    from conformite.inventory.safe_xlsx import open_workbook

    try:
        with open_workbook(workbook) as book:
            if "Organisation" not in book.sheetnames:
                return None
            for _, values in book.rows("Organisation", min_row=2, max_col=3):
                if values[0] == "commune.language" and values[1] in ("fr", "de", "it", "en"):
                    return str(values[1])
    except InputError:
        return None
    return None


def import_workbook(
    workbook: Path, folder: Path, force: bool, commune: dict[str, Any] | None = None
) -> None:
    """Check ``workbook`` as the inventory of ``folder`` and write its files
    (and ``conformite.toml`` when there is none), or raise every problem.
    ``commune``: facts that replace the Organisation sheet's commune rows."""
    import tomli_w

    from conformite._outputs import write_atomically
    from conformite.engine.workspace import load_workspace
    from conformite.errors import InputError
    from conformite.i18n import translate
    from conformite.inventory.config import CONFIG_FILE
    from conformite.inventory.spreadsheet_import import dump_yaml, read_inventory_workbook
    from conformite.inventory.spreadsheet_layout import sheets

    has_config = (folder / CONFIG_FILE).is_file()
    lang = _import_language(folder, workbook)
    targets = [folder / "inventory" / name for name in INVENTORY_NAMES]
    if not has_config:
        targets.insert(0, folder / CONFIG_FILE)
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        error = CommandError(translate("inventory.exists", lang, path=existing[0]))
        error.lang = lang
        raise error
    imported = read_inventory_workbook(workbook, str(workbook))
    texts = {name: dump_yaml(imported.files[name], workbook.name) for name in INVENTORY_NAMES}
    config_text = None
    if not has_config:
        facts = {**imported.commune, **(commune or {})}
        config_text = tomli_w.dumps({"commune": facts, "catalogue": {"extra": []}})
    problems = list(imported.problems)
    with tempfile.TemporaryDirectory(prefix="conformite-import-") as tmp:
        staged = Path(tmp)
        (staged / "inventory").mkdir()
        for name, text in texts.items():
            (staged / "inventory" / name).write_text(text, encoding="utf-8")
        if config_text is not None:
            (staged / CONFIG_FILE).write_text(config_text, encoding="utf-8")
        try:
            if has_config:
                load_workspace(folder, inventory_from=staged)
            else:
                load_workspace(staged)
        except InputError as exc:
            generated = [*INVENTORY_NAMES, *([] if has_config else [CONFIG_FILE])]
            problems += imported.relocate(exc.problems, generated)
    if problems:
        order = {sheet.name: i for i, sheet in enumerate(sheets())}
        raise InputError(sorted(problems, key=lambda p: _sort_key(p, order)))
    written = []
    try:
        if config_text is not None:
            write_atomically(folder / CONFIG_FILE, config_text)
            written.append(CONFIG_FILE)
        for name, text in texts.items():
            write_atomically(folder / "inventory" / name, text)
            written.append(f"inventory/{name}")
    except OSError as exc:
        from conformite.errors import os_reason

        reason = os_reason(exc).in_language(lang)
        raise CommandError(
            translate("outputs.cannot_write", lang, path=folder, reason=reason)
        ) from None
    click.echo(translate("inventory.written", lang, path=folder, files=", ".join(written)))
    if has_config:
        click.echo(translate("inventory.config_kept", lang, path=folder / CONFIG_FILE))
