"""Cantonal overlays: the law that binds the commune, and cantonal citations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.catalogue.cantons import load_overlays
from conformite.catalogue.loader import load_catalogue
from conformite.cli import cli
from conformite.errors import InputError

OVERLAY = """\
canton: ZZ
language: fr
as_of: 2026-11-28
certainty: secondary_source
source: https://example.org/source
law: {name: "Loi test", abbreviation: LTEST, reference: "RS 1", url: "https://example.org/law"}
supervisor: {name: "Préposé test", url: "https://example.org/ppdt"}
summary: {fr: "Résumé", de: "Zusammenfassung", it: "Riassunto", en: "Summary"}
citations:
  SUP-DPA:
    - article: "18"
      paragraph: "2"
      url: "https://example.org/law#18"
      certainty: secondary_source
"""


def _catalogue_dir(tmp_path: Path, overlay: str) -> Path:
    """A copy of one built-in control plus a test overlay."""
    from conformite._paths import builtin_catalogue_dir

    root = tmp_path / "controls"
    (root / "supplier").mkdir(parents=True)
    (root / "cantons").mkdir()
    source = builtin_catalogue_dir() / "supplier" / "SUP-DPA.yaml"
    (root / "supplier" / "SUP-DPA.yaml").write_text(source.read_text(encoding="utf-8"))
    (root / "cantons" / "ZZ.yaml").write_text(overlay, encoding="utf-8")
    return root


def test_overlay_adds_the_cantonal_citation_in_the_readers_language(tmp_path: Path) -> None:
    catalogue = load_catalogue([_catalogue_dir(tmp_path, OVERLAY)])
    control = catalogue.get("SUP-DPA").control
    cited = [text for text, _, _ in catalogue.citations(control, "ZZ", "de")]
    assert cited == ["revDSG Art. 9 Abs. 1", "LTEST Art. 18 Abs. 2"]
    assert [t for t, _, _ in catalogue.citations(control, "BE", "fr")] == ["nLPD art. 9 al. 1"]


def test_overlay_citing_an_unknown_control_is_a_located_error(tmp_path: Path) -> None:
    root = _catalogue_dir(tmp_path, OVERLAY.replace("SUP-DPA:", "SUP-NOPE:"))
    with pytest.raises(InputError) as caught:
        load_catalogue([root])
    problem = caught.value.problems[0]
    assert "unknown control SUP-NOPE" in problem.message
    assert problem.line == 10  # the key under citations:


def test_overlay_file_must_be_named_after_its_canton(tmp_path: Path) -> None:
    root = tmp_path / "cantons"
    root.mkdir()
    (root / "XY.yaml").write_text(OVERLAY, encoding="utf-8")
    with pytest.raises(InputError):
        load_overlays(root)


def test_a_canton_without_overlay_falls_back_and_says_so() -> None:
    result = CliRunner().invoke(cli, ["controls", "list", "--canton", "AG"])
    assert result.exit_code == 0
    assert "no cantonal overlay for AG" in " ".join(result.output.split())


def test_audit_json_names_the_jurisdiction() -> None:
    result = CliRunner().invoke(
        cli, ["audit", "--demo", "--as-of", "2026-11-28", "--format", "json"]
    )
    jurisdiction = json.loads(result.output)["jurisdiction"]
    assert jurisdiction["canton"] == "VD"
    assert jurisdiction["note"]
