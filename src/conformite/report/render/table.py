"""Terminal view: score, scores by family and objective, the findings that matter most.

Confirmed gaps (fail, error) and facts to document (unknown) are counted apart;
the list shows the confirmed gaps, and says how many checks are to document.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from conformite.engine.results import AuditResult, Finding, Score
from conformite.i18n import translate
from conformite.i18n.formats import colon, format_date

__all__ = ["render_table", "top_findings"]

_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
#: Below this width the terminal gets the narrow layout: fewer score columns, findings
#: as indented blocks instead of a five-column table (one word per line at 80 columns).
NARROW_WIDTH = 110
_GRADE_STYLE = {"A": "green", "B": "green", "C": "yellow", "D": "red", "E": "bold red"}


def top_findings(result: AuditResult) -> list[Finding]:
    """Confirmed gaps (fail, error) from most to least weighty, ties by id."""
    open_findings = [f for f in result.findings if f.outcome in ("fail", "error")]
    return sorted(
        open_findings,
        key=lambda f: (-f.weight, -_SEVERITY_RANK[f.severity], f.control_id, f.target_id),
    )


def _score_cell(score: Score) -> Text:
    if score.score is None:
        return Text("–")
    return Text(f"{score.score:.1f}", style=_GRADE_STYLE.get(score.grade or "", ""))


def _score_table(
    title: str, first: str, rows: dict[str, Score], label: Any, lang: str, narrow: bool = False
) -> Table | None:
    """Scores by family or objective; ``narrow`` leaves out the passed and waived counts
    so that the labels keep their words on an 80-column terminal."""
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column(first, ratio=1, min_width=16 if narrow else None)
    table.add_column(translate("column.score", lang), justify="right", no_wrap=True)
    table.add_column(translate("column.grade", lang), justify="center", no_wrap=True)
    if not narrow:
        table.add_column(translate("column.passed", lang), justify="right")
    table.add_column(translate("column.gaps", lang), justify="right")
    table.add_column(translate("column.unknown", lang), justify="right")
    if not narrow:
        table.add_column(translate("column.waived", lang), justify="right")
    table.add_column(translate("column.coverage", lang), justify="right", no_wrap=True)
    for key, score in rows.items():
        if score.passed + score.failed + score.errors + score.unknown + score.waived == 0:
            continue
        cells: list[Any] = [
            label(key),
            _score_cell(score),
            (score.grade or "–") + ("*" if score.grade_capped else ""),
            str(score.passed),
            str(score.failed + score.errors),
            str(score.unknown),
            str(score.waived),
            "–" if score.coverage is None else f"{score.coverage:.1f} %",
        ]
        if narrow:
            del cells[6], cells[3]
        table.add_row(*cells)
    return table if table.row_count else None


def _finding_blocks(out: Console, shown: list[Finding], lang: str) -> None:
    """The findings as indented blocks, for a narrow terminal."""
    from rich.padding import Padding

    for number, f in enumerate(shown, start=1):
        head = Text(f"{number}. ", style="bold")
        head.append(f"[{translate(f'severity.{f.severity}', lang)}] ", style="bold")
        head.append(f"{f.control_id} — ", style="bold")
        head.append(f"{colon(translate(f'target.{f.target_kind}', lang), lang)} {f.target_name}")
        out.print(head)
        lines = [Text(f.title, style="italic")]
        lines += [Text(f"• {m}") for m in f.messages]
        lines.append(
            Text(colon(translate("column.basis", lang), lang) + " ", style="dim").append(
                "; ".join(c.citation for c in f.legal_basis), style="dim"
            )
        )
        for line in lines:
            out.print(Padding(line, (0, 0, 0, 3)))


def render_table(
    result: AuditResult, lang: str, target: Console | None = None, top: int = 10
) -> str:
    """Print to ``target`` (a rich console); return the plain text when none is given."""
    buffer = io.StringIO()
    out = target or Console(file=buffer, width=120, color_system=None, highlight=False)
    ws = result.workspace
    out.print(
        Text(
            translate(
                "audit.title",
                lang,
                commune=ws.commune,
                canton=ws.canton,
                as_of=format_date(result.as_of, lang),
            ),
            style="bold",
        )
    )
    if result.jurisdiction is not None:
        out.print(result.jurisdiction.note, style="italic")
    overall = result.scores.overall
    if overall.score is None:
        out.print(translate("audit.no_score", lang))
    else:
        out.print(
            Text(
                translate("audit.score", lang, score=f"{overall.score:.1f}", grade=overall.grade),
                style="bold " + _GRADE_STYLE.get(overall.grade or "", ""),
            )
        )
    out.print(
        translate(
            "audit.outcomes",
            lang,
            passed=overall.passed,
            failed=overall.failed,
            unknown=overall.unknown,
            waived=overall.waived,
            errors=overall.errors,
            not_applicable=overall.not_applicable,
        )
    )
    if overall.coverage is not None:
        from conformite.engine.scoring import grade

        capped = (
            translate("audit.capped", lang, grade=grade(overall.score))
            if overall.grade_capped
            else ""
        )
        out.print(
            translate("audit.coverage", lang, coverage=f"{overall.coverage:.1f}", capped=capped)
        )
    out.print(
        translate(
            "audit.catalogue",
            lang,
            version=result.catalogue.version,
            controls=result.catalogue.controls,
        ),
        style="dim",
    )
    narrow = out.width < NARROW_WIDTH
    for key, column, rows in (
        ("audit.by_family", "column.family", result.scores.by_family),
        ("audit.by_objective", "column.objective", result.scores.by_objective),
    ):
        prefix = "family" if key == "audit.by_family" else "objective"
        table = _score_table(
            translate(key, lang),
            translate(column, lang),
            rows,
            lambda k, prefix=prefix: translate(f"{prefix}.{k}", lang),
            lang,
            narrow,
        )
        if table is not None:
            out.print()
            out.print(table)
    out.print()
    ranked = top_findings(result)
    if not ranked:
        out.print(translate("audit.no_findings", lang), style="green")
    elif narrow:
        shown = ranked[:top]
        out.print(
            Text(
                translate("audit.top_findings", lang, count=len(shown), total=len(ranked)),
                style="italic",
            )
        )
        _finding_blocks(out, shown, lang)
        if len(ranked) > len(shown):
            out.print(translate("audit.more_findings", lang), style="dim")
    else:
        shown = ranked[:top]
        table = Table(
            title=translate("audit.top_findings", lang, count=len(shown), total=len(ranked)),
            title_justify="left",
            show_lines=True,
            show_edge=False,
        )
        table.add_column(translate("column.severity", lang))
        table.add_column(translate("column.control", lang), no_wrap=True)
        table.add_column(translate("column.target", lang))
        table.add_column(translate("column.finding", lang), ratio=3)
        table.add_column(translate("column.basis", lang))
        for f in shown:
            table.add_row(
                translate(f"severity.{f.severity}", lang),
                f.control_id,
                f"{translate(f'target.{f.target_kind}', lang)}: {f.target_name}",
                f.title + "\n" + "\n".join(f"• {m}" for m in f.messages),
                "\n".join(c.citation for c in f.legal_basis),
            )
        out.print(table)
        if len(ranked) > len(shown):
            out.print(translate("audit.more_findings", lang), style="dim")
    if overall.unknown:
        out.print(translate("audit.to_document", lang, count=overall.unknown), style="yellow")
    if result.waivers:
        out.print()
        table = Table(title=translate("audit.waivers", lang), title_justify="left", show_edge=False)
        for key in ("control", "target", "status", "approver", "expires"):
            table.add_column(translate(f"column.{key}", lang))
        for w in result.waivers:
            style = "red" if w.status == "expired" else ""
            table.add_row(
                w.control_id,
                w.target,
                Text(translate(f"waiver.{w.status}", lang), style=style),
                w.approver,
                w.expires_on,
            )
        out.print(table)
    return buffer.getvalue()
