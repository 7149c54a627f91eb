"""Procurement screening: the audit's supplier controls give go / conditional / no-go."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conformite._paths import builtin_catalogue_dir
from conformite.catalogue.loader import load_catalogue
from conformite.cli import cli
from conformite.engine.evaluation import evaluate
from conformite.engine.targets import EvaluationInput
from conformite.inventory.model import Inventory, Organisation, Service, Vendor
from conformite.suppliers.screening import (
    EXIT_CODES,
    SCREENING_FILE,
    ScreeningFile,
    load_screening_rules,
    screen_vendor,
    screening_inventory,
    selected_controls,
)

AS_OF = dt.date(2026, 11, 28)

GOOD = {
    "id": "helvetia-soft",
    "name": "Helvetia Soft SA",
    "country": "CH",
    "dpa": {
        "signed_on": "2026-01-15",
        "security_measures_documented": True,
        "sub_processor_approval": "specific",
    },
    "sub_processors": [
        {"name": "Datacentre Alpin SA", "country": "CH", "purpose": "Hosting", "approved": True}
    ],
    "certifications": [{"standard": "iso27001", "scope": "SaaS", "valid_until": "2028-06-30"}],
    "breach_notification_hours": 24,
    "audit_rights": True,
    "exit": {"data_return_format": "CSV", "deletion_confirmation": True, "notice_days": 180},
    "contract_end_on": "2029-12-31",
}
SWISS = {"stored_in": ["CH"], "processed_in": ["CH"], "support_access_from": ["CH"]}
ALL_US = {"stored_in": ["US"], "processed_in": ["US"], "support_access_from": ["US"]}


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def screen_args(path: Path, *extra: str) -> list[str]:
    return [
        "screen",
        str(path),
        "--use",
        "Guichet virtuel",
        "--data",
        "identity,contact",
        "--canton",
        "VD",
        "--as-of",
        AS_OF.isoformat(),
        *extra,
    ]


# --------------------------------------------------------------------------
# screening.yaml and the selection rule
# --------------------------------------------------------------------------


def test_screening_file_validates_and_names_existing_controls(catalogue) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((builtin_catalogue_dir() / SCREENING_FILE).read_text(encoding="utf-8"))
    ScreeningFile.model_validate(data)
    rules = load_screening_rules()
    known = {c.id for c in catalogue.controls}
    assert set(rules) <= known, sorted(set(rules) - known)
    selected = {c.id for c in selected_controls(catalogue, None)}
    assert set(rules) <= selected, "a rule for a control screening never runs"
    for control_id, rule in rules.items():
        assert rule.blocking or rule.clause is not None, control_id


def test_screening_file_is_not_loaded_as_a_control(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert catalogue.get("SUP-DPA") is not None
    assert all(not c.source.endswith(SCREENING_FILE) for c in catalogue.controls)


def test_selection_rule_takes_vendor_controls_and_service_controls_reading_vendor(
    catalogue,  # type: ignore[no-untyped-def]
) -> None:
    selected = {c.id for c in selected_controls(catalogue, "VD")}
    vendor_controls = {c.id for c in catalogue.for_target("vendor", "VD")}
    assert vendor_controls <= selected
    assert {"SVC-KEY-CUSTODY", "DP-DISCLOSURE-EXCEPTION"} <= selected
    assert "SVC-MFA" not in selected  # a service control that never reads the vendor
    assert not any(c.startswith("GOV-") for c in selected)


# --------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------


def _screen(catalogue, reference, vendor: dict, **kwargs):  # type: ignore[no-untyped-def]
    from conformite.inventory.model import DataLocation, Encryption
    from conformite.suppliers.screening import Candidate

    candidate = Candidate(
        vendor=Vendor.model_validate(vendor),
        data_location=DataLocation.model_validate(kwargs.pop("data_location", SWISS)),
        encryption_at_rest=Encryption.model_validate(kwargs.pop("encryption", {}))
        if "encryption" in kwargs
        else None,
    )
    return screen_vendor(
        candidate,
        use=kwargs.pop("use", "Guichet"),
        data_categories=kwargs.pop("data", ["identity", "contact"]),
        catalogue=catalogue,
        reference=reference,
        rules=load_screening_rules(),
        canton="VD",
        as_of=AS_OF,
        **kwargs,
    )


def test_a_complete_swiss_vendor_is_a_go(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    result = _screen(catalogue, reference, GOOD)
    assert result.verdict == "go", result.to_dict()
    assert result.exit_code == 0
    assert not result.blocking and not result.conditions


def test_missing_contract_terms_make_it_conditional_with_clauses(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    # Stated negatives ("no", a date that never came), not unknowns: see the
    # unknown-facts tests below for what a fact nobody gave does.
    exit_terms = {**GOOD["exit"], "deletion_confirmation": False}
    vendor = {**GOOD, "audit_rights": False, "exit": exit_terms, "dpa": {**GOOD["dpa"]}}
    vendor["dpa"]["security_measures_documented"] = False
    result = _screen(catalogue, reference, vendor, data=["tax", "contact"])
    assert result.verdict == "conditional", result.to_dict()
    assert result.exit_code == 3
    ids = {r.control_id for r in result.conditions}
    assert ids == {"SUP-AUDIT-RIGHTS", "SUP-EXIT-TERMS", "SUP-SECURITY-GUARANTEE"}
    assert all(r.clause for r in result.conditions)


def test_disclosure_abroad_without_safeguard_is_a_no_go(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    vendor = {
        **GOOD,
        "id": "nuage",
        "name": "Nuage Inc.",
        "country": "US",
        "dpf": {"certified": False},
        "fdpic_clauses": False,
    }
    result = _screen(catalogue, reference, vendor, data_location=ALL_US)
    assert result.verdict == "no-go"
    assert result.exit_code == 4
    assert "SUP-DISCLOSURE-ABROAD" in {r.control_id for r in result.blocking}
    # With FDPIC clauses signed the same vendor is no longer blocked on that ground.
    safe = _screen(catalogue, reference, {**vendor, "fdpic_clauses": True}, data_location=ALL_US)
    assert "SUP-DISCLOSURE-ABROAD" not in {r.control_id for r in safe.blocking}


def test_unsigned_agreement_is_a_clause_and_no_breach_commitment_a_no_go(  # type: ignore[no-untyped-def]
    catalogue, reference
) -> None:
    # Before signing, the agreement is a contract clause, not an obstacle.
    no_dpa = _screen(catalogue, reference, {**GOOD, "dpa": {"signed_on": "never"}})
    assert no_dpa.verdict == "conditional"
    assert "SUP-DPA" not in {r.control_id for r in no_dpa.blocking}
    no_breach = _screen(catalogue, reference, {**GOOD, "breach_notification_hours": 240})
    assert no_breach.verdict == "no-go"
    assert [r.control_id for r in no_breach.blocking] == ["SUP-BREACH-NOTICE"]


def test_sensitive_data_in_international_saas_needs_keys_held_by_the_commune(
    catalogue,  # type: ignore[no-untyped-def]
    reference,  # type: ignore[no-untyped-def]
) -> None:
    vendor = {**GOOD, "parent": {"name": "Cloud Corp", "country": "DE"}}
    data = ["social_assistance", "contact"]
    provider_keys = {"enabled": True, "key_holder": "vendor"}
    result = _screen(catalogue, reference, vendor, data=data, encryption=provider_keys)
    assert "SVC-KEY-CUSTODY" in {r.control_id for r in result.blocking}
    assert result.verdict == "no-go"
    # Nobody said who holds the keys: to clarify before signing, never a pass.
    unsaid = _screen(catalogue, reference, vendor, data=data)
    assert [r.control_id for r in unsaid.to_clarify] == ["SVC-KEY-CUSTODY"]
    assert "SVC-KEY-CUSTODY" not in unsaid.passed
    assert unsaid.verdict == "conditional"
    held = _screen(
        catalogue,
        reference,
        vendor,
        data=data,
        encryption={"enabled": True, "key_holder": "commune"},
    )
    assert "SVC-KEY-CUSTODY" in held.passed
    assert held.verdict == "go", held.to_dict()
    # On premises, the provider holds nothing: the control does not apply.
    local = _screen(catalogue, reference, vendor, data=data, hosting="on_premises")
    assert "SVC-KEY-CUSTODY" in local.not_applicable


def test_screening_agrees_with_the_audit_of_the_same_inventory(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    vendor = Vendor.model_validate({**GOOD, "audit_rights": False, "country": "US"})
    result = screen_vendor(
        vendor,
        use="Guichet",
        data_categories=["tax"],
        catalogue=catalogue,
        reference=reference,
        rules=load_screening_rules(),
        canton="VD",
        as_of=AS_OF,
    )
    inventory = screening_inventory(vendor, use="Guichet", data_categories=["tax"], as_of=AS_OF)
    findings = evaluate(
        catalogue,
        EvaluationInput(
            inventory=inventory,
            reference=reference,
            commune={"name": "X", "canton": "VD", "population": 1000, "language": "en"},
            as_of=AS_OF,
            lang="en",
        ),
    )
    selected = {c.id for c in selected_controls(catalogue, "VD")}
    audit_failed = {
        f.control_id for f in findings if f.control_id in selected and f.outcome == "fail"
    }
    screen_failed = {r.control_id for r in result.blocking + result.conditions}
    assert audit_failed == screen_failed
    audit_unknown = {
        f.control_id for f in findings if f.control_id in selected and f.outcome == "unknown"
    }
    assert audit_unknown == {r.control_id for r in result.to_clarify}
    assert "SUP-AUDIT-RIGHTS" in screen_failed


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["vendor", "vendors"])
def test_cli_accepts_the_file_shapes_and_exits_0_on_go(tmp_path: Path, shape: str) -> None:
    data: object
    if shape == "vendor":
        data = {"vendor": GOOD, "data_location": SWISS}
    else:
        data = {"vendors": [GOOD], "data_location": SWISS}
    path = write(tmp_path / "vendor.yaml", data)
    result = run(*screen_args(path))
    assert result.exit_code == EXIT_CODES["go"] == 0, result.output
    assert "GO" in result.output


def test_cli_bare_vendor_without_data_location_is_to_clarify_never_go(tmp_path: Path) -> None:
    # A bare vendor entry says nothing of where the data live: the transfer
    # abroad cannot be judged, so the candidate is conditional (exit 3), with
    # the location facts as questions, not waved through.
    path = write(tmp_path / "vendor.yaml", GOOD)
    result = run(*screen_args(path))
    assert result.exit_code == EXIT_CODES["conditional"] == 3, result.output
    assert "To clarify before signing" in result.output
    assert "SUP-DISCLOSURE-ABROAD" in result.output
    assert "data_location.processed_in" in result.output
    assert "Blocking reasons" not in result.output


def test_cli_conditional_lists_clauses_and_exits_3(tmp_path: Path) -> None:
    vendor = {**GOOD, "exit": {**GOOD["exit"], "deletion_confirmation": False}}
    path = write(tmp_path / "v.yaml", {"vendor": vendor, "data_location": SWISS})
    result = run(*screen_args(path, "--lang", "fr"))
    assert result.exit_code == 3, result.output
    assert "CONDITIONNEL" in result.output
    assert "Clause: À la fin du contrat" in result.output


def test_cli_no_go_json_and_markdown(tmp_path: Path) -> None:
    vendor = {**GOOD, "country": "US", "dpa": {"signed_on": "never"}, "dpf": {"certified": False}}
    path = write(
        tmp_path / "v.yaml", {"vendor": {**vendor, "fdpic_clauses": False}, "data_location": ALL_US}
    )
    result = run(*screen_args(path, "--format", "json", "--protection", "C=high,I=normal"))
    assert result.exit_code == 4, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "no-go"
    assert report["exit_code"] == 4
    assert "SUP-DISCLOSURE-ABROAD" in {r["control"] for r in report["blocking"]}
    markdown = run(*screen_args(path, "--format", "md", "--lang", "de"))
    assert markdown.exit_code == 4
    assert markdown.output.startswith("# Prüfung des Lieferanten")
    assert "## Blockierende Gründe" in markdown.output


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (("--data", "helth"), "health"),
        (("--protection", "C=extreme"), "C=extreme"),
        (("--protection", "X=high"), "X=high"),
    ],
)
def test_cli_bad_options_exit_2(tmp_path: Path, extra: tuple[str, ...], expected: str) -> None:
    path = write(tmp_path / "v.yaml", {"vendor": GOOD})
    result = run(*screen_args(path, *extra))
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_cli_invalid_vendor_file_is_located(tmp_path: Path) -> None:
    bad = {**GOOD, "breach_notification_hours": "soon", "country": "XX", "colour": "red"}
    path = write(tmp_path / "v.yaml", {"vendors": [bad]})
    result = run(*screen_args(path))
    assert result.exit_code == 2, result.output
    assert "breach_notification_hours" in result.output
    assert "colour" in result.output
    assert f"{path}:" in result.output
    two = write(tmp_path / "two.yaml", {"vendors": [GOOD, GOOD]})
    result = run(*screen_args(two))
    assert result.exit_code == 2
    assert "exactly one vendor" in result.output
    country = write(tmp_path / "c.yaml", {"vendor": {**GOOD, "country": "XX"}})
    result = run(*screen_args(country))
    assert result.exit_code == 2
    assert "unknown country code 'XX'" in result.output
    parent = {"name": "Hyperscale Cloud Inc.", "country": "XY"}
    chain = [{"name": "Hyperscale Cloud Ltd", "country": "IE", "parent": parent, "purpose": "x"}]
    nested = write(tmp_path / "p.yaml", {"vendor": {**GOOD, "sub_processors": chain}})
    result = run(*screen_args(nested))
    assert result.exit_code == 2
    assert "unknown country code 'XY'" in result.output
    assert "sub_processors[0].parent.country" in result.output


def test_cli_workspace_parameters_apply_to_screening(tmp_path: Path) -> None:
    """A commune that tolerates 72 h breach notices screens as its audit would."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "conformite.toml").write_text(
        '[commune]\nname = "Test"\ncanton = "VD"\npopulation = 1000\n\n'
        "[parameters.SUP-BREACH-NOTICE]\nmax_hours = 72\n",
        encoding="utf-8",
    )
    path = write(
        tmp_path / "v.yaml",
        {"vendor": {**GOOD, "breach_notification_hours": 72}, "data_location": SWISS},
    )
    assert run(*screen_args(path)).exit_code == 4
    result = run(*screen_args(path, "--workspace", str(ws)))
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------
# Review cadence and expiry windows are per-commune parameters
# --------------------------------------------------------------------------


def test_commune_overrides_of_review_cadence_and_expiry_windows_change_findings(
    reference,  # type: ignore[no-untyped-def]
) -> None:
    """[parameters.<ID>] in conformite.toml reach the supplier date controls."""
    vendor = Vendor.model_validate(
        {
            **GOOD,
            "last_review_on": "2025-06-01",  # 545 days before AS_OF
            "certifications": [{"standard": "iso27001", "valid_until": "2027-01-20"}],  # 53 d
            "contract_end_on": "2027-01-27",  # 60 days
            "country": "US",
            "dpf": {"certified": True, "valid_until": "2027-01-07"},  # 40 days
            "fdpic_clauses": False,
        }
    )
    service = Service.model_validate(
        {
            "id": "guichet",
            "name": "Guichet",
            "owner": "Greffe",
            "purpose": "Guichet",
            "vendor": vendor.id,
            "hosting": "saas",
            "data_categories": ["identity"],
        }
    )
    inventory = Inventory(
        organisation=Organisation(), services=[service], vendors=[vendor], waivers=[]
    )
    ids = ("SUP-REVIEW-CADENCE", "SUP-CERT-EXPIRING", "SUP-CONTRACT-END", "SUP-DPF-VALID")

    def outcomes(overrides: dict[str, dict[str, object]]) -> dict[str, str]:
        catalogue = load_catalogue(parameter_overrides=overrides)
        findings = evaluate(
            catalogue,
            EvaluationInput(
                inventory=inventory,
                reference=reference,
                commune={"name": "X", "canton": "VD", "population": 1000, "language": "en"},
                as_of=AS_OF,
                lang="en",
            ),
        )
        return {f.control_id: f.outcome for f in findings if f.control_id in ids}

    default = outcomes({})
    assert default == {
        "SUP-REVIEW-CADENCE": "fail",  # identity: high integrity need, 365 days allowed
        "SUP-CERT-EXPIRING": "fail",  # 53 days < 60
        "SUP-CONTRACT-END": "fail",  # 60 days < 90
        "SUP-DPF-VALID": "fail",  # 40 days < 60
    }
    tuned = outcomes(
        {
            "SUP-REVIEW-CADENCE": {"max_age_days_high": 730},
            "SUP-CERT-EXPIRING": {"warning_days": 30},
            "SUP-CONTRACT-END": {"warning_days": 30},
            "SUP-DPF-VALID": {"warning_days": 30},
        }
    )
    assert tuned == {
        "SUP-REVIEW-CADENCE": "pass",
        "SUP-CERT-EXPIRING": "pass",
        "SUP-CONTRACT-END": "pass",
        "SUP-DPF-VALID": "pass",
    }


def test_screen_a_supplier_profile_by_id() -> None:
    # The newest version of a shipped profile; exit code follows the verdict.
    result = run(
        "screen",
        "nuage-alpin",
        "--use",
        "Guichet virtuel",
        "--data",
        "identity,contact",
        "--canton",
        "VD",
        "--as-of",
        "2026-11-28",
        "--format",
        "json",
    )
    assert result.exit_code in (0, 3), result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["vendor"]["id"] == "nuage-alpin"
    unknown = run("screen", "nuage-alpn@2", "--use", "x", "--data", "contact")
    assert unknown.exit_code == 2
    assert "nuage-alpin@2" in unknown.output
