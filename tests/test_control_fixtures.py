"""Every control is tested like a lint rule: a fixture with passing and failing targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformite.catalogue.loader import load_catalogue
from conformite.catalogue.model import LANGUAGES
from conformite.engine.fixtures import run_fixture

FIXTURES = Path(__file__).parent / "fixtures" / "controls"
CONTROL_IDS = [c.id for c in load_catalogue(include_drafts=True).controls]


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
    assert {"pass", "fail"} <= outcomes, f"{control_id}: needs at least one pass and one fail case"


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
