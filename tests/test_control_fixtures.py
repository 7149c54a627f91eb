"""Every control is tested like a lint rule: a fixture with passing and failing targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformite.catalogue.cel import PRESENCE
from conformite.catalogue.loader import load_catalogue
from conformite.catalogue.model import LANGUAGES
from conformite.engine.fixtures import run_fixture
from conformite.engine.unknowns import (
    DERIVED_FACTS,
    ORGANISATION_FACTS,
    SERVICE_FACTS,
    VENDOR_FACTS,
)
from conformite.inventory.facts import FactKind, ListOf

FIXTURES = Path(__file__).parent / "fixtures" / "controls"
CONTROL_IDS = [c.id for c in load_catalogue(include_drafts=True).controls]
#: Controls that read no fact which may be unknown, so they have no unknown case
#: (checked below: none of the paths they read is a fact).
NO_UNKNOWN_FACTS = {
    "SUP-PROFILE-VALID": "reads the profile reference and its valid_until, set when loading",
}


@pytest.mark.parametrize("control_id", CONTROL_IDS)
def test_control_fixture(control_id: str, catalogue, reference) -> None:
    path = FIXTURES / f"{control_id}.yaml"
    assert path.is_file(), f"control {control_id} has no fixture at {path}"
    results = run_fixture(path, catalogue, reference)
    failures = [r for r in results if not r.ok]
    assert not failures, "\n".join(
        f"{r.name}: expected {r.expected} {r.expected_facts or ''}, got {r.actual} "
        f"{r.actual_facts} {r.messages}"
        for r in failures
    )
    outcomes = {r.actual for r in results}
    if control_id in NO_UNKNOWN_FACTS:
        assert {"pass", "fail"} <= outcomes, f"{control_id}: needs a pass and a fail case"
        return
    assert {"pass", "fail", "unknown"} <= outcomes, (
        f"{control_id}: needs at least one pass, one fail and one unknown case "
        "(its deciding facts unknown)"
    )


def test_every_fixture_names_an_existing_control() -> None:
    for path in FIXTURES.glob("*.yaml"):
        assert path.stem in CONTROL_IDS, f"fixture {path.name} has no control"


@pytest.mark.parametrize("control_id", CONTROL_IDS)
def test_control_documentation_is_complete(control_id: str, catalogue) -> None:
    control = catalogue.get(control_id).control
    for field in ("title", "description", "rationale", "remediation"):
        text = getattr(control, field)
        for lang in LANGUAGES:
            assert text.get(lang).strip(), f"{control_id}.{field}.{lang} is empty"
    for requirement in control.requirements:
        for lang in LANGUAGES:
            assert requirement.message.get(lang).strip()
    assert control.legal_basis, f"{control_id} has no legal basis"
    # Built-in controls state the gap as a risk too (reports list risks with it); a
    # workspace's own controls may omit it and fall back to the title.
    assert control.problem is not None, f"{control_id} has no problem statement"
    for lang in LANGUAGES:
        problem = control.problem.get(lang).strip()
        assert problem, f"{control_id}.problem.{lang} is empty"
        assert problem != control.title.get(lang).strip(), (
            f"{control_id}.problem.{lang} repeats the title: state what is wrong or at risk"
        )
        assert len(problem) <= 90, f"{control_id}.problem.{lang} is {len(problem)} characters"


@pytest.mark.parametrize("control_id", sorted(NO_UNKNOWN_FACTS))
def test_controls_without_an_unknown_case_read_no_fact(control_id: str, catalogue) -> None:
    trees = {"vendor": VENDOR_FACTS, "service": SERVICE_FACTS, "org": ORGANISATION_FACTS}
    trees["derived"] = DERIVED_FACTS
    for path in catalogue.get(control_id).paths:
        node: object = trees.get(path[0])
        for part in path[1:]:
            if isinstance(node, ListOf):
                node = node.element
            if part in ("[]", PRESENCE):
                continue
            if not isinstance(node, dict) or part not in node:
                node = None
                break
            node = node[part]
        assert not isinstance(node, FactKind | ListOf | dict), (
            f"{control_id} reads {'.'.join(p for p in path if p != PRESENCE)}, a fact that "
            "may be unknown: "
            "give it an unknown case"
        )
