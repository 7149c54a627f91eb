"""``conformite screen``: go / conditional / no-go for a candidate vendor."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformite.cli._common import (
    CommandError,
    as_of_option,
    handle_input_errors,
    lang_option,
    language,
)
from conformite.inventory.config import CANTONS

if TYPE_CHECKING:
    from conformite.suppliers.screening import ScreeningResult


@click.command()
@click.argument(
    "vendor_file", metavar="VENDOR.yaml|PROFILE_ID", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--use", "use", required=True, help="What the commune would use the vendor for.")
@click.option(
    "--data",
    "data",
    required=True,
    metavar="CATEGORY[,...]",
    help="Data categories the service would hold (see controls/reference/data_categories.yaml).",
)
@click.option(
    "--protection",
    metavar="C=L,I=L,A=L,T=L",
    help="Declared protection needs, L = normal, high or very_high (e.g. C=high,A=normal).",
)
@click.option(
    "--canton",
    type=click.Choice(CANTONS),
    help="The commune's canton (cantonal controls). Default: --workspace's, else none.",
)
@click.option(
    "--hosting",
    type=click.Choice(["saas", "vendor_hosted", "on_premises"]),
    default="saas",
    show_default=True,
    help="How the service would be run.",
)
@click.option("--subjects", type=click.IntRange(min=0), help="Number of data subjects.")
@click.option(
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Take canton, parameter overrides and extra controls from this workspace's "
    "conformite.toml, as the audit does.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "md"]),
    default="table",
    show_default=True,
)
@lang_option
@as_of_option
@handle_input_errors
def screen(
    vendor_file: Path,
    use: str,
    data: str,
    protection: str | None,
    canton: str | None,
    hosting: str,
    subjects: int | None,
    workspace_dir: Path | None,
    fmt: str,
    as_of: object,
) -> None:
    """Screen a candidate vendor before procurement: go, conditional or no-go.

    Runs the audit's own supplier controls (target vendor, and service
    controls that read the vendor) on the vendor and one hypothetical service
    using it. VENDOR.yaml holds one vendor entry in the vendors.yaml format,
    under `vendor:` (or `vendors:` with one item, or as a bare mapping),
    optionally beside `data_location:` and `encryption_at_rest:` (what the
    vendor offers for this service). Instead of a file, name a supplier
    profile: `ID@VERSION`, or `ID` for its newest version (`conformite
    profiles list`).

    Exit codes: 0 go, 3 conditional (contract clauses listed), 4 no-go
    (blocking reasons listed), 2 input error.

    \b
    Examples:
      conformite screen nuage.yaml --use "Dossiers de l'aide sociale" \\
          --data social_assistance,contact --protection C=very_high --canton VD
      conformite screen nuage-alpin@2 --use "Guichet virtuel" --data identity,contact
    """
    import datetime as dt

    from conformite._paths import builtin_catalogue_dir
    from conformite.catalogue.loader import load_catalogue
    from conformite.errors import closest
    from conformite.i18n import translate
    from conformite.inventory.reference import load_reference
    from conformite.suppliers.screening import (
        load_candidate,
        load_screening_rules,
        parse_protection,
        screen_vendor,
    )

    lang = language()
    overrides: dict[str, dict[str, object]] = {}
    directories = [builtin_catalogue_dir()]
    if workspace_dir is not None:
        from conformite.inventory.config import load_config

        config = load_config(workspace_dir)
        overrides = config.parameters
        directories += [workspace_dir / extra for extra in config.catalogue.extra]
        canton = canton or config.commune.canton
        if not (click.get_current_context().find_root().obj or {}).get("lang"):
            lang = config.commune.language
    reference = load_reference(builtin_catalogue_dir() / "reference")
    categories = [c.strip() for c in data.split(",") if c.strip()]
    for category in categories:
        if category not in reference.categories:
            suggestion = closest(category, reference.categories)
            raise CommandError(
                translate(
                    "screen.unknown_category",
                    lang,
                    value=category,
                    hint=f" → {suggestion}?" if suggestion else "",
                    known=", ".join(sorted(reference.categories)),
                )
            )
    try:
        needs = parse_protection(protection)
    except ValueError as exc:
        raise CommandError(translate("screen.bad_protection", lang, value=str(exc))) from None
    if not vendor_file.is_file() and re.fullmatch(
        r"[a-z0-9][a-z0-9._-]*(@[0-9]+)?", str(vendor_file)
    ):
        from conformite.engine.workspace import load_profile_registry
        from conformite.suppliers.screening import candidate_from_profile

        registry = load_profile_registry(workspace_dir, config if workspace_dir else None)
        found = candidate_from_profile(str(vendor_file), registry)
        if found is None:
            suggestion = closest(str(vendor_file), registry.refs())
            raise CommandError(
                translate("screen.unknown_profile", lang, value=str(vendor_file))
                + (f" ({suggestion}?)" if suggestion else "")
            )
        candidate = found
    else:
        candidate = load_candidate(vendor_file, reference)
    catalogue = load_catalogue(directories, parameter_overrides=overrides)
    result = screen_vendor(
        candidate,
        use=use,
        data_categories=categories,
        catalogue=catalogue,
        reference=reference,
        rules=load_screening_rules(),
        protection=needs,
        hosting=hosting,  # type: ignore[arg-type]
        subjects=subjects,
        canton=canton,
        as_of=as_of if isinstance(as_of, dt.date) else dt.date.today(),
        lang=lang,
    )
    if candidate.data_location is None and hosting != "on_premises":
        click.echo(translate("screen.no_location", lang), err=True)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result, use, lang, markdown=fmt == "md"))
    click.get_current_context().exit(result.exit_code)


def render_text(result: ScreeningResult, use: str, lang: str, *, markdown: bool) -> str:
    """The verdict, the blocking reasons and the clauses, as plain text or Markdown."""
    from conformite.i18n import translate
    from conformite.i18n.formats import format_date

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    lines: list[str] = []
    title = t("screen.title", vendor=result.vendor_name, use=use)
    verdict = t(f"screen.verdict.{result.verdict}")
    if markdown:
        lines += [f"# {title}", "", f"**{t('screen.verdict_label')}: {verdict}**", ""]
    else:
        lines += [title, f"{t('screen.verdict_label')}: {verdict}", ""]
    sections = (
        ("screen.blocking_heading", result.blocking, False),
        ("screen.conditions_heading", result.conditions, True),
        ("screen.to_clarify_heading", result.to_clarify, False),
    )
    for key, reasons, with_clause in sections:
        if not reasons:
            continue
        lines.append(f"## {t(key)}" if markdown else t(key))
        if markdown:
            lines.append("")
        for reason in reasons:
            bullet = "-" if markdown else "  -"
            severity = t(f"severity.{reason.severity}")
            lines.append(f"{bullet} {reason.control_id} ({severity}): {reason.title}")
            for message in reason.messages:
                lines.append(f"    {message}" if not markdown else f"  - {message}")
            if with_clause and reason.clause:
                label = t("screen.clause_label")
                lines.append(
                    f"  - **{label}:** {reason.clause}"
                    if markdown
                    else f"    {label}: {reason.clause}"
                )
        lines.append("")
    lines.append(
        t(
            "screen.summary",
            passed=len(result.passed),
            not_applicable=len(result.not_applicable),
            date=format_date(result.as_of, lang),
            canton=result.canton or "-",
        )
    )
    return "\n".join(lines)
