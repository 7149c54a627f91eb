"""``conformite report`` and ``conformite register``: what the commission reads.

``report`` audits the workspace and writes the Commission numérique's report
(HTML, PDF, Markdown, XLSX, CSV of findings or the JSON result). By default
it goes to ``reports/<year>/report-<date>.<lang>.<ext>`` in the workspace,
and the JSON result is saved beside it as ``reports/<year>/audit-<date>.json``:
next year's report finds it there and shows the trend. ``register`` writes
the record of processing activities (nLPD art. 12) on its own.

``register`` is registered from the tiny module ``cli/register.py`` (the
command registry wants one module per command name).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from conformite._files import read_regular_file
from conformite.cli._common import (
    LANG_CHOICE,
    OUTPUT,
    CommandError,
    as_of_option,
    handle_input_errors,
    is_stdout,
    language,
    load,
    resolve_directory,
    workspace_argument,
    write_file,
)
from conformite.report.render import REGISTER_FORMATS, REPORT_FORMATS

if TYPE_CHECKING:
    from conformite.engine.results import AuditResult
    from conformite.engine.workspace import Workspace

REPORTS_DIR = "reports"
_RESULT_NAME = re.compile(r"^audit-(\d{4}-\d{2}-\d{2})\.json$")


#: A saved result of 10,000 services is about 360 MB (JSON schema 1).
MAX_RESULT_BYTES = 1024 * 1024 * 1024


def _note(text: str) -> None:
    click.echo(text, err=True)


def reports_dir(directory: Path | None, demo: bool) -> Path:
    """``reports/`` of the workspace; for the built-in demo, of the current folder."""
    if demo:
        return Path(REPORTS_DIR)
    return (directory if directory is not None else Path()) / REPORTS_DIR


def result_path(reports: Path, as_of: dt.date) -> Path:
    return reports / str(as_of.year) / f"audit-{as_of.isoformat()}.json"


def find_previous(
    reports: Path, as_of: dt.date, commune: str, lang: str
) -> tuple[AuditResult | None, Path | None]:
    """The newest saved result under ``reports`` dated before ``as_of``, for this commune.

    Results are found by name (``audit-YYYY-MM-DD.json``, in any sub-folder);
    one that cannot be read, or is of another commune, is skipped with a note.
    """
    from conformite.engine.results import AuditResult
    from conformite.i18n import translate

    if not reports.is_dir():
        return None, None
    candidates = []
    for path in reports.rglob("audit-*.json"):
        match = _RESULT_NAME.match(path.name)
        if not match:
            continue
        try:
            date = dt.date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if date < as_of:
            candidates.append((date, str(path), path))
    for _, _, path in sorted(candidates, reverse=True):
        try:
            result = AuditResult.from_json(read_regular_file(path, MAX_RESULT_BYTES))
        except (OSError, ValueError) as exc:
            reason = type(exc).__name__
            _note(translate("report.previous_skipped", lang, path=path, reason=reason))
            continue
        if result.workspace.commune != commune:
            reason = translate(
                "report.previous_other_commune", lang, commune=result.workspace.commune
            )
            _note(translate("report.previous_skipped", lang, path=path, reason=reason))
            continue
        if dt.date.fromisoformat(result.as_of) >= as_of:
            continue
        return result, path
    return None, None


def read_result(path: Path, lang: str) -> AuditResult:
    """A saved JSON result, or a plain error (exit 2)."""
    from pydantic import ValidationError

    from conformite.engine.results import AuditResult
    from conformite.errors import os_reason
    from conformite.i18n import translate

    try:
        data = read_regular_file(path, MAX_RESULT_BYTES)
    except OSError as exc:
        raise CommandError(
            translate("diff.unreadable", lang, path=path, detail=os_reason(exc).in_language(lang))
        ) from None
    try:
        return AuditResult.from_json(_unwrap_report(data))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise CommandError(translate("diff.not_a_result", lang, path=path, detail=detail)) from None
    except ValueError as exc:
        raise CommandError(translate("diff.not_a_result", lang, path=path, detail=exc)) from None


def _unwrap_report(data: bytes) -> bytes:
    """The audit result inside a ``report --format json`` file; other data unchanged."""
    import json

    if b'"report_schema_version"' not in data[:200]:
        return data
    try:
        document = json.loads(data)
    except ValueError:
        return data
    if isinstance(document, dict) and isinstance(document.get("result"), dict):
        return json.dumps(document["result"]).encode("utf-8")
    return data


def _lang(option: str | None, workspace: Workspace) -> str:
    return option or language(workspace)


@click.command()
@workspace_argument
@click.option("--demo", is_flag=True, help="Report on the built-in demo commune.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(REPORT_FORMATS)),
    default="html",
    show_default=True,
    help="html (one self-contained file), pdf (needs conformite[pdf]), md, xlsx, "
    "csv (the findings), json (the plan, decisions and risks beside the audit result) "
    "or docx (the decision paper, editable).",
)
@click.option(
    "--audience",
    type=click.Choice(["commission", "public"]),
    default="commission",
    show_default=True,
    help="public: a summary for residents (html, md or pdf), aggregates only: no system, "
    "supplier or weakness named.",
)
@click.option(
    "--with-annex",
    is_flag=True,
    help="docx: add the annex for the IT manager to the decision paper.",
)
@click.option(
    "--plain-csv",
    is_flag=True,
    help="CSV as RFC 4180 (comma, no byte-order mark) instead of for Swiss Excel "
    "(semicolon, UTF-8 with byte-order mark).",
)
@click.option(
    "--lang",
    "report_lang",
    type=LANG_CHOICE,
    default=None,
    help="Language of the report (overrides the global --lang and the workspace's).",
)
@as_of_option
@click.option(
    "--output",
    "-o",
    type=OUTPUT,
    help="Write here (- for standard output). "
    "Default: reports/<year>/report-<date>.<lang>.<ext> in the workspace.",
)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Compare with this saved JSON result instead of the newest older one under reports/.",
)
@click.option(
    "--no-save",
    is_flag=True,
    help="Do not save the JSON result under reports/<year>/ (next year's trend needs it).",
)
@handle_input_errors
def report(
    directory: Path | None,
    demo: bool,
    output_format: str,
    audience: str,
    with_annex: bool,
    plain_csv: bool,
    report_lang: str | None,
    as_of: dt.date | None,
    output: Path | None,
    previous: Path | None,
    no_save: bool,
) -> None:
    """Write the report for the Commission numérique.

    Cover, summary in plain words (score, trend, main risks, decisions to take),
    scores with charts, findings with legal basis and owner, action plan with
    costs against the framework credit, waivers, suppliers, the record of
    processing activities and the method. The JSON result is saved as
    reports/<year>/audit-<date>.json so that next year's report shows the trend.
    With --demo, reports/ is in the current folder.

    \b
    Examples:
      conformite report my-commune --as-of 2026-11-28
      conformite report my-commune --format pdf --lang de
      conformite report --demo --format xlsx -o demo.xlsx
      conformite report my-commune --format docx --with-annex
      conformite report my-commune --audience public --format pdf
    """
    from conformite.engine.audit import run_audit
    from conformite.i18n import translate
    from conformite.report.build import build_report
    from conformite.report.render import render_report

    workspace = load(resolve_directory(directory, demo))
    lang = _lang(report_lang, workspace)
    if output_format == "pdf":
        from conformite.report.render.pdf import PdfUnavailable, require_weasyprint

        try:
            require_weasyprint()
        except PdfUnavailable as exc:
            raise CommandError(translate("report.pdf_missing", lang, detail=exc)) from None
    date = as_of or dt.date.today()
    reports = reports_dir(directory, demo)
    previous_result = None
    previous_path = None
    if previous is not None:
        previous_result, previous_path = read_result(previous, lang), previous
    result = run_audit(workspace, date, lang)
    if previous is None:
        previous_result, previous_path = find_previous(
            reports, date, result.workspace.commune, lang
        )
    built = build_report(workspace, result, previous_result, lang)
    extension = REPORT_FORMATS[output_format]
    stem = "report"
    if audience == "public":
        from conformite.report.render import PUBLIC_FORMATS, render_public

        if output_format not in PUBLIC_FORMATS:
            raise click.UsageError(
                translate("report.public_formats", lang, formats=", ".join(PUBLIC_FORMATS))
            )
        data, stem = render_public(output_format, built), "public"
    else:
        data = render_report(output_format, built, plain_csv, with_annex)
    if output is None:
        output = reports / str(date.year) / f"{stem}-{date.isoformat()}.{lang}.{extension}"
    write_file(output, data, binary=output_format in ("xlsx", "pdf", "docx"), lang=lang)
    if previous_path is not None:
        _note(translate("report.previous_used", lang, path=previous_path))
    if not is_stdout(output):
        _note(translate("report.written", lang, path=output))
    saved = result_path(reports, date)
    if not no_save and saved.resolve() != output.resolve():
        write_file(saved, result.to_json().encode("utf-8"))
        _note(translate("report.result_saved", lang, path=saved))


@click.command()
@workspace_argument
@click.option("--demo", is_flag=True, help="The built-in demo commune's register.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(REGISTER_FORMATS)),
    default="md",
    show_default=True,
)
@click.option(
    "--plain-csv",
    is_flag=True,
    help="CSV as RFC 4180 (comma, no byte-order mark) instead of for Swiss Excel "
    "(semicolon, UTF-8 with byte-order mark).",
)
@click.option(
    "--lang",
    "register_lang",
    type=LANG_CHOICE,
    default=None,
    help="Language (overrides the global --lang and the workspace's).",
)
@as_of_option
@click.option(
    "--output",
    "-o",
    type=OUTPUT,
    help="Write here (- for standard output). "
    "Default: reports/<year>/register-<date>.<lang>.<ext> in the workspace.",
)
@handle_input_errors
def register(
    directory: Path | None,
    demo: bool,
    output_format: str,
    plain_csv: bool,
    register_lang: str | None,
    as_of: dt.date | None,
    output: Path | None,
) -> None:
    """Write the record of processing activities from the inventory.

    One entry per service: controller, purpose, data subjects and data
    categories, recipients, retention, security measures, states abroad and
    their safeguards. Facts missing from the inventory are listed to complete.

    \b
    Examples:
      conformite register my-commune
      conformite register my-commune --format xlsx --lang de -o verzeichnis.xlsx
    """
    from conformite.i18n import translate
    from conformite.report.register import build_register
    from conformite.report.render import render_register

    workspace = load(resolve_directory(directory, demo))
    lang = _lang(register_lang, workspace)
    date = as_of or dt.date.today()
    data = render_register(output_format, build_register(workspace, date, lang), date, plain_csv)
    if output is None:
        extension = REGISTER_FORMATS[output_format]
        output = (
            reports_dir(directory, demo)
            / str(date.year)
            / f"register-{date.isoformat()}.{lang}.{extension}"
        )
    write_file(output, data, binary=output_format == "xlsx", lang=lang)
    if not is_stdout(output):
        _note(translate("register.written", lang, path=output))
