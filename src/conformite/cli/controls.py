"""``conformite controls``: browse the control catalogue."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from conformite.cli._common import (
    OUTPUT,
    CommandError,
    console,
    handle_input_errors,
    lang_option,
    language,
    parse_date,
)
from conformite.i18n.formats import colon
from conformite.inventory.config import CANTONS


def _catalogue(directory: Path | None):  # type: ignore[no-untyped-def]
    """(catalogue, language): the built-in catalogue in ``--lang`` or English; with a
    workspace, plus its own controls and parameters, in its language unless ``--lang``."""
    from conformite._paths import builtin_catalogue_dir
    from conformite.catalogue.loader import load_catalogue

    if directory is None:
        return load_catalogue(), language()
    from conformite.inventory.config import load_config

    config = load_config(directory)
    dirs = [builtin_catalogue_dir(), *(directory / extra for extra in config.catalogue.extra)]
    catalogue = load_catalogue(dirs, parameter_overrides=config.parameters)
    return catalogue, language(default=config.commune.language)


@click.group()
def controls() -> None:
    """List and explain the controls of the catalogue."""


@controls.command("list")
@lang_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--family", help="Only controls of this family.")
@click.option(
    "--canton",
    type=click.Choice(CANTONS, case_sensitive=False),
    help="Controls in force in this canton, with its cantonal citations.",
)
@click.option(
    "--workspace",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Include this workspace's own controls and parameter overrides.",
)
@handle_input_errors
def list_controls(
    output_format: str, family: str | None, canton: str | None, directory: Path | None
) -> None:
    """List every control with its family, severity and target.

    \b
    Examples:
      conformite controls list
      conformite --lang de controls list --family supplier
      conformite controls list --canton VD
      conformite controls list --format json
    """
    from rich.table import Table

    from conformite.i18n import translate

    catalogue, lang = _catalogue(directory)
    canton = canton.upper() if canton else None
    selected = [
        c for c in catalogue.in_canton(canton) if family is None or c.control.family == family
    ]
    if output_format == "json":
        from conformite.catalogue.listing_json import controls_document

        document = controls_document(catalogue, selected, canton, lang)
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    table = Table(show_edge=False)
    for key in ("id", "family", "severity", "applies_to", "title", "basis"):
        table.add_column(translate(f"column.{key}", lang))
    for c in selected:
        spec = c.control
        table.add_row(
            spec.id,
            translate(f"family.{spec.family}", lang),
            translate(f"severity.{spec.severity}", lang),
            translate(f"target.{spec.target}", lang),
            spec.title.get(lang),
            ", ".join(text for text, _, _ in catalogue.citations(spec, canton, lang)),
        )
    if canton is not None:
        from conformite.engine.audit import jurisdiction_note

        console().print(jurisdiction_note(catalogue, canton, lang), style="italic")
    console().print(table)


@controls.command("show")
@click.argument("control_id")
@lang_option
@click.option(
    "--workspace",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Include this workspace's own controls and parameter overrides.",
)
@handle_input_errors
def show_control(control_id: str, directory: Path | None) -> None:
    """Explain one control: what it checks, why, what to do, and its legal basis.

    \b
    Examples:
      conformite controls show SUP-DPA
      conformite controls show SVC-MFA --lang de
    """
    from rich.markdown import Markdown

    from conformite.i18n import translate

    catalogue, lang = _catalogue(directory)
    compiled = catalogue.get(control_id.upper())
    if compiled is None:
        from conformite.errors import closest

        suggestion = closest(control_id.upper(), [c.id for c in catalogue.controls])
        message = translate("control.not_found", lang, id=control_id)
        if suggestion:
            message += f" ({suggestion}?)"
        raise CommandError(message)
    spec = compiled.control
    lines = [
        f"# {spec.id} — {spec.title.get(lang)}",
        "",
        " · ".join(
            f"**{colon(translate(label, lang), lang)}** {translate(value, lang)}"
            for label, value in (
                ("column.family", f"family.{spec.family}"),
                ("column.severity", f"severity.{spec.severity}"),
                ("control.applies_to", f"target.{spec.target}"),
            )
        ),
        *(
            ["", f"**{colon(translate('control.problem', lang), lang)}** {spec.problem.get(lang)}"]
            if spec.problem
            else []
        ),
        "",
        f"## {translate('control.description', lang)}",
        spec.description.get(lang),
        "",
        f"## {translate('control.rationale', lang)}",
        spec.rationale.get(lang),
        "",
        f"## {translate('control.remediation', lang)}",
        spec.remediation.get(lang),
        "",
        translate(
            "control.effort", lang, days=spec.effort.person_days, chf=spec.effort.external_chf
        ),
        "",
        f"## {translate('control.legal_basis', lang)}",
        *(
            f"- [{b.cite(lang)}]({b.url})" + (f" ({b.canton})" if b.canton else "")
            for b in spec.legal_basis
        ),
        *(
            f"- [{text}]({url}) ({where})"
            for overlay_canton in sorted(catalogue.overlays)
            for text, url, where in catalogue.citations(spec, overlay_canton, lang)[
                len(spec.legal_basis) :
            ]
        ),
    ]
    if compiled.parameters:
        lines += ["", f"## {translate('control.parameters', lang)}"]
        lines += [f"- `{k}` = {v}" for k, v in compiled.parameters.items()]
    if spec.mappings:
        lines += ["", f"## {translate('control.mappings', lang)}"]
        lines += [f"- {m.framework}: {m.id} ({m.relationship})" for m in spec.mappings]
    if spec.examples:
        lines += [
            "",
            f"## {translate('control.examples', lang)}",
            f"{translate('control.compliant', lang)}:",
            "```yaml",
            spec.examples.compliant.rstrip(),
            "```",
            f"{translate('control.non_compliant', lang)}:",
            "```yaml",
            spec.examples.non_compliant.rstrip(),
            "```",
        ]
    console().print(Markdown("\n".join(lines)))


@controls.command("docs")
@click.argument(
    "directory",
    required=False,
    default="docs/controls",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--check", is_flag=True, help="Only check that the pages are up to date (exit 1 if not)."
)
@click.option(
    "--workspace",
    "workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="Include this workspace's own controls.",
)
@handle_input_errors
def docs_command(directory: Path, check: bool, workspace: Path | None) -> None:
    """Generate one Markdown reference page per control, and an index.

    \b
    Examples:
      conformite controls docs docs/controls
      conformite controls docs docs/controls --check      # in CI
    """
    from conformite.catalogue.docs import write_pages
    from conformite.cli._common import EXIT_FINDINGS, write_file

    pages = write_pages(_catalogue(workspace)[0], directory)
    stale = [
        path
        for path, text in pages.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    extra = sorted(set(directory.glob("*.md")) - set(pages)) if directory.is_dir() else []
    if check:
        for path in [*stale, *extra]:
            click.echo(f"out of date: {path}", err=True)
        if stale or extra:
            click.get_current_context().exit(EXIT_FINDINGS)
        return
    for path in stale:
        write_file(path, pages[path])
    for path in extra:
        path.unlink()
    click.echo(f"{len(pages)} pages in {directory} ({len(stale)} written, {len(extra)} removed)")


@controls.command("export")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["oscal"]),
    default="oscal",
    show_default=True,
    help="oscal: an OSCAL 1.1 catalog, or with --canton a profile (JSON).",
)
@click.option(
    "--canton",
    type=click.Choice(CANTONS, case_sensitive=False),
    help="Write this canton's profile: the controls in force there, with its cantonal articles.",
)
@click.option(
    "--as-of",
    "as_of",
    callback=parse_date,
    metavar="DATE",
    help="With --canton: the law in force on this date (YYYY-MM-DD). Default: the newest.",
)
@click.option(
    "--catalog-href",
    default="catalog.json",
    show_default=True,
    help="Where the profile finds the catalog (a path relative to the profile, or a URL).",
)
@lang_option
@click.option(
    "--workspace",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Include this workspace's own controls and parameter overrides.",
)
@click.option(
    "--output",
    "-o",
    type=OUTPUT,
    help="Write to this file (atomically) instead of the terminal. Use - for standard output.",
)
@handle_input_errors
def export_controls(
    output_format: str,
    canton: str | None,
    as_of: dt.date | None,
    catalog_href: str,
    directory: Path | None,
    output: Path | None,
) -> None:
    """Export the catalogue for GRC tools: an OSCAL catalog, or a canton's OSCAL profile.

    \b
    Examples:
      conformite controls export --format oscal -o catalog.json
      conformite controls export --format oscal --canton VD --as-of 2026-12-01 -o VD.json
    """
    from conformite._paths import builtin_catalogue_dir
    from conformite.catalogue import oscal
    from conformite.cli._common import emit

    catalogue, lang = _catalogue(directory)
    published = oscal.published_on(builtin_catalogue_dir())
    if canton is None:
        document = oscal.catalog_document(catalogue, lang, published)
    else:
        from conformite.engine.audit import jurisdiction_note

        code = canton.upper()
        overlay = catalogue.overlays.get(code)
        last_modified = as_of or (overlay.as_of if overlay is not None else published)
        note = jurisdiction_note(catalogue, code, lang, as_of)
        document = oscal.profile_document(
            catalogue, code, lang, as_of, last_modified, catalog_href, note
        )
    emit(oscal.dump(document), output, lang)
