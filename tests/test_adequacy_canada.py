"""Canada is adequate only for recipients under PIPEDA or an equivalent provincial law.

OPDo annex 1 lists Canada for the private sector under PIPEDA only, so it is modelled like
the United States and the Data Privacy Framework: a state adequate only for some
recipients (``adequacy.yaml`` ``adequate_if_certified: {CA: pipeda}``), read with the
vendor's and sub-processors' ``canada_pipeda`` fact (``null``: unknown, to document).
The control fixtures (SUP-DISCLOSURE-ABROAD, DP-DISCLOSURE-EXCEPTION) hold the pass, fail
and unknown cases; this file checks the reference data and the register.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conformite.inventory.model import Vendor
from conformite.report.register import safeguard

AS_OF = dt.date(2026, 11, 28)


def test_canada_is_not_adequate_without_a_fact(reference) -> None:
    context = reference.as_context()
    assert "CA" not in context["adequate_countries"]
    assert context["pipeda_countries"] == ["CA"]
    assert context["dpf_countries"] == ["US"]


def _vendor(**facts: object) -> Vendor:
    return Vendor.model_validate({"id": "maple", "name": "MapleForms Inc.", **facts})


@pytest.mark.parametrize(
    ("facts", "protected"),
    [
        ({"country": "CA", "canada_pipeda": True}, True),
        ({"country": "CA", "canada_pipeda": False}, False),
        ({"country": "CA"}, False),
        (
            {
                "country": "CH",
                "sub_processors": [
                    {
                        "name": "Maple Ltd.",
                        "country": "CA",
                        "purpose": "Support",
                        "canada_pipeda": True,
                    }
                ],
            },
            True,
        ),
        # The fact belongs to the recipient in Canada: a US vendor's own fact says nothing.
        ({"country": "US", "canada_pipeda": True}, False),
    ],
)
def test_register_names_pipeda_as_the_ground_only_when_stated(
    reference, facts: dict[str, object], protected: bool
) -> None:
    destination = safeguard("CA", _vendor(**facts), None, reference, AS_OF, "en")
    assert destination.safe is protected
    if protected:
        assert "PIPEDA" in destination.safeguard
