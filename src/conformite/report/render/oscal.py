"""``audit --format oscal``: the audit result as OSCAL **assessment-results** (JSON).

The mapping (README, section OSCAL):

* the audit is one ``result``; its ``reviewed-controls`` list every control that
  was evaluated (by its catalog token, see :func:`conformite.catalogue.oscal.control_token`);
* every inventory target (the organisation, a service, a vendor, a public
  endpoint) is an ``inventory-item`` of the result's ``local-definitions``;
* every finding that applies (not ``not_applicable``) gives one ``observation``
  (method ``EXAMINE``, subject = its target, relevant evidence = each condition
  and requirement read, with the facts that failed or are unknown) and one OSCAL
  ``finding`` whose ``target`` is the control (``objective-id``, the control's
  token) with a state: ``pass`` is *satisfied*; ``fail``, ``error``, ``unknown``
  and ``waived`` are *not-satisfied*. OSCAL has no "unknown": such a finding has
  reason ``other``, remarks "to document: …" and the prop ``outcome=unknown``;
* a confirmed gap (``fail``) is a ``risk`` with status ``open``; a waived
  finding is a risk with status ``deviation-approved`` (the waiver's approver,
  expiry and justification in props and remarks). Unknowns and errors are no
  risk: nothing is confirmed yet.

OSCAL wants an assessment plan (``import-ap``): conformite writes none, so
``import-ap`` points to a back-matter resource (``#uuid``) that describes the plan
(the catalogue version and digest, the commune, the date). UUIDs are uuid5 of
stable names and timestamps are the ``--as-of`` date at midnight UTC, so the same
inputs give byte-identical output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformite.catalogue.oscal import (
    OSCAL_VERSION,
    control_token,
    dump,
    prop,
    stable_uuid,
    timestamp,
)
from conformite.engine.results import COMPACT_ABOVE, AuditResult, Finding
from conformite.i18n import translate
from conformite.i18n.formats import format_date

__all__ = ["assessment_results", "render_oscal"]

#: Inventory targets in the order the document lists them.
_KIND_ORDER = ("organisation", "service", "vendor", "endpoint")
_STATE = {"pass": "satisfied"}
_REASON = {"pass": "pass", "fail": "fail"}


def _line(text: str, fallback: str) -> str:
    """A one-line, non-empty title (OSCAL titles may not contain a line break)."""
    flat = " ".join(text.split())
    return flat or fallback


def _fact_evidence(finding: Finding, lang: str) -> list[dict]:
    evidence = []
    for fact in finding.facts:
        state = "unknown" if fact.met is None else "met" if fact.met else "not_met"
        text = translate(f"oscal.fact_{state}", lang, name=fact.name, kind=fact.kind)
        if fact.details:
            text += "\n\n" + "\n".join(f"- {d}" for d in fact.details)
        evidence.append({"description": text, "props": [prop("fact-kind", fact.kind)]})
    return evidence


class _Builder:
    def __init__(self, result: AuditResult, lang: str) -> None:
        self.result = result
        self.lang = lang
        self.as_of = dt.date.fromisoformat(result.as_of)
        self.when = timestamp(self.as_of)
        self.scope = (result.workspace.commune, result.as_of, result.catalogue.sha256)

    def uuid(self, *parts: object) -> str:
        return stable_uuid(*self.scope, *parts)

    def description(self, f: Finding) -> str:
        """The finding's messages, or (a pass says nothing) its outcome in words."""
        outcome = translate(f"outcome.{f.outcome}", self.lang)
        return "\n\n".join(f.messages) or translate(
            "oscal.outcome_only", self.lang, outcome=outcome
        )

    def item_uuid(self, f: Finding) -> str:
        return self.uuid("target", f.target_kind, f.target_id)

    def inventory_items(self) -> list[dict]:
        targets = {(f.target_kind, f.target_id): f.target_name for f in self.result.findings}
        order = {kind: i for i, kind in enumerate(_KIND_ORDER)}
        items = []
        for (kind, target_id), name in sorted(
            targets.items(), key=lambda t: (order.get(t[0][0], 9), t[0])
        ):
            items.append(
                {
                    "uuid": self.uuid("target", kind, target_id),
                    "description": _line(name, target_id),
                    "props": [
                        prop("target-kind", kind),
                        prop("target-id", target_id),
                        prop("label", _line(name, target_id), oscal=True),
                    ],
                }
            )
        return items

    def observation(self, f: Finding, uuid: str) -> dict:
        props = [prop("control-id", f.control_id), prop("outcome", f.outcome)]
        props += [prop("unknown-fact", name) for name in f.unknown_facts]
        props += [prop("provenance", f"{k}: {v}") for k, v in sorted(f.provenance.items())]
        observation: dict[str, Any] = {
            "uuid": uuid,
            "title": _line(f"{f.control_id} — {f.target_name}", f.control_id),
            "description": self.description(f),
            "props": props,
            "methods": ["EXAMINE"],
            "types": ["control-objective"],
            "subjects": [
                {
                    "subject-uuid": self.item_uuid(f),
                    "type": "inventory-item",
                    "title": _line(f.target_name, f.target_id),
                }
            ],
        }
        evidence = _fact_evidence(f, self.lang)
        if evidence:
            observation["relevant-evidence"] = evidence
        observation["collected"] = self.when
        return observation

    def status(self, f: Finding) -> dict:
        status: dict[str, Any] = {
            "state": _STATE.get(f.outcome, "not-satisfied"),
            "reason": _REASON.get(f.outcome, "other"),
        }
        if f.outcome == "unknown":
            missing = ", ".join(f.unknown_facts) or "—"
            status["remarks"] = translate("oscal.unknown_remarks", self.lang, facts=missing)
        elif f.outcome == "waived" and f.waiver is not None:
            status["remarks"] = translate(
                "oscal.waived_remarks",
                self.lang,
                approver=f.waiver.approver,
                expires=f.waiver.expires_on,
            )
        elif f.outcome == "error":
            status["remarks"] = self.description(f)
        return status

    def risk(self, f: Finding, uuid: str, observation: str) -> dict:
        props = [
            prop("control-id", f.control_id),
            prop("severity", f.severity),
            prop("weight", f"{f.weight:g}"),
            prop("target-kind", f.target_kind),
            prop("target-id", f.target_id),
        ]
        risk: dict[str, Any] = {
            "uuid": uuid,
            "title": _line(
                translate("oscal.risk_title", self.lang, title=f.title, target=f.target_name),
                f.control_id,
            ),
            "description": self.description(f),
            "statement": translate(
                "oscal.risk_statement",
                self.lang,
                control=f.control_id,
                target=f.target_name,
                severity=translate(f"severity.{f.severity}", self.lang),
                basis="; ".join(c.citation for c in f.legal_basis) or "—",
            ),
            "props": props,
        }
        links = [
            {"href": c.url, "rel": "reference", "text": _line(c.citation, c.url)}
            for c in f.legal_basis
        ]
        if links:
            risk["links"] = links
        if f.outcome == "waived" and f.waiver is not None:
            w = f.waiver
            props += [
                prop("waiver-approver", _line(w.approver, "—")),
                prop("waiver-decided-on", w.decided_on),
                prop("waiver-expires-on", w.expires_on),
                prop("waiver-risk", w.risk),
            ]
            risk["status"] = "deviation-approved"
            risk["deadline"] = timestamp(dt.date.fromisoformat(w.expires_on))
            risk["risk-log"] = {
                "entries": [
                    {
                        "uuid": self.uuid("waiver", f.control_id, f.target_kind, f.target_id),
                        "title": _line(w.approver, "—"),
                        "description": w.justification,
                        "start": timestamp(dt.date.fromisoformat(w.decided_on)),
                        "status-change": "deviation-approved",
                    }
                ]
            }
        else:
            risk["status"] = "open"
        risk["related-observations"] = [{"observation-uuid": observation}]
        return risk

    def finding(self, f: Finding, uuid: str, observation: str, risk: str | None) -> dict:
        finding: dict[str, Any] = {
            "uuid": uuid,
            "title": _line(f"{f.title} — {f.target_name}", f.control_id),
            "description": self.description(f),
            "props": [
                prop("control-id", f.control_id),
                prop("outcome", f.outcome),
                prop("severity", f.severity),
                prop("weight", f"{f.weight:g}"),
                prop("family", f.family),
                prop("target-kind", f.target_kind),
                prop("target-id", f.target_id),
            ],
            "target": {
                "type": "objective-id",
                "target-id": control_token(f.control_id),
                "title": _line(f.title, f.control_id),
                "status": self.status(f),
            },
            "related-observations": [{"observation-uuid": observation}],
        }
        if risk is not None:
            finding["related-risks"] = [{"risk-uuid": risk}]
        return finding

    def result_props(self) -> list[dict]:
        r = self.result
        overall = r.scores.overall
        props = [prop("commune", r.workspace.commune), prop("canton", r.workspace.canton)]
        if overall.score is not None:
            props.append(prop("score", f"{overall.score:g}"))
        if overall.grade is not None:
            props.append(prop("grade", overall.grade))
        if overall.coverage is not None:
            props.append(prop("coverage", f"{overall.coverage:g}"))
        counts: dict[str, int] = {}
        for f in r.findings:
            counts[f.outcome] = counts.get(f.outcome, 0) + 1
        props += [prop(f"count-{k.replace('_', '-')}", v) for k, v in sorted(counts.items())]
        if r.jurisdiction is not None and r.jurisdiction.law_abbreviation:
            props.append(prop("law", r.jurisdiction.law_abbreviation))
        return props

    def document(self) -> dict:
        r, lang = self.result, self.lang
        observations, findings, risks = [], [], []
        for f in r.findings:
            if f.outcome == "not_applicable":
                continue
            key = (f.control_id, f.target_kind, f.target_id)
            observation = self.uuid("observation", *key)
            observations.append(self.observation(f, observation))
            risk = None
            if f.outcome in ("fail", "waived"):
                risk = self.uuid("risk", *key)
                risks.append(self.risk(f, risk, observation))
            findings.append(self.finding(f, self.uuid("finding", *key), observation, risk))
        controls = sorted({f.control_id for f in r.findings})
        selection: dict[str, Any] = (
            {"include-controls": [{"control-id": control_token(c)} for c in controls]}
            if controls
            else {"include-all": {}}
        )
        commune = r.workspace.commune
        result: dict[str, Any] = {
            "uuid": self.uuid("result"),
            "title": _line(translate("oscal.result_title", lang, commune=commune), commune),
            "description": r.jurisdiction.note if r.jurisdiction else commune,
            "start": self.when,
            "end": self.when,
            "props": self.result_props(),
        }
        items = self.inventory_items()
        if items:
            result["local-definitions"] = {"inventory-items": items}
        result["reviewed-controls"] = {"control-selections": [selection]}
        for name, entries in (
            ("observations", observations),
            ("risks", risks),
            ("findings", findings),
        ):
            if entries:
                result[name] = entries
        plan = self.uuid("assessment-plan")
        return {
            "assessment-results": {
                "uuid": self.uuid("assessment-results"),
                "metadata": {
                    "title": _line(
                        translate(
                            "oscal.ar_title", lang, commune=commune, date=format_date(r.as_of, lang)
                        ),
                        commune,
                    ),
                    "last-modified": self.when,
                    "version": r.as_of,
                    "oscal-version": OSCAL_VERSION,
                    "props": [
                        prop("language", lang),
                        prop("as-of", r.as_of),
                        prop("tool-version", r.tool_version),
                        prop("catalogue-version", r.catalogue.version),
                        prop("catalogue-sha256", r.catalogue.sha256),
                    ],
                },
                "import-ap": {
                    "href": f"#{plan}",
                    "remarks": translate("oscal.import_ap_remarks", lang),
                },
                "results": [result],
                "back-matter": {
                    "resources": [
                        {
                            "uuid": plan,
                            "title": translate("oscal.plan_title", lang),
                            "description": translate(
                                "oscal.plan_description",
                                lang,
                                commune=commune,
                                date=r.as_of,
                                version=r.catalogue.version,
                                sha256=r.catalogue.sha256,
                            ),
                            "props": [
                                prop("catalogue-version", r.catalogue.version),
                                prop("catalogue-sha256", r.catalogue.sha256),
                            ],
                        }
                    ]
                },
            }
        }


def assessment_results(result: AuditResult, lang: str) -> dict:
    """The audit ``result`` as ``{"assessment-results": …}`` in ``lang``."""
    return _Builder(result, lang).document()


def render_oscal(result: AuditResult, lang: str) -> str:
    """Deterministic OSCAL JSON (compact above the same size as the JSON result)."""
    return dump(assessment_results(result, lang), compact=len(result.findings) > COMPACT_ABOVE)
