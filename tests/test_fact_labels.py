"""Every inventory fact has a label in four languages, and the decision paper says which
facts are missing in words, not as YAML paths (the annex adds the path for the IT manager)."""

from __future__ import annotations

import re

import pytest

from conformite.engine.unknowns import ORGANISATION_FACTS, SERVICE_FACTS, VENDOR_FACTS
from conformite.i18n import LANGUAGES, fact_label, messages
from conformite.inventory.facts import FactKind, ListOf
from conformite.report.render import render_report
from test_report import golden_report


def _fact_paths() -> list[str]:
    out: list[str] = []

    def walk(prefix: str, tree: dict, seen: frozenset[int]) -> None:  # type: ignore[type-arg]
        if id(tree) in seen:
            return
        for key, value in tree.items():
            if isinstance(value, FactKind):
                out.append(f"{prefix}.{key}")
            elif isinstance(value, ListOf):
                walk(f"{prefix}.{key}[]", value.element, seen | {id(tree)})
            elif isinstance(value, dict):
                walk(f"{prefix}.{key}", value, seen | {id(tree)})

    for name, tree in (("service", SERVICE_FACTS), ("vendor", VENDOR_FACTS),
                       ("organisation", ORGANISATION_FACTS)):  # fmt: skip
        walk(name, tree, frozenset())
    return out


def test_every_fact_has_a_label_in_every_language() -> None:
    paths = _fact_paths()
    assert len(paths) > 100
    missing = [p for p in paths if f"fact.{p}" not in messages()]
    assert not missing, missing
    for path in paths:
        for lang in LANGUAGES:
            label = messages()[f"fact.{path}"][lang]
            assert label and "." not in label.rstrip("."), (path, lang)
    labels = {"fact." + p for p in paths} | {"fact." + p for p in QUOTED_FIELDS}
    stray = [k for k in messages() if k.startswith("fact.") and k not in labels]
    assert not stray, f"labels for facts that do not exist: {stray}"


#: Fields that are always given (so not unknown facts) but that findings' messages quote.
QUOTED_FIELDS = ("service.security.logging.records",)


def test_quoted_fields_are_fields_of_the_inventory() -> None:
    from conformite.inventory.model import Service

    for path in QUOTED_FIELDS:
        kind, *names = path.split(".")
        assert kind == "service"
        model: type = Service
        for name in names[:-1]:
            model = model.model_fields[name].annotation  # type: ignore[attr-defined]
            model = next(m for m in getattr(model, "__args__", (model,)) if m is not type(None))
        assert names[-1] in model.model_fields, path  # type: ignore[attr-defined]


def test_data_protection_indicators_and_categories_are_words_in_the_message() -> None:
    import datetime as dt

    from conformite._paths import demo_dir
    from conformite.engine.audit import run_audit
    from conformite.engine.workspace import load_workspace

    result = run_audit(load_workspace(demo_dir()), dt.date(2026, 11, 28), "fr")
    texts = [
        m for f in result.findings if f.control_id == "DP-DPIA" and f.outcome == "fail"
        for m in f.messages
    ]  # fmt: skip
    assert any(
        "données sensibles de personnes vulnérables (santé; élèves)" in text for text in texts
    ), texts
    joined = " ".join(texts)
    for raw in ("vulnerable_sensitive", "large_scale_sensitive", "social_assistance", "pupils"):
        assert raw not in joined


def test_a_label_is_found_for_a_list_item_by_its_index() -> None:
    label = fact_label("vendor.certifications[3].valid_until", "en")
    assert label == messages()["fact.vendor.certifications[].valid_until"]["en"]
    assert fact_label("vendor.no_such_field", "fr") == "vendor.no_such_field"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_decision_paper_names_missing_facts_in_words(lang: str) -> None:
    report = golden_report(lang)
    md = render_report("md", report).decode("utf-8")
    paper, annex = md.split("\n---\n", 1)
    assert not re.search(r"\b(?:service|vendor|organisation)\.[a-z_]+\\?_[a-z]", paper), paper
    assert report.unknowns and report.unknowns[0].missing
    first = fact_label(report.unknowns[0].missing[0], lang)
    assert first in paper.replace("\\", "")
    assert f"({report.unknowns[0].missing[0].split('.', 1)[1]}" in annex.replace("\\", "")


def test_inventory_values_in_a_message_are_written_as_words() -> None:
    import datetime as dt

    from conformite._paths import demo_dir
    from conformite.engine.audit import run_audit
    from conformite.engine.workspace import load_workspace

    workspace = load_workspace(demo_dir())
    for lang, word in (("fr", "élèves"), ("de", messages()["subject.pupils"]["de"])):
        result = run_audit(workspace, dt.date(2026, 11, 28), lang)
        finding = next(
            f
            for f in result.findings
            if f.control_id == "DP-DISCLOSURE-EXCEPTION" and f.outcome == "fail"
        )
        text = " ".join(finding.messages)
        assert word in text and ": pupils" not in text
        # The facts stay machine-readable values.
        assert any("pupils" in fact for r in finding.facts for fact in r.details)


@pytest.mark.parametrize(
    ("message", "lang", "expected"),
    [
        ("MFA off (security.mfa.enabled: false).", "fr",
         "MFA off (si l'authentification multifacteur est activée\u00a0: non)."),
        ("Scope too narrow (security.mfa.scope: administrators).", "de",
         "Scope too narrow (" + messages()["fact.service.security.mfa.scope"]["de"]
         + ": nur Administratoren)."),
        ("No DPIA (dpia.done_on: never).", "it",
         "No DPIA (" + messages()["fact.service.dpia.done_on"]["it"] + ": mai)."),
        ("See vendor.dpa.signed_on.", "en",
         "See " + messages()["fact.vendor.dpa.signed_on"]["en"] + "."),
        # Not facts: host names, file names and unknown paths stay as written.
        ("Probe www.example.ch and security.txt; organisation.yaml.", "fr",
         "Probe www.example.ch and security.txt; organisation.yaml."),
        ("security.no_such.field: true", "en", "security.no_such.field: true"),
    ],
)  # fmt: skip
def test_facts_quoted_in_a_message_are_written_in_words(
    message: str, lang: str, expected: str
) -> None:
    from conformite.report.findings import facts_in_words

    assert facts_in_words(message, "service", lang) == expected
