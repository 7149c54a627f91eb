"""``conformite rollup``: figures across communes, checked by hand.

The communes are demo variants (see ``rollup_fixtures``): Val-d'Arbonne (VD,
3120, audited in 2025 and 2026), Montagny (VD, 2500, BFS 5502), Vallorbe-les-Bains
(FR, 12000) and Orbe-Dessus (VD, 4000, BFS 5504, schema 2.0). Expected figures
are computed here from the results' own scores and findings, by the rules the
README states, not by the roll-up's code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformite.cli.schema import schema_of
from conformite.rollup.model import ROLLUP_SCHEMA_VERSION
from conformite.rollup.vendors import Entry, match_vendors, normalise_name, normalise_uid
from rollup_fixtures import build, findings, load, run

RANK = {"not_applicable": 0, "pass": 1, "waived": 1, "unknown": 2, "fail": 3, "error": 3}
LATEST = ("a", "b", "c", "d")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("rollup"))


@pytest.fixture(scope="module")
def rolled(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("out") / "rollup.json"
    results = files["a"].parent
    result = run("rollup", str(results), str(files["a-2025"]), "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    return load(out)


def overall(files: dict[str, Path], name: str) -> dict[str, Any]:
    scores: dict[str, Any] = load(files[name])["scores"]["overall"]
    return scores


def test_the_set_read(rolled: dict[str, Any], files: dict[str, Path]) -> None:
    assert rolled["results"] == 5
    assert rolled["communes_count"] == 4
    assert (rolled["as_of_from"], rolled["as_of_until"]) == ("2026-11-28", "2026-11-28")
    assert rolled["signatures"] == {"verified": 0, "unsigned": 5, "not_checked": 0}
    assert [s["file"] for s in rolled["sources"]] == sorted(
        str(files[n]) for n in ("a", "b", "c", "d", "a-2025")
    )
    assert rolled["catalogue_versions"] == sorted(
        {load(files[n])["catalogue"]["version"] for n in files}
    )


def test_communes_are_keyed_by_bfs_number_else_canton_and_name(rolled: dict[str, Any]) -> None:
    keys = {c["name"]: c["key"] for c in rolled["communes"]}
    assert keys == {
        "Val-d'Arbonne": "name:VD:val-d'arbonne",
        "Montagny": "bfs:5502",
        "Vallorbe-les-Bains": "name:FR:vallorbe-les-bains",
        "Orbe-Dessus": "name:VD:orbe-dessus",  # schema 2.0 writes no BFS number
    }
    # Sorted by canton, then name.
    assert [c["name"] for c in rolled["communes"]] == [
        "Vallorbe-les-Bains",
        "Montagny",
        "Orbe-Dessus",
        "Val-d'Arbonne",
    ]


def test_each_commune_counts_with_its_latest_result(
    rolled: dict[str, Any], files: dict[str, Path]
) -> None:
    arbonne = next(c for c in rolled["communes"] if c["name"] == "Val-d'Arbonne")
    assert arbonne["as_of"] == "2026-11-28"
    assert arbonne["score"] == overall(files, "a")["score"]
    assert arbonne["score"] != overall(files, "a-2025")["score"]  # the older one is left out
    assert arbonne["band"] == "2000-4999" and arbonne["services"] == 24


def _quantile(values: list[float], q: float) -> float:
    # numpy's default ("linear"): position (n - 1) * q between the sorted values.
    values = sorted(values)
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def test_distributions_of_all_and_by_canton(rolled: dict[str, Any], files: dict[str, Path]) -> None:
    scores = [overall(files, n)["score"] for n in LATEST]
    assert sorted(scores) == [47.6, 47.7, 48.4, 48.4]  # the demo's score and three variants
    everything = rolled["groups"][0]
    assert (everything["dimension"], everything["key"], everything["communes"]) == ("all", "all", 4)
    # p25: position 0.75 between 47.6 and 47.7 = 47.675 -> 47.7; median: (47.7 + 48.4) / 2
    # = 48.05 -> 48.1 (halves up); p75: position 2.25 between 48.4 and 48.4.
    assert everything["score"] == {
        "count": 4,
        "minimum": 47.6,
        "p25": 47.7,
        "median": 48.1,
        "p75": 48.4,
        "maximum": 48.4,
        "mean": 48.03,  # 192.1 / 4 = 48.025 -> 48.03
    }
    assert _quantile(scores, 0.5) == pytest.approx(48.05)
    coverages = sorted(overall(files, n)["coverage"] for n in LATEST)
    assert coverages == [85.7, 85.7, 86.0, 86.0]
    assert everything["coverage"]["median"] == 85.9  # (85.7 + 86.0) / 2 = 85.85 -> 85.9
    groups = {(g["dimension"], g["key"]): g for g in rolled["groups"]}
    assert list(groups) == [
        ("all", "all"),
        ("canton", "FR"),
        ("canton", "VD"),
        ("band", "2000-4999"),
        ("band", "10000-19999"),
    ]
    vd = groups[("canton", "VD")]
    assert vd["communes"] == 3 and vd["score"]["minimum"] == 47.6
    assert vd["score"]["median"] == 48.4 and vd["score"]["mean"] == 48.13  # 144.4 / 3
    assert groups[("canton", "FR")]["score"]["count"] == 1


def test_percentile_among_the_communes_of_the_band(rolled: dict[str, Any]) -> None:
    shares = {c["name"]: (c["band"], c["percentile_in_band"]) for c in rolled["communes"]}
    # Band 2000-4999: Montagny 47.6, Orbe-Dessus 48.4, Val-d'Arbonne 48.4.
    assert shares == {
        "Montagny": ("2000-4999", 16.7),  # (0 lower + 1/2 of 1 equal) / 3
        "Orbe-Dessus": ("2000-4999", 66.7),  # (1 lower + 1/2 of 2 equal) / 3
        "Val-d'Arbonne": ("2000-4999", 66.7),  # a tie shares the rank
        "Vallorbe-les-Bains": ("10000-19999", None),  # alone in its band: no peer
    }


def _expected_controls(files: dict[str, Path]) -> dict[str, dict[str, int]]:
    """Per control: communes by worst outcome, and findings by outcome."""
    out: dict[str, dict[str, int]] = {}
    for name in LATEST:
        worst: dict[str, int] = {}
        for control, _, _, outcome in findings(load(files[name])):
            row = out.setdefault(control, dict.fromkeys(("3", "2", "1", "0", "f3", "f2", "f1"), 0))
            rank = RANK[outcome]
            if rank:
                row[f"f{rank}"] += 1
            worst[control] = max(worst.get(control, 0), rank)
        for control, rank in worst.items():
            out[control][str(rank)] += 1
    return out


def test_controls_count_communes_by_their_worst_outcome(
    rolled: dict[str, Any], files: dict[str, Path]
) -> None:
    expected = _expected_controls(files)
    assert {c["control_id"] for c in rolled["controls"]} == set(expected)
    for c in rolled["controls"]:
        e = expected[c["control_id"]]
        assert (
            c["communes_fail"],
            c["communes_unknown"],
            c["communes_pass"],
            c["communes_not_applicable"],
        ) == (e["3"], e["2"], e["1"], e["0"]), c["control_id"]
        assert (c["findings_fail"], c["findings_unknown"], c["findings_pass"]) == (
            e["f3"],
            e["f2"],
            e["f1"],
        ), c["control_id"]
    order = [
        (-c["communes_fail"], -c["communes_unknown"], c["control_id"]) for c in rolled["controls"]
    ]
    assert order == sorted(order)
    dpa = next(c for c in rolled["controls"] if c["control_id"] == "SUP-DPA")
    # The demo's vendors all have an agreement; Montagny and Vallorbe lost helvetic-gov's.
    assert (dpa["communes_fail"], dpa["findings_fail"]) == (2, 2)
    assert dpa["findings_fail"] == sum(
        1 for n in LATEST for f in findings(load(files[n])) if f[0] == "SUP-DPA" and f[3] == "fail"
    )


def test_control_titles_in_the_roll_up_language(
    files: dict[str, Path], tmp_path: Path, catalogue: Any
) -> None:
    out = tmp_path / "de.json"
    result = run("rollup", str(files["a"]), "--lang", "de", "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    rolled = load(out)
    titles = {c["control_id"]: c["title"] for c in rolled["controls"]}
    assert load(files["a"])["lang"] == "fr"  # the result's titles are French
    german = catalogue.get("SUP-DPA").control.title.get("de")
    assert titles["SUP-DPA"] == german != load(files["a"])["controls"]["SUP-DPA"]["title"]
    helvetic = next(v for v in rolled["vendors"] if v["key"] == "uid:CHE-999.999.996")
    assert {f["title"] for f in helvetic["findings"]} <= set(titles.values())


def test_a_control_unknown_to_the_catalogue_keeps_the_result_title(
    files: dict[str, Path], tmp_path: Path
) -> None:
    document = load(files["a"])
    document["controls"]["LOCAL-BACKUP-TEST"] = document["controls"].pop("SUP-DPA")
    document["controls"]["LOCAL-BACKUP-TEST"]["title"] = "Test local des sauvegardes"
    for finding in document["findings"]:
        if finding["c"] == "SUP-DPA":
            finding["c"] = "LOCAL-BACKUP-TEST"
    source = tmp_path / "own.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "r.json"
    assert run("rollup", str(source), "--lang", "en", "-o", str(out)).exit_code == 0
    own = next(c for c in load(out)["controls"] if c["control_id"] == "LOCAL-BACKUP-TEST")
    assert own["title"] == "Test local des sauvegardes"


def test_a_vendor_is_matched_by_uid_then_name(rolled: dict[str, Any]) -> None:
    helvetic = next(v for v in rolled["vendors"] if v["key"] == "uid:CHE-999.999.996")
    # Montagny's "Helvetic Gov AG" joins by UID; Vallorbe's "HELVETIC-GOV Solutions Sàrl"
    # (no UID) and Orbe-Dessus's (2.0, no UID written) join by the normalised name.
    assert helvetic["communes"] == 4 and helvetic["share"] == 100.0
    assert helvetic["matched_by"] == "name"
    assert helvetic["name"] == "Helvetic Gov Solutions SA"  # 2 of 4 entries
    assert helvetic["uid"] == "CHE-999.999.996"
    assert helvetic["commune_names"] == sorted(
        ["Montagny", "Orbe-Dessus", "Val-d'Arbonne", "Vallorbe-les-Bains"]
    )
    dpa = next(f for f in helvetic["findings"] if f["control_id"] == "SUP-DPA")
    # No processing agreement in Montagny and Vallorbe-les-Bains.
    assert (dpa["communes_fail"], dpa["communes_unknown"], dpa["communes_pass"]) == (2, 0, 2)
    rare = next(v for v in rolled["vendors"] if v["key"] == "name:rare vendor")
    assert rare["communes"] == 2 and rare["share"] == 50.0 and rare["matched_by"] == "name"
    assert rare["commune_names"] == ["Montagny", "Vallorbe-les-Bains"]
    order = [(-v["communes"], v["key"]) for v in rolled["vendors"]]
    assert order == sorted(order)
    assert len(rolled["vendors"]) == 13  # the demo's 12 and the rare one


def test_trend_by_year(rolled: dict[str, Any], files: dict[str, Path]) -> None:
    assert [t["year"] for t in rolled["trend"]] == [2025, 2026]
    old, new = rolled["trend"]
    assert old["communes"] == 1 and old["score"]["median"] == overall(files, "a-2025")["score"]
    failed = [overall(files, n)["failed"] + overall(files, n)["errors"] for n in LATEST]
    assert new["communes"] == 4
    assert new["failures_per_commune"] == round(sum(failed) / 4, 2)


def test_matching_rule_units() -> None:
    assert normalise_name("Helvetic Gov Solutions SA") == "helvetic gov solutions"
    assert normalise_name("HELVETIC-GOV Solutions Sàrl") == "helvetic gov solutions"
    assert normalise_name("Nuvola Alpina S.p.A.") == "nuvola alpina"
    assert normalise_name("Wolke GmbH & Co. KG") == "wolke"
    assert normalise_name("  Café   Réseau  Ltd. ") == "cafe reseau"
    assert normalise_name("AG") == "ag"  # a name that is only a legal form stays
    assert normalise_uid("che-999.999.884 TVA") == "CHE-999.999.884"
    assert normalise_uid("CHE999999884MWST") == "CHE-999.999.884"
    with_uid = Entry.of("Nuage Alpin SA", "CHE-111.222.333", "nuage-alpin@2")
    by_profile = Entry.of("Nuage Alpin Suisse", None, "nuage-alpin@3")
    by_name = Entry.of("NUAGE ALPIN SUISSE AG", None, None)
    same_uid = Entry.of("Nuage Alpin SA", "CHE-111.222.333", None)
    other_uid = Entry.of("Nuage Alpin SA", "CHE-999.888.777", None)
    alone = Entry.of("Nuage Alpin SA", "CHE-111.222.333", None)
    groups = match_vendors([by_name, by_profile, with_uid, other_uid])
    # The UID entry carries the profile: the profile-only entry joins its group, and the
    # name-only entry joins through the profile entry's name.
    assert groups[with_uid] == groups[by_profile] == groups[by_name]
    assert groups[with_uid].key == "uid:CHE-111.222.333"
    assert groups[with_uid].matched_by == "name"
    assert groups[other_uid].key == "uid:CHE-999.888.777"  # never joined to another UID
    only_uid = match_vendors([alone, same_uid])
    assert only_uid[alone].matched_by == "uid"
    pair = match_vendors([with_uid, by_profile])
    assert pair[by_profile].matched_by == "profile" and pair[by_profile].key.startswith("uid:")
    profiles = match_vendors([by_profile, Entry.of("Other name", None, "nuage-alpin@1")])
    assert profiles[by_profile].key == "profile:nuage-alpin"
    assert match_vendors([by_name])[by_name].key == "name:nuage alpin suisse"
    # Two profiles under one name stay apart.
    twins = match_vendors([Entry.of("Cloud SA", None, "a@1"), Entry.of("Cloud AG", None, "b@1")])
    assert len({g.key for g in twins.values()}) == 2


def test_vendor_profiles_are_matched_without_version(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Two results whose helvetic-gov entries name one supplier profile (two versions)
    and no UID: one vendor, matched by profile."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    for n, (name, bfs, version) in enumerate([("Un", 101, "1"), ("Deux", 102, "2")]):
        document = load(files["a"])
        document["workspace"] |= {"commune": name, "bfs_number": bfs}
        for vendor in document["vendors"]:
            vendor["uid"] = None
            if vendor["id"] == "helvetic-gov":
                vendor["profile"] = f"helvetic-gov-saas@{version}"
                vendor["name"] = ("Helvetic SaaS", "Gov Solutions Helvetic")[n]
        (folder / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "r.json"
    assert run("rollup", str(folder), "--format", "json", "-o", str(out)).exit_code == 0
    vendor = next(v for v in load(out)["vendors"] if v["key"] == "profile:helvetic-gov-saas")
    assert (vendor["communes"], vendor["matched_by"], vendor["profile"]) == (
        2,
        "profile",
        "helvetic-gov-saas",
    )


def test_private_roll_up(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "private.json"
    result = run("rollup", str(files["a"].parent), "--private", "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    rolled = json.loads(text)
    assert rolled["private"] is True and rolled["communes"] == [] and rolled["sources"] == []
    # (Vendor names stay: "Arbonne Informatique Services Sàrl" is a vendor.)
    for name in ("Val-d'Arbonne", "Montagny", "Vallorbe", "Orbe-Dessus", "a.json", "/results/"):
        assert name not in text, name
    for service in ("Comptabilité", "accounting"):
        assert service not in text
    groups = {(g["dimension"], g["key"]): g for g in rolled["groups"]}
    fr = groups[("canton", "FR")]  # one commune
    assert fr["suppressed"] and fr["score"] is None and fr["coverage"] is None
    assert not groups[("canton", "VD")]["suppressed"]
    assert groups[("band", "10000-19999")]["suppressed"]
    # A vendor of fewer than 3 communes is counted, never named (its name could
    # point at them): "Rare Vendor AG" of Montagny and Vallorbe.
    rare = [v for v in rolled["vendors"] if v["suppressed"]]
    assert [(v["key"], v["name"], v["uid"], v["communes"]) for v in rare] == [
        (rare[0]["key"], "", None, 2)
    ]
    assert rare[0]["key"].startswith("suppressed:") and rare[0]["findings"] == []
    assert "rare" not in text.casefold()
    # No extreme and no mean anywhere: they are one commune's figures, or subtract
    # (4 x the mean of all - 3 x the mean of VD gave Fribourg's one commune).
    for group in rolled["groups"]:
        for figure in (group["score"], group["coverage"]):
            if figure is not None:
                assert (figure["minimum"], figure["maximum"], figure["mean"]) == (None, None, None)
                assert figure["median"] is not None
    assert all(t["failures_per_commune"] is None for t in rolled["trend"])
    helvetic = next(v for v in rolled["vendors"] if v["key"] == "uid:CHE-999.999.996")
    assert not helvetic["suppressed"] and helvetic["name"] == "Helvetic Gov Solutions SA"
    assert helvetic["commune_names"] == [] and helvetic["findings"]
    assert [t["year"] for t in rolled["trend"]] == [2026]
    # Controls applied in at least 3 communes only (Vaud's video control: 3 communes).
    full = load_full_controls(files, LATEST)
    assert {c["control_id"] for c in rolled["controls"]} == {
        c for c, applied in full.items() if applied >= 3
    }
    assert full["CAN-VD-VIDEO-AUTHORISATION"] == 3


def test_private_leaves_out_controls_applied_in_fewer_than_3_communes(
    files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "private.json"
    names = ("a", "c", "d")  # two communes of Vaud, one of Fribourg
    result = run("rollup", *(str(files[n]) for n in names), "--private", "-o", str(out))
    assert result.exit_code == 0, result.output
    shown = {c["control_id"] for c in load(out)["controls"]}
    full = load_full_controls(files, names)
    assert full["CAN-VD-VIDEO-AUTHORISATION"] == 2
    assert "CAN-VD-VIDEO-AUTHORISATION" not in shown
    assert shown == {c for c, applied in full.items() if applied >= 3}


def load_full_controls(files: dict[str, Path], names: tuple[str, ...]) -> dict[str, int]:
    """Per control: the communes where it applies (some finding not not-applicable)."""
    applied: dict[str, set[str]] = {}
    for name in names:
        for control, _, _, outcome in findings(load(files[name])):
            applied.setdefault(control, set())
            if outcome != "not_applicable":
                applied[control].add(name)
    return {c: len(n) for c, n in applied.items()}


def test_private_needs_three_communes(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    result = run("rollup", str(files["a"]), str(files["b"]), "--private", "-o", str(out))
    assert result.exit_code == 2 and "at least 3 communes" in result.output
    assert not out.exists()


def test_json_is_deterministic_and_valid_against_the_published_schema(
    files: dict[str, Path], rolled: dict[str, Any], tmp_path: Path
) -> None:
    Draft202012Validator(schema_of("rollup")).validate(rolled)
    outs = []
    for n in range(2):
        out = tmp_path / f"{n}.json"
        assert run("rollup", str(files["a"].parent), "-o", str(out)).exit_code == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    broken = dict(rolled, communes_count="four")
    assert list(Draft202012Validator(schema_of("rollup")).iter_errors(broken))


def test_summary_on_the_terminal(files: dict[str, Path]) -> None:
    result = run("rollup", str(files["a"].parent), "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert "Consolidation : 4 communes, 4 résultats, audits du 28.11.2026 au 28.11.2026" in (
        result.output
    )
    # Unsigned results are said on the summary too, not only in the JSON.
    assert "Signatures : 0 vérifiée, 4 résultats sans signature, 0 non contrôlée" in result.output
    assert "Altocumulus Office Ireland Ltd" in result.output


def test_schema_version_is_the_one_written(rolled: dict[str, Any]) -> None:
    schema = schema_of("rollup")
    assert rolled["schema_version"] == ROLLUP_SCHEMA_VERSION
    assert schema["properties"]["schema_version"]["const"] == ROLLUP_SCHEMA_VERSION
    assert schema["$id"] == f"urn:conformite:schema:rollup:{ROLLUP_SCHEMA_VERSION}"
    printed = run("schema", "rollup")
    assert printed.exit_code == 0 and json.loads(printed.stdout) == schema


def test_other_commands_do_not_import_duckdb() -> None:
    code = "import sys, conformite.cli; assert 'duckdb' not in sys.modules, 'imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_parquet_is_byte_identical_run_after_run(files: dict[str, Path], tmp_path: Path) -> None:
    written = []
    for n in range(2):
        folder = tmp_path / f"t{n}"
        assert (
            run(
                "rollup", str(files["a"].parent), "--format", "parquet", "-o", str(folder)
            ).exit_code
            == 0
        )
        written.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert len(written[0]) == 10 and written[0] == written[1]


def test_a_commune_without_score_counts_but_has_no_rank(
    files: dict[str, Path], tmp_path: Path
) -> None:
    document = load(files["b"])
    document["scores"]["overall"].update(score=None, grade=None, coverage=None)
    blank = tmp_path / "b-blank.json"
    blank.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "r.json"
    result = run("rollup", str(blank), str(files["a"]), str(files["c"]), "-o", str(out))
    assert result.exit_code == 0, result.output
    rolled = load(out)
    ranks = {c["name"]: (c["score"], c["percentile_in_band"]) for c in rolled["communes"]}
    assert ranks == {
        "Montagny": (None, None),
        "Val-d'Arbonne": (48.4, None),  # alone with a score in 2000-4999
        "Vallorbe-les-Bains": (47.7, None),
    }
    everything = rolled["groups"][0]
    assert everything["communes"] == 3
    # 47.7 and 48.4: p25 = 47.875 -> 47.9, median 48.05 -> 48.1, p75 48.225 -> 48.2.
    assert everything["score"] == {
        "count": 2,
        "minimum": 47.7,
        "p25": 47.9,
        "median": 48.1,
        "p75": 48.2,
        "maximum": 48.4,
        "mean": 48.05,
    }
    assert everything["coverage"]["count"] == 2
