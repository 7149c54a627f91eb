"""``conformite diff``: what changed between two saved audit results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformite.cli._common import OUTPUT, emit, language

if TYPE_CHECKING:
    from conformite.report.compare import Comparison, FindingChange, ScoreChange


def _target(change: FindingChange, lang: str) -> str:
    from conformite.i18n import translate

    return f"{translate(f'target.{change.target_kind}', lang)}: {change.target_name}"


def _outcome(value: str | None, lang: str) -> str:
    from conformite.i18n import translate

    return translate(f"outcome.{value}", lang) if value else translate("diff.gone", lang)


def _score_rows(comparison: Comparison, lang: str) -> list[tuple[str, ScoreChange]]:
    from conformite.i18n import translate

    rows = [(translate("report.trend.overall", lang), comparison.overall)]
    rows += [(translate(f"family.{c.key}", lang), c) for c in comparison.by_family]
    objective = translate("column.objective", lang)
    rows += [
        (f"{objective}: {translate(f'objective.{c.key}', lang)}", c)
        for c in comparison.by_objective
    ]
    return rows


def _sections(comparison: Comparison) -> list[tuple[str, list[FindingChange]]]:
    return comparison.sections()


def render_diff_table(comparison: Comparison, lang: str) -> str:
    import io

    from rich.console import Console
    from rich.table import Table

    from conformite.i18n import translate
    from conformite.i18n.formats import format_date, format_delta, format_score

    buffer = io.StringIO()
    out = Console(file=buffer, width=120, color_system=None, highlight=False)
    out.print(
        translate(
            "diff.title",
            lang,
            old=format_date(comparison.old_as_of, lang),
            new=format_date(comparison.new_as_of, lang),
        ),
        markup=False,
    )
    if not comparison.same_catalogue:
        out.print(
            translate(
                "report.trend.catalogue_changed",
                lang,
                old=comparison.old_catalogue,
                new=comparison.new_catalogue,
            ),
            markup=False,
        )
    table = Table(title=translate("diff.h.scores", lang), title_justify="left", show_edge=False)
    for key in ("diff.col.scope", "diff.col.before", "diff.col.after", "report.col.change"):
        table.add_column(
            translate(key, lang), justify="left" if key == "diff.col.scope" else "right"
        )
    for label, change in _score_rows(comparison, lang):
        if change.old is None and change.new is None:
            continue
        table.add_row(
            label,
            format_score(change.old, lang),
            format_score(change.new, lang),
            format_delta(change.delta, lang),
        )
    out.print()
    out.print(table)
    for key, changes in _sections(comparison):
        out.print()
        title = translate(key, lang, count=len(changes))
        if not changes:
            out.print(f"{title}: {translate('diff.none', lang)}", markup=False)
            continue
        table = Table(title=title, title_justify="left", show_edge=False)
        for column in ("column.severity", "column.control", "column.target", "column.title"):
            table.add_column(translate(column, lang))
        table.add_column(translate("diff.col.before", lang))
        table.add_column(translate("diff.col.after", lang))
        for c in changes:
            table.add_row(
                translate(f"severity.{c.severity}", lang),
                c.control_id,
                _target(c, lang),
                c.title,
                _outcome(c.old_outcome, lang),
                _outcome(c.new_outcome, lang),
            )
        out.print(table)
    return buffer.getvalue()


def render_diff_markdown(comparison: Comparison, lang: str) -> str:
    from conformite.i18n import translate
    from conformite.i18n.formats import format_date, format_delta, format_score
    from conformite.report.render.markdown import esc

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    old, new = format_date(comparison.old_as_of, lang), format_date(comparison.new_as_of, lang)
    lines = [f"# {t('diff.title', old=old, new=new)}", ""]
    if not comparison.same_catalogue:
        note = t(
            "report.trend.catalogue_changed",
            old=comparison.old_catalogue,
            new=comparison.new_catalogue,
        )
        lines += [f"*{esc(note)}*", ""]
    lines += [
        f"## {t('diff.h.scores')}",
        "",
        f"| {t('diff.col.scope')} | {old} | {new} | {t('report.col.change')} |",
        "|---|---:|---:|---:|",
    ]
    for label, change in _score_rows(comparison, lang):
        if change.old is None and change.new is None:
            continue
        lines.append(
            f"| {esc(label)} | {format_score(change.old, lang)} | "
            f"{format_score(change.new, lang)} | {format_delta(change.delta, lang)} |"
        )
    for key, changes in _sections(comparison):
        lines += ["", f"## {t(key, count=len(changes))}", ""]
        if not changes:
            lines.append(t("diff.none"))
            continue
        lines += [
            f"| {t('column.severity')} | {t('column.control')} | {t('column.target')} | "
            f"{t('column.title')} | {t('diff.col.before')} | {t('diff.col.after')} |",
            "|---|---|---|---|---|---|",
        ]
        for c in changes:
            lines.append(
                f"| {t(f'severity.{c.severity}')} | {c.control_id} | {esc(_target(c, lang))} | "
                f"{esc(c.title)} | {_outcome(c.old_outcome, lang)} | "
                f"{_outcome(c.new_outcome, lang)} |"
            )
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "md"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=OUTPUT,
    help="Write to this file (atomically) instead of the terminal. Use - for standard output.",
)
def diff(old: Path, new: Path, output_format: str, output: Path | None) -> None:
    """Compare two saved audit results (JSON): new, resolved and still-open findings.

    Facts to document are kept apart: a finding that was to document and is
    now decided is "documented", not resolved nor new.

    Findings are matched by control and target ids, so results in different
    languages compare. Score changes are given overall, by family and by
    protection objective.

    \b
    Examples:
      conformite diff reports/2025/audit-2025-11-28.json reports/2026/audit-2026-11-28.json
      conformite diff old.json new.json --format md -o changes.md
    """
    from conformite.cli.report import read_result
    from conformite.i18n import translate
    from conformite.report.compare import compare

    chosen = (click.get_current_context().find_root().obj or {}).get("lang")
    lang = chosen or language()
    before = read_result(old, lang)
    after = read_result(new, lang)
    if not chosen:
        lang = after.lang
    if before.workspace.commune != after.workspace.commune:
        click.echo(
            translate(
                "diff.commune_differs",
                lang,
                old=before.workspace.commune,
                new=after.workspace.commune,
            ),
            err=True,
        )
    comparison = compare(before, after)
    if output_format == "json":
        text = json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif output_format == "md":
        text = render_diff_markdown(comparison, lang)
    else:
        text = render_diff_table(comparison, lang)
    emit(text, output, lang)
