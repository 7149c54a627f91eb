"""Citations a commune's report must never carry.

The federal act's articles on federal bodies (nLPD / revDSG arts. 33-42, e.g. art. 34 on
the legal basis) never apply to a commune: its duties come from cantonal law, which the
cantonal overlays cite. A built-in control citing one of them states a duty the commune
does not have.
"""

from __future__ import annotations

import re

import pytest

from conformite.catalogue.loader import load_catalogue

#: Names the federal act goes by in the catalogue (fr, de, it, en).
FEDERAL_ACT = {"nlpd", "lpd", "revdsg", "ndsg", "dsg", "revfadp", "fadp"}
FEDERAL_BODY_ARTICLES = set(range(33, 43))
#: Links to the federal act on fedlex (SR 235.1), in any language.
FEDLEX_ACT = re.compile(r"fedlex\.admin\.ch/eli/cc/2022/491/[a-z]{2}#art_(\d+)")

CONTROLS = [c.control for c in load_catalogue().controls]


def _article_number(article: str | None) -> int | None:
    match = re.match(r"\s*(\d+)", article or "")
    return int(match.group(1)) if match else None


def _federal_body_citations(control) -> list[str]:
    found = []
    for basis in control.legal_basis:
        number = _article_number(basis.article)
        if basis.instrument.strip().lower() in FEDERAL_ACT and number in FEDERAL_BODY_ARTICLES:
            found.append(f"{basis.instrument} art. {basis.article}")
        link = FEDLEX_ACT.search(basis.url)
        if link and int(link.group(1)) in FEDERAL_BODY_ARTICLES:
            found.append(basis.url)
    return found


def test_the_catalogue_is_loaded() -> None:
    assert len(CONTROLS) > 50


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_no_control_cites_an_article_on_federal_bodies(control) -> None:
    assert _federal_body_citations(control) == [], (
        f"{control.id} cites nLPD arts. 33-42 (federal bodies only, never a commune): "
        "cite the baseline (e.g. nLPD art. 6 para. 1) and leave the commune's duty to the "
        "cantonal overlay"
    )


def test_the_check_catches_a_federal_body_citation() -> None:
    legal_basis = [
        type("Basis", (), {"instrument": "nLPD", "article": "34", "url": "https://example.org"}),
        type(
            "Basis",
            (),
            {
                "instrument": "OPDo",
                "article": "4",
                "url": "https://www.fedlex.admin.ch/eli/cc/2022/491/de#art_39",
            },
        ),
    ]
    control = type("Control", (), {"legal_basis": legal_basis})
    assert len(_federal_body_citations(control)) == 2


def test_dp_legal_basis_cites_the_principle_of_lawfulness() -> None:
    control = next(c for c in CONTROLS if c.id == "DP-LEGAL-BASIS")
    cited = {(b.instrument, b.article, b.paragraph) for b in control.legal_basis}
    assert ("nLPD", "6", "1") in cited
