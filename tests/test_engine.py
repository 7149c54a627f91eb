"""Derivations, scoring and waivers: the rules the README documents."""

from __future__ import annotations

import datetime as dt

import pytest

from conformite.engine.derive import derive
from conformite.engine.results import Finding
from conformite.engine.scoring import grade, score, score_findings, weigh
from conformite.engine.waivers import apply_waivers
from conformite.inventory.model import Inventory, Organisation, Service, Vendor, Waiver
from conformite.inventory.safe_yaml import load_yaml_text


def _service(**extra) -> Service:  # type: ignore[no-untyped-def]
    base = {"id": "s", "name": "S", "owner": "O", "purpose": "P", "hosting": "saas"}
    return Service.model_validate(base | extra)


def _inventory(services: list[Service], vendors: list[Vendor] | None = None) -> Inventory:
    return Inventory(
        organisation=Organisation(), services=services, vendors=vendors or [], waivers=[]
    )


def test_yaml_12_booleans_keep_norway() -> None:
    doc = load_yaml_text("countries: [NO, CH]\nflag: yes\nok: true\n", "x.yaml")
    assert doc.data == {"countries": ["NO", "CH"], "flag": "yes", "ok": True}


def test_sensitive_data_raises_confidentiality(reference) -> None:
    service = _service(data_categories=["identity", "religious_beliefs"], data_subject_count=50)
    facts = derive(_inventory([service]), reference).services["s"]
    assert facts.sensitive
    assert facts.sensitive_categories == ["religious_beliefs"]
    assert facts.derived_needs["confidentiality"] == 2


def test_large_scale_sensitive_data_is_very_high(reference) -> None:
    service = _service(data_categories=["religious_beliefs"], data_subject_count=3000)
    facts = derive(_inventory([service]), reference).services["s"]
    assert facts.large_scale
    assert facts.derived_needs["confidentiality"] == 3


def test_effective_need_is_the_maximum_of_declared_and_derived(reference) -> None:
    service = _service(
        data_categories=["contact"],
        protection_needs={"availability": "very_high", "confidentiality": "normal"},
    )
    facts = derive(_inventory([service]), reference).services["s"]
    assert facts.declared_needs == {
        "confidentiality": 1,
        "integrity": 0,
        "availability": 3,
        "traceability": 0,
    }
    assert facts.needs["availability"] == 3
    assert facts.needs["integrity"] == 1


def test_vendor_takes_the_highest_need_of_its_services_and_the_chain_countries(reference) -> None:
    vendor = Vendor.model_validate(
        {
            "id": "v",
            "name": "V",
            "country": "CH",
            "sub_processors": [
                {
                    "name": "A",
                    "country": "DE",
                    "purpose": "hosting",
                    "sub_processors": [{"name": "B", "country": "IN", "purpose": "support"}],
                }
            ],
        }
    )
    low = _service(id="low", vendor="v", data_categories=["contact"])
    high = _service(id="high", vendor="v", data_categories=["health"], data_subject_count=10)
    derived = derive(_inventory([low, high], [vendor]), reference)
    assert derived.vendors["v"].needs["confidentiality"] == 3
    assert derived.vendors["v"].foreign_countries == ["DE", "IN"]
    assert [c["path"] for c in derived.vendors["v"].chain] == ["A", "A > B"]
    assert derived.services["low"].foreign_countries == ["DE", "IN"]


def _finding(outcome: str, severity: str = "high", need: int = 1, **extra) -> Finding:  # type: ignore[no-untyped-def]
    return Finding(
        control_id=extra.pop("control_id", "X-A"),
        family=extra.pop("family", "supplier"),
        objectives=extra.pop("objectives", []),
        severity=severity,
        title="t",
        target_kind=extra.pop("target_kind", "service"),
        target_id=extra.pop("target_id", "s"),
        target_name="S",
        protection_need=need,
        outcome=outcome,
        legal_basis=[],
        messages=[],
        facts=[],
        **extra,
    )


def test_weight_is_severity_times_need_factor() -> None:
    assert weigh(_finding("fail", "low", 1)) == 1.0
    assert weigh(_finding("fail", "critical", 3)) == 16.0
    assert weigh(_finding("fail", "medium", 2)) == 3.0


def test_score_excludes_not_applicable_and_waived_and_counts_errors_as_open() -> None:
    findings, _ = score_findings(
        [
            _finding("pass", "high"),  # 4
            _finding("fail", "medium"),  # 2
            _finding("error", "low"),  # 1
            _finding("waived", "critical"),  # excluded
            _finding("not_applicable", "critical"),  # excluded
        ]
    )
    result = score(findings)
    assert result.score == pytest.approx(100 * 4 / 7, abs=0.05)
    assert (result.passed, result.failed, result.errors, result.waived, result.not_applicable) == (
        1,
        1,
        1,
        1,
        1,
    )


def test_grades() -> None:
    assert [grade(v) for v in (95, 80, 65, 45, 10, None)] == ["A", "B", "C", "D", "E", None]


def test_waiver_states() -> None:
    as_of = dt.date(2026, 11, 28)
    findings = [
        _finding("fail", control_id="C-ACTIVE"),
        _finding("fail", control_id="C-EXPIRED"),
        _finding("pass", control_id="C-UNUSED"),
        _finding("fail", control_id="C-FUTURE"),
    ]

    def waiver(control: str, decided: str, expires: str) -> Waiver:
        return Waiver(
            control=control,
            target="service:s",
            justification="j",
            approver="Council",
            decided_on=dt.date.fromisoformat(decided),
            expires_on=dt.date.fromisoformat(expires),
            risk="low",
        )

    out, statuses = apply_waivers(
        findings,
        [
            waiver("C-ACTIVE", "2026-01-01", "2027-01-01"),
            waiver("C-EXPIRED", "2025-01-01", "2026-06-30"),
            waiver("C-UNUSED", "2026-01-01", "2027-01-01"),
            waiver("C-FUTURE", "2026-12-01", "2027-01-01"),
        ],
        as_of,
    )
    by_id = {f.control_id: f for f in out}
    assert by_id["C-ACTIVE"].outcome == "waived"
    assert by_id["C-ACTIVE"].waiver.approver == "Council"
    assert by_id["C-EXPIRED"].outcome == "fail"
    assert by_id["C-EXPIRED"].expired_waiver.expires_on == "2026-06-30"
    assert by_id["C-FUTURE"].outcome == "fail"
    assert {s.control_id: s.status for s in statuses} == {
        "C-ACTIVE": "applied",
        "C-EXPIRED": "expired",
        "C-UNUSED": "unused",
        "C-FUTURE": "not_yet_valid",
    }


def _worked(cid: str, severity: str, need: int, outcome: str, read: int, unknown: int):
    from conformite.engine.results import Finding
    from conformite.engine.scoring import weigh

    finding = Finding(
        cid, "f", [], severity, cid, "service", "s", "s", need, outcome, [], [], [],
        facts_read=read, unknown_facts=[f"fact{i}" for i in range(unknown)],
    )  # fmt: skip
    finding.weight = weigh(finding)
    return finding


def test_readme_worked_example_of_scoring_with_unknown_facts() -> None:
    """The figures of the README's worked example (Scoring) are what the engine computes."""
    from conformite.engine.scoring import score

    register = score(
        [
            _worked("SVC-MFA", "high", 3, "pass", 2, 0),
            _worked("SVC-CRITICAL-VULNS", "critical", 3, "unknown", 1, 1),
            _worked("SVC-BACKUP", "high", 1, "fail", 4, 0),
            _worked("SVC-LOGGING", "medium", 2, "pass", 3, 0),
        ]
    )
    assert (register.score, register.grade, register.coverage) == (35.5, "E", 90.0)
    assert (register.weight_failed, register.weight_unknown) == (4.0, 16.0)
    booking = score(
        [
            _worked("SVC-MFA", "high", 1, "pass", 2, 0),
            _worked("SVC-ENCRYPTION", "high", 1, "pass", 2, 0),
            _worked("SVC-PATCHING", "high", 1, "pass", 3, 0),
            _worked("SVC-ACCESS-REVIEW", "medium", 1, "pass", 2, 0),
            _worked("SVC-LOGGING", "medium", 1, "pass", 3, 0),
            _worked("SVC-ADMIN-SEPARATION", "medium", 1, "pass", 1, 0),
            _worked("SVC-RECOVERY-TARGETS", "medium", 1, "unknown", 2, 2),
        ]
    )
    assert (booking.score, booking.coverage, booking.grade, booking.grade_capped) == (
        90.0,
        86.7,
        "B",
        True,
    )


@pytest.mark.parametrize(
    ("value", "coverage", "expected"),
    [
        (95.0, 100.0, "A"),
        (95.0, 90.0, "A"),
        (95.0, 89.9, "B"),
        (95.0, 74.9, "C"),
        (95.0, 49.9, "D"),
        (65.0, 80.0, "C"),  # a cap never raises a grade
        (30.0, 10.0, "E"),
        (95.0, None, "A"),  # no fact read: nothing to cap on
    ],
)
def test_grade_is_capped_by_documentation_coverage(value, coverage, expected) -> None:
    from conformite.engine.scoring import grade

    assert grade(value, coverage) == expected


def test_a_waiver_covers_a_finding_still_to_document() -> None:
    as_of = dt.date(2026, 11, 28)
    findings = [_finding("unknown", control_id="C-ACTIVE"), _finding("unknown", control_id="C-OLD")]

    def waiver(control: str, expires: str) -> Waiver:
        return Waiver(
            control=control,
            target="service:s",
            justification="j",
            approver="Council",
            decided_on=dt.date(2025, 1, 1),
            expires_on=dt.date.fromisoformat(expires),
            risk="medium",
        )

    out, statuses = apply_waivers(
        findings, [waiver("C-ACTIVE", "2027-01-01"), waiver("C-OLD", "2026-06-30")], as_of
    )
    by_id = {f.control_id: f for f in out}
    assert by_id["C-ACTIVE"].outcome == "waived"
    assert by_id["C-OLD"].outcome == "unknown"
    assert by_id["C-OLD"].expired_waiver is not None
    assert [s.status for s in statuses] == ["applied", "expired"]
