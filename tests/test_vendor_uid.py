"""A vendor's Swiss company number (UID / IDE / IDI): check digit, spellings, located
errors in the reader's language, the workbook round trip, profiles and the schema.

The check digit follows the Federal Statistical Office's description (modulus 11,
weights 5 4 3 2 7 6 5 4; 11 gives 0, 10 is never issued): see conformite.inventory.uid.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from pydantic import ValidationError

from conformite._paths import demo_dir
from conformite.cli import cli
from conformite.cli.schema import schema_of
from conformite.engine.unknowns import VENDOR_FACTS
from conformite.engine.workspace import load_workspace
from conformite.errors import InputError
from conformite.inventory.model import Vendor
from conformite.inventory.uid import check_digit, normalise_uid
from conformite.profiles.model import load_profile_file
from test_profiles import VALID_PROFILE

AS_OF = "2026-11-28"

#: Published UIDs: the BFS's worked example, and companies' own numbers as they
#: publish them (SBB's open service-point data: SBB, BLT, Bernmobil).
PUBLISHED = ("CHE-109.322.551", "CHE-102.909.703", "CHE-105.824.463", "CHE-108.954.932")
#: Eight digits whose check digit would be 10: never issued.
NEVER_ISSUED = "10932209"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def vendor(uid: object) -> Vendor:
    return Vendor.model_validate({"id": "v", "name": "V SA", "country": "CH", "uid": uid})


def error_of(uid: object) -> dict:  # type: ignore[type-arg]
    with pytest.raises(ValidationError) as caught:
        vendor(uid)
    (error,) = caught.value.errors(include_url=False)
    assert error["loc"] == ("uid",)
    return error  # type: ignore[return-value]


# --------------------------------------------------------------------------
# the check digit
# --------------------------------------------------------------------------


@pytest.mark.parametrize("uid", PUBLISHED)
def test_published_numbers_have_the_check_digit_computed(uid: str) -> None:
    digits = uid[4:].replace(".", "")
    assert check_digit(digits[:8]) == int(digits[8])
    assert vendor(uid).uid == uid


def test_the_bfs_worked_example_step_by_step() -> None:
    # 1*5 + 0*4 + 9*3 + 3*2 + 2*7 + 2*6 + 5*5 + 5*4 = 109; 109 mod 11 = 10; 11 - 10 = 1
    assert check_digit("10932255") == 1


@pytest.mark.parametrize("uid", PUBLISHED)
def test_every_other_last_digit_is_refused_with_the_right_one(uid: str) -> None:
    right = int(uid[-1])
    for wrong in set(range(10)) - {right}:
        error = error_of(uid[:-1] + str(wrong))
        assert error["type"] == "uid_check_digit"
        assert error["ctx"] == {"digit": right}


def test_a_swapped_pair_of_digits_is_caught() -> None:
    # CHE-102.909.703 with its 2nd and 3rd digits swapped (a typing slip)
    assert error_of("CHE-120.909.703")["type"] == "uid_check_digit"


def test_eleven_gives_zero() -> None:
    # 5 + 27 + 6 + 14 + 12 + 0 + 24 = 88, a multiple of 11: 11 - 0 = 11 -> 0
    assert check_digit("10932206") == 0
    assert check_digit("00000000") == 0
    assert vendor("CHE-109.322.060").uid == "CHE-109.322.060"
    assert error_of("CHE-109.322.061")["ctx"] == {"digit": 0}


def test_ten_is_never_issued_whatever_the_last_digit() -> None:
    assert check_digit(NEVER_ISSUED) is None
    for last in range(10):
        error = error_of(f"CHE-{NEVER_ISSUED[:3]}.{NEVER_ISSUED[3:6]}.{NEVER_ISSUED[6:]}{last}")
        assert error["type"] == "uid_never_issued"


def test_one_in_eleven_prefixes_has_no_check_digit() -> None:
    prefixes = [f"{n:08d}" for n in range(10_000_000, 10_011_000)]
    never = [p for p in prefixes if check_digit(p) is None]
    assert len(never) == len(prefixes) // 11
    assert [check_digit(p) for p in prefixes].count(0) == len(prefixes) // 11


def test_check_digit_wants_eight_ascii_digits() -> None:
    for bad in ("1093225", "109322551", "1093225a", "١٠٩٣٢٢٥٥"):
        with pytest.raises(ValueError):
            check_digit(bad)


# --------------------------------------------------------------------------
# spellings
# --------------------------------------------------------------------------

ACCEPTED = (
    "CHE-109.322.551",
    "CHE109322551",
    "CHE-109322551",
    "CHE 109 322 551",
    "CHE 109.322.551",
    "  CHE-109.322.551  ",
    "CHE-109.322.551 MWST",
    "CHE-109.322.551 TVA",
    "CHE-109.322.551 IVA",
    "CHE-109.322.551 HR",
    "CHE-109.322.551 RC",
    "CHE-109.322.551 HR/MWST",
    "CHE-109.322.551 RC, TVA",
    "CHE-109.322.551 MWST HR",
)
REFUSED = (
    "CHE-109.322.55",  # eight digits
    "CHE-109.322.5511",  # ten
    "CH-109.322.551",
    "che-109.322.551",
    "CHE–109.322.551",  # en dash
    "CHE-109.322.551MWST",
    "CHE-109.322.551 VAT",
    "CHE-109.322.551 RI",  # not a register suffix of UIDV art. 8
    "CHE-109.322.551 HRMWST",
    "109.322.551",
    "CHE-١٠٩.٣٢٢.٥٥١",  # Arabic-Indic digits
    "",
)


@pytest.mark.parametrize("spelling", ACCEPTED)
def test_accepted_spellings_are_stored_as_che_dot_groups(spelling: str) -> None:
    assert normalise_uid(spelling) == "CHE-109.322.551"
    assert vendor(spelling).uid == "CHE-109.322.551"


@pytest.mark.parametrize("spelling", [*REFUSED, 109322551, ["CHE-109.322.551"]])
def test_other_spellings_are_a_format_error(spelling: object) -> None:
    error = error_of(spelling)
    assert error["type"] == "uid_format"


def test_the_json_schema_accepts_exactly_the_same_spellings() -> None:
    """An editor checking vendors.yaml with the published schema agrees with conformite."""
    validator = Draft202012Validator(schema_of("vendors"))

    def valid(uid: object) -> bool:
        document = {"vendors": [{"id": "v", "name": "V SA", "country": "CH", "uid": uid}]}
        return validator.is_valid(document)

    assert all(valid(s.strip()) for s in ACCEPTED)
    assert not any(valid(s) for s in REFUSED)
    assert valid(None)


# --------------------------------------------------------------------------
# absent: not known, and no finding
# --------------------------------------------------------------------------


def test_absent_uid_is_none_and_not_an_unknown_fact() -> None:
    assert Vendor.model_validate({"id": "v", "name": "V", "country": "US"}).uid is None
    assert "uid" not in VENDOR_FACTS  # null means "none recorded" (a foreign vendor has none)


def test_the_demo_audit_is_the_same_with_or_without_uids(tmp_path: Path) -> None:
    without = tmp_path / "without"
    shutil.copytree(demo_dir(), without)
    vendors = without / "inventory" / "vendors.yaml"
    text = vendors.read_text(encoding="utf-8")
    stripped = re.sub(r"(?m)^    uid: .*\n", "", text)
    assert text.count("\n    uid: ") == 2 and "uid:" not in stripped
    vendors.write_text(stripped, encoding="utf-8")
    outputs = []
    for folder in (demo_dir(), without):
        result = CliRunner().invoke(
            cli, ["audit", str(folder), "--as-of", AS_OF, "--format", "json", "--schema", "2"]
        )
        assert result.exit_code in (0, 1), result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["findings"]


def test_the_demo_uids_are_normalised_on_load() -> None:
    vendors = {v.id: v for v in load_workspace(demo_dir()).inventory.vendors}
    assert vendors["helvetic-gov"].uid == "CHE-999.999.996"
    assert vendors["logiciels-lemaniques"].uid == "CHE-999.999.884"  # written with " TVA"
    assert sum(v.uid is not None for v in vendors.values()) == 2


# --------------------------------------------------------------------------
# located errors in the reader's language
# --------------------------------------------------------------------------


def _workspace_with_uids(tmp_path: Path, *uids: str) -> Path:
    folder = tmp_path / "ws"
    code, output = run(
        "init", str(folder), "--commune", "Testville", "--canton", "VD", "--population", "900"
    )
    assert code == 0, output
    lines = ["vendors:"]
    for index, uid in enumerate(uids):
        lines += [f"  - id: v{index}", f"    name: Vendor {index} SA", f"    uid: {uid}",
                  "    country: CH"]  # fmt: skip
    (folder / "inventory" / "vendors.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_validate_locates_a_bad_uid_in_french(tmp_path: Path) -> None:
    never = f"CHE-{NEVER_ISSUED[:3]}.{NEVER_ISSUED[3:6]}.{NEVER_ISSUED[6:]}5"
    folder = _workspace_with_uids(
        tmp_path, "CHE-102.909.704", never, "CH-102.909.703", "CHE-102.909.703 MWST"
    )
    code, output = run("--lang", "fr", "validate", str(folder))
    assert code == 2, output
    vendors = folder / "inventory" / "vendors.yaml"
    assert (
        f"{vendors}:4:5: vendors[0].uid: numéro IDE invalide : "
        "le chiffre de contrôle devrait être 3" in output
    ), output
    assert "trouvé : 'CHE-102.909.704'" in output
    assert "attendu : CHE-123.456.789 (CHE, 8 chiffres et le chiffre de contrôle" in output
    assert "conseil : recopiez le numéro depuis le registre IDE (www.uid.admin.ch)" in output
    assert (
        f"{vendors}:8:5: vendors[1].uid: numéro IDE invalide : ces huit chiffres "
        "n'ont pas de chiffre de contrôle" in output
    ), output
    assert f"{vendors}:12:5: vendors[2].uid: ce n'est pas un numéro IDE suisse" in output
    assert "vendors[3]" not in output
    assert output.startswith("3 problèmes")


def test_the_same_error_in_german_and_as_json(tmp_path: Path) -> None:
    folder = _workspace_with_uids(tmp_path, "CHE-102.909.704")
    code, output = run("--lang", "de", "validate", str(folder))
    assert code == 2
    assert "vendors[0].uid: ungültige UID: die Prüfziffer müsste 3 sein" in output
    code, output = run("--lang", "it", "validate", str(folder), "--format", "json")
    assert code == 2
    (problem,) = json.loads(output)["problems"]
    assert problem["code"] == "validate.uid_check_digit"
    assert problem["line"] == 4 and problem["field"] == "vendors[0].uid"
    assert problem["message"] == ("numero IDI non valido: la cifra di controllo dovrebbe essere 3")


# --------------------------------------------------------------------------
# the workbook and the supplier profiles
# --------------------------------------------------------------------------


def _vendors_sheet_cell(book, vendor_id: str):  # type: ignore[no-untyped-def]
    sheet = book["Vendors"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == vendor_id)
    return sheet.cell(row, header.index("uid") + 1)


def test_workbook_round_trip_carries_the_uid(tmp_path: Path) -> None:
    book_path = tmp_path / "inventaire.xlsx"
    code, output = run("inventory", "export", "--demo", "--format", "xlsx", "-o", str(book_path))
    assert code == 0, output
    book = load_workbook(book_path)
    assert _vendors_sheet_cell(book, "helvetic-gov").value == "CHE-999.999.996"
    help_rows = [[c.value for c in row] for row in book["Help"].iter_rows()]
    assert any(r[:2] == ["Vendors", "uid"] and "numéro IDE" in (r[2] or "") for r in help_rows)
    _vendors_sheet_cell(book, "lemanpay").value = "CHE 102 909 703 MWST"  # as a person types it
    book.save(book_path)
    target = tmp_path / "imported"
    code, output = run("inventory", "import", str(book_path), str(target))
    assert code == 0, output
    assert run("validate", str(target))[0] == 0
    vendors = {v.id: v for v in load_workspace(target).inventory.vendors}
    assert vendors["lemanpay"].uid == "CHE-102.909.703"
    assert vendors["helvetic-gov"].uid == "CHE-999.999.996"
    assert vendors["logiciels-lemaniques"].uid == "CHE-999.999.884"
    assert vendors["postwave"].uid is None


def test_workbook_bad_uid_is_located_at_its_cell(tmp_path: Path) -> None:
    book_path = tmp_path / "inventaire.xlsx"
    assert run("inventory", "export", "--demo", "--format", "xlsx", "-o", str(book_path))[0] == 0
    book = load_workbook(book_path)
    cell = _vendors_sheet_cell(book, "citypark")
    cell.value = "CHE-102.909.709"
    book.save(book_path)
    target = tmp_path / "imported"
    code, output = run("--lang", "fr", "inventory", "import", str(book_path), str(target))
    assert code == 2, output
    assert (
        f"Vendors!{cell.coordinate} (uid): numéro IDE invalide : "
        "le chiffre de contrôle devrait être 3" in output
    ), output
    assert not target.exists()


#: test_profiles' profile, stating a UID (``UID`` replaced by each test) with its source.
PROFILE = VALID_PROFILE.replace(
    "  name: Test Vendor SA\n", "  name: Test Vendor SA\n  uid: UID\n"
).replace(
    "    country: [",
    '    uid: [{url: "https://www.uid.admin.ch/", checked_on: 2026-05-30}]\n    country: [',
)


def test_a_profile_carries_a_uid_checked_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE.replace("UID", "CHE-102.909.703 HR"), encoding="utf-8")
    assert load_profile_file(path).facts["uid"] == "CHE-102.909.703 HR"
    path.write_text(PROFILE.replace("UID", "CHE-102.909.700"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_profile_file(path)
    (problem,) = caught.value.problems
    line = PROFILE.splitlines().index("  uid: UID") + 1
    assert (problem.line, problem.path) == (line, "vendor.uid")
    assert problem.message == "invalid UID: the check digit should be 3"


def test_a_profile_uid_reaches_the_inventory_normalised(tmp_path: Path) -> None:
    from conformite._paths import builtin_catalogue_dir
    from conformite.engine.workspace import load_inventory
    from conformite.errors import ProblemCollector
    from conformite.inventory.reference import load_reference
    from conformite.profiles.model import ProfileRegistry

    folder = tmp_path / "ws"
    assert run("init", str(folder), "--commune", "T", "--canton", "VD", "--population", "9")[0] == 0
    path = tmp_path / "test-vendor.v1.yaml"
    path.write_text(PROFILE.replace("UID", "CHE-102.909.703 HR"), encoding="utf-8")
    registry, problems = ProfileRegistry(), ProblemCollector()
    registry.add(load_profile_file(path), problems)
    (folder / "inventory" / "vendors.yaml").write_text(
        "vendors:\n  - id: t\n    profile: test-vendor@1\n", encoding="utf-8"
    )
    reference = load_reference(builtin_catalogue_dir() / "reference")
    inventory = load_inventory(folder, reference, None, problems, registry)
    assert not problems.problems and inventory is not None
    assert inventory.vendors[0].uid == "CHE-102.909.703"


def test_the_init_template_example_vendor_with_its_uid_validates(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    assert run("init", str(folder), "--commune", "T", "--canton", "VD", "--population", "9")[0] == 0
    vendors = folder / "inventory" / "vendors.yaml"
    text = vendors.read_text(encoding="utf-8")
    assert "#   uid: CHE-999.999.996" in text
    example = text.split("vendors: []\n", 1)[1]
    uncommented = "vendors:\n" + "".join(line[2:] + "\n" for line in example.splitlines())
    vendors.write_text(uncommented, encoding="utf-8")
    code, output = run("validate", str(folder))
    assert code == 0, output
    assert load_workspace(folder).inventory.vendors[0].uid == "CHE-999.999.996"
