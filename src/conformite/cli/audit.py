"""``conformite audit``: score a workspace against the catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from conformite.cli._common import (
    EXIT_FINDINGS,
    OUTPUT,
    STDOUT,
    CommandError,
    as_of_option,
    console,
    emit,
    handle_input_errors,
    is_stdout,
    lang_option,
    language,
    load,
    resolve_directory,
    workspace_argument,
    write_file,
)

SEVERITIES = ("low", "medium", "high", "critical")


@click.command()
@workspace_argument
@click.option("--demo", is_flag=True, help="Audit the built-in demo commune.")
@as_of_option
@lang_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "sarif", "oscal"]),
    default="table",
    show_default=True,
    help=(
        "table for people, json for tools, sarif for code-scanning views (GitHub and others), "
        "oscal for GRC tools."
    ),
)
@click.option(
    "--output",
    "-o",
    type=OUTPUT,
    help="Write to this file (atomically) instead of the terminal. Use - for standard output.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 1 if a failed (or errored) control has this severity or higher.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    help="Exit 1 if the overall score is below this number.",
)
@click.option(
    "--schema",
    "schema_major",
    type=click.Choice(["3", "2"]),
    default="3",
    show_default=True,
    help=(
        "Version of the JSON result (--format json): 3 compact (each control's data once), "
        "2 the full form of earlier versions (each finding repeats its control's data)."
    ),
)
@click.option(
    "--top",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="How many findings the table shows.",
)
@handle_input_errors
def audit(
    directory: Path | None,
    demo: bool,
    as_of: dt.date | None,
    output_format: str,
    output: Path | None,
    fail_on: str | None,
    fail_under: float | None,
    schema_major: str,
    top: int,
) -> None:
    """Audit a workspace: findings, scores and what to fix first.

    DIRECTORY is the workspace (default: the current folder).

    \b
    Examples:
      conformite audit --demo
      conformite audit my-commune --as-of 2026-11-28 --format json -o audit.json
      conformite audit my-commune --format json --schema 2   # the full 2.0 form
      conformite audit my-commune --fail-on high --fail-under 70   # for CI
      conformite audit my-commune --format sarif -o conformite.sarif
    """
    from conformite.engine.audit import run_audit
    from conformite.engine.evaluation import evaluation_size
    from conformite.i18n import translate
    from conformite.report.render import render

    workspace = load(resolve_directory(directory, demo))
    lang = language(workspace)
    source = click.get_current_context().get_parameter_source("schema_major")
    if output_format != "json" and source == click.core.ParameterSource.COMMANDLINE:
        # Said at once rather than ignored: the user expects a JSON result of that version.
        raise CommandError(translate("audit.schema_needs_json", lang, format=output_format), lang)
    date = as_of or dt.date.today()
    total = evaluation_size(workspace.catalogue, workspace.inventory)
    out = console(stderr=True)
    # About 20,000 evaluations take a second: below that a bar only flickers.
    if total > 20_000 and out.is_terminal:
        import time

        from rich.progress import Progress

        # No refresh thread (auto_refresh=False): the evaluation may fork a
        # worker, and forking while another thread holds a lock is unsafe.
        with Progress(console=out, transient=True, auto_refresh=False) as progress:
            task = progress.add_task(translate("audit.progress", lang), total=total)
            last = [0.0]

            def advance(count: int) -> None:
                progress.advance(task, count)
                if time.monotonic() - last[0] > 0.1:
                    last[0] = time.monotonic()
                    progress.refresh()

            result = run_audit(workspace, date, lang, advance)
    else:
        result = run_audit(workspace, date, lang)

    if output_format == "table" and output is None:
        render("table", result, lang, console(), top=top)
    else:
        if output_format == "sarif":
            text = _sarif(workspace, result, demo)
        elif output_format == "json":
            # Written piece by piece, to the file or standard output: a large
            # result is never held whole as text.
            chunks = result.json_chunks(schema=int(schema_major))
            write_file(STDOUT if output is None else output, chunks, lang=lang)
            text = None
        else:
            text = render(output_format, result, lang, top=top)
        if text is not None:
            emit(text, output, lang)
        if output is not None and not is_stdout(output):
            out.print(translate("audit.written", lang, path=output))

    tripped = _thresholds_tripped(result, fail_on, fail_under, lang)
    if tripped:
        for reason in tripped:  # on standard error: standard output may be JSON
            click.echo(reason, err=True)
        click.get_current_context().exit(EXIT_FINDINGS)


def _sarif(workspace, result, demo: bool) -> str:  # type: ignore[no-untyped-def]
    """The SARIF log, its inventory paths relative to the current folder (the
    repository's root in CI) when the workspace is inside it, else to the workspace."""
    from conformite.engine.locations import target_locations
    from conformite.report.render.sarif import render_sarif

    prefix = ""
    if not demo:
        try:
            inside = workspace.directory.resolve().relative_to(Path.cwd().resolve())
        except (ValueError, OSError):
            inside = None
        if inside is not None and inside.parts:
            prefix = inside.as_posix() + "/"
    return render_sarif(result, workspace.catalogue, target_locations(workspace), prefix)


def _thresholds_tripped(  # type: ignore[no-untyped-def]
    result, fail_on: str | None, fail_under: float | None, lang: str
) -> list[str]:
    """Why the audit fails the build, one sentence per threshold tripped (none: it passes)."""
    from conformite.i18n import translate
    from conformite.i18n.formats import format_score

    reasons: list[str] = []
    if fail_on is not None:
        floor = SEVERITIES.index(fail_on)
        hits = [
            f
            for f in result.findings
            if f.outcome in ("fail", "error") and SEVERITIES.index(f.severity) >= floor
        ]
        if hits:
            reasons.append(
                translate(
                    "audit.fail_on_tripped",
                    lang,
                    count=len(hits),
                    option=fail_on,
                    severity=translate(f"severity.{fail_on}", lang),
                    first=f"{hits[0].control_id} ({hits[0].target_name})",
                )
            )
    if fail_under is not None:
        score = result.scores.overall.score
        if score is not None and score < fail_under:
            reasons.append(
                translate(
                    "audit.fail_under_tripped",
                    lang,
                    score=format_score(score, lang),
                    threshold=format_score(fail_under, lang),
                )
            )
    return reasons
