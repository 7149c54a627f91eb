"""Every JSON conformite writes validates against the schema it publishes.

The schemas (``conformite schema KIND``) are generated from the models that
write the JSON; these tests validate real outputs of the demo commune with
``jsonschema`` (an independent implementation of JSON Schema 2020-12), check
that broken documents are rejected, that each schema's version is the one the
output writes, and that the copies shipped in ``schemas/`` are up to date
(``CONFORMITE_UPDATE_SCHEMAS=1`` rewrites them).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from conformite.cli import cli
from conformite.cli.schema import (
    EARLIER,
    INVENTORY_KINDS,
    KINDS,
    OUTPUT_KINDS,
    schema_of,
    schema_text,
)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "conformite" / "demo"
SHIPPED = REPO / "schemas"
AS_OF = "2026-11-28"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def validator(kind: str, version: str | None = None) -> Draft202012Validator:
    return Draft202012Validator(schema_of(kind, version))


def errors(kind: str, document: Any, version: str | None = None) -> list[str]:
    found = validator(kind, version).iter_errors(document)
    return [f"{list(e.absolute_path)}: {e.message}" for e in found]


def assert_rejected(kind: str, document: Any, change: Any, version: str | None = None) -> None:
    """A copy of ``document`` broken by ``change`` does not validate against ``kind``."""
    broken = copy.deepcopy(document)
    change(broken)
    with pytest.raises(ValidationError):
        validator(kind, version).validate(broken)


@pytest.fixture(scope="module")
def audits() -> dict[str, dict[str, Any]]:
    """The demo's audit result in French (its own language) and English (3.0, compact),
    and in English in the full form (key "en-2": audit --schema 2)."""
    out = {}
    for key, lang, schema in (("fr", "fr", "3"), ("en", "en", "3"), ("en-2", "en", "2")):
        result = run(
            "--lang", lang, "audit", "--demo", "--as-of", AS_OF, "--format", "json",
            "--schema", schema,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        out[key] = json.loads(result.stdout)
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("report")
    target = folder / "report.json"
    cwd = Path.cwd()
    os.chdir(folder)  # report --demo saves the audit result under ./reports/
    try:
        result = run("report", "--demo", "--as-of", AS_OF, "--format", "json", "-o", str(target))
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text(encoding="utf-8"))


@pytest.fixture
def broken_workspace(tmp_path: Path) -> Path:
    """The demo with three mistakes in services.yaml: a dangling vendor, an unknown key,
    a value not allowed."""
    folder = tmp_path / "commune"
    shutil.copytree(DEMO, folder)
    services = folder / "inventory" / "services.yaml"
    text = services.read_text(encoding="utf-8")
    text = text.replace(
        "    vendor: helvetic-gov\n", "    vendor: helvetic-gv\n    colour: blue\n", 1
    )
    text = text.replace("    hosting: saas\n", "    hosting: sass\n", 1)
    services.write_text(text, encoding="utf-8")
    return folder


# -- the schemas themselves ---------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_schema_is_a_valid_2020_12_schema(kind: str) -> None:
    schema = schema_of(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]


@pytest.mark.parametrize("kind", OUTPUT_KINDS)
def test_output_schemas_have_a_versioned_id_title_and_description(kind: str) -> None:
    schema = schema_of(kind)
    key = "report_schema_version" if kind == "report" else "schema_version"
    version = schema["properties"][key]["const"]
    assert schema["$id"] == f"urn:conformite:schema:{kind}:{version}"
    assert version in schema["title"]
    assert schema["description"]
    assert key in schema["required"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("kind", KINDS)
def test_schema_command_prints_the_schema(kind: str) -> None:
    result = run("schema", kind)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == schema_of(kind)


def test_schema_command_refuses_an_unknown_kind() -> None:
    result = run("schema", "findings")
    assert result.exit_code == 2
    assert "findings" in result.stderr


#: Every schema shipped in schemas/: (kind, earlier version or None) -> file name.
SHIPPED_FILES = {
    **{(kind, None): f"{kind}.json" for kind in KINDS},
    **{(kind, version): f"{kind}-{version}.json" for kind, version in EARLIER},
}


@pytest.mark.parametrize(("kind", "version"), SHIPPED_FILES)
def test_shipped_schemas_are_up_to_date(kind: str, version: str | None) -> None:
    path = SHIPPED / SHIPPED_FILES[kind, version]
    expected = schema_text(kind, version)
    if os.environ.get("CONFORMITE_UPDATE_SCHEMAS"):
        SHIPPED.mkdir(exist_ok=True)
        path.write_text(expected, encoding="utf-8")
    assert path.is_file(), f"{path} missing: CONFORMITE_UPDATE_SCHEMAS=1 pytest {__file__}"
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path} is out of date: CONFORMITE_UPDATE_SCHEMAS=1 pytest {__file__}"
    )


def test_no_stale_schema_is_shipped() -> None:
    assert sorted(p.name for p in SHIPPED.iterdir()) == sorted(SHIPPED_FILES.values())


# -- the audit result -----------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_audit_json_validates(audits: dict[str, dict[str, Any]], lang: str) -> None:
    document = audits[lang]
    assert document["lang"] == lang
    assert document["schema_version"] == "3.0"
    assert len(document["findings"]) > 100
    assert errors("result", document) == []


def test_full_form_validates_against_the_2_0_schema(audits: dict[str, dict[str, Any]]) -> None:
    document = audits["en-2"]
    assert document["schema_version"] == "2.0"
    assert len(document["findings"]) == len(audits["en"]["findings"])
    assert errors("result", document, "2") == []
    # Each form is refused by the other's schema.
    assert errors("result", document) != []
    assert errors("result", audits["en"], "2") != []


def test_result_schema_version_is_the_one_written(audits: dict[str, dict[str, Any]]) -> None:
    from conformite.engine.results import FULL_SCHEMA_VERSION, SCHEMA_VERSION

    for key, version, written in (("fr", None, SCHEMA_VERSION), ("en-2", "2", FULL_SCHEMA_VERSION)):
        schema = schema_of("result", version)
        assert schema["properties"]["schema_version"]["const"] == audits[key]["schema_version"]
        assert audits[key]["schema_version"] == written
        assert schema["$id"] == f"urn:conformite:schema:result:{written}"


def test_result_schemas_enumerate_outcomes_and_severities() -> None:
    outcomes = ["pass", "fail", "unknown", "waived", "not_applicable", "error"]
    severities = ["critical", "high", "low", "medium"]
    full = schema_of("result", "2")["$defs"]["Finding"]["properties"]
    assert full["outcome"]["enum"] == outcomes
    assert sorted(full["severity"]["enum"]) == severities
    compact = schema_of("result")["$defs"]
    assert compact["Row"]["properties"]["o"]["enum"] == outcomes
    assert sorted(compact["ControlData"]["properties"]["severity"]["enum"]) == severities


def test_schema_command_prints_an_earlier_version_or_refuses() -> None:
    result = run("schema", "result", "--version", "2")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["$id"] == "urn:conformite:schema:result:2.0"
    refused = run("--lang", "en", "schema", "result", "--version", "1")
    assert refused.exit_code == 2
    assert "There is no version 1 of the result schema (earlier versions published: 2)" in (
        refused.stderr
    )
    assert run("schema", "diff", "--version", "2").exit_code == 2


def _first_control(d: dict[str, Any]) -> dict[str, Any]:
    return d["controls"][d["findings"][0]["c"]]


BROKEN_RESULTS = {
    "unknown outcome": lambda d: d["findings"][0].update(o="maybe"),
    "unknown severity": lambda d: _first_control(d).update(severity="severe"),
    "missing key": lambda d: d["scores"]["overall"].pop("grade"),
    "missing row key": lambda d: d["findings"][0].pop("w"),
    "unknown row key": lambda d: d["findings"][0].update(z=1),
    "position not a number": lambda d: d["findings"][0].update(t="accounting"),
    "extra key": lambda d: d["workspace"].update(mayor="Jane"),
    "wrong type": lambda d: d["workspace"].update(population="1900"),
    "other version": lambda d: d.update(schema_version="2.0"),
    "grade out of range": lambda d: d["scores"]["overall"].update(grade="F"),
}


@pytest.mark.parametrize("name", BROKEN_RESULTS)
def test_broken_results_are_rejected(audits: dict[str, dict[str, Any]], name: str) -> None:
    assert_rejected("result", audits["en"], BROKEN_RESULTS[name])


BROKEN_FULL_RESULTS = {
    "unknown outcome": lambda d: d["findings"][0].update(outcome="maybe"),
    "unknown severity": lambda d: d["findings"][0].update(severity="severe"),
    "missing key with a default": lambda d: d["findings"][0].pop("unknown_facts"),
    "other version": lambda d: d.update(schema_version="3.0"),
}


@pytest.mark.parametrize("name", BROKEN_FULL_RESULTS)
def test_broken_full_results_are_rejected(audits: dict[str, dict[str, Any]], name: str) -> None:
    assert_rejected("result", audits["en-2"], BROKEN_FULL_RESULTS[name], "2")


# -- the report ------------------------------------------------------------------


def test_report_json_validates(report: dict[str, Any]) -> None:
    assert report["report"]["plan"]["actions"], "the demo plans actions"
    assert report["report"]["risks"] and report["report"]["unknowns"]
    assert errors("report", report) == []


def test_report_schema_version_is_the_one_written(report: dict[str, Any]) -> None:
    from conformite.report.render.report_json import REPORT_SCHEMA_VERSION

    schema = schema_of("report")
    written = report["report_schema_version"]
    assert written == REPORT_SCHEMA_VERSION
    assert schema["properties"]["report_schema_version"]["const"] == written
    assert schema["$id"].endswith(":" + written)
    # The embedded result is held to the result's version too.
    result_version = schema["$defs"]["AuditResult"]["properties"]["schema_version"]["const"]
    assert result_version == report["result"]["schema_version"]


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["report"]["plan"]["years"][0].pop("cash_chf"),
        lambda d: d["report"]["plan"]["actions"][0].update(kind="repair"),
        lambda d: d["report"]["risks"][0]["fix"].update(when="soon"),
        lambda d: d["report"].update(grade="Z"),
        lambda d: d["result"]["findings"][0].update(outcome="maybe"),
        lambda d: d.update(report_schema_version="0.9"),
    ],
    ids=["missing", "kind", "extra", "grade", "result-outcome", "version"],
)
def test_broken_reports_are_rejected(report: dict[str, Any], change: Any) -> None:
    broken = copy.deepcopy(report)
    change(broken)
    with pytest.raises(ValidationError):
        validator("report").validate(broken)


# -- validate --format json ----------------------------------------------------------


def test_validate_json_of_a_clean_workspace() -> None:
    result = run("validate", "--demo", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"] == {"count": 0, "ok": True}
    assert document["problems"] == []
    assert errors("problems", document) == []


def test_validate_json_lists_every_problem_with_its_code(broken_workspace: Path) -> None:
    result = run("--lang", "en", "validate", str(broken_workspace), "--format", "json")
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert errors("problems", document) == []
    assert document["summary"] == {"count": 3, "ok": False}
    by_field = {p["field"]: p for p in document["problems"]}
    assert sorted(by_field) == ["services[0].colour", "services[0].hosting", "services[0].vendor"]
    hosting = by_field["services[0].hosting"]
    assert hosting["code"] == "validate.not_allowed"
    assert hosting["message"] == "value not allowed"
    assert hosting["expected"] == "'on_premises', 'vendor_hosted' or 'saas'"
    assert hosting["found"] == "'sass'"
    assert hosting["hint"] == "did you mean 'saas'?"
    assert hosting["file"].endswith("services.yaml")
    assert isinstance(hosting["line"], int) and isinstance(hosting["column"], int)
    assert by_field["services[0].colour"]["code"] == "validate.unknown_key"
    assert by_field["services[0].colour"]["found"] is None
    assert by_field["services[0].vendor"]["code"] == "validate.unknown.vendor"


def test_validate_json_speaks_the_chosen_language(broken_workspace: Path) -> None:
    result = run("--lang", "de", "validate", str(broken_workspace), "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["lang"] == "de"
    hosting = next(p for p in document["problems"] if p["field"] == "services[0].hosting")
    assert hosting["message"] == "Wert nicht zulässig"
    assert hosting["hint"] == "meinten Sie 'saas'?"
    assert hosting["code"] == "validate.not_allowed"  # the code does not depend on the language
    assert errors("problems", document) == []


def test_validate_json_of_an_unreadable_workspace(tmp_path: Path) -> None:
    """No conformite.toml, no inventory: still one JSON document, exit code 2."""
    result = run("--lang", "fr", "validate", str(tmp_path / "nowhere"), "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["summary"]["ok"] is False and document["summary"]["count"] >= 1
    assert errors("problems", document) == []


def test_validate_text_output_is_unchanged(broken_workspace: Path) -> None:
    result = run("--lang", "en", "validate", str(broken_workspace))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "services[0].hosting: value not allowed" in result.stderr


def test_broken_problems_are_rejected(broken_workspace: Path) -> None:
    document = json.loads(run("validate", str(broken_workspace), "--format", "json").stdout)
    for change in (
        lambda d: d["problems"][0].pop("code"),
        lambda d: d["problems"][0].update(code="Not A Code"),
        lambda d: d["summary"].update(ok="no"),
        lambda d: d["problems"][0].update(severity="high"),
    ):
        broken = copy.deepcopy(document)
        change(broken)
        with pytest.raises(ValidationError):
            validator("problems").validate(broken)


def test_problems_schema_version_is_the_one_written() -> None:
    document = json.loads(run("validate", "--demo", "--format", "json").stdout)
    schema = schema_of("problems")
    assert schema["properties"]["schema_version"]["const"] == document["schema_version"]
    assert schema["$id"].endswith(":" + document["schema_version"])


# -- probe observations ----------------------------------------------------------------


def test_probe_observations_validate() -> None:
    from conformite.inventory.observations import ObservationFile
    from conformite.probe.run import dump_observations

    for path in sorted((DEMO / "observations").glob("probe-*.json")):
        written = dump_observations(ObservationFile.model_validate_json(path.read_bytes()))
        document = json.loads(written)
        assert document["observations"]
        assert errors("observations", document) == []
        broken = copy.deepcopy(document)
        broken["observations"][0]["kind"] = "ftp"
        assert errors("observations", broken)


# -- the inventory files -------------------------------------------------------------


def _as_json(data: Any) -> Any:
    """YAML as a JSON reader would see it (dates written as ISO text)."""
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("kind", INVENTORY_KINDS)
def test_demo_inventory_files_validate(kind: str) -> None:
    data = _as_json(yaml.safe_load((DEMO / "inventory" / f"{kind}.yaml").read_text("utf-8")))
    assert errors(kind, data) == []
    broken = copy.deepcopy(data)
    broken["unexpected_top_level_key"] = True
    assert errors(kind, broken), "an unknown key is rejected"


# -- diff --format json ------------------------------------------------------------------


def json_output(*args: str, exit_codes: tuple[int, ...] = (0,)) -> dict[str, Any]:
    """What the command prints on standard output: JSON whose first key is its version."""
    result = run(*args)
    assert result.exit_code in exit_codes, result.output
    assert result.stdout.startswith('{\n  "schema_version": "1.0",\n'), result.stdout[:80]
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def diffs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """``diff --format json`` of the demo's audits a year apart, both ways, and of this
    year's against this year's without one vendor (its findings are no longer assessed)."""
    folder = tmp_path_factory.mktemp("diff")
    paths = {}
    for as_of in ("2025-11-28", AS_OF):
        result = run("audit", "--demo", "--as-of", as_of, "--format", "json")
        assert result.exit_code == 0, result.output
        paths[as_of] = folder / f"audit-{as_of}.json"
        paths[as_of].write_text(result.stdout, encoding="utf-8")
    trimmed = json.loads(paths[AS_OF].read_text(encoding="utf-8"))
    vendor = next(i for i, t in enumerate(trimmed["targets"]) if t[1] == "altocumulus")
    trimmed["findings"] = [f for f in trimmed["findings"] if f["t"] != vendor]
    paths["trimmed"] = folder / "audit-trimmed.json"
    paths["trimmed"].write_text(json.dumps(trimmed), encoding="utf-8")
    out = {}
    for name, old, new in (
        ("year", "2025-11-28", AS_OF),
        ("back", AS_OF, "2025-11-28"),
        ("trimmed", AS_OF, "trimmed"),
    ):
        out[name] = json_output(
            "--lang", "en", "diff", str(paths[old]), str(paths[new]), "--format", "json"
        )
    return out


@pytest.mark.parametrize("name", ["year", "back", "trimmed"])
def test_diff_json_validates(diffs: dict[str, dict[str, Any]], name: str) -> None:
    assert errors("diff", diffs[name]) == []


def test_diff_json_of_the_demo_has_every_kind_of_change(diffs: dict[str, dict[str, Any]]) -> None:
    year, back, trimmed = diffs["year"]["counts"], diffs["back"]["counts"], diffs["trimmed"]
    assert year["new"] > 0 and year["still_open"] > 0 and year["documented"] > 0
    assert year["to_document"] > 0 and year["still_to_document"] > 0 and year["set_aside"] > 0
    assert back["resolved"] > 0
    gone = [c for c in trimmed["findings"]["set_aside"] if c["new_outcome"] is None]
    assert {c["target_id"] for c in gone} == {"altocumulus"}
    scores = diffs["year"]["scores"]
    assert scores["by_family"] and scores["by_objective"]
    assert scores["overall"]["old_grade"] in ("A", "B", "C", "D", "E")


BROKEN_DIFFS = {
    "unknown outcome": lambda d: d["findings"]["new"][0].update(new_outcome="maybe"),
    "unknown severity": lambda d: d["findings"]["new"][0].update(severity="severe"),
    "unknown target kind": lambda d: d["findings"]["new"][0].update(target_kind="school"),
    "missing delta": lambda d: d["scores"]["overall"].pop("delta"),
    "missing category": lambda d: d["findings"].pop("still_open"),
    "unknown category": lambda d: d["counts"].update(forgotten=1),
    "negative count": lambda d: d["counts"].update(new=-1),
    "grade out of range": lambda d: d["scores"]["by_family"][0].update(new_grade="F"),
    "wrong type": lambda d: d["old"].update(as_of=20251128),
    "other version": lambda d: d.update(schema_version="2.0"),
    "no version": lambda d: d.pop("schema_version"),
}


@pytest.mark.parametrize("name", BROKEN_DIFFS)
def test_broken_diffs_are_rejected(diffs: dict[str, dict[str, Any]], name: str) -> None:
    assert_rejected("diff", diffs["year"], BROKEN_DIFFS[name])


# -- screen --format json -----------------------------------------------------------------


@pytest.fixture(scope="module")
def screenings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """``screen --format json`` of every vendor of the demo (with the demo's workspace),
    and of a shipped supplier profile."""
    folder = tmp_path_factory.mktemp("screen")
    vendors = yaml.safe_load((DEMO / "inventory" / "vendors.yaml").read_text("utf-8"))
    common = ["--use", "Guichet virtuel", "--data", "identity,contact", "--as-of", AS_OF]
    common += ["--format", "json"]
    out = {}
    for vendor in vendors["vendors"]:
        path = folder / f"{vendor['id']}.yaml"
        path.write_text(yaml.safe_dump({"vendor": vendor}, allow_unicode=True), "utf-8")
        # The demo's vendors are conditional (3) or no-go (4) for this use.
        out[vendor["id"]] = json_output(
            "screen", str(path), *common, "--workspace", str(DEMO), exit_codes=(3, 4)
        )
    out["nuage-alpin"] = json_output(
        "--lang", "de", "screen", "nuage-alpin", *common, "--canton", "VD", exit_codes=(3,)
    )
    return out


def test_screening_json_validates(screenings: dict[str, dict[str, Any]]) -> None:
    assert len(screenings) == 13
    for name, document in screenings.items():
        assert errors("screening", document) == [], name
    reasons = [
        r for d in screenings.values() for r in (*d["blocking"], *d["conditions"], *d["to_clarify"])
    ]
    assert {d["verdict"] for d in screenings.values()} == {"conditional", "no-go"}
    assert {r["outcome"] for r in reasons} >= {"fail", "unknown"}
    assert any(r["clause"] for r in reasons) and any(r["clause"] is None for r in reasons)
    assert screenings["nuage-alpin"]["canton"] == "VD"


BROKEN_SCREENINGS = {
    "unknown verdict": lambda d: d.update(verdict="maybe"),
    "exit code not of a verdict": lambda d: d.update(exit_code=1),
    "unknown severity": lambda d: d["blocking"][0].update(severity="severe"),
    "unknown outcome": lambda d: d["conditions"][0].update(outcome="bad"),
    "missing clause": lambda d: d["conditions"][0].pop("clause"),
    "extra key": lambda d: d["vendor"].update(country="CH"),
    "wrong type": lambda d: d.update(passed="SUP-DPA"),
    "other version": lambda d: d.update(schema_version="0.1"),
}


@pytest.mark.parametrize("name", BROKEN_SCREENINGS)
def test_broken_screenings_are_rejected(screenings: dict[str, dict[str, Any]], name: str) -> None:
    document = screenings["altocumulus"]
    assert document["blocking"] and document["conditions"]
    assert_rejected("screening", document, BROKEN_SCREENINGS[name])


# -- controls list --format json ----------------------------------------------------------


@pytest.fixture(scope="module")
def control_lists() -> dict[str, dict[str, Any]]:
    """``controls list --format json``: the built-in catalogue; the demo's in its canton."""
    out = {}
    listing = ("controls", "list", "--format", "json")
    for name, args in (
        ("builtin", [*listing]),
        ("demo-vd", [*listing, "--workspace", str(DEMO), "--canton", "VD"]),
        ("supplier-de", ["--lang", "de", *listing, "--family", "supplier"]),
    ):
        out[name] = json_output(*args)
    return out


@pytest.mark.parametrize("name", ["builtin", "demo-vd", "supplier-de"])
def test_controls_json_validates(control_lists: dict[str, dict[str, Any]], name: str) -> None:
    document = control_lists[name]
    assert len(document["controls"]) > 10
    assert errors("controls", document) == []


def test_controls_json_of_a_canton_cites_the_canton(control_lists: dict[str, Any]) -> None:
    document = control_lists["demo-vd"]
    assert document["canton"] == "VD" and control_lists["builtin"]["canton"] is None
    cantons = {c["canton"] for x in document["controls"] for c in x["legal_basis"]}
    assert cantons == {"VD", None}


BROKEN_CONTROL_LISTS = {
    "unknown severity": lambda d: d["controls"][0].update(severity="severe"),
    "unknown family": lambda d: d["controls"][0].update(family="finance"),
    "unknown target": lambda d: d["controls"][0].update(target="school"),
    "unknown status": lambda d: d["controls"][0].update(status="retired"),
    "unknown canton": lambda d: d.update(canton="ZZ"),
    "citation without url": lambda d: d["controls"][0]["legal_basis"][0].pop("url"),
    "extra key": lambda d: d["controls"][0].update(owner="IT"),
    "other version": lambda d: d.update(schema_version="1.1"),
}


@pytest.mark.parametrize("name", BROKEN_CONTROL_LISTS)
def test_broken_control_lists_are_rejected(
    control_lists: dict[str, dict[str, Any]], name: str
) -> None:
    assert_rejected("controls", control_lists["demo-vd"], BROKEN_CONTROL_LISTS[name])


# -- every output's version ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "constant"),
    [
        ("diff", "conformite.report.compare:DIFF_SCHEMA_VERSION"),
        ("screening", "conformite.suppliers.screening_json:SCREENING_SCHEMA_VERSION"),
        ("controls", "conformite.catalogue.listing_json:CONTROLS_SCHEMA_VERSION"),
    ],
)
def test_new_output_schema_versions_are_the_ones_written(
    kind: str,
    constant: str,
    diffs: dict[str, Any],
    screenings: dict[str, Any],
    control_lists: dict[str, Any],
) -> None:
    import importlib

    module, name = constant.split(":")
    version = getattr(importlib.import_module(module), name)
    written = {
        "diff": diffs["year"],
        "screening": screenings["altocumulus"],
        "controls": control_lists["builtin"],
    }[kind]["schema_version"]
    schema = schema_of(kind)
    assert written == version == schema["properties"]["schema_version"]["const"]
    assert schema["$id"] == f"urn:conformite:schema:{kind}:{version}"
