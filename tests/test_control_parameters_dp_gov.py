"""A commune tunes DP-DPIA's indicators and GOV-COMMISSION-COMPOSITION's roles.

The fixtures test each control with its default parameters; these tests show
that ``[parameters.<ID>]`` in ``conformite.toml`` change what the controls say.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conformite.catalogue.loader import load_catalogue
from conformite.cli import cli
from conformite.engine.evaluation import evaluate
from conformite.engine.targets import EvaluationInput
from conformite.inventory.model import Inventory, Organisation, Service

AS_OF = dt.date(2026, 11, 28)
DPIA_CONTROLS = ("DP-DPIA", "DP-DPIA-REVIEW")


def _service(service_id: str, **facts: Any) -> Service:
    return Service.model_validate(
        {
            "id": service_id,
            "name": service_id,
            "owner": "Greffe",
            "purpose": "Dossiers",
            "hosting": "saas",
            "risk_indicators": {
                "monitoring_public_space": False,
                "profiling": False,
                "new_technology": False,
            },
            "automated_decisions": {"used": False},
            **facts,
        }
    )


#: 180 social-assistance files (vulnerable people, not large scale), a 240-person
#: church-tax roll (sensitive, neither), and a chatbot new to the commune.
SERVICES = [
    _service(
        "social",
        data_categories=["identity", "social_assistance"],
        data_subjects=["social_assistance_recipients"],
        data_subject_count=180,
        dpia={"done_on": "2022-01-10", "high_residual_risk": False},
    ),
    _service(
        "parish-tax",
        data_categories=["identity", "religious_beliefs"],
        data_subjects=["taxpayers"],
        data_subject_count=240,
        dpia={"done_on": "never"},
    ),
    _service(
        "chatbot",
        data_categories=["identity", "contact"],
        data_subjects=["residents"],
        data_subject_count=400,
        risk_indicators={
            "monitoring_public_space": False,
            "profiling": False,
            "new_technology": True,
        },
        dpia={"done_on": "never"},
    ),
]


def _outcomes(reference: Any, overrides: dict[str, dict[str, object]]) -> dict[str, str]:
    catalogue = load_catalogue(parameter_overrides=overrides)
    findings = evaluate(
        catalogue,
        EvaluationInput(
            inventory=Inventory(
                organisation=Organisation(), services=SERVICES, vendors=[], waivers=[]
            ),
            reference=reference,
            commune={"name": "X", "canton": "VD", "population": 1000, "language": "en"},
            as_of=AS_OF,
            lang="en",
        ),
    )
    return {
        f"{f.control_id} {f.target_id}": f.outcome
        for f in findings
        if f.control_id in DPIA_CONTROLS
    }


def test_dpia_indicators_and_large_scale_threshold_are_parameters(reference) -> None:  # type: ignore[no-untyped-def]
    assert _outcomes(reference, {}) == {
        "DP-DPIA social": "pass",  # vulnerable people: a DPIA is due, and exists
        "DP-DPIA parish-tax": "not_applicable",  # 240 < 1000, taxpayers are not vulnerable
        "DP-DPIA chatbot": "fail",  # new technology
        "DP-DPIA-REVIEW social": "fail",  # the 2022 DPIA is older than three years
        "DP-DPIA-REVIEW parish-tax": "not_applicable",
        "DP-DPIA-REVIEW chatbot": "not_applicable",
    }
    # A commune that counts sensitive data from 200 people as large scale, and that
    # judges new technology case by case and vulnerable people by number only.
    indicators = ["large_scale_sensitive", "monitoring_public_space", "video_surveillance"]
    tuned = {"indicators": indicators, "large_scale_subjects": 200}
    assert _outcomes(reference, {"DP-DPIA": tuned, "DP-DPIA-REVIEW": tuned}) == {
        "DP-DPIA social": "not_applicable",
        "DP-DPIA parish-tax": "fail",
        "DP-DPIA chatbot": "not_applicable",
        "DP-DPIA-REVIEW social": "not_applicable",
        "DP-DPIA-REVIEW parish-tax": "not_applicable",  # no DPIA to review: DP-DPIA's gap
        "DP-DPIA-REVIEW chatbot": "not_applicable",
    }


def _workspace(tmp_path: Path, parameters: str) -> Path:
    ws = tmp_path / "ws"
    (ws / "inventory").mkdir(parents=True)
    (ws / "conformite.toml").write_text(
        '[commune]\nname = "Test"\ncanton = "VD"\npopulation = 1000\n' + parameters,
        encoding="utf-8",
    )
    (ws / "inventory" / "organisation.yaml").write_text(
        "organisation:\n  commission:\n    established_on: 2021-09-14\n    members:\n"
        "      - {name: A, role: council_delegate}\n      - {name: B, role: it_lead}\n"
        "      - {name: C, role: finance_lead}\n",
        encoding="utf-8",
    )
    (ws / "inventory" / "services.yaml").write_text("services: []\n", encoding="utf-8")
    (ws / "inventory" / "vendors.yaml").write_text("vendors: []\n", encoding="utf-8")
    return ws


def _composition(ws: Path) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["audit", str(ws), "--as-of", AS_OF.isoformat(), "--format", "json", "--schema", "2"]
    )
    assert result.exit_code in (0, 1), result.output
    return next(
        f
        for f in json.loads(result.output)["findings"]
        if f["control_id"] == "GOV-COMMISSION-COMPOSITION"
    )


def test_commission_roles_a_commune_does_without_are_not_asked_for(tmp_path: Path) -> None:
    finding = _composition(_workspace(tmp_path / "default", ""))
    assert finding["outcome"] == "fail"
    assert "administration_manager; staff_representative; civil_society" in finding["messages"][0]
    assert "not a legal duty" in finding["messages"][0]
    roles = '["council_delegate", "it_lead", "finance_lead"]'
    section = f"\n[parameters.GOV-COMMISSION-COMPOSITION]\nrecommended_roles = {roles}\n"
    tuned = _workspace(tmp_path / "tuned", section)
    assert _composition(tuned)["outcome"] == "pass"
