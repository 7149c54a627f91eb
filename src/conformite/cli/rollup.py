"""``conformite rollup``: many communes' saved results, side by side.

For associations of communes, cantonal data-protection authorities and shared
IT providers. The work is done by :mod:`conformite.rollup`; this module reads
the options, reports errors in the reader's language and writes the output.

Exit codes: 0 written; 1 a result's signature does not verify with --pubkey
(nothing written, nothing added to --db); 2 usage or input error (a file that
is not a result, an unreadable file or folder, a database of another kind).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from conformite.cli._common import (
    EXIT_FINDINGS,
    LANG_CHOICE,
    STDOUT,
    CommandError,
    is_stdout,
    language,
    to_stdout,
    write_file,
)

if TYPE_CHECKING:
    from conformite.rollup.model import Rollup

FORMATS = ("json", "parquet", "html", "xlsx")
_SUFFIXES = {".json": "json", ".html": "html", ".htm": "html", ".xlsx": "xlsx"}


def _t(key: str, lang: str, **values: Any) -> str:
    from conformite.i18n import translate

    shown = {k: v.in_language(lang) if hasattr(v, "in_language") else v for k, v in values.items()}
    return translate(key, lang, **shown)


def _format_of(output_format: str | None, output: Path | None, lang: str) -> str | None:
    """The format asked for, else the output's suffix; None: the summary table."""
    if output_format is not None:
        return output_format
    if output is None or is_stdout(output):
        return "json" if output is not None else None
    suffix = output.suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise CommandError(_t("rollup.format_needed", lang, path=output), lang=lang)


def _public_keys(paths: tuple[Path, ...]) -> list[Any]:
    """The public keys given (PEM or minisign), in the order given."""
    from conformite.cli.signing import _load_any_public_key
    from conformite.rollup.load import PublicKey
    from conformite.signing import fingerprint

    keys = []
    for path in paths:
        key_id, public = _load_any_public_key(path)
        keys.append(PublicKey(key_id, public, fingerprint(public)))
    return keys


def _read_all(results: tuple[Path, ...], pubkeys: tuple[Path, ...], lang: str) -> list[Any]:
    """Every result named, read and checked before anything is written."""
    from conformite.rollup.load import ResultError, SignatureError, expand_paths, read_result

    keys = _public_keys(pubkeys)
    try:
        loaded = [read_result(path, shown, keys) for path, shown in expand_paths(list(results))]
    except ResultError as exc:
        raise CommandError(_t(exc.key, lang, **exc.values), lang=lang) from None
    except SignatureError as exc:
        click.echo(
            _t(f"rollup.signature_{exc.verdict}", lang, path=exc.path, signature=exc.signature),
            err=True,
        )
        click.get_current_context().exit(EXIT_FINDINGS)
    return loaded


def _summary(rollup: Rollup, lang: str) -> str:
    """The table shown on the terminal: the set, the groups, the most used vendors."""
    import io

    from rich.console import Console
    from rich.table import Table

    from conformite.i18n.formats import format_date, format_number, format_score

    buffer = io.StringIO()
    out = Console(file=buffer, width=120, color_system=None, highlight=False)
    out.print(
        _t(
            "rollup.summary",
            lang,
            communes=rollup.communes_count,
            results=rollup.results,
            since=format_date(rollup.as_of_from, lang),
            until=format_date(rollup.as_of_until, lang),
        ),
        markup=False,
    )
    # What the signatures say, always: a clean-looking summary of unsigned results
    # would be read as checked.
    out.print(_t("rollup.summary_signatures", lang, **rollup.signatures), markup=False)
    table = Table(title=_t("rollup.h.groups", lang), title_justify="left", show_edge=False)
    for key in ("rollup.col.group", "rollup.col.communes", "rollup.col.median", "rollup.col.p25"):
        table.add_column(_t(key, lang), justify="left" if key == "rollup.col.group" else "right")
    table.add_column(_t("rollup.col.p75", lang), justify="right")
    for g in rollup.groups:
        label = _t("rollup.all", lang) if g.dimension == "all" else g.key
        score = g.score
        cells = [format_score(getattr(score, f), lang) if score else "-" for f in ("median",)]
        cells += [format_score(getattr(score, f), lang) if score else "-" for f in ("p25", "p75")]
        table.add_row(label, str(g.communes), *cells)
    out.print()
    out.print(table)
    vendors = [v for v in rollup.vendors if not v.suppressed][:10]
    if vendors:
        table = Table(title=_t("rollup.h.vendors", lang), title_justify="left", show_edge=False)
        for key in ("rollup.col.vendor", "rollup.col.communes", "rollup.col.share"):
            table.add_column(
                _t(key, lang), justify="left" if key == "rollup.col.vendor" else "right"
            )
        table.add_column(_t("rollup.col.open", lang))
        for v in vendors:
            failed = [f for f in v.findings if f.communes_fail][:3]
            worst = ", ".join(f"{f.control_id} ({f.communes_fail})" for f in failed)
            table.add_row(v.name, str(v.communes), f"{format_number(v.share, lang, 1)} %", worst)
        out.print()
        out.print(table)
    return buffer.getvalue()


def _write(
    rollup: Rollup, con: Any, output_format: str | None, output: Path | None, lang: str
) -> None:
    from conformite.rollup.export import rollup_json, write_parquet

    if output_format is None:
        to_stdout(_summary(rollup, lang))
    elif output_format == "json":
        text = rollup_json(rollup)
        if output is None or is_stdout(output):
            to_stdout(text)
        else:
            write_file(output, text, lang=lang)
    elif output_format == "parquet":
        if output is None or is_stdout(output):
            raise CommandError(_t("rollup.parquet_needs_folder", lang), lang=lang)
        try:
            written = write_parquet(con, rollup, output)
        except OSError as exc:
            from conformite.errors import os_reason

            raise CommandError(
                _t("outputs.cannot_write", lang, path=output, reason=os_reason(exc)), lang=lang
            ) from None
        click.echo(_t("rollup.parquet_written", lang, count=len(written), path=output), err=True)
    elif output_format == "html":
        from conformite.rollup.render_html import render_rollup_html

        text = render_rollup_html(rollup)
        if output is None:
            to_stdout(text)
        else:
            write_file(output, text, lang=lang)
    else:
        from conformite.rollup.render_xlsx import render_rollup_xlsx

        data = render_rollup_xlsx(rollup)
        if output is None:
            to_stdout(data, binary=True, lang=lang)
        else:
            write_file(output, data, binary=True, lang=lang)


@click.command()
@click.argument("results", nargs=-1, metavar="[RESULT]...", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(allow_dash=True, path_type=Path),
    help="Write here (a folder for parquet; - for standard output). "
    "Default: a summary on the terminal.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="json (the roll-up), parquet (one file per table, in the folder -o names), "
    "html or xlsx. Default: from the suffix of -o.",
)
@click.option(
    "--db",
    "database",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A DuckDB database file: add the results to it (a commune's result for a date "
    "it already has replaces the older copy) and roll up everything it holds.",
)
@click.option(
    "--private",
    is_flag=True,
    help="For publication: no commune, service or file named, and no figure drawn "
    "from fewer than 3 communes.",
)
@click.option(
    "--pubkey",
    "pubkeys",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Check each result's signature (FILE.sig or FILE.minisig beside it) with this "
    "public key; repeat it for the keys of several communes. A signature no key "
    "verifies stops the roll-up (exit 1).",
)
@click.option(
    "--lang",
    "rollup_lang",
    type=LANG_CHOICE,
    default=None,
    help="Language of the roll-up (control titles, messages). Default: the global "
    "--lang, else the results' language when they all share one, else en.",
)
def rollup(
    results: tuple[Path, ...],
    output: Path | None,
    output_format: str | None,
    database: Path | None,
    private: bool,
    pubkeys: tuple[Path, ...],
    rollup_lang: str | None,
) -> None:
    """Roll up many communes' saved audit results (JSON): scores by canton and
    population band, each commune among its peers, controls and vendors across
    communes, the trend by year.

    RESULT: result files (conformite audit --format json), or folders of them
    (every *.json in the folder). With --db, results are added to a database
    that keeps them for the next run; without RESULT, --db rolls up what it holds.

    \b
    Examples:
      conformite rollup results/ -o rollup.json
      conformite rollup results/ --db vaud.duckdb --format parquet -o tables/
      conformite rollup --db vaud.duckdb --private -o rollup.html
    """
    from conformite import __version__

    lang = rollup_lang or language()
    if output is not None and str(output) == "-":
        output = STDOUT  # a bare dash: standard output (see OutputPath)
    if not results and database is None:
        raise CommandError(_t("rollup.nothing", lang), lang=lang)
    chosen = _format_of(output_format, output, lang)
    loaded = _read_all(results, pubkeys, lang) if results else []
    from conformite.rollup.analysis import compute_rollup
    from conformite.rollup.store import StoreError, add_results, open_store

    try:
        con = open_store(database)
    except StoreError as exc:
        raise CommandError(
            _t("rollup.bad_db", lang, path=database, detail=exc), lang=lang
        ) from None
    try:
        # One transaction: nothing reaches --db unless the roll-up is written.
        stats = add_results(con, loaded, commit=False)
        try:
            communes = con.execute("SELECT count(DISTINCT commune_key) FROM results").fetchone()
            count = communes[0] if communes else 0
            if count == 0:
                raise CommandError(_t("rollup.no_results", lang), lang=lang)
            if private and count < 3:
                raise CommandError(_t("rollup.private_too_few", lang, count=count), lang=lang)
            root = click.get_current_context().find_root().obj or {}
            if rollup_lang is None and not root.get("lang"):
                # Nobody chose: the results' own language when they all share one.
                shared = con.execute("SELECT DISTINCT lang FROM results").fetchall()
                lang = shared[0][0] if len(shared) == 1 else lang
            for kept, dropped, commune, day in stats.conflicts:
                click.echo(
                    _t("rollup.conflict", lang, kept=kept, dropped=dropped, commune=commune,
                       date=day),
                    err=True,
                )  # fmt: skip
            for number, names in stats.clashes:
                shown = ", ".join(names)
                click.echo(_t("rollup.bfs_clash", lang, number=number, names=shown), err=True)
            rolled = compute_rollup(con, lang=lang, private=private, tool_version=__version__)
            _write(rolled, con, chosen, output, lang)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        if database is not None:
            click.echo(
                _t(
                    "rollup.db_loaded",
                    lang,
                    path=database,
                    added=stats.added,
                    replaced=stats.replaced,
                    unchanged=stats.unchanged,
                ),
                err=True,
            )
    finally:
        con.close()
