"""``conformite init``: start a workspace, or copy the demo commune."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource
from pydantic import ValidationError

from conformite._paths import demo_dir, inventory_templates_dir
from conformite.cli._common import LANG_CHOICE, CommandError, handle_input_errors, write_file
from conformite.inventory.config import CANTONS, CONFIG_FILE, Config

TEMPLATES = ("organisation.yaml", "services.yaml", "vendors.yaml", "waivers.yaml")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--commune", help="Name of the commune.")
@click.option("--canton", type=click.Choice(CANTONS, case_sensitive=False), help="Canton, e.g. VD.")
@click.option("--population", type=click.IntRange(1, 2_000_000), help="Number of inhabitants.")
@click.option(
    "--bfs-number",
    type=click.IntRange(1, 9999),
    help="The commune's number at the Federal Statistical Office (optional).",
)
@click.option(
    "--lang",
    "workspace_lang",
    type=LANG_CHOICE,
    default="en",
    show_default=True,
    help="Default language of reports.",
)
@click.option("--demo", is_flag=True, help="Copy the demo commune instead of empty files.")
@click.option(
    "--from",
    "workbook",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Create the workspace from an inventory workbook (see 'inventory export').",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@handle_input_errors
def init(
    directory: Path,
    commune: str | None,
    canton: str | None,
    population: int | None,
    bfs_number: int | None,
    workspace_lang: str,
    demo: bool,
    workbook: Path | None,
    force: bool,
) -> None:
    """Create a workspace: conformite.toml and commented inventory files.

    Existing files are never overwritten unless --force is given.

    \b
    Examples:
      conformite init my-commune --commune "Grellingen" --canton BL --population 1900 --lang de
      conformite init --demo demo-commune
    """
    import tomli_w

    from conformite.i18n import translate

    ctx = click.get_current_context()
    lang = (ctx.find_root().obj or {}).get("lang") or workspace_lang
    if workbook is not None:
        if demo:
            raise click.UsageError(translate("init.from_or_demo", lang))
        from conformite.cli.inventory import import_workbook

        given = {
            "name": commune,
            "canton": canton and canton.upper(),
            "population": population,
            "bfs_number": bfs_number,
        }
        if ctx.get_parameter_source("workspace_lang") is not ParameterSource.DEFAULT:
            given["language"] = workspace_lang
        import_workbook(workbook, directory, force, {k: v for k, v in given.items() if v})
        return
    if demo:
        files = {
            path.relative_to(demo_dir()): path.read_text(encoding="utf-8")
            for path in sorted(demo_dir().rglob("*"))
            if path.is_file() and path.suffix in (".toml", ".yaml", ".json")
        }
        done = "init.demo_created"
    else:
        if not (commune and canton and population):
            raise click.UsageError(translate("init.needs_options", lang))
        config = {
            "commune": {
                "name": commune,
                "canton": canton.upper(),
                "population": population,
                "language": workspace_lang,
                **({"bfs_number": bfs_number} if bfs_number else {}),
            },
            "catalogue": {"extra": []},
        }
        try:  # the same checks 'validate' will make, before anything is written
            Config.model_validate(config)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise CommandError(f"{where}: {first['msg']}") from None
        files = {Path(CONFIG_FILE): tomli_w.dumps(config)}
        templates = inventory_templates_dir()
        for name in TEMPLATES:
            files[Path("inventory") / name] = (templates / name).read_text(encoding="utf-8")
        done = "init.created"
    existing = [directory / rel for rel in files if (directory / rel).exists()]
    if existing and not force:
        raise CommandError(translate("init.exists", lang, path=existing[0]))
    for rel, text in files.items():
        write_file(directory / rel, text)
    click.echo(translate(done, lang, path=directory))
