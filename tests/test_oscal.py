"""OSCAL exports, checked with compliance-trestle's OSCAL models (pydantic v2).

``controls export --format oscal`` writes the catalogue as an OSCAL catalog (and a
canton's overlay as a profile that trestle's resolver applies to it);
``audit --format oscal`` writes assessment results whose findings point at the
catalog's controls. Everything must validate, be byte-identical run after run,
and a broken document must be refused (so these tests can fail).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError
from trestle.common.err import TrestleError
from trestle.core.profile_resolver import ProfileResolver
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog
from trestle.oscal.profile import Profile

from conformite._paths import builtin_catalogue_dir
from conformite.catalogue.loader import load_catalogue
from conformite.cli import cli

AS_OF = "2026-11-28"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def export(tmp_path: Path, name: str, *args: str) -> tuple[Path, dict]:
    path = tmp_path / name
    result = run("controls", "export", "--format", "oscal", *args, "-o", str(path))
    assert result.exit_code == 0, result.output
    return path, json.loads(path.read_text(encoding="utf-8"))


def controls_of(catalog: dict) -> list[dict]:
    return [c for g in catalog["catalog"]["groups"] for c in g["controls"]]


@pytest.fixture(scope="module")
def catalogue():  # type: ignore[no-untyped-def]
    return load_catalogue()


@pytest.fixture(scope="module")
def audit_doc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """The demo audited as OSCAL, and as conformite's own JSON for comparison."""
    folder = tmp_path_factory.mktemp("audit")
    oscal, plain = folder / "results.json", folder / "plain.json"
    for fmt, path in (("oscal", oscal), ("json", plain)):
        full_form = ["--schema", "2"] if fmt == "json" else []  # findings whole, for comparison
        result = run(
            "audit", "--demo", "--as-of", AS_OF, "--format", fmt, *full_form, "-o", str(path)
        )
        assert result.exit_code == 0, result.output  # no --fail-on: findings do not fail it
    return oscal, json.loads(oscal.read_text("utf-8")), json.loads(plain.read_text("utf-8"))


# --- the catalog -----------------------------------------------------------------


def test_catalog_validates_and_holds_every_control(tmp_path: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    path, doc = export(tmp_path, "catalog.json", "--lang", "de")
    model = Catalog.oscal_read(path)
    meta = yaml.safe_load((builtin_catalogue_dir() / "catalogue.yaml").read_text("utf-8"))
    assert model.metadata.version == meta["version"] == catalogue.version
    assert doc["catalog"]["metadata"]["last-modified"] == f"{meta['published_on']}T00:00:00Z"
    assert doc["catalog"]["metadata"]["oscal-version"].startswith("1.1.")
    controls = controls_of(doc)
    labels = {p["value"] for c in controls for p in c["props"] if p["name"] == "label"}
    assert labels == {c.id for c in catalogue.controls}
    assert [g["id"] for g in doc["catalog"]["groups"]][:2] == ["governance", "data-protection"]
    by_id = {c["id"]: c for c in controls}
    access = by_id["gov-access-requests"]
    assert access["title"] == catalogue.get("GOV-ACCESS-REQUESTS").control.title.de
    assert [p["name"] for p in access["parts"]] == ["statement", "guidance", "guidance"]
    assert access["parts"][2]["class"] == "remediation"
    assert access["params"] == [
        {"id": "gov-access-requests_prm_max_response_days", "label": "max_response_days",
         "values": ["30"]}
    ]  # fmt: skip
    assert {"name": "severity", "ns": "urn:conformite:oscal", "value": "medium"} in access["props"]
    # every legal citation is a back-matter resource with its citation and link
    resources = {r["uuid"]: r for r in doc["catalog"]["back-matter"]["resources"]}
    cited = [link for link in access["links"] if link["rel"] == "reference"]
    assert [link["text"] for link in cited][:2] == [
        "revDSG Art. 25 Abs. 1",
        "revDSG Art. 25 Abs. 7",
    ]
    for link in cited:
        resource = resources[link["href"].removeprefix("#")]
        assert resource["citation"]["text"] == link["text"]
        assert resource["rlinks"][0]["href"].startswith("https://")
    assert resources[cited[0]["href"][1:]]["rlinks"][0]["href"].endswith("/de#art_25")


def test_catalog_is_deterministic(tmp_path: Path) -> None:
    first, _ = export(tmp_path, "a.json", "--lang", "fr")
    second, _ = export(tmp_path, "b.json", "--lang", "fr")
    assert first.read_bytes() == second.read_bytes()
    english, _ = export(tmp_path, "c.json", "--lang", "en")
    assert english.read_bytes() != first.read_bytes()


# --- cantonal profiles -----------------------------------------------------------


def resolve(tmp_path: Path, profile: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """trestle's resolved catalog; it reads relative imports from the working folder."""
    (tmp_path / ".trestle").mkdir(exist_ok=True)  # trestle's cache lives there
    monkeypatch.chdir(tmp_path)
    return ProfileResolver.get_resolved_profile_catalog(tmp_path, str(profile))


def test_canton_profile_resolves_against_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export(tmp_path, "catalog.json", "--lang", "fr")
    path, doc = export(tmp_path, "VD.json", "--lang", "fr", "--canton", "vd")
    Profile.oscal_read(path)
    profile = doc["profile"]
    assert profile["imports"][0]["href"] == "catalog.json"
    included = profile["imports"][0]["include-controls"][0]["with-ids"]
    assert "can-vd-video-authorisation" in included
    assert not [i for i in included if i.startswith(("can-zh-", "can-ge-", "can-ti-"))]
    resolved = resolve(tmp_path, path, monkeypatch)
    controls = {c.id: c for g in resolved.groups for c in g.controls}
    assert set(controls) == set(included)
    access = controls["gov-access-requests"]
    law = [p for p in access.parts if p.id == "gov-access-requests_law_vd"]
    assert law and "LPrD art. 25" in law[0].prose
    assert law[0].title == "Droit cantonal (VD) : LPrD"


def test_canton_profile_follows_the_law_in_force_on_the_date(tmp_path: Path) -> None:
    """VD's 2018 revision added RLPrD art. 8 to the register duty: not cited in 2012."""
    _, before = export(tmp_path, "old.json", "--canton", "VD", "--as-of", "2012-01-01")
    _, after = export(tmp_path, "new.json", "--canton", "VD", "--as-of", "2026-12-01")

    def register_prose(doc: dict) -> str:
        alters = {a["control-id"]: a for a in doc["profile"]["modify"]["alters"]}
        return alters["gov-processing-register"]["adds"][0]["parts"][0]["prose"]

    assert "RLPrD art. 8" not in register_prose(before)
    assert "RLPrD art. 8" in register_prose(after)
    props = {p["name"]: p["value"] for p in before["profile"]["metadata"]["props"]}
    assert props["law-in-force-until"] == "2018-09-30"
    assert before["profile"]["metadata"]["last-modified"] == "2012-01-01T00:00:00Z"


def test_profile_export_refuses_a_bad_date(tmp_path: Path) -> None:
    target = tmp_path / "VD.json"
    result = run("controls", "export", "--canton", "VD", "--as-of", "2026-13-01", "-o", str(target))
    assert result.exit_code == 2
    assert "2026-13-01" in result.output
    assert not target.exists()


# --- assessment results ----------------------------------------------------------


def test_assessment_results_validate(audit_doc) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = audit_doc
    model = AssessmentResults.oscal_read(path)
    assert model.results[0].title == "Audit conformite de Val-d'Arbonne"
    assert str(model.metadata.last_modified.date()) == AS_OF


def test_every_finding_targets_a_catalog_control(tmp_path: Path, audit_doc) -> None:  # type: ignore[no-untyped-def]
    _, doc, plain = audit_doc
    _, catalog = export(tmp_path, "catalog.json", "--lang", "fr")
    known = {c["id"] for c in controls_of(catalog)}
    result = doc["assessment-results"]["results"][0]
    targets = {f["target"]["target-id"] for f in result["findings"]}
    assert targets and targets <= known
    reviewed = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert {c["control-id"] for c in reviewed} == {
        f["control_id"].lower() for f in plain["findings"]
    }
    applicable = [f for f in plain["findings"] if f["outcome"] != "not_applicable"]
    assert len(result["findings"]) == len(result["observations"]) == len(applicable)


def test_outcomes_map_to_states_and_risks(audit_doc) -> None:  # type: ignore[no-untyped-def]
    _, doc, plain = audit_doc
    result = doc["assessment-results"]["results"][0]
    observations = {o["uuid"]: o for o in result["observations"]}
    risks = {r["uuid"]: r for r in result["risks"]}
    items = {i["uuid"] for i in result["local-definitions"]["inventory-items"]}
    outcomes = {}
    for finding in result["findings"]:
        props = {p["name"]: p["value"] for p in finding["props"]}
        outcome, status = props["outcome"], finding["target"]["status"]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert status["state"] == ("satisfied" if outcome == "pass" else "not-satisfied")
        (observation,) = finding["related-observations"]
        subjects = observations[observation["observation-uuid"]]["subjects"]
        assert subjects[0]["subject-uuid"] in items
        assert observations[observation["observation-uuid"]]["methods"] == ["EXAMINE"]
        linked = [risks[r["risk-uuid"]]["status"] for r in finding.get("related-risks", [])]
        if outcome == "unknown":
            assert status["reason"] == "other"
            assert status["remarks"].startswith("À documenter")
            assert linked == []
        elif outcome == "fail":
            assert linked == ["open"]
        elif outcome == "waived":
            assert linked == ["deviation-approved"]
        else:
            assert linked == []
    expected = {}
    for f in plain["findings"]:
        if f["outcome"] != "not_applicable":
            expected[f["outcome"]] = expected.get(f["outcome"], 0) + 1
    assert outcomes == expected
    assert outcomes["unknown"] and outcomes["fail"] and outcomes["waived"]
    assert len(risks) == outcomes["fail"] + outcomes["waived"]


def test_assessment_results_are_deterministic(tmp_path: Path, audit_doc) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = audit_doc
    again = tmp_path / "again.json"
    run("audit", "--demo", "--as-of", AS_OF, "--format", "oscal", "-o", str(again))
    assert again.read_bytes() == path.read_bytes()
    later = tmp_path / "later.json"
    run("audit", "--demo", "--as-of", "2026-12-28", "--format", "oscal", "-o", str(later))
    assert (
        json.loads(later.read_bytes())["assessment-results"]["uuid"]
        != json.loads(path.read_bytes())["assessment-results"]["uuid"]
    )


# --- broken documents are refused --------------------------------------------------


def test_a_broken_assessment_results_document_is_rejected(tmp_path: Path, audit_doc) -> None:  # type: ignore[no-untyped-def]
    _, doc, _ = audit_doc
    body = doc["assessment-results"]
    AssessmentResults.model_validate(body)  # the original is valid
    unknown_state = copy.deepcopy(body)
    unknown_state["results"][0]["findings"][0]["target"]["status"]["state"] = "unknown"
    no_target = copy.deepcopy(body)
    del no_target["results"][0]["findings"][0]["target"]
    for broken in (unknown_state, no_target):
        with pytest.raises(ValidationError):
            AssessmentResults.model_validate(broken)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"assessment-results": no_target}), encoding="utf-8")
    with pytest.raises(TrestleError):
        AssessmentResults.oscal_read(path)


def test_a_broken_catalog_is_rejected(tmp_path: Path) -> None:
    _, doc = export(tmp_path, "catalog.json")
    body = doc["catalog"]
    Catalog.model_validate(body)
    bad_id = copy.deepcopy(body)
    bad_id["groups"][0]["controls"][0]["id"] = "GOV ACCESS"  # not a token
    with pytest.raises(ValidationError):
        Catalog.model_validate(bad_id)
