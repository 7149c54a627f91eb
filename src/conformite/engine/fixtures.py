"""Control fixtures: small inventories with the outcome a control must give.

Every control has a fixture file (``tests/fixtures/controls/<ID>.yaml`` for
the built-in catalogue) like a lint rule's test file::

    control: SUP-DPA
    as_of: 2026-11-28            # optional; default 2026-11-28
    canton: VD                   # optional; default VD
    base:                        # optional inventory shared by the cases
      services: [...]
      vendors: [...]
    cases:
      - name: a signed agreement passes
        target: vendor:acme      # organisation, service:ID, vendor:ID, endpoint:URL
        expect: pass             # pass, fail or not_applicable
        vendors: [...]           # replaces base.vendors for this case
      - name: no agreement fails
        target: vendor:acme
        expect: fail
        facts: ["Acme SA"]       # optional: the failing facts, exactly
      - name: an agreement nobody looked up is to document
        target: vendor:acme
        expect: unknown          # the deciding facts are unknown (null or absent)
        facts: ["vendor.dpa.signed_on"]  # optional: the facts to document, exactly

A case may give ``organisation`` (mapping), ``services``, ``vendors``
(lists) and ``observations`` (endpoint URL -> probe observation, in the shape
of :class:`conformite.inventory.observations.Observation`; ``url`` and ``observed_at``
default to the URL and the fixture's ``as_of``); each replaces the base's.
:func:`run_fixture` returns one :class:`CaseResult` per case; the test suite
asserts they all match and that every control has at least one passing and
one failing case, and a case where its deciding facts are unknown (``unknown``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformite.catalogue.model import Catalogue
from conformite.engine.evaluation import evaluate, observations_for_context
from conformite.engine.targets import EvaluationInput
from conformite.inventory.model import Inventory, OrganisationFile, ServicesFile, VendorsFile
from conformite.inventory.observations import Observation
from conformite.inventory.reference import ReferenceData
from conformite.inventory.safe_yaml import load_yaml_file

__all__ = ["DEFAULT_AS_OF", "CaseResult", "run_fixture"]

DEFAULT_AS_OF = dt.date(2026, 11, 28)


@dataclass(frozen=True)
class CaseResult:
    name: str
    expected: str
    actual: str
    expected_facts: list[str] | None
    actual_facts: list[str]
    messages: list[str]

    @property
    def ok(self) -> bool:
        if self.expected != self.actual:
            return False
        return self.expected_facts is None or self.expected_facts == self.actual_facts


def _inventory(case: dict[str, Any], base: dict[str, Any]) -> Inventory:
    def pick(key: str, default: Any) -> Any:
        return case[key] if key in case else base.get(key, default)

    organisation = OrganisationFile.model_validate({"organisation": pick("organisation", {})})
    services = ServicesFile.model_validate({"services": pick("services", [])})
    vendors = VendorsFile.model_validate({"vendors": pick("vendors", [])})
    return Inventory(
        organisation=organisation.organisation,
        services=services.services,
        vendors=vendors.vendors,
        waivers=[],
    )


def run_fixture(path: Path, catalogue: Catalogue, reference: ReferenceData) -> list[CaseResult]:
    """Run every case of one fixture file against its control."""
    data = load_yaml_file(path).data
    control = catalogue.get(data["control"])
    if control is None:
        raise KeyError(f"{path}: no control {data['control']} in the catalogue")
    only = Catalogue(version=catalogue.version, controls=[control], digest="", sources=[])
    as_of = data.get("as_of", DEFAULT_AS_OF)
    base = data.get("base", {}) or {}
    results = []
    for case in data["cases"]:
        inventory = _inventory(case, base)
        findings = evaluate(
            only,
            EvaluationInput(
                inventory=inventory,
                reference=reference,
                commune={
                    "name": "Fixture",
                    "canton": data.get("canton", "VD"),
                    "population": 3000,
                    "language": "en",
                },
                as_of=as_of,
                lang="en",
                observations=observations_for_context(
                    {
                        url: Observation.model_validate(
                            {"url": url, "observed_at": f"{as_of}T00:00:00Z", **value}
                        )
                        for url, value in (
                            case.get("observations", base.get("observations")) or {}
                        ).items()
                    },
                    as_of,
                    stale_after_days=30,
                ),
            ),
        )
        kind, _, target_id = str(case["target"]).partition(":")
        match = [
            f
            for f in findings
            if f.target_kind == kind and (kind == "organisation" or f.target_id == target_id)
        ]
        if not match:
            raise KeyError(f"{path}: case {case['name']!r}: no finding for target {case['target']}")
        finding = match[0]
        if finding.outcome == "unknown":  # the facts to document, conditions' included
            failed_facts = list(finding.unknown_facts)
        else:
            failed_facts = [d for fact in finding.facts if fact.met is False for d in fact.details]
        results.append(
            CaseResult(
                name=str(case["name"]),
                expected=str(case["expect"]),
                actual=finding.outcome,
                expected_facts=case.get("facts"),
                actual_facts=failed_facts,
                messages=finding.messages,
            )
        )
    return results
