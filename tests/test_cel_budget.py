"""Every control, built-in or custom, has an evaluation budget per finding.

The loader derives from each control's expressions how many list elements
its comprehensions visit, as a function of the target's lists
(:mod:`conformite.catalogue.cost`); a control over the budget on a target is
an ``error`` naming it, not evaluated, and the audit completes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from conformite._paths import demo_dir
from conformite.catalogue.cost import MAX_VISITS, expression_formula, visits
from conformite.catalogue.loader import load_catalogue
from conformite.cli import cli
from conformite.engine.derive import derive
from conformite.engine.evaluation import evaluation_input
from conformite.engine.targets import iter_targets
from conformite.engine.verdict import budget_values
from conformite.engine.workspace import load_workspace

AS_OF = "2026-11-28"
VENDOR = "altocumulus"  # provides the demo's email-office service
SUB_PROCESSORS = 20_000
LOCATIONS = 60  # 60 x 20,000 chain entries: over the budget of SUP-DISCLOSURE-ABROAD

#: A workspace's own control: every pair of sub-processors (n^2 visits).
PAIRS = """\
id: CUS-PAIRS
since: "0.1"
family: supplier
severity: high
target: vendor
effort: {person_days: 0.5}
title: {fr: Paires, de: Paare, it: Coppie, en: Pairs}
description: {fr: D, de: D, it: D, en: D}
rationale: {fr: R, de: R, it: R, en: R}
remediation: {fr: M, de: M, it: M, en: M}
legal_basis:
  - {instrument: nLPD, article: "9", url: "https://www.fedlex.admin.ch/eli/cc/2022/491/fr#art_9"}
requirements:
  - name: no_duplicate
    expression: >-
      !vendor.sub_processors.exists(a, vendor.sub_processors.exists(b,
      a.name == b.name && a.country != b.country))
    message: {fr: "{facts}", de: "{facts}", it: "{facts}", en: "{facts}"}
"""


def _demo_copy(tmp_path: Path, big: bool) -> Path:
    ws = tmp_path / ("big" if big else "small")
    shutil.copytree(demo_dir(), ws)
    (ws / "my-controls").mkdir()
    (ws / "my-controls" / "CUS-PAIRS.yaml").write_text(PAIRS, encoding="utf-8")
    with (ws / "conformite.toml").open("a", encoding="utf-8") as config:
        config.write('\n[catalogue]\nextra = ["my-controls"]\n')
    if big:
        vendors_file = ws / "inventory" / "vendors.yaml"
        vendors = yaml.safe_load(vendors_file.read_text(encoding="utf-8"))
        vendor = next(v for v in vendors["vendors"] if v["id"] == VENDOR)
        vendor["sub_processors"] = [
            {"name": f"Sub {i}", "country": "US", "purpose": "Hosting", "approved": True}
            for i in range(SUB_PROCESSORS)
        ]
        vendors_file.write_text(yaml.safe_dump(vendors, allow_unicode=True), encoding="utf-8")
        services_file = ws / "inventory" / "services.yaml"
        services = yaml.safe_load(services_file.read_text(encoding="utf-8"))
        service = next(s for s in services["services"] if s.get("vendor") == VENDOR)
        service["data_location"]["support_access_from"] = ["US"] * LOCATIONS
        services_file.write_text(yaml.safe_dump(services, allow_unicode=True), encoding="utf-8")
    return ws


def _audit(ws: Path) -> tuple[list[dict[str, Any]], float]:
    started = time.monotonic()
    result = CliRunner().invoke(
        cli,
        ["audit", str(ws), "--as-of", AS_OF, "--format", "json", "--schema", "2", "--lang", "en"],
    )
    elapsed = time.monotonic() - started
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)["findings"], elapsed


def _budget_message(control_id: str, count: str) -> list[str]:
    return [
        "Evaluation error, the control could not be checked: "
        f"{control_id} not evaluated: its CEL expressions would visit up to "
        f"{count} list elements on this target (budget: 1'000'000 per finding)"
    ]


def test_a_vendor_with_20000_sub_processors_is_an_error_only_where_over_budget(
    tmp_path: Path,
) -> None:
    small, _ = _audit(_demo_copy(tmp_path, big=False))
    big, elapsed = _audit(_demo_copy(tmp_path, big=True))
    assert elapsed < 10
    by_key = {(f["control_id"], f["target_kind"], f["target_id"]): f for f in big}
    # A workspace's own control: 20,000 + 20,000^2 visits; stopped before it
    # runs (not by the time limit of engine.guard's child).
    pairs = by_key[("CUS-PAIRS", "vendor", VENDOR)]
    assert pairs["outcome"] == "error"
    assert pairs["facts"] == []
    assert pairs["messages"] == _budget_message("CUS-PAIRS", "400'020'000")
    # A built-in control: each of the 60 locations x each of the 20,000 chain
    # entries, among its other comprehensions.
    abroad = by_key[("SUP-DISCLOSURE-ABROAD", "vendor", VENDOR)]
    assert abroad["outcome"] == "error"
    assert abroad["messages"][0].startswith(
        "Evaluation error, the control could not be checked: SUP-DISCLOSURE-ABROAD not "
        "evaluated: its CEL expressions would visit up to 2'"
    )
    assert "(budget: 1'000'000 per finding)" in abroad["messages"][0]
    errors = {(f["control_id"], f["target_id"]) for f in big if f["outcome"] == "error"}
    assert errors == {("CUS-PAIRS", VENDOR), ("SUP-DISCLOSURE-ABROAD", VENDOR)}
    # Every other target: the same findings as with a normal vendor.
    services = {"email-office"}
    small_by_key = {(f["control_id"], f["target_kind"], f["target_id"]): f for f in small}
    assert set(small_by_key) == set(by_key)
    other = [k for k in by_key if k[2] != VENDOR and k[2] not in services]
    assert len(other) > 500
    for key in other:
        assert by_key[key] == small_by_key[key], key
    # Within the budget, the big vendor's chain is evaluated as usual.
    assert by_key[("SUP-SUBPROC-APPROVAL", "vendor", VENDOR)]["outcome"] == "pass"
    assert small_by_key[("CUS-PAIRS", "vendor", VENDOR)]["outcome"] == "pass"


def _formula_of(control_id: str) -> Any:
    control = load_catalogue().get(control_id)
    assert control is not None
    return control.cost


def test_cost_formula_of_builtin_controls_on_a_small_target() -> None:
    # GOV-PORTABILITY: services.exists(s, s.endpoints.exists(...)) and its facts'
    # services.map(s, s.endpoints.exists(...), ...): 2 x (services + endpoints).
    services = [{"endpoints": [{}] * 1}, {"endpoints": [{}] * 2}, {"endpoints": []}]
    assert visits(_formula_of("GOV-PORTABILITY"), {"services": services}, {}, {}) == 2 * 3 + 2 * 3
    # SUP-DISCLOSURE-ABROAD on a vendor with V=2 services, L=5 data locations,
    # C=4 chain entries (3 adequate and 2 DPF countries are not iterated): 5V + 3L + 2LC + 3C.
    vendor_services = [
        {"data_location": {"stored_in": ["CH"], "processed_in": ["DE"], "support_access_from": []}},
        {"data_location": {"stored_in": ["US", "FR"], "processed_in": ["CH"]}},
    ]
    variables = {"vendor_services": vendor_services, "derived": {"chain": [{}] * 4}}
    shared = {"ref": {"adequate_countries": ["DE", "FR", "IT"], "dpf_countries": ["US", "CA"]}}
    cost = _formula_of("SUP-DISCLOSURE-ABROAD")
    assert visits(cost, variables, shared, {}) == 10 + 15 + 40 + 12
    # GOV-COMMISSION-COMPOSITION: 6 written roles x the commission's members, twice.
    org = {"org": {"commission": {"members": [{}] * 5}}}
    assert visits(_formula_of("GOV-COMMISSION-COMPOSITION"), {}, org, {}) == 2 * (6 + 6 * 5)
    # A control reading no list from the target has no formula: nothing to check.
    assert _formula_of("SUP-DPA") is None


def test_nested_lists_count_the_sub_lists_total() -> None:
    expression = (
        "vendor.sub_processors.exists(s, s.sub_processors.exists(t, t.country == 'US'))"
        " || vendor.sub_processors.exists(a, vendor_services.exists(b, b.id == a.name))"
    )
    terms = expression_formula(expression, "vendor")
    outer = (0, (("vendor", "sub_processors"),))
    inner = (0, (("vendor", "sub_processors", "[]", "sub_processors"),))
    assert terms == ((outer,), (inner,), (outer,), (outer, (0, (("vendor_services",),))))
    vendor = {"sub_processors": [{"sub_processors": [{}] * 3}, {"sub_processors": [{}] * 4}]}
    cost = tuple((1, term) for term in terms)
    count = visits(cost, {"vendor": vendor, "vendor_services": [{}] * 5}, {}, {})
    assert count == 2 + 7 + 2 + 2 * 5
    # One element's sub-list (an index) does not stand for the elements' total:
    # the outer list still multiplies it.
    indexed = (
        "vendor.sub_processors.exists(s, vendor.sub_processors[0].sub_processors.exists(t, true))"
    )
    assert expression_formula(indexed, "vendor")[1] == (outer, inner)


def test_the_demo_and_its_every_finding_stay_far_within_the_budget() -> None:
    workspace = load_workspace(demo_dir())
    data = evaluation_input(workspace, dt.date(2026, 11, 28), "en")
    shared = budget_values(data)
    worst = 0
    for target in iter_targets(data, derive(data.inventory, data.reference)):
        counted: dict[Any, int] = {}
        for control in workspace.catalogue.for_target(target.kind):
            if control.cost is not None:
                worst = max(worst, visits(control.cost, target.variables, shared, counted))
    assert 100 < worst < MAX_VISITS // 1000
