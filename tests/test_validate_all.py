"""``conformite validate`` lists every problem of a workspace in one run, in its language.

Each test writes real files into a workspace made by ``conformite init`` and
runs the CLI through click's ``CliRunner``: schema problems and references
between files together, an impossible date as a value error on its field,
"did you mean" for vocabularies and control ids, and the workspace's language.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conformite.cli import cli
from conformite.errors import Problem, Text

INIT = ("--commune", "Testdorf", "--canton", "BL", "--population", "1900")

SERVICES = """\
services:
  - id: register
    name: Register
    owner: Office
    purpose: Residents
    vendor: acme-sa
    hosting: sas
    data_location: {stored_in: [CH, ch], processed_in: [XX]}
    data_categories: [identity, helth]
    data_subjects: [residens]
    security:
      backup: {enabled: true, last_restore_test_on: 2026-02-30}
  - id: register
    name: Register again
    owner: Office
    purpose: Residents
    hosting: saas
"""
VENDORS = """\
vendors:
  - id: acme
    name: Acme SA
    country: CH
    certifications:
      - {standard: iso2700, valid_until: 2027-01-01}
"""
WAIVERS = """\
waivers:
  - control: SVC-MFAA
    target: service:registre
    justification: J
    approver: A
    decided_on: 2026-03-03
    expires_on: 2025-03-31
    risk: lwo
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def make_workspace(tmp_path: Path, *options: str) -> Path:
    ws = tmp_path / "ws"
    result = run("init", str(ws), *INIT, *options)
    assert result.exit_code == 0, result.output
    return ws


def write(ws: Path, name: str, text: str) -> Path:
    path = ws / "inventory" / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(result: Result) -> str:
    """The output of a failed validate: exit code 2 and no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output


def problem_block(output: str, location: str) -> str:
    """The lines of the one problem that starts with ``location``."""
    blocks = re.split(r"\n(?=\S)", output)
    found = [block for block in blocks if block.startswith(location)]
    assert len(found) == 1, f"{location!r}: {len(found)} problems\n{output}"
    return found[0]


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """An English workspace with schema and reference problems in three files."""
    ws = make_workspace(tmp_path)
    write(ws, "services.yaml", SERVICES)
    write(ws, "vendors.yaml", VENDORS)
    write(ws, "waivers.yaml", WAIVERS)
    return ws


def test_schema_and_reference_problems_in_one_run(broken: Path) -> None:
    output = problems_of(run("validate", str(broken)))
    services = broken / "inventory" / "services.yaml"
    vendors = broken / "inventory" / "vendors.yaml"
    waivers = broken / "inventory" / "waivers.yaml"
    expected = {
        f"{services}:6:5: services[0].vendor: unknown vendor 'acme-sa'": "did you mean 'acme'?",
        f"{services}:7:5: services[0].hosting: value not allowed": "did you mean 'saas'?",
        f"{services}:8:37: services[0].data_location.stored_in[1]: value has the wrong form": (
            "did you mean 'CH'?"
        ),
        f"{services}:8:57: services[0].data_location.processed_in[0]: unknown country code 'XX'": (
            ""
        ),
        f"{services}:9:33: services[0].data_categories[1]: unknown data category 'helth'": (
            "did you mean 'health'?"
        ),
        f"{services}:10:21: services[0].data_subjects[0]: value not allowed": (
            "did you mean 'residents'?"
        ),
        f"{services}:12:31: services[0].security.backup.last_restore_test_on: not a real date": (
            "expected: a real date YYYY-MM-DD"
        ),
        f"{services}:13:5: services[1].id: duplicate service id 'register'": (
            "first defined at line 2"
        ),
        f"{vendors}:6:10: vendors[0].certifications[0].standard: "
        "unknown certification standard 'iso2700'": "did you mean 'iso27001'?",
        f"{waivers}:2:5: waivers[0].control: unknown control 'SVC-MFAA'": "did you mean 'SVC-MFA'?",
        f"{waivers}:3:5: waivers[0].target: unknown waiver target 'service:registre'": (
            "did you mean 'service:register'?"
        ),
        f"{waivers}:7:5: waivers[0].expires_on: the waiver expires before it was decided": (
            "found: decided_on 2026-03-03, expires_on 2025-03-31"
        ),
        f"{waivers}:8:5: waivers[0].risk: value not allowed": "did you mean 'low'?",
    }
    for head, words in expected.items():
        assert words in problem_block(output, head), output
    assert output.startswith(f"{len(expected)} problems in the input:\n"), output
    # The lower-case country is a schema problem only, not also an unknown country.
    assert "unknown country code 'ch'" not in output


def test_audit_reports_the_same_problems(broken: Path) -> None:
    output = problems_of(run("audit", str(broken)))
    assert "unknown vendor 'acme-sa'" in output and "value not allowed" in output
    assert "unknown control 'SVC-MFAA'" in output


def test_impossible_date_is_a_value_error_that_hides_nothing(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    path = write(
        ws,
        "waivers.yaml",
        "waivers:\n  - control: SUP-DPA\n    target: organisation\n    justification: J\n"
        "    approver: A\n    decided_on: 2026-02-30\n    expires_on: 2027-13-01\n"
        "    risk: hihg\n",
    )
    output = problems_of(run("validate", str(ws)))
    decided = problem_block(output, f"{path}:6:5: waivers[0].decided_on: not a real date")
    assert "expected: a real date YYYY-MM-DD" in decided and "found: '2026-02-30'" in decided
    problem_block(output, f"{path}:7:5: waivers[0].expires_on: not a real date")
    # The rest of the file is still read: the problem two lines further down is listed.
    assert "did you mean 'high'?" in problem_block(output, f"{path}:8:5: waivers[0].risk")
    assert "syntax" not in output


def test_impossible_date_in_a_text_field_is_text(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    write(
        ws,
        "services.yaml",
        "services:\n  - {id: a, name: 2026-02-30, owner: O, purpose: P, hosting: saas}\n",
    )
    result = run("validate", str(ws))
    assert result.exit_code == 0, result.output


def test_vocabulary_hints_in_organisation(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    policy = "    - {id: security, kind: information_security, title: T, adopted_on: 2025-01-01}\n"
    path = write(
        ws,
        "organisation.yaml",
        "organisation:\n  commission:\n    members:\n      - {name: A, role: it_led}\n"
        f"  policies:\n{policy}{policy}  staf_count: 3\n",
    )
    output = problems_of(run("validate", str(ws)))
    role = problem_block(output, f"{path}:4:19: organisation.commission.members[0].role")
    assert "did you mean 'it_lead'?" in role
    duplicate = problem_block(output, f"{path}:7:8: organisation.policies[1].id")
    assert "duplicate policy id 'security'" in duplicate
    assert "did you mean 'staff_count'?" in problem_block(output, f"{path}:8:3:")


def test_references_to_an_unreadable_file_are_not_guessed(tmp_path: Path) -> None:
    """A YAML syntax error in vendors.yaml: its error, not an unknown vendor per service."""
    ws = make_workspace(tmp_path)
    write(ws, "vendors.yaml", "vendors:\n  - id: acme\n    name: [unclosed\n")
    services = write(
        ws,
        "services.yaml",
        "services:\n  - {id: a, name: A, owner: O, purpose: P, vendor: acme, hosting: sas}\n",
    )
    output = problems_of(run("validate", str(ws)))
    assert "YAML syntax error" in output
    assert "unknown vendor" not in output
    assert "did you mean 'saas'?" in problem_block(output, f"{services}:2:")


def test_a_wrong_config_does_not_hide_the_inventory(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    config = ws / "conformite.toml"
    text = config.read_text(encoding="utf-8").replace('canton = "BL"', 'canton = "BLL"')
    config.write_text(
        text + "\n[parameters.SVC-BACKUP-RESTOR-TEST]\nmax_age_days = 270\n", encoding="utf-8"
    )
    write(ws, "waivers.yaml", WAIVERS.replace("service:registre", "organisation"))
    output = problems_of(run("validate", str(ws)))
    assert "commune.canton: value not allowed" in output
    assert "did you mean 'BL'?" in problem_block(output, f"{config}:3: commune.canton")
    assert "parameters for unknown control SVC-BACKUP-RESTOR-TEST" in output
    assert "did you mean 'SVC-BACKUP-RESTORE-TEST'?" in output
    # The catalogue could not be loaded with these parameters; waivers are still checked.
    assert "unknown control 'SVC-MFAA'" in output and "did you mean 'SVC-MFA'?" in output


def test_a_french_workspace_gets_french_problems(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, "--lang", "fr")
    services = write(ws, "services.yaml", SERVICES)
    write(ws, "vendors.yaml", VENDORS)
    output = problems_of(run("validate", str(ws)))
    assert output.startswith("9 problèmes dans les données d'entrée :\n"), output
    vendor = problem_block(output, f"{services}:6:5: services[0].vendor: fournisseur inconnu")
    assert "conseil : vouliez-vous dire 'acme' ?" in vendor
    hosting = problem_block(output, f"{services}:7:5: services[0].hosting: valeur non admise")
    assert "attendu : 'on_premises', 'vendor_hosted' ou 'saas'" in hosting
    assert "trouvé : 'sas'" in hosting
    date = problem_block(output, f"{services}:12:31:")
    assert "ce n'est pas une date réelle" in date and "AAAA-MM-JJ" in date
    assert "première définition à la ligne 2" in output
    for english in ("expected:", "found:", "hint:", "did you mean", "unknown", "not allowed"):
        assert english not in output, english


def test_lang_option_wins_over_the_workspace(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, "--lang", "fr")
    write(ws, "services.yaml", SERVICES)
    write(ws, "vendors.yaml", VENDORS)
    output = problems_of(run("validate", str(ws), "--lang", "de"))
    assert output.startswith("9 Probleme in den Eingabedaten:\n"), output
    assert "unbekannter Lieferant 'acme-sa'" in output and "meinten Sie 'acme'?" in output
    output = problems_of(run("--lang", "it", "validate", str(ws)))
    assert "fornitore sconosciuto 'acme-sa'" in output and "intendeva 'acme'?" in output


def test_a_french_workspace_with_a_wrong_config_is_still_french(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, "--lang", "fr")
    config = ws / "conformite.toml"
    text = config.read_text(encoding="utf-8").replace("population = 1900", "population = -3")
    config.write_text(text, encoding="utf-8")
    write(ws, "vendors.yaml", VENDORS)
    output = problems_of(run("validate", str(ws)))
    population = problem_block(output, f"{config}:4: commune.population: valeur trop petite")
    assert "attendu : 1 ou plus" in population
    assert "norme de certification inconnue 'iso2700'" in output


def test_a_valid_workspace_still_passes(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    result = run("validate", str(ws))
    assert result.exit_code == 0 and "Workspace is valid" in result.output
    result = run("validate", "--demo")
    assert result.exit_code == 0, result.output


def test_problem_text_is_english_and_translatable() -> None:
    problem = Problem(
        file="x.yaml",
        line=3,
        path="a",
        message=Text("validate.unknown.vendor", value="v"),
        hint=Text("validate.did_you_mean", suggestion="w"),
    )
    assert problem.message == "unknown vendor 'v'"
    assert problem.render() == "x.yaml:3: a: unknown vendor 'v'\n    hint: did you mean 'w'?"
    assert problem.render("fr") == (
        "x.yaml:3: a: fournisseur inconnu 'v'\n    conseil : vouliez-vous dire 'w' ?"
    )
    copy = pickle.loads(pickle.dumps(problem))
    assert copy == problem and copy.render("de") == problem.render("de")
