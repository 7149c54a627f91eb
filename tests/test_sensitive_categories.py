"""The data-category vocabulary matches nLPD art. 5 let. c in full, and controls follow it.

Art. 5 let. c is a closed list: religious, philosophical, political or trade-union views or
activities; health, the intimate sphere, racial or ethnic origin; genetic data; biometric
data that uniquely identify a person; administrative or criminal proceedings or sanctions;
social-assistance measures. Controls read the vocabulary's ``sensitive`` flag
(``derived.sensitive``), so a category added there must reach them without a change of
their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformite.engine.fixtures import run_fixture

#: Every item of art. 5 let. c, by the letter's item number, and the category for it.
ART_5_C = {
    "religious_beliefs": "c.1",
    "philosophical_beliefs": "c.1",
    "political_opinions": "c.1",
    "trade_union": "c.1",
    "health": "c.2",
    "intimate_sphere": "c.2",
    "ethnic_origin": "c.2",
    "genetic": "c.3",
    "biometric": "c.4",
    "criminal_proceedings": "c.5",
    "social_assistance": "c.6",
}


def test_every_item_of_art_5_c_is_a_sensitive_category(reference) -> None:
    sensitive = {k: c.article_letter for k, c in reference.categories.items() if c.sensitive}
    assert sensitive == ART_5_C


def test_new_sensitive_categories_have_the_defaults_of_the_others(reference) -> None:
    for key in ("philosophical_beliefs", "trade_union", "intimate_sphere"):
        needs = reference.categories[key].needs
        assert needs.confidentiality in {"high", "very_high"}
        assert needs.integrity == "high"
        assert needs.traceability == "high"


def test_labels_follow_the_wording_of_the_act(reference) -> None:
    labels = reference.categories
    assert labels["ethnic_origin"].label.de == "Zugehörigkeit zu einer Rasse oder Ethnie"
    assert "sanctions" in labels["criminal_proceedings"].label.en
    assert "Sanktionen" in labels["criminal_proceedings"].label.de
    assert "sanzioni" in labels["criminal_proceedings"].label.it
    assert "sanctions" in labels["criminal_proceedings"].label.fr
    assert labels["biometric"].label.en == "Biometric data that uniquely identify a person"


def _service(**extra: object) -> dict[str, object]:
    return {
        "id": "union",
        "name": "Délégués syndicaux",
        "owner": "Ressources humaines",
        "purpose": "Décharges des délégués syndicaux du personnel",
        "hosting": "saas",
        "vendor": "bigcloud",
        "data_categories": ["trade_union"],
        "data_subjects": ["staff"],
        "data_subject_count": 1500,
        "risk_indicators": {
            "monitoring_public_space": False,
            "profiling": False,
            "new_technology": False,
        },
        "automated_decisions": {"used": False},
        **extra,
    }


#: For each control: a service holding only trade-union data, and the outcome expected
#: now that the category is sensitive (``not_applicable`` if it were not).
CASES = {
    "DP-DPIA": (_service(dpia={"done_on": "never"}), "fail"),
    "SVC-KEY-CUSTODY": (
        _service(security={"encryption_at_rest": {"enabled": True, "key_holder": "vendor"}}),
        "fail",
    ),
    "SVC-LOGGING": (_service(security={"logging": {"enabled": False}}), "fail"),
    "SVC-LOG-RETENTION": (_service(security={"logging": {"enabled": False}}), "fail"),
}


@pytest.mark.parametrize("control_id", sorted(CASES))
def test_a_service_holding_only_trade_union_data_is_sensitive(
    control_id: str, catalogue, reference, tmp_path: Path
) -> None:
    service, expected = CASES[control_id]
    fixture = {
        "control": control_id,
        "base": {
            "vendors": [
                {
                    "id": "bigcloud",
                    "name": "BigCloud Switzerland GmbH",
                    "country": "CH",
                    "parent": {"name": "BigCloud Inc.", "country": "US"},
                }
            ]
        },
        "cases": [
            {
                "name": "trade-union data only",
                "target": "service:union",
                "expect": expected,
                "services": [service],
            }
        ],
    }
    path = tmp_path / f"{control_id}.yaml"
    path.write_text(yaml.safe_dump(fixture, allow_unicode=True), encoding="utf-8")
    [result] = run_fixture(path, catalogue, reference)
    assert result.actual == expected, (result.actual, result.actual_facts, result.messages)
