"""Markdown (CommonMark with GitHub tables), for a wiki or a git repository.

The same sections as the HTML report, without charts: each chart's figures
are in the table beside it. Text from the inventory is escaped so that a
``|`` or a ``*`` in a service name cannot break a table or the layout.
"""

from __future__ import annotations

from conformite.i18n import translate
from conformite.i18n.formats import colon
from conformite.report.common import first_few
from conformite.report.model import Report, ScoreRow
from conformite.report.register import Register, RegisterEntry, yes_no
from conformite.report.render.markdown_plan import plan_annex, plan_paper
from conformite.report.render.markdown_text import esc
from conformite.report.render.markdown_text import table as _table

__all__ = ["render_markdown", "render_register_markdown"]


def _scores(r: Report, rows: list[ScoreRow], first: str) -> str:
    t = r.t
    table = _table(
        [first, t("column.score"), t("column.grade"), t("column.passed"), t("column.gaps"),
         t("column.unknown"), t("column.waived"), t("column.coverage")],
        (
            [esc(row.label), r.score_text(row.score.score), esc(row.grade_label),
             str(row.score.passed), str(row.gaps), str(row.unknown), str(row.score.waived),
             r.coverage_text(row.score)]
            for row in rows
            if row.counted
        ),
        right=(1, 3, 4, 5, 6, 7),
    )  # fmt: skip
    if any(row.score.grade_capped for row in rows if row.counted):
        table += "\n\n" + esc(t("report.scores.capped_note"))
    return table


def _risks(r: Report) -> list[str]:
    t = r.t
    out: list[str] = []
    for i, risk in enumerate(r.risks, start=1):
        names = first_few(risk.target_names)
        flag = " ⚠" if risk.expired_waivers else ""
        out.append(
            f"{i}. **{esc(risk.title)}**{flag} ({t(f'severity.{risk.severity}')}, "
            f"{risk.control_id}) — "
            f"{esc(t('report.risk.targets', count=risk.targets, names=names))}"
        )
        if risk.why:
            out.append(f"   {esc(risk.why)}")
        out.append(f"   {esc(r.fix_cost_text(risk))}")
        notes = []
        if risk.exposure:
            notes.append(
                esc(
                    t(
                        "report.risk.exposure",
                        name=risk.target_names[0],
                        factors=", ".join(risk.exposure),
                    )
                )
            )
        if risk.expired_waivers:
            names = ", ".join(risk.expired_waivers)
            notes.append(f"**{esc(t('report.risk.expired_waiver', names=names))}**")
        if notes:
            out.append("   " + " ".join(notes))
    return out


def _unknowns(r: Report) -> list[str]:
    from conformite.report.summary import fact_list

    t = r.t
    out: list[str] = []
    for i, risk in enumerate(r.unknowns, start=1):
        names = first_few(risk.target_names)
        out.append(
            f"{i}. **{esc(risk.title)}** ({t(f'severity.{risk.severity}')}, "
            f"{risk.control_id}) — "
            f"{esc(t('report.risk.targets', count=risk.targets, names=names))}"
        )
        line = [esc(risk.why)] if risk.why else []
        if risk.missing:
            line.append(esc(t("report.unknowns.missing", facts=fact_list(risk.missing, r.lang))))
        if risk.who:
            line.append(esc(risk.who))
        if line:
            out.append("   " + " ".join(line))
    return out


def _to_document(r: Report) -> list[str]:
    from conformite.report.summary import facts_named

    t = r.t

    def lab(key: str) -> str:
        return colon(t(key), r.lang)

    out = [
        f"## {t('report.h.to_document')}",
        "",
        esc(t("report.to_document.intro", count=r.unknown_findings)),
        "",
    ]
    if not r.to_document:
        return [*out, t("report.unknowns.none"), ""]
    for g in r.to_document:
        basis = ", ".join(f"[{esc(b.citation)}]({b.url})" for b in g.legal_basis)
        out += [
            f"### {g.control_id} — {esc(g.title)}",
            "",
            f"{lab('column.severity')} {t(f'severity.{g.severity}')} · "
            f"{lab('column.basis')} {basis}",
            "",
            _table(
                [t("column.target"), t("report.col.need"), t("report.col.missing"),
                 t("report.col.who")],
                (
                    [esc(f"{t(f'target.{i.target_kind}')}: {i.target_name}"),
                     t(f"need.{i.need}"),
                     esc(facts_named(i.unknown_facts, r.lang) or " ".join(i.messages)),
                     esc(" ".join(i.answer) or i.owner)]
                    for i in g.items
                ),
            ),
            "",
        ]  # fmt: skip
    return out


def _register_entries(entries: list[RegisterEntry], lang: str, level: str) -> list[str]:
    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    def lab(key: str) -> str:
        return colon(t(key), lang)

    out: list[str] = []
    for e in entries:
        subjects = ", ".join(e.data_subjects) or "–"
        categories = ", ".join(e.data_categories) or "–"
        if e.sensitive_categories:
            categories += f"; {lab('register.col.sensitive')} " + ", ".join(e.sensitive_categories)
        abroad = "; ".join(
            f"{d.country}: {d.safeguard}" + ("" if d.safe else " ⚠") for d in e.destinations
        ) or t("register.none_abroad")
        listed = yes_no(e.listed, lang)
        if e.missing:
            listed += f"; {lab('register.col.missing')} " + ", ".join(e.missing)
        rows = [
            (t("register.col.controller"), e.controller),
            (t("register.col.purpose"), e.purpose),
            (t("register.col.legal_basis"), e.legal_basis),
            (
                t("register.col.subjects"),
                f"{subjects} ({lab('register.col.count')} {e.data_subject_count})",
            ),
            (t("register.col.categories"), categories),
            (t("register.col.recipients"), "; ".join(e.recipients) or t("register.no_recipients")),
            (t("register.col.retention"), e.retention),
            (
                t("register.col.security"),
                "; ".join(e.security_measures) or t("register.missing"),
            ),
            (t("register.col.abroad"), abroad),
            (t("register.col.listed"), listed),
        ]
        out += [
            f"{level} {esc(e.reference)} — {esc(e.name)}",
            "",
            _table(
                [t("report.col.item"), t("report.col.value")],
                ([esc(k), esc(v)] for k, v in rows),
            ),
            "",
        ]
    return out


def render_markdown(r: Report) -> str:
    """The whole report as one Markdown document."""
    t = r.t

    def lab(key: str) -> str:
        return colon(t(key), r.lang)

    out: list[str] = [
        f"# {esc(t('report.title', commune=r.commune, date=r.date(r.as_of)))}",
        "",
        f"*{esc(t('report.paper.kicker'))} · {esc(t('report.kicker'))}*",
        "",
        f"- **{lab('report.cover.commune')}** {esc(r.commune)}",
        f"- **{lab('report.cover.canton')}** {r.canton}",
        f"- **{lab('report.cover.population')}** {r.number(r.population)}",
        f"- **{lab('report.cover.as_of')}** {r.date(r.as_of)}",
        f"- **{lab('report.cover.catalogue')}** {esc(r.catalogue_version)} "
        f"({t('report.cover.controls', count=r.controls)})",
        f"- **{lab('report.cover.law')}**",
        *(f"  - {esc(line)}" for line in r.law),
        "",
        *(
            [f"*{lab('report.cover.law_summary')}* {esc(r.law_summary)}", ""]
            if r.law_summary
            else []
        ),
        f"## {t('report.h.situation')}",
        "",
        f"**{t('report.summary.score', score=r.score_text(r.score.score))}**"
        + (f" — **{r.score.grade}**" if r.score.grade else ""),
        "",
        esc(r.grade_sentence),
        "",
        esc(r.counts_sentence) + (f" {esc(r.coverage_sentence)}" if r.coverage_sentence else ""),
        "",
        f"### {t('report.h.trend')}",
        "",
    ]
    if r.trend:
        c = r.trend.comparison
        out += [esc(r.trend.sentence), ""]
        if r.trend.catalogue_note:
            out += [f"*{esc(r.trend.catalogue_note)}*", ""]
        out += [
            _table(
                [t("column.family"), r.date(r.trend.previous_as_of), r.date(r.as_of),
                 t("report.col.change")],
                [[t("report.trend.overall"), r.score_text(c.overall.old),
                  r.score_text(c.overall.new), r.delta(c.overall.delta)]]
                + [
                    [t(f"family.{x.key}"), r.score_text(x.old), r.score_text(x.new),
                     r.delta(x.delta)]
                    for x in c.by_family
                ],
                right=(1, 2, 3),
            ),
            "",
        ]  # fmt: skip
    else:
        out += [t("report.trend.none"), ""]
    out += [f"## {t('report.h.decisions')}", ""]
    out += [f"{i}. {esc(d)}" for i, d in enumerate(r.decisions, start=1)]
    out += ["", f"## {t('report.h.risks')}", ""]
    out += [*_risks(r), ""] if r.risks else [t("report.risk.none"), ""]
    out += plan_paper(r)
    out += [f"## {t('report.h.unknowns')}", ""]
    if r.unknowns:
        out += [esc(t("report.unknowns.intro")), "", *_unknowns(r)]
    else:
        out += [t("report.unknowns.none")]
    out += ["", "---", "", f"# {t('report.h.annex')}", "", esc(t("report.annex.intro"))]
    out += ["", f"## {t('report.h.scores')}", "", esc(t("report.scores.intro")), ""]
    out += [f"### {t('audit.by_family')}", "", _scores(r, r.by_family, t("column.family")), ""]
    for heading, rows, first in (
        ("audit.by_objective", r.by_objective, "column.objective"),
        ("report.h.by_service", r.by_service, "report.col.service"),
        ("report.h.by_supplier", r.by_supplier, "report.col.supplier"),
    ):
        out += [f"### {t(heading)}", "", _scores(r, rows, t(first)), ""]
    out += [
        f"## {t('report.h.findings')}",
        "",
        esc(t("report.findings.intro", count=r.open_findings)),
        "",
    ]
    if not r.findings:
        out += [t("audit.no_findings"), ""]
    for severity, groups in r.findings:
        count = sum(len(g.items) for g in groups)
        out += [
            f"### {t('report.findings.severity', severity=t(f'severity.{severity}'), count=count)}",
            "",
        ]
        for g in groups:
            basis = ", ".join(f"[{esc(b.citation)}]({b.url})" for b in g.legal_basis)
            out += [
                f"#### {g.control_id} — {esc(g.title)}",
                "",
                f"{lab('column.family')} {t(f'family.{g.family}')} · "
                f"{lab('column.severity')} {t(f'severity.{g.severity}')} · "
                f"{lab('column.basis')} {basis}",
                "",
            ]
            if g.rationale:
                out += [f"**{lab('control.rationale')}** {esc(g.rationale)}", ""]
            if g.remediation:
                out += [f"**{lab('control.remediation')}** {esc(g.remediation)}", ""]
            rows = []
            for i in g.items:
                problem = esc(" ".join(i.messages))
                if i.outcome == "error":
                    problem += f" ({t('outcome.error')})"
                if i.expired_waiver:
                    problem += f" **{esc(i.expired_waiver)}**"
                rows.append(
                    [
                        esc(f"{t(f'target.{i.target_kind}')}: {i.target_name}"),
                        t(f"need.{i.need}"),
                        problem,
                        esc(i.owner),
                    ]
                )
            out += [
                _table(
                    [t("column.target"), t("report.col.need"), t("report.col.problem"),
                     t("report.col.owner")],
                    rows,
                ),
                "",
            ]  # fmt: skip
    out += _to_document(r)
    out += plan_annex(r)
    out += [f"## {t('report.h.waivers')}", ""]
    if r.waivers:
        rows = []
        for w in r.waivers:
            status = t(f"waiver.{w.status}")
            if w.expired:
                status = f"**{status}** ⚠"
            elif w.expiring_soon:
                status += f" — {t('report.waivers.soon')}"
            rows.append(
                [f"**{w.control_id}** {esc(w.title)}", esc(w.target), status,
                 t(f"report.risk.{w.risk}"), esc(w.justification), esc(w.approver),
                 r.date(w.decided_on), r.date(w.expires_on)]
            )  # fmt: skip
        out += [
            esc(t("report.waivers.intro")),
            "",
            _table(
                [t("column.control"), t("column.target"), t("column.status"), t("report.col.risk"),
                 t("report.col.justification"), t("column.approver"), t("report.col.decided"),
                 t("column.expires")],
                rows,
            ),
            "",
        ]  # fmt: skip
    else:
        out += [t("report.waivers.none"), ""]
    out += [f"## {t('report.h.suppliers')}", "", esc(t("report.suppliers.intro")), ""]
    if not r.suppliers:
        out += [t("report.suppliers.none"), ""]
    for s in r.suppliers:
        country = s.country + (f" — {lab('report.supplier.parent')} {s.parent}" if s.parent else "")
        abroad = "; ".join(
            f"{d.country}: {d.safeguard}" + ("" if d.safe else " ⚠") for d in s.destinations
        ) or t("report.supplier.switzerland_only")
        certs = "; ".join(
            f"{c.label}"
            + (f" ({c.scope})" if c.scope else "")
            + (
                f": {t('report.supplier.expiry_unknown')}"
                if c.valid is None
                else f": {t('report.supplier.valid_until', date=c.valid_until)}"
                + ("" if c.valid else f" — {t('report.supplier.not_valid')} ⚠")
            )
            for c in s.certifications
        )
        score = (
            f"{r.score_text(s.score.score)} ({s.score.grade}{'*' if s.score.grade_capped else ''})"
            f" — {lab('column.gaps')} {s.score.failed + s.score.errors}, "
            f"{lab('column.unknown')} {s.score.unknown}, "
            f"{lab('column.coverage')} {r.coverage_text(s.score)}"
            if s.score and s.score.score is not None
            else "–"
        )
        rows = [
            (t("report.supplier.country"), country),
            (t("report.supplier.services"), ", ".join(s.services)),
            (t("report.col.need"), t(f"need.{s.need}")),
            (t("report.supplier.abroad"), abroad),
            (t("report.supplier.dpa"), s.dpa_signed_on),
            (t("report.supplier.sub_processors"), "; ".join(s.sub_processors)),
            (t("report.supplier.certifications"), certs),
            (t("report.supplier.dpf"), s.dpf),
            (t("report.supplier.clauses"), s.fdpic_clauses),
            (t("report.supplier.breach"), s.breach_notification),
            (t("report.supplier.audit_rights"), s.audit_rights),
            (t("report.supplier.contract_end"), s.contract_end_on),
            (t("report.supplier.last_review"), s.last_review_on),
            (t("column.score"), score),
        ]
        out += [
            f"### {esc(s.name)}",
            "",
            _table(
                [t("report.col.item"), t("report.col.value")], ([esc(k), esc(v)] for k, v in rows)
            ),
            "",
        ]
    out += [
        f"## {t('report.h.register')}",
        "",
        f"*{esc(r.register.basis)}*",
        "",
        esc(t("register.intro")),
        "",
        f"- **{lab('register.col.controller')}** {esc(r.register.controller)}",
        f"- **{lab('register.advisor')}** {esc(r.register.advisor)}",
        "",
        *_register_entries(r.register.entries, r.lang, "###"),
    ]
    m = r.methodology
    out += [f"## {t('report.h.methodology')}", "", f"### {t('report.method.h.scope')}", ""]
    out += [f"- {esc(x)}" for x in m.scope]
    out += ["", f"### {t('report.method.h.formula')}", ""]
    out += [f"- {esc(x)}" for x in m.formula]
    out += ["", f"### {t('report.method.h.not_assessed')}", ""]
    out += [f"- {esc(x)}" for x in m.not_assessed]
    if m.errors:
        out += ["", f"### {t('report.method.h.errors')}", ""]
        out += [f"- {esc(x)}" for x in m.errors]
    out += [
        "",
        "---",
        "",
        esc(t("report.footer", version=r.tool_version, catalogue=r.catalogue_version,
              date=r.date(r.as_of))),
    ]  # fmt: skip
    return "\n".join(out) + "\n"


def render_register_markdown(register: Register) -> str:
    """The record of processing activities on its own, in Markdown."""
    lang = register.lang

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    def lab(key: str) -> str:
        return colon(t(key), lang)

    out = [
        f"# {esc(t('register.title', commune=register.commune))}",
        "",
        f"*{esc(register.basis or t('register.kicker'))}*",
        "",
        f"- **{lab('register.col.controller')}** {esc(register.controller)}",
        f"- **{lab('register.advisor')}** {esc(register.advisor)}",
        f"- **{lab('report.cover.as_of')}** {register.as_of}",
        f"- **{lab('register.entries')}** {len(register.entries)}",
        "",
        esc(t("register.intro")),
        "",
        f"## {t('register.h.entries')}",
        "",
        *_register_entries(register.entries, lang, "###"),
    ]
    return "\n".join(out).rstrip("\n") + "\n"
