"""Endpoints not probed, refused or unreachable are to document, not left out.

An endpoint control applies by the endpoint's kind (website, web page, mail
domain). What the probe could not see (never probed, an address it does not
contact, unreachable, no DNS answer, no HTTPS answer) makes the finding
``unknown`` with a message saying how to find out, so the endpoint family
stays in the scores instead of disappearing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformite.catalogue.model import Catalogue
from conformite.engine.evaluation import evaluate, observations_for_context
from conformite.engine.results import Finding
from conformite.engine.scoring import score_findings
from conformite.engine.targets import EvaluationInput
from conformite.inventory.model import Inventory, OrganisationFile, ServicesFile
from conformite.inventory.observations import Observation

AS_OF = dt.date(2026, 11, 28)
NEW, DOWN, INTRANET, PLAIN, API = (
    "https://new.example.ch",
    "https://down.example.ch",
    "https://intranet.example.ch",
    "https://plain.example.ch",
    "https://api.example.ch",
)
OBSERVATIONS: dict[str, dict[str, Any]] = {
    DOWN: {"reachable": False, "error": "unreachable: name not resolved"},
    INTRANET: {"reachable": False, "error": "not probed: address refused: 10.0.0.8 (private)"},
    # Port 80 answered, HTTPS did not: reachable, without TLS or page headers.
    PLAIN: {"reachable": True, "http": {"error": "https unavailable: connection refused"}},
    API: {"reachable": False, "error": "unreachable: connection refused"},
    "mail:example.ch": {"reachable": False, "error": "unreachable: domain does not exist"},
}
WEB_CONTROLS = {
    "EP-CERT-STRENGTH",
    "EP-COOKIES",
    "EP-COOP",
    "EP-CORS",
    "EP-CSP",
    "EP-FRAMING",
    "EP-HSTS",
    "EP-NOSNIFF",
    "EP-REFERRER",
    "EP-SECURITY-TXT",
    "EP-SRI",
    "EP-TLS",
}
MAIL_CONTROLS = {"EP-DMARC", "EP-MTA-STS", "EP-SPF"}


def _findings(catalogue, reference, lang: str = "en") -> list[Finding]:  # type: ignore[no-untyped-def]
    endpoint = [c for c in catalogue.controls if c.control.target == "endpoint"]
    assert {c.id for c in endpoint} == WEB_CONTROLS | MAIL_CONTROLS
    services = [
        {
            "id": "website",
            "name": "Site",
            "owner": "Greffe",
            "purpose": "Information",
            "hosting": "saas",
            "endpoints": [{"url": u} for u in (NEW, DOWN, INTRANET, PLAIN)]
            + [{"url": API, "kind": "api"}],
        }
    ]
    inventory = Inventory(
        organisation=OrganisationFile.model_validate(
            {"organisation": {"mail_domains": ["example.ch", "other.ch"]}}
        ).organisation,
        services=ServicesFile.model_validate({"services": services}).services,
        vendors=[],
        waivers=[],
    )
    observations = {
        url: Observation.model_validate({"url": url, "observed_at": "2026-11-27T08:00:00Z", **v})
        for url, v in OBSERVATIONS.items()
    }
    return evaluate(
        Catalogue(version=catalogue.version, controls=endpoint, digest="", sources=[]),
        EvaluationInput(
            inventory=inventory,
            reference=reference,
            commune={"name": "Test", "canton": "VD", "population": 3000, "language": lang},
            as_of=AS_OF,
            lang=lang,
            observations=observations_for_context(observations, AS_OF, stale_after_days=30),
        ),
    )


def _by(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(f.control_id, f.target_id): f for f in findings}


@pytest.mark.parametrize(
    ("url", "controls", "message"),
    [
        (NEW, WEB_CONTROLS, "Not probed yet: run 'conformite probe'."),
        ("mail:other.ch", MAIL_CONTROLS, "Not probed yet: run 'conformite probe'."),
        (DOWN, WEB_CONTROLS, "Unreachable at the last probe (see the observation's error)"),
        (INTRANET, WEB_CONTROLS, "Not probed: the probe does not contact this address"),
        ("mail:example.ch", MAIL_CONTROLS, "The DNS did not answer at the last probe"),
    ],
)
def test_what_the_probe_could_not_see_is_to_document(
    catalogue,  # type: ignore[no-untyped-def]
    reference,
    url: str,
    controls: set[str],
    message: str,
) -> None:
    found = _by(_findings(catalogue, reference))
    other = MAIL_CONTROLS if controls == WEB_CONTROLS else WEB_CONTROLS
    for control in controls:
        finding = found[(control, url)]
        assert finding.outcome == "unknown", (control, finding.messages)
        assert finding.messages[0].startswith(message), (control, finding.messages)
    for control in other:  # the kind still decides what applies
        assert found[(control, url)].outcome == "not_applicable"


def test_an_api_is_not_a_web_page_even_when_unreachable(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    found = _by(_findings(catalogue, reference))
    for control in ("EP-CSP", "EP-FRAMING", "EP-REFERRER"):
        finding = found[(control, API)]
        assert finding.outcome == "not_applicable"
        assert finding.messages == [
            "This control only concerns web pages; this endpoint is an API or a mail domain."
        ]
    assert found[("EP-TLS", API)].outcome == "unknown"


def test_without_https_the_page_headers_are_to_document_and_tls_fails(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    found = _by(_findings(catalogue, reference))
    assert found[("EP-TLS", PLAIN)].outcome == "fail"
    assert found[("EP-CERT-STRENGTH", PLAIN)].outcome == "not_applicable"
    for control in ("EP-CSP", "EP-FRAMING", "EP-NOSNIFF", "EP-REFERRER", "EP-COOKIES"):
        finding = found[(control, PLAIN)]
        assert finding.outcome == "unknown", control
        assert finding.messages[0].startswith("No HTTPS answer at the last probe"), control


def test_the_endpoint_family_stays_in_the_scores(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    findings = _findings(catalogue, reference)
    _, scores = score_findings(findings)
    family = scores.by_family["endpoint"]
    assert family.unknown == sum(f.outcome == "unknown" for f in findings) > 30
    assert family.weight_unknown > 0
    assert family.score is not None


def test_the_messages_are_in_the_audit_language(catalogue, reference) -> None:  # type: ignore[no-untyped-def]
    found = _by(_findings(catalogue, reference, lang="de"))
    assert found[("EP-TLS", NEW)].messages[0] == (
        "Noch nicht geprüft: «conformite probe» ausführen."
    )
    assert (
        found[("EP-SPF", "mail:example.ch")]
        .messages[0]
        .startswith("Das DNS hat beim letzten Test nicht geantwortet")
    )
