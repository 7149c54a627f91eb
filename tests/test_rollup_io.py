"""``conformite rollup``: signatures, the --db database, Parquet, hostile inputs, and the
README's SQL examples (run here so that they cannot rot)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rollup_fixtures import build, copy_results, load, run

REPO = Path(__file__).resolve().parents[1]
ALL_TABLES = (
    "groups",
    "communes",
    "controls",
    "vendors",
    "vendor_controls",
    "trend",
    "results",
    "control_outcomes",
    "vendor_entries",
    "vendor_outcomes",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("rollup-io"))


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("key")
    result = run("keygen", str(folder / "k.key"), "--minisign")
    assert result.exit_code == 0, result.output
    return folder / "k.key"


def rollup_json(*args: str, out: Path) -> tuple[Any, dict[str, Any] | None]:
    result = run("rollup", *args, "--format", "json", "-o", str(out))
    return result, (load(out) if out.exists() else None)


# --- signatures ---------------------------------------------------------------


def test_signatures_verified_unsigned_and_not_checked(
    files: dict[str, Path], key: Path, tmp_path: Path
) -> None:
    folder = copy_results(files, tmp_path / "in", "a", "b", "c")
    signed = folder / "a.json"
    assert run("sign", str(signed), "--key", str(key)).exit_code == 0
    minisigned = folder / "b.json"
    assert run("sign", str(minisigned), "--key", str(key), "--format", "minisign").exit_code == 0
    pub = Path(str(key) + ".pub")
    result, rolled = rollup_json(str(folder), "--pubkey", str(pub), out=tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert rolled is not None
    assert rolled["signatures"] == {"verified": 2, "unsigned": 1, "not_checked": 0}
    states = {Path(s["file"]).name: (s["signature"], s["key"]) for s in rolled["sources"]}
    fingerprint = states["a.json"][1]
    assert fingerprint and fingerprint.startswith("SHA256:")
    assert states == {
        "a.json": ("verified", fingerprint),
        "b.json": ("verified", fingerprint),
        "c.json": ("unsigned", None),
    }
    communes = {c["name"]: c["signature"] for c in rolled["communes"]}
    assert communes["Vallorbe-les-Bains"] == "unsigned" and communes["Montagny"] == "verified"
    # Without a key, signed results are not checked; unsigned ones are still flagged.
    _, plain = rollup_json(str(folder), out=tmp_path / "plain.json")
    assert plain is not None
    assert plain["signatures"] == {"verified": 0, "unsigned": 1, "not_checked": 2}


def test_a_tampered_result_stops_the_roll_up(
    files: dict[str, Path], key: Path, tmp_path: Path
) -> None:
    folder = copy_results(files, tmp_path / "in", "a", "b", "c")
    target = folder / "b.json"
    assert run("sign", str(target), "--key", str(key)).exit_code == 0
    target.write_bytes(target.read_bytes().replace(b'"Montagny"', b'"Montagnx"'))
    out, db = tmp_path / "r.json", tmp_path / "x.duckdb"
    pub = str(key) + ".pub"
    result = run("rollup", str(folder), "--pubkey", pub, "--db", str(db), "-o", str(out))
    assert result.exit_code == 1
    assert str(target) in result.output and "INVALID" in result.output
    assert not out.exists() and not db.exists()  # nothing written, nothing added


def test_a_result_signed_by_another_key_stops_the_roll_up(
    files: dict[str, Path], key: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.key"
    assert run("keygen", str(other)).exit_code == 0
    folder = copy_results(files, tmp_path / "in", "a")
    assert run("sign", str(folder / "a.json"), "--key", str(other)).exit_code == 0
    result = run(
        "rollup", str(folder), "--pubkey", str(key) + ".pub", "-o", str(tmp_path / "r.json")
    )
    assert result.exit_code == 1 and "a.json" in result.output


def test_each_commune_signs_with_its_own_key(
    files: dict[str, Path], key: Path, tmp_path: Path
) -> None:
    """--pubkey repeated: each result verified by the key that signed it (a minisign
    signature names its key; a .sig is tried with each), and the key recorded."""
    other = tmp_path / "other.key"
    assert run("keygen", str(other), "--minisign").exit_code == 0
    folder = copy_results(files, tmp_path / "in", "a", "b", "c")
    assert run("sign", str(folder / "a.json"), "--key", str(key)).exit_code == 0
    assert (
        run("sign", str(folder / "b.json"), "--key", str(other), "--format", "minisign").exit_code
        == 0
    )
    assert run("sign", str(folder / "c.json"), "--key", str(other)).exit_code == 0
    mine, theirs = str(key) + ".pub", str(other) + ".minisign.pub"
    result, rolled = rollup_json(
        str(folder), "--pubkey", mine, "--pubkey", theirs, out=tmp_path / "r.json"
    )
    assert result.exit_code == 0, result.output
    assert rolled is not None
    assert rolled["signatures"] == {"verified": 3, "unsigned": 0, "not_checked": 0}
    keys = {Path(s["file"]).name: s["key"] for s in rolled["sources"]}
    assert keys["b.json"] == keys["c.json"] != keys["a.json"]
    # With one commune's key only, the other's results are refused, and said why.
    alone = run(
        "--lang", "en", "rollup", str(folder), "--pubkey", mine, "-o", str(tmp_path / "x.json")
    )
    assert alone.exit_code == 1
    assert "b.json" in alone.output and "signed with none of the keys given" in alone.output
    assert not (tmp_path / "x.json").exists()
    # A .sig no key verifies: changed or signed with another key (which, a .sig cannot say).
    target = folder / "c.json"
    target.write_bytes(target.read_bytes().replace(b'"Vallorbe-les-Bains"', b'"Vallorbe"'))
    (folder / "b.json.minisig").unlink()
    changed = run("--lang", "en", "rollup", str(folder), "--pubkey", mine, "--pubkey", theirs)
    assert changed.exit_code == 1
    assert "c.json" in changed.output and "none of the keys given verifies it" in changed.output


def test_a_garbled_signature_file_is_a_located_input_error(
    files: dict[str, Path], key: Path, tmp_path: Path
) -> None:
    folder = copy_results(files, tmp_path / "in", "a")
    (folder / "a.json.sig").write_text("not base64 at all!\n", encoding="utf-8")
    result = run("rollup", str(folder), "--pubkey", str(key) + ".pub")
    assert result.exit_code == 2 and "a.json.sig" in result.output


# --- the database -------------------------------------------------------------


def test_db_grows_incrementally(files: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "set.duckdb"
    first = run("--lang", "en", "rollup", str(files["a"]), str(files["b"]), "--db", str(db))
    assert first.exit_code == 0, first.output
    assert "2 results added, 0 replaced, 0 already there" in first.output
    more, rolled = rollup_json(str(files["c"]), "--db", str(db), out=tmp_path / "3.json")
    assert more.exit_code == 0 and rolled is not None
    assert rolled["communes_count"] == 3 and rolled["results"] == 3
    again = run("--lang", "en", "rollup", str(files["c"]), "--db", str(db))
    assert "0 results added, 0 replaced, 1 already there" in again.output
    # With no RESULT, --db recomputes: the same roll-up as reading the three at once.
    _, recomputed = rollup_json("--db", str(db), out=tmp_path / "re.json")
    _, at_once = rollup_json(
        str(files["a"]), str(files["b"]), str(files["c"]), out=tmp_path / "1.json"
    )
    assert recomputed == at_once == rolled
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM results").fetchone() == (3,)


def test_db_replaces_a_commune_result_of_the_same_date(
    files: dict[str, Path], tmp_path: Path
) -> None:
    db = tmp_path / "set.duckdb"
    assert run("rollup", str(files["a"]), str(files["a-2025"]), "--db", str(db)).exit_code == 0
    document = load(files["a"])
    document["scores"]["overall"]["score"] = 99.0  # a corrected result, same commune and date
    corrected = tmp_path / "a-corrected.json"
    corrected.write_text(json.dumps(document), encoding="utf-8")
    result, rolled = rollup_json(str(corrected), "--db", str(db), out=tmp_path / "r.json")
    # The results are French: so are the messages, from the first to the last.
    assert "0 résultat ajouté, 1 remplacé, 0 déjà présent" in result.output
    assert rolled is not None and rolled["results"] == 2
    assert [c["score"] for c in rolled["communes"]] == [99.0]
    assert [s["file"] for s in rolled["sources"]] == sorted([str(files["a-2025"]), str(corrected)])


def test_db_that_is_not_a_roll_up_database(tmp_path: Path, files: dict[str, Path]) -> None:
    bogus = tmp_path / "x.duckdb"
    bogus.write_bytes(b"this is no database" * 100)
    result = run("rollup", str(files["a"]), "--db", str(bogus))
    assert result.exit_code == 2 and "x.duckdb" in result.output
    with duckdb.connect(str(tmp_path / "other.duckdb")) as con:
        con.execute("CREATE TABLE store_info (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT INTO store_info VALUES ('version', '99')")
    result = run("rollup", "--db", str(tmp_path / "other.duckdb"))
    assert result.exit_code == 2 and "version 99" in result.output


def test_a_database_of_another_kind_is_refused_untouched(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE results (x INTEGER)")
    result = run("--lang", "en", "rollup", str(files["a"]), "--db", str(other))
    assert result.exit_code == 2 and "not a conformite roll-up database" in result.output
    assert "Traceback" not in result.output
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("results",)]


def database_of(result: Path, tmp_path: Path) -> Path:
    """A roll-up database holding one result."""
    db = tmp_path / "set.duckdb"
    made = run("rollup", str(result), "--db", str(db), "-o", str(tmp_path / "first.json"))
    assert made.exit_code == 0, made.output
    return db


def test_a_refused_private_roll_up_adds_nothing_to_the_database(
    files: dict[str, Path], tmp_path: Path
) -> None:
    db = database_of(files["a"], tmp_path)
    refused = run(
        "rollup", str(files["b"]), "--db", str(db), "--private", "-o", str(tmp_path / "p.json")
    )
    assert refused.exit_code == 2  # two communes: too few to publish
    assert not (tmp_path / "p.json").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT commune FROM results").fetchall() == [("Val-d'Arbonne",)]


def test_a_commune_keeps_one_identity_across_schema_versions(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Orbe-Dessus's 2.0 result carries no BFS number; its 3.0 result of the year
    before does (5504): one commune, not two, in every figure."""
    workspace = files["a"].parents[1] / "work" / "d"
    older = tmp_path / "d-2025.json"
    done = run(
        "audit", str(workspace), "--as-of", "2025-11-28", "--format", "json", "-o", str(older)
    )
    assert done.exit_code in (0, 1), done.output
    assert load(older)["workspace"]["bfs_number"] == 5504
    assert "bfs_number" not in load(files["d"])["workspace"]  # 2.0
    _, rolled = rollup_json(str(older), str(files["d"]), out=tmp_path / "r.json")
    assert rolled is not None and rolled["communes_count"] == 1 and rolled["results"] == 2
    assert [(c["key"], c["as_of"]) for c in rolled["communes"]] == [("bfs:5504", "2026-11-28")]
    # The same in a database that held the 2.0 result first, under the commune's name.
    db = tmp_path / "set.duckdb"
    assert (
        run("rollup", str(files["d"]), "--db", str(db), "-o", str(tmp_path / "1.json")).exit_code
        == 0
    )
    _, grown = rollup_json(str(older), "--db", str(db), out=tmp_path / "2.json")
    assert grown is not None and grown["communes_count"] == 1
    with duckdb.connect(str(db), read_only=True) as con:
        keys = con.execute("SELECT DISTINCT commune_key FROM results").fetchall()
    assert keys == [("bfs:5504",)]


def test_two_results_for_one_commune_and_date_are_said_and_the_later_kept(
    files: dict[str, Path], tmp_path: Path
) -> None:
    document = load(files["b"])  # Montagny, BFS 5502
    document["workspace"]["commune"] = "Imposter"
    document["scores"]["overall"]["score"] = 99.0
    twin = tmp_path / "z.json"
    twin.write_text(json.dumps(document), encoding="utf-8")
    for given, kept, dropped in (
        ((files["b"], twin), twin, files["b"]),
        ((twin, files["b"]), files["b"], twin),
    ):
        result, rolled = rollup_json("--lang", "en", *map(str, given), out=tmp_path / "r.json")
        assert result.exit_code == 0, result.output
        assert f"{kept} (given last) is kept, {dropped} is left out" in result.output
        # One BFS number under two names: said too.
        assert "BFS number 5502 is given for several communes" not in result.output
        assert rolled is not None and [Path(s["file"]) for s in rolled["sources"]] == [kept]
    # A BFS number under two names in two different years: a merger, or a typo.
    document["as_of"] = "2025-11-28"
    older = tmp_path / "z-2025.json"
    older.write_text(json.dumps(document), encoding="utf-8")
    result, _ = rollup_json("--lang", "en", str(files["b"]), str(older), out=tmp_path / "r.json")
    assert "BFS number 5502 is given for several communes: Imposter, Montagny" in result.output


def test_a_stored_copy_named_again_stands_where_it_is_named(
    files: dict[str, Path], tmp_path: Path
) -> None:
    db = database_of(files["a"], tmp_path)
    document = load(files["a"])
    document["scores"]["overall"]["score"] = 90.0
    corrected = tmp_path / "a-v2.json"
    corrected.write_text(json.dumps(document), encoding="utf-8")
    result, rolled = rollup_json(
        "--lang", "en", str(corrected), str(files["a"]), "--db", str(db), out=tmp_path / "r.json"
    )
    assert result.exit_code == 0, result.output
    assert "0 results added, 0 replaced, 1 already there" in result.output
    assert f"{files['a']} (given last) is kept, {corrected} is left out" in result.output
    assert rolled is not None and [c["score"] for c in rolled["communes"]] == [48.4]


def test_nothing_to_roll_up(tmp_path: Path) -> None:
    result = run("rollup")
    assert result.exit_code == 2 and "--db" in result.output
    result = run("rollup", "--db", str(tmp_path / "new.duckdb"))
    assert result.exit_code == 2 and "No results" in result.output


# --- Parquet ------------------------------------------------------------------


def test_parquet_tables_read_back(files: dict[str, Path], tmp_path: Path) -> None:
    folder = copy_results(files, tmp_path / "in", "a", "b", "c", "d")
    tables = tmp_path / "tables"
    result = run("rollup", str(folder), "--format", "parquet", "-o", str(tables))
    assert result.exit_code == 0, result.output
    _, rolled = rollup_json(str(folder), out=tmp_path / "r.json")
    assert rolled is not None
    names = sorted(p.name for p in tables.iterdir())
    assert names == sorted(f"{t}.parquet" for t in ALL_TABLES)
    counts = {
        "communes": 4,
        "results": 4,
        "groups": len(rolled["groups"]),
        "controls": len(rolled["controls"]),
        "vendors": 13,
        "vendor_controls": sum(len(v["findings"]) for v in rolled["vendors"]),
        "trend": 1,
        "vendor_entries": 12 + 13 + 13 + 12,
        "control_outcomes": sum(
            len({f["c"] for f in load(files[n])["findings"]}) for n in ("a", "b", "c")
        )
        + len({f["control_id"] for f in load(files["d"])["findings"]}),
    }
    with duckdb.connect() as con:
        for table, expected in counts.items():
            path = str(tables / f"{table}.parquet")
            assert con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone() == (
                expected,
            ), table
        helvetic = con.execute(
            "SELECT communes, matched_by FROM read_parquet(?) WHERE key = 'uid:CHE-999.999.996'",
            [str(tables / "vendors.parquet")],
        ).fetchone()
        assert helvetic == (4, "name")
    assert not [p for p in tables.iterdir() if p.name.startswith(".")]  # no temporary left


def test_private_parquet_has_no_commune_tables(files: dict[str, Path], tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    # Written over a full roll-up's tables: those with communes' names are removed.
    full = run("rollup", str(files["a"].parent), "--format", "parquet", "-o", str(tables))
    assert full.exit_code == 0 and (tables / "communes.parquet").exists()
    (tables / "notes.txt").write_text("kept", encoding="utf-8")
    result = run(
        "rollup", str(files["a"].parent), "--private", "--format", "parquet", "-o", str(tables)
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in tables.iterdir()) == [
        "controls",
        "groups",
        "notes",
        "trend",
        "vendor_controls",
        "vendors",
    ]


def test_parquet_needs_a_folder(files: dict[str, Path]) -> None:
    result = run("rollup", str(files["a"]), "--format", "parquet")
    assert result.exit_code == 2 and "-o" in result.output


# --- hostile inputs -----------------------------------------------------------


def _hostile(files: dict[str, Path], tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (a file, what the error must say)."""
    text = files["a"].read_text(encoding="utf-8")
    made: dict[str, tuple[Path, str]] = {}

    def write(name: str, content: str, says: str) -> None:
        path = tmp_path / f"{name}.json"
        path.write_text(content, encoding="utf-8")
        made[name] = (path, says)

    write("not-json", "hello, world", "not a conformite JSON result")
    write("truncated", text[: len(text) // 2], "not a conformite JSON result")
    write("wrong-type", text.replace('"population": 3120', '"population": "many"'), "population")
    write("list", "[1, 2, 3]", "not a conformite JSON result")
    write("newer", text.replace('"schema_version": "3.0"', '"schema_version": "9.0"', 1), "9")
    document = json.loads(text)
    document["findings"][0]["t"] = 10_000
    write("dangling", json.dumps(document), "findings.0")
    document = json.loads(text)
    document["as_of"] = "yesterday"
    write("bad-date", json.dumps(document), "as_of")
    write("nan", text.replace('"score": 48.4', '"score": NaN', 1), "scores.overall.score")
    write("over-100", text.replace('"coverage": 86.0', '"coverage": 860.0', 1), "coverage")
    write("deep", "[" * 100_000 + "]" * 100_000, "recursion limit")
    # Numbers a database column cannot hold, or a commune cannot be.
    for name, (section, field, value) in {
        "huge-population": ("workspace", "population", 10**12),
        "negative-population": ("workspace", "population", -5),
        "huge-services": ("workspace", "services", 10**12),
        "huge-bfs": ("workspace", "bfs_number", 10**11),
        "negative-failed": ("overall", "failed", -(10**12)),
    }.items():
        document = json.loads(text)
        part = document["workspace"] if section == "workspace" else document["scores"]["overall"]
        part[field] = value
        write(name, json.dumps(document), field)
    # A newer schema named late (keys re-ordered by a tool) is still said to be newer.
    document = json.loads(text)
    document["schema_version"] = "9.0"
    write("newer-late", json.dumps(document, sort_keys=True), "9")
    return made


@pytest.mark.parametrize(
    "name",
    [
        "not-json",
        "truncated",
        "wrong-type",
        "list",
        "newer",
        "dangling",
        "bad-date",
        "nan",
        "over-100",
        "deep",
        "huge-population",
        "negative-population",
        "huge-services",
        "huge-bfs",
        "negative-failed",
        "newer-late",
    ],
)
def test_hostile_results_are_located_errors(
    files: dict[str, Path], tmp_path: Path, name: str
) -> None:
    path, says = _hostile(files, tmp_path)[name]
    out, db = tmp_path / "out.json", tmp_path / "x.duckdb"
    result = run("rollup", str(files["b"]), str(path), "--db", str(db), "-o", str(out))
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and says in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not db.exists()


def test_a_huge_result_is_refused_unread(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("conformite.rollup.load.MAX_RESULT_BYTES", 100_000)
    result = run("rollup", str(files["a"]), "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 2 and "larger than" in result.output
    assert not (tmp_path / "out.json").exists()


def test_folders_missing_files_and_fifos(files: dict[str, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no results here", encoding="utf-8")
    result = run("rollup", str(empty))
    assert result.exit_code == 2 and "holds no result" in result.output
    result = run("rollup", str(tmp_path / "missing.json"))
    assert result.exit_code == 2 and "missing.json" in result.output
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = run("rollup", str(fifo))
    assert result.exit_code == 2 and "pipe.json" in result.output


def test_a_folder_is_read_sorted_and_without_sub_folders(
    files: dict[str, Path], tmp_path: Path
) -> None:
    folder = copy_results(files, tmp_path / "in", "b", "a")
    shutil.copytree(files["a-2025"].parent, folder / "older")
    _, rolled = rollup_json(str(folder), out=tmp_path / "r.json")
    assert rolled is not None
    assert [Path(s["file"]).name for s in rolled["sources"]] == ["a.json", "b.json"]


# --- the README's SQL ---------------------------------------------------------


def readme_queries() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Roll-up across communes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def test_the_readme_sql_queries_run(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = readme_queries()
    assert len(queries) == 2
    monkeypatch.chdir(tmp_path)
    folder = copy_results(files, tmp_path / "results", "a", "b", "c", "d")
    assert run("rollup", str(folder), "--format", "parquet", "-o", "tables").exit_code == 0
    assert (
        run("rollup", str(folder), str(files["a-2025"]), "--db", "communes.duckdb").exit_code == 0
    )
    with duckdb.connect() as con:
        rows = con.execute(queries[0]).fetchall()
    # helvetic-gov fails SUP-DPA in Montagny and Vallorbe-les-Bains only.
    assert rows == [("Helvetic Gov Solutions SA", 4, 2)]
    with duckdb.connect("communes.duckdb", read_only=True) as con:
        rows = con.execute(queries[1]).fetchall()
    # Val-d'Arbonne, 2025 then 2026: its score went from 50.2 to 48.4.
    assert rows == [("Val-d'Arbonne", 2025, 50.2), ("Val-d'Arbonne", 2026, 48.4)]


def test_in_one_run_the_later_copy_of_a_commune_and_date_stays(
    files: dict[str, Path], tmp_path: Path
) -> None:
    document = load(files["a"])
    document["scores"]["overall"]["score"] = 12.5
    corrected = tmp_path / "corrected.json"
    corrected.write_text(json.dumps(document), encoding="utf-8")
    _, rolled = rollup_json(str(files["a"]), str(corrected), out=tmp_path / "r.json")
    assert rolled is not None and rolled["results"] == 1
    assert [s["file"] for s in rolled["sources"]] == [str(corrected)]
    assert [c["score"] for c in rolled["communes"]] == [12.5]
    _, twice = rollup_json(str(files["a"]), str(files["a"]), out=tmp_path / "twice.json")
    assert twice is not None and twice["results"] == 1  # the same file twice counts once


def test_private_summary_names_no_commune(files: dict[str, Path]) -> None:
    result = run("rollup", str(files["a"].parent), "--private")
    assert result.exit_code == 0, result.output
    for name in ("Val-d'Arbonne", "Montagny", "Vallorbe", "Orbe-Dessus"):
        assert name not in result.output
    assert "Altocumulus Office Ireland Ltd" in result.output


# --- the renderers' call sites (conformite.rollup.render_html / render_xlsx) ----


def test_html_and_xlsx_from_the_command(files: dict[str, Path], tmp_path: Path) -> None:
    """The renderers come from the branch rollup-render (merged into main): the
    command calls them and writes their output atomically."""
    import zipfile

    folder = str(files["a"].parent)
    page, book, public = tmp_path / "r.html", tmp_path / "r.xlsx", tmp_path / "p.html"
    assert run("rollup", folder, "-o", str(page)).exit_code == 0
    assert run("rollup", folder, "-o", str(book)).exit_code == 0
    assert run("rollup", folder, "--private", "--format", "html", "-o", str(public)).exit_code == 0
    assert "Montagny" in page.read_text(encoding="utf-8")
    assert "Montagny" not in public.read_text(encoding="utf-8")
    assert zipfile.is_zipfile(book)


def test_the_roll_up_speaks_the_results_language_unless_told(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """The demo's results are in French: so is the roll-up, unless --lang says
    otherwise; results in several languages give English."""

    def lang_of(*args: str) -> str:
        out = tmp_path / "r.json"
        result = run(*args, "-o", str(out))
        assert result.exit_code == 0, result.output
        return str(load(out)["lang"])

    both = (str(files["a"]), str(files["b"]))
    assert lang_of("rollup", *both) == "fr"
    assert lang_of("--lang", "de", "rollup", *both) == "de"
    assert lang_of("rollup", *both, "--lang", "it") == "it"
    english = tmp_path / "a-en.json"
    done = run(
        "audit",
        str(files["a"].parents[1] / "work" / "a"),
        "--as-of",
        "2026-11-28",
        "--lang",
        "en",
        "--format",
        "json",
        "-o",
        str(english),
    )
    assert done.exit_code in (0, 1), done.output
    assert load(english)["lang"] == "en"
    assert lang_of("rollup", str(files["b"]), str(english)) == "en"
