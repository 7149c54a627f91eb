"""What keeps a large audit's memory down: plain YAML built without a node tree,
unknown facts built per target, and findings sharing their equal values."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from conformite._paths import demo_dir
from conformite.engine.audit import run_audit
from conformite.engine.derive import derive
from conformite.engine.evaluation import evaluation_input
from conformite.engine.targets import iter_targets
from conformite.engine.workspace import load_workspace
from conformite.inventory import safe_yaml

AS_OF = dt.date(2026, 11, 28)


def test_a_plain_document_is_read_without_composing_nodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_composing(self: object) -> None:
        raise AssertionError("composed a node tree")

    monkeypatch.setattr(safe_yaml._Loader, "get_single_node", no_composing)
    text = "services:\n" + "".join(
        f"  - id: s{i}\n    since: 2026-01-0{i % 9 + 1}\n    users: {i}\n    mfa: true\n"
        for i in range(50)
    )
    data = safe_yaml.load_yaml_text(text, "services.yaml").data
    assert len(data["services"]) == 50
    expected = {"id": "s3", "since": dt.date(2026, 1, 4), "users": 3, "mfa": True}
    assert data["services"][3] == expected


def test_a_document_with_an_anchor_is_still_composed_and_checked() -> None:
    with pytest.raises(safe_yaml.InputError) as error:
        safe_yaml.load_yaml_text("a: &x [1]\nb: !!python/name:os.system x\n", "x.yaml")
    assert error.value.problems[0].line == 2


def test_targets_carry_their_facts_only_once_asked() -> None:
    workspace = load_workspace(demo_dir())
    data = evaluation_input(workspace, AS_OF, "en")
    targets = list(iter_targets(data, derive(data.inventory, data.reference)))
    services = [t for t in targets if t.kind == "service"]
    assert services and all(t.facts is None for t in targets)
    built = services[0].with_facts()
    assert built.facts is not None and built.facts.counts
    assert built.variables is services[0].variables
    assert services[0].facts is None  # the target listed keeps none
    endpoint = next(t for t in targets if t.kind == "endpoint")
    assert endpoint.with_facts() is endpoint  # endpoints read no inventory facts


@pytest.mark.parametrize("workers", ["1", "2"])
def test_findings_share_equal_messages_facts_and_names(
    workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process and, with two, in the findings the worker sent back."""
    monkeypatch.setenv("CONFORMITE_WORKERS", workers)
    findings = run_audit(load_workspace(demo_dir()), AS_OF, "en").findings
    texts: dict[str, set[int]] = defaultdict(set)
    facts: dict[tuple[object, ...], set[int]] = defaultdict(set)
    empty: set[int] = set()
    for f in findings:
        if not f.messages:
            empty.add(id(f.messages))
        if f.outcome not in ("fail", "unknown", "error"):
            continue
        for text in [*f.messages, *f.unknown_facts]:
            texts[text].add(id(text))
        for fact in f.facts:
            facts[fact.name, fact.kind, fact.met, *fact.details].add(id(fact))
    assert len(texts) > 20 and len(facts) > 20
    assert {text: len(ids) for text, ids in texts.items() if len(ids) > 1} == {}
    assert {key: len(ids) for key, ids in facts.items() if len(ids) > 1} == {}
    assert len(empty) == 1
