"""``depends_on``: a control whose subject does not exist yet is not counted twice.

SUP-SECURITY-GUARANTEE judges the security clauses of the processing agreement;
without any agreement SUP-DPA already fails, so the guarantee is not counted
(``not_applicable``, saying why) until SUP-DPA passes. The fixture runner loads
one control at a time, so the pair is audited here with both controls loaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformite.catalogue.model import Catalogue
from conformite.engine.evaluation import evaluate
from conformite.engine.results import Finding
from conformite.engine.scoring import score
from conformite.engine.targets import EvaluationInput
from conformite.inventory.model import Inventory, OrganisationFile, ServicesFile, VendorsFile

PAIR = ("SUP-DPA", "SUP-SECURITY-GUARANTEE")
SERVICES = [
    {
        "id": "payroll",
        "name": "Salaires",
        "owner": "Finances",
        "purpose": "Paie du personnel",
        "vendor": "acme",
        "hosting": "saas",
        "data_categories": ["identity", "employment"],
    }
]


def _audit(catalogue, reference, dpa: dict[str, Any], lang: str = "en") -> dict[str, Finding]:  # type: ignore[no-untyped-def]
    both = Catalogue(
        version=catalogue.version,
        controls=[catalogue.get(i) for i in PAIR],
        digest="",
        sources=[],
    )
    vendor = {"id": "acme", "name": "Acme SA", "country": "CH", "dpa": dpa}
    inventory = Inventory(
        organisation=OrganisationFile.model_validate({"organisation": {}}).organisation,
        services=ServicesFile.model_validate({"services": SERVICES}).services,
        vendors=VendorsFile.model_validate({"vendors": [vendor]}).vendors,
        waivers=[],
    )
    findings = evaluate(
        both,
        EvaluationInput(
            inventory=inventory,
            reference=reference,
            commune={"name": "Test", "canton": "VD", "population": 3000, "language": lang},
            as_of=dt.date(2026, 11, 28),
            lang=lang,
            observations={},
        ),
    )
    return {f.control_id: f for f in findings if f.target_kind == "vendor"}


def test_the_dependency_is_declared_and_loaded(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert catalogue.get("SUP-SECURITY-GUARANTEE").control.depends_on == ["SUP-DPA"]


@pytest.mark.parametrize(
    ("dpa", "dpa_outcome", "outcome_word"),
    [
        ({"signed_on": "never"}, "fail", "fail"),
        ({"signed_on": "never", "security_measures_documented": False}, "fail", "fail"),
        ({}, "unknown", "to document"),
    ],
)
def test_without_an_agreement_the_guarantee_is_not_counted_and_says_why(
    catalogue,  # type: ignore[no-untyped-def]
    reference,
    dpa: dict[str, Any],
    dpa_outcome: str,
    outcome_word: str,
) -> None:
    found = _audit(catalogue, reference, dpa)
    assert found["SUP-DPA"].outcome == dpa_outcome
    guarantee = found["SUP-SECURITY-GUARANTEE"]
    assert guarantee.outcome == "not_applicable"
    (message,) = guarantee.messages
    assert message.startswith("Not counted: this control assumes SUP-DPA is met")
    assert f"SUP-DPA is currently '{outcome_word}'" in message
    assert [(f.name, f.kind, f.met) for f in guarantee.facts] == [("SUP-DPA", "dependency", False)]
    assert guarantee.unknown_facts == []
    # Counted once: only SUP-DPA weighs in the score.
    result = score(found.values())
    assert result.not_applicable == 1
    assert result.failed + result.unknown == 1


def test_the_explanation_is_in_the_audit_language(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    found = _audit(catalogue, reference, {"signed_on": "never"}, lang="fr")
    (message,) = found["SUP-SECURITY-GUARANTEE"].messages
    assert message.startswith("Non compté : ce contrôle suppose que SUP-DPA soit respecté")


@pytest.mark.parametrize(
    ("measures", "expected"),
    [(True, "pass"), (False, "fail"), (None, "unknown")],
)
def test_once_the_agreement_is_signed_the_guarantee_is_judged(
    catalogue,  # type: ignore[no-untyped-def]
    reference,
    measures: bool | None,
    expected: str,
) -> None:
    dpa: dict[str, Any] = {"signed_on": "2024-03-01"}
    if measures is not None:
        dpa["security_measures_documented"] = measures
    found = _audit(catalogue, reference, dpa)
    assert found["SUP-DPA"].outcome == "pass"
    guarantee = found["SUP-SECURITY-GUARANTEE"]
    assert guarantee.outcome == expected
    if expected == "fail":
        assert guarantee.messages == [
            "The processing agreement does not describe the security measures the vendor "
            "guarantees (dpa.security_measures_documented): Acme SA (dpa.signed_on: 2024-03-01)."
        ]
    if expected == "unknown":
        assert guarantee.unknown_facts == ["vendor.dpa.security_measures_documented"]
