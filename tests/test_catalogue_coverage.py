"""The catalogue covers the law it claims to, and every control is documented like a lint rule."""

from __future__ import annotations

import pytest

from conformite.catalogue.loader import load_catalogue
from conformite.catalogue.model import FAMILIES

CATALOGUE = load_catalogue()
ACTIVE = [c.control for c in CATALOGUE.controls if c.control.status == "active"]

#: Articles (and paragraphs) the catalogue must cite, from the catalogue issue.
REQUIRED_NLPD = [
    "5",
    "6/4",
    "7",
    "8",
    "9/1",
    "9/2",
    "9/3",
    "12",
    "16",
    "17",
    "19",
    "21",
    "22",
    "23",
    "24",
    "25",
]
REQUIRED_OPDO = ["1", "2", "3", "4", "5", "7", "8", "annex 1", "15", "18", "24"]


def _cited(instrument: str) -> set[str]:
    out: set[str] = set()
    for control in ACTIVE:
        for basis in control.legal_basis:
            if basis.instrument != instrument:
                continue
            if basis.annex:
                out.add(f"annex {basis.annex}")
                continue
            out.add(str(basis.article))
            if basis.paragraph:
                out.add(f"{basis.article}/{basis.paragraph}")
    return out


def test_at_least_seventy_active_controls_in_every_family() -> None:
    assert len(ACTIVE) >= 70
    for family in FAMILIES:
        assert any(c.family == family for c in ACTIVE), f"no control in family {family}"


@pytest.mark.parametrize("article", REQUIRED_NLPD)
def test_nlpd_article_is_cited(article: str) -> None:
    assert article in _cited("nLPD"), f"no active control cites nLPD art. {article}"


@pytest.mark.parametrize("article", REQUIRED_OPDO)
def test_opdo_article_is_cited(article: str) -> None:
    assert article in _cited("OPDo"), f"no active control cites OPDo {article}"


@pytest.mark.parametrize("ict_id", [f"ID.SC-{n}" for n in range(1, 6)])
def test_supply_chain_ids_of_the_ict_minimum_standard_are_mapped(ict_id: str) -> None:
    mapped = {m.id for c in ACTIVE for m in c.mappings if m.framework == "ict-minimum-standard"}
    assert ict_id in mapped


@pytest.mark.parametrize("control", ACTIVE, ids=lambda c: c.id)
def test_control_has_examples_and_sources(control) -> None:  # type: ignore[no-untyped-def]
    assert control.examples is not None, (
        f"{control.id}: add a compliant and a non-compliant example"
    )
    assert all(b.url.startswith("https://") for b in control.legal_basis)


def test_ids_are_unique_across_titles() -> None:
    titles = [c.title.en for c in ACTIVE]
    duplicates = {t for t in titles if titles.count(t) > 1}
    assert not duplicates, f"controls with the same title (near-duplicates?): {duplicates}"


#: What a standard's reference starts with: the body that publishes it.
STANDARD_BODIES = ("RFC ", "W3C", "WHATWG", "OWASP", "IETF", "BSI ")


@pytest.mark.parametrize(
    "control", [c for c in ACTIVE if c.target == "endpoint"], ids=lambda c: c.id
)
def test_endpoint_control_cites_the_standard_its_check_rests_on(control) -> None:  # type: ignore[no-untyped-def]
    standards = [r.title for r in control.references if r.title.startswith(STANDARD_BODIES)]
    assert standards, f"{control.id}: cite the RFC, W3C/WHATWG standard or OWASP guide"
