"""The budget plan in Markdown: the years table and year 1 for the decision paper,
every action and what does not fit for the annex; and the public summary, which is
mostly the plan in aggregate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformite.report.render.markdown_text import esc, table

if TYPE_CHECKING:
    from conformite.report.model import Action, Report
    from conformite.report.public import PublicSummary

__all__ = ["plan_annex", "plan_paper", "render_public_markdown"]

#: How many year-1 actions the decision paper lists (the annex lists all).
PAPER_ACTIONS = 12


def _years(r: Report) -> str:
    t = r.t
    return table(
        [t("report.col.year"), t("report.col.actions"), t("report.plan.col.cash"),
         t("report.plan.col.credit_share"), t("report.col.days"),
         t("report.plan.col.staff_share"), t("report.plan.col.bought")],
        (
            [t("report.plan.year", year=y.year), str(y.actions), r.chf(y.cash_chf),
             r.percent(y.credit_share), r.days(y.person_days), r.percent(y.staff_share),
             r.days(y.bought_days)]
            for y in r.plan.years
        ),
        right=(1, 2, 3, 4, 5, 6),
    )  # fmt: skip


def _title(r: Report, a: Action) -> str:
    part = f" ({r.t('report.plan.part', part=a.part, parts=a.parts)})" if a.parts else ""
    return esc(a.title) + part


def plan_paper(r: Report) -> list[str]:
    """The decision paper's budget plan: the two budgets, the years, the year-1 actions."""
    t, p = r.t, r.plan
    out = [f"## {t('report.h.budget')}", "", esc(r.plan_intro), ""]
    if not p.all_actions:
        return [*out, t("report.plan.none"), ""]
    out += [esc(r.plan_total), "", _years(r), ""]
    year1 = [a for a in p.actions if a.year == 1]
    if year1:
        out += [
            f"### {t('report.plan.year1')}",
            "",
            table(
                [t("report.col.action"), t("report.plan.col.basis"), t("report.col.targets"),
                 t("report.plan.col.cash"), t("report.col.days")],
                (
                    [_title(r, a), r.priority_text(a), str(a.targets), r.chf(a.cash_chf),
                     r.days(a.person_days)]
                    for a in year1[:PAPER_ACTIONS]
                ),
                right=(2, 3, 4),
            ),
            "",
        ]  # fmt: skip
    more = len(p.actions) - min(len(year1), PAPER_ACTIONS)
    if more > 0:
        out += [f"*{esc(t('report.plan.more_in_annex', count=more))}*", ""]
    return out


def plan_annex(r: Report) -> list[str]:
    """The annex's plan: every planned action, then what does not fit."""
    t, p = r.t, r.plan
    out = [f"## {t('report.h.plan')}", "", esc(r.plan_intro), ""]
    if not p.all_actions:
        return [*out, t("report.plan.none"), ""]
    out += [esc(r.plan_total), "", _years(r), ""]
    if p.actions:
        out += [
            f"### {t('report.plan.all_actions')}",
            "",
            table(
                ["#", t("report.col.year"), t("report.col.action"), t("report.plan.col.basis"),
                 t("report.col.targets"), t("report.plan.col.cash"), t("report.col.days"),
                 t("report.col.owner")],
                (
                    [str(a.rank), str(a.year),
                     f"**{a.control_id}** {_title(r, a)}" + (" ⚠" if a.expired_waiver else ""),
                     r.priority_text(a), str(a.targets), r.chf(a.cash_chf),
                     r.days(a.person_days),
                     esc(", ".join(a.owners[:3]) + (" …" if len(a.owners) > 3 else ""))]
                    for a in p.actions
                ),
                right=(0, 1, 4, 5, 6),
            ),
            "",
        ]  # fmt: skip
    if p.unplanned:
        out += [
            f"### {t('report.plan.beyond')}",
            "",
            esc(t("report.plan.beyond_intro", date=r.date(p.horizon_end))),
            "",
            table(
                ["#", t("report.col.action"), t("report.plan.col.basis"), t("report.col.targets"),
                 t("report.plan.col.cash"), t("report.col.days"), t("report.plan.col.value")],
                (
                    [str(a.rank), f"**{a.control_id}** {esc(a.title)}", r.priority_text(a),
                     str(a.targets), r.chf(a.cash_chf), r.days(a.person_days),
                     r.chf(a.value_chf)]
                    for a in p.unplanned
                ),
                right=(0, 3, 4, 5, 6),
            ),
            "",
        ]  # fmt: skip
    return [*out, f"*{esc(t('report.plan.order', rate=r.chf(p.person_day_chf)))}*", ""]


def render_public_markdown(summary: PublicSummary) -> str:
    """The public summary for residents in Markdown (aggregates only, see report.public)."""
    from conformite.i18n import translate
    from conformite.i18n.formats import format_chf, format_date, format_delta, format_number

    lang = summary.lang

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    p = summary
    out = [
        f"# {esc(t('public.title', commune=p.commune, date=format_date(p.as_of, lang)))}",
        "",
        f"*{t('public.kicker')}*",
        "",
        esc(t("public.intro", commune=p.commune)),
        "",
        f"## {t('public.h.law')}",
        "",
        *(f"- {esc(line)}" for line in p.law),
        "",
        esc(t("public.rights")),
        "",
        f"## {t('public.h.state')}",
        "",
    ]
    if p.score is not None:
        score = t("report.summary.score", score=format_number(p.score, lang, 1))
        out += [f"**{score}**" + (f" — **{p.grade}**" if p.grade else ""), ""]
    out += [esc(p.grade_sentence), ""]
    out += [esc(t("public.inventory", services=p.services, suppliers=p.suppliers,
                  in_register=p.in_register)), ""]  # fmt: skip
    if p.coverage is not None:
        out += [esc(t("public.coverage", coverage=format_number(p.coverage, lang, 1))), ""]
    out += [
        table([t("column.family"), t("column.score")],
              ([esc(label), format_number(score, lang, 1)] for label, score in p.families),
              right=(1,)),
        "",
        f"## {t('public.h.progress')}",
        "",
    ]  # fmt: skip
    if p.previous_as_of:
        out += [esc(t("public.progress", date=format_date(p.previous_as_of, lang),
                      change=format_delta(p.score_change, lang), resolved=p.resolved,
                      new=p.new)), ""]  # fmt: skip
    else:
        out += [esc(t("public.first_year")), ""]
    out += [
        f"## {t('public.h.plan')}",
        "",
        esc(t("public.plan", years=p.horizon_years, credit=format_chf(p.annual_credit, lang))),
        "",
        table([t("report.col.year"), t("report.col.actions"), t("report.plan.col.cash"),
               t("public.col.areas")],
              ([t("report.plan.year", year=y.year), str(y.actions), format_chf(y.cash_chf, lang),
                esc(", ".join(f"{label} ({count})" for label, count in y.families))]
               for y in p.years),
              right=(1, 2)),
        "",
        f"*{esc(t('public.what_is_left_out'))}*",
        "",
    ]  # fmt: skip
    return "\n".join(out)
