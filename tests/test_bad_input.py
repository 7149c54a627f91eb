"""Bad input never crashes: every problem is a located message and exit code 2.

Each test writes real files into a workspace made by ``conformite init`` and
runs the CLI through click's ``CliRunner``. It checks that:

* the exit code is 2 (input error) and no exception other than ``SystemExit``
  escaped: no traceback reaches the user;
* the message names the file and, where it means something, ``:LINE:``, plus
  the words of the problem (field path, what was expected, "did you mean");
* hostile files (huge, deeply nested, alias bombs) are refused in bounded
  time and memory.
"""

from __future__ import annotations

import json
import time
import traceback
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conformite.cli import cli

AS_OF = "2026-11-28"
INIT_OPTIONS = ("--commune", "Testdorf", "--canton", "BL", "--population", "1900")
VALID_SERVICES = "services:\n  - {id: a, name: A, owner: O, purpose: P, hosting: saas}\n"
#: Hostile inputs must be refused within this many seconds (generous: an unbounded
#: alias bomb or quadratic check takes minutes or exhausts memory; the bound must not
#: make a busy CI machine flaky).
MAX_SECONDS = 30.0
#: ...and without Python allocations growing with the file (tracemalloc peak).
MAX_PEAK_MIB = 32.0

# A self-contained copy of controls/supplier/SUP-DPA.yaml's structure (the
# real file may change under other engineers' hands), renamed CUS-BAD. The
# requirement's expression is substituted for EXPRESSION.
CUSTOM_CONTROL = """\
id: CUS-BAD
status: active
since: "0.1"
family: supplier
objectives: [confidentiality]
severity: high
target: vendor
effort: {person_days: 2, external_chf: 500}
title:
  fr: Un contrat de sous-traitance est signé avec le fournisseur
  de: Mit dem Lieferanten ist ein Auftragsbearbeitungsvertrag unterzeichnet
  it: Con il fornitore è firmato un contratto di trattamento per conto terzi
  en: A processing agreement is signed with the vendor
description:
  fr: Vérifie qu'un contrat de sous-traitance signé lie chaque fournisseur.
  de: Prüft, ob jeder Lieferant durch einen unterzeichneten Vertrag gebunden ist.
  it: Verifica che ogni fornitore sia vincolato da un contratto firmato.
  en: Checks that every vendor is bound by a signed processing agreement.
rationale:
  fr: "Le responsable ne peut confier un traitement que par contrat (nLPD art. 9)."
  de: "Eine Bearbeitung darf nur durch Vertrag übertragen werden (revDSG Art. 9)."
  it: "Un trattamento può essere affidato solo per contratto (LPD art. 9)."
  en: "Processing may be entrusted to a processor only by contract (revFADP art. 9)."
remediation:
  fr: "Signer le contrat et noter la date dans vendors.yaml (dpa.signed_on)."
  de: "Vertrag unterzeichnen und das Datum in vendors.yaml eintragen (dpa.signed_on)."
  it: "Firmare il contratto e annotare la data in vendors.yaml (dpa.signed_on)."
  en: "Sign the agreement and record the date in vendors.yaml (dpa.signed_on)."
legal_basis:
  - instrument: nLPD
    article: "9"
    paragraph: "1"
    url: https://www.fedlex.admin.ch/eli/cc/2022/491/fr#art_9
requirements:
  - name: dpa_signed
    expression: EXPRESSION
    message:
      fr: "Aucun contrat de sous-traitance signé avec {facts}."
      de: "Kein unterzeichneter Auftragsbearbeitungsvertrag mit {facts}."
      it: "Nessun contratto di trattamento firmato con {facts}."
      en: "No signed processing agreement with {facts}."
    facts: vendor.name
"""
GOOD_EXPRESSION = "vendor.dpa.signed_on != null"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def validate(ws: Path) -> Result:
    return invoke("validate", str(ws))


def audit(ws: Path, *extra: str) -> Result:
    return invoke("audit", str(ws), "--as-of", AS_OF, *extra)


def _describe(result: Result) -> str:
    text = f"exit code {result.exit_code}\n--- output ---\n{result.output}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += "--- exception ---\n" + "".join(traceback.format_exception(result.exception))
    return text


def assert_input_error(result: Result, *fragments: str) -> str:
    """Exit code 2, no traceback, and every fragment in the output; return the output."""
    assert result.exception is None or isinstance(result.exception, SystemExit), _describe(result)
    assert result.exit_code == 2, _describe(result)
    output = result.output
    assert "Traceback" not in output, _describe(result)
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} missing from the message\n{_describe(result)}"
    return output


def inventory_file(ws: Path, name: str = "services.yaml") -> Path:
    return ws / "inventory" / name


def write(ws: Path, content: str | bytes, name: str = "services.yaml") -> Path:
    """Overwrite one inventory file; return its path (the CLI shows it as given)."""
    path = inventory_file(ws, name)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def at(path: Path, line: int, column: int | None = None) -> str:
    """The ``file:line:`` (or ``file:line:column:``) prefix of a located problem."""
    return f"{path}:{line}:" + (f"{column}:" if column is not None else "")


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def use_custom_controls(ws: Path, folder: str = "my-controls") -> Path:
    """Point ``[catalogue] extra`` at ``folder`` and create it."""
    config = ws / "conformite.toml"
    text = config.read_text(encoding="utf-8")
    assert "extra = []" in text, text
    config.write_text(text.replace("extra = []", f'extra = ["{folder}"]'), encoding="utf-8")
    directory = ws / folder
    directory.mkdir(exist_ok=True)
    return directory


def custom_control(
    ws: Path, expression: str = GOOD_EXPRESSION, *, edit: Callable[[str], str] | None = None
) -> tuple[Path, str]:
    """Write ``my-controls/CUS-BAD.yaml``; return its path and text."""
    # JSON strings are valid YAML double-quoted scalars: any expression is safe.
    text = CUSTOM_CONTROL.replace("EXPRESSION", json.dumps(expression))
    if edit is not None:
        text = edit(text)
    path = use_custom_controls(ws) / "CUS-BAD.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def bounded(args: Sequence[str]) -> tuple[Result, float, float]:
    """Run the CLI; return the result, seconds taken and peak traced MiB."""
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        if not already:
            tracemalloc.stop()
    return result, elapsed, peak


def assert_bounded(elapsed: float, peak_mib: float) -> None:
    assert elapsed < MAX_SECONDS, f"took {elapsed:.1f} s (limit {MAX_SECONDS} s)"
    assert peak_mib < MAX_PEAK_MIB, f"peak {peak_mib:.0f} MiB (limit {MAX_PEAK_MIB:.0f} MiB)"


def sparse_file(path: Path, size: int) -> None:
    """A file of ``size`` bytes (zeros and a final newline) written in no time."""
    with path.open("wb") as handle:
        handle.seek(size - 1)
        handle.write(b"\n")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A fresh workspace from ``conformite init``, checked to be valid as written.

    Validating it once also imports and warms up everything the CLI loads, so
    that memory measured later is the input's, not the imports'.
    """
    directory = tmp_path / "ws"
    created = invoke("init", str(directory), *INIT_OPTIONS)
    assert created.exit_code == 0, _describe(created)
    baseline = validate(directory)
    assert baseline.exit_code == 0, "a fresh workspace must validate\n" + _describe(baseline)
    return directory


# --------------------------------------------------------------------------
# 1. YAML syntax
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line", "column", "words"),
    [
        pytest.param(
            "services:\n  - {id: a, name: A, owner: O, purpose: P, hosting: saas\n",
            3,
            1,
            "did not find expected ',' or '}'",
            id="unclosed-brace",
        ),
        pytest.param(
            "services:\n  - id: a\n    name: [A, B\n    owner: O\n",
            4,
            10,
            "did not find expected ',' or ']'",
            id="unclosed-bracket",
        ),
        pytest.param(
            'services:\n  - id: a\n    name: "A\n    owner: O\n',
            5,
            1,
            "quoted scalar",
            id="unclosed-quote",
        ),
        pytest.param(
            "services:\n  - id: a\n\tname: A\n", 3, 1, "tab character", id="tab-indentation"
        ),
        pytest.param(
            "services:\n  - id: a\n     name: A\n",
            3,
            10,
            "mapping values are not allowed",
            id="bad-indentation",
        ),
        pytest.param("--- a\n--- b\n", 2, 1, "another document", id="two-documents"),
    ],
)
def test_malformed_yaml_is_a_located_syntax_error(
    ws: Path, content: str, line: int, column: int, words: str
) -> None:
    path = write(ws, content)
    assert_input_error(validate(ws), at(path, line, column), "YAML syntax error", words)


def test_python_object_tags_are_refused(ws: Path) -> None:
    path = write(ws, 'services: !!python/object/apply:os.system ["echo pwned"]\n')
    assert_input_error(validate(ws), at(path, 1), "YAML syntax error", "constructor")


# --------------------------------------------------------------------------
# 2-3. wrong types, wrong shapes, unknown keys
# --------------------------------------------------------------------------


def test_wrong_type_names_field_path_and_expected_type(ws: Path) -> None:
    path = write(
        ws,
        "services:\n  - id: a\n    name: A\n    owner: O\n    purpose: P\n    hosting: saas\n"
        "    data_subject_count: many\n",
    )
    assert_input_error(
        validate(ws),
        at(path, 7, 5),
        "services[0].data_subject_count",
        "expected: a whole number",
        "found: 'many'",
    )


@pytest.mark.parametrize(
    ("fields", "path_words", "expected"),
    [
        ("hosting: cloud", "hosting", "'on_premises', 'vendor_hosted' or 'saas'"),
        ("hosting: saas, data_location: {stored_in: [ch]}", "data_location", "ISO country code"),
        ("hosting: saas, security: {mfa: {enabled: maybe}}", "security.mfa", "true or false"),
        ("hosting: saas, endpoints: [{url: 'ftp://x'}]", "endpoints[0].url", "web address"),
        ("hosting: saas, retention: {last_deletion_on: soon}", "retention", "a real date"),
        ("hosting: saas, vendor: Big Vendor", "vendor", "a lower-case id"),
    ],
)
def test_wrong_values_say_what_was_expected(
    ws: Path, fields: str, path_words: str, expected: str
) -> None:
    path = write(
        ws,
        "services:\n  - {id: a, name: A, owner: O, purpose: P, hosting: saas}\n"
        f"  - {{id: b, name: B, owner: O, purpose: P, {fields}}}\n",
    )
    assert_input_error(validate(ws), at(path, 3), f"services[1].{path_words}", expected)


@pytest.mark.parametrize(
    ("content", "path_words", "expected"),
    [
        pytest.param("- a\n- b\n", "services.yaml:1:1:", "a mapping of keys", id="top-list"),
        pytest.param("hello\n", "services.yaml:1:1:", "a mapping of keys", id="top-scalar"),
        pytest.param("services: 5\n", "services:", "expected: a list", id="services-number"),
        pytest.param("services:\n  - 5\n", "services[0]", "a mapping of keys", id="item-number"),
    ],
)
def test_wrong_shape_is_located(ws: Path, content: str, path_words: str, expected: str) -> None:
    path = write(ws, content)
    assert_input_error(validate(ws), str(path), path_words, expected)


def test_unknown_key_suggests_the_right_one(ws: Path) -> None:
    path = write(
        ws, "services:\n  - id: a\n    name: A\n    owner: O\n    purpse: P\n    hosting: saas\n"
    )
    assert_input_error(
        validate(ws),
        at(path, 5, 5),
        "services[0].purpse",
        "unknown key 'purpse'",
        "did you mean 'purpose'",
    )


def test_unknown_nested_key_suggests_the_right_one(ws: Path) -> None:
    path = write(
        ws,
        "services:\n  - id: a\n    name: A\n    owner: O\n    purpose: P\n    hosting: saas\n"
        "    security:\n      backup: {enabled: true, ofsite: true}\n",
    )
    assert_input_error(
        validate(ws),
        at(path, 8),
        "services[0].security.backup.ofsite",
        "did you mean 'offsite'",
    )


@pytest.mark.parametrize("key", ["null", "true", "7", "1.5", "2026-01-01"])
def test_non_text_keys_are_located_errors(ws: Path, key: str) -> None:
    path = write(ws, f"services:\n  - {{id: a, name: A, owner: O, purpose: P, {key}: 1}}\n")
    assert_input_error(validate(ws), at(path, 2), "Keys should be strings")


# --------------------------------------------------------------------------
# 4-5. duplicates
# --------------------------------------------------------------------------


def test_duplicate_service_id_points_at_the_second_one(ws: Path) -> None:
    path = write(
        ws,
        "services:\n"
        "  - {id: a, name: A, owner: O, purpose: P, hosting: saas}\n"
        "  - {id: b, name: B, owner: O, purpose: P, hosting: saas}\n"
        "  - {id: a, name: C, owner: O, purpose: P, hosting: saas}\n",
    )
    output = assert_input_error(
        validate(ws),
        at(path, 4),
        "services[2].id",
        "duplicate service id 'a'",
        "first defined at line 2",
    )
    assert at(path, 2) not in output


def test_duplicate_vendor_id(ws: Path) -> None:
    path = write(
        ws,
        "vendors:\n  - {id: v, name: V, country: CH}\n  - {id: v, name: W, country: CH}\n",
        "vendors.yaml",
    )
    assert_input_error(validate(ws), at(path, 3), "duplicate vendor id 'v'")


def test_duplicate_yaml_key_is_an_error_not_last_one_wins(ws: Path) -> None:
    path = write(
        ws,
        "services:\n  - id: a\n    name: A\n    owner: O\n    purpose: P\n    hosting: saas\n"
        "    name: B\n",
    )
    assert_input_error(validate(ws), at(path, 7, 5), "duplicate key 'name'", "first at line 3")


def test_duplicate_top_level_key(ws: Path) -> None:
    path = write(ws, "organisation:\n  staff_count: 3\n  staff_count: 4\n", "organisation.yaml")
    assert_input_error(validate(ws), at(path, 3), "duplicate key 'staff_count'")


# --------------------------------------------------------------------------
# 6. dangling references
# --------------------------------------------------------------------------


def test_unknown_vendor(ws: Path) -> None:
    path = write(ws, VALID_SERVICES.replace("hosting: saas", "hosting: saas, vendor: nope"))
    assert_input_error(validate(ws), at(path, 2), "services[0].vendor", "unknown vendor 'nope'")


def test_waiver_with_unknown_control_and_target(ws: Path) -> None:
    write(ws, VALID_SERVICES)
    path = write(
        ws,
        "waivers:\n"
        "  - control: NOPE-CONTROL\n"
        "    target: vendor:ghost\n"
        "    justification: J\n"
        "    approver: A\n"
        "    decided_on: 2026-01-01\n"
        "    expires_on: 2027-01-01\n"
        "    risk: low\n",
        "waivers.yaml",
    )
    assert_input_error(
        validate(ws),
        "2 problems",
        at(path, 2, 5),
        "waivers[0].control: unknown control 'NOPE-CONTROL'",
        at(path, 3, 5),
        "waivers[0].target: unknown waiver target 'vendor:ghost'",
    )


def test_waiver_expiring_before_its_decision(ws: Path) -> None:
    path = write(
        ws,
        "waivers:\n  - control: SUP-DPA\n    target: organisation\n    justification: J\n"
        "    approver: A\n    decided_on: 2026-06-01\n    expires_on: 2026-01-01\n    risk: low\n",
        "waivers.yaml",
    )
    assert_input_error(
        validate(ws),
        at(path, 7),
        "expires before it was decided",
        at(path, 3),
        "control SUP-DPA applies to vendor targets, not organisation",
    )


def test_unknown_country_code(ws: Path) -> None:
    path = write(
        ws,
        VALID_SERVICES.replace("hosting: saas", "hosting: saas, data_location: {stored_in: [XX]}"),
    )
    assert_input_error(
        validate(ws),
        at(path, 2),
        "services[0].data_location.stored_in[0]",
        "unknown country code 'XX'",
    )


def test_unknown_country_codes_in_vendors_at_every_depth(ws: Path) -> None:
    path = write(
        ws,
        "vendors:\n"
        "  - {id: v, name: V, country: XX}\n"
        "  - id: w\n"
        "    name: W\n"
        "    country: CH\n"
        "    parent: {name: P, country: ZZ}\n"
        "    sub_processors:\n"
        "      - {name: S, country: QQ, purpose: P}\n",
        "vendors.yaml",
    )
    assert_input_error(
        validate(ws),
        "3 problems",
        at(path, 2),
        "vendors[0].country: unknown country code 'XX'",
        at(path, 6),
        "vendors[1].parent.country: unknown country code 'ZZ'",
        at(path, 8),
        "vendors[1].sub_processors[0].country: unknown country code 'QQ'",
    )


def test_unknown_data_category_suggests_the_right_one(ws: Path) -> None:
    path = write(
        ws,
        "services:\n  - id: a\n    name: A\n    owner: O\n    purpose: P\n    hosting: saas\n"
        "    data_categories: [identity, helth]\n",
    )
    assert_input_error(
        validate(ws),
        at(path, 7),
        "services[0].data_categories[1]",
        "unknown data category 'helth'",
        "did you mean 'health'",
    )


# --------------------------------------------------------------------------
# 7-8. encoding and empty files
# --------------------------------------------------------------------------


def test_non_utf8_file_reports_line_and_byte(ws: Path) -> None:
    path = write(ws, b"services:\n  - id: \xff\n")
    assert_input_error(validate(ws), at(path, 2, 9), "not valid UTF-8", "0xff")


def test_utf8_with_bom_is_accepted(ws: Path) -> None:
    write(ws, b"\xef\xbb\xbf" + VALID_SERVICES.encode())
    result = validate(ws)
    assert result.exit_code == 0, _describe(result)


def test_utf16_file_is_not_utf8(ws: Path) -> None:
    path = write(ws, VALID_SERVICES.encode("utf-16"))
    assert_input_error(validate(ws), at(path, 1), "not valid UTF-8")


@pytest.mark.parametrize(
    "content", ["", "\n\n", "# nothing yet\n"], ids=["empty", "blank", "comment"]
)
def test_empty_file(ws: Path, content: str) -> None:
    path = write(ws, content)
    assert_input_error(validate(ws), at(path, 1), "the file is empty", "services: []")


def test_missing_inventory_file(ws: Path) -> None:
    path = inventory_file(ws, "vendors.yaml")
    path.unlink()
    assert_input_error(validate(ws), str(path), "file missing", "conformite init")


# --------------------------------------------------------------------------
# 9-11. hostile files: size, depth, alias bombs
# --------------------------------------------------------------------------


def test_50_mib_file_is_refused_fast(ws: Path) -> None:
    path = inventory_file(ws)
    sparse_file(path, 50 * 1024 * 1024)
    result, elapsed, peak = bounded(["validate", str(ws)])
    assert_input_error(result, str(path), "50.0 MiB", "MiB limit")
    assert_bounded(elapsed, peak)


def test_50_mib_of_comments_is_refused_fast(ws: Path) -> None:
    path = inventory_file(ws)
    line = b"# " + b"x" * 1021 + b"\n"
    with path.open("wb") as handle:
        handle.write(b"services: []\n")
        handle.write(line * (50 * 1024))
    result, elapsed, peak = bounded(["audit", str(ws), "--as-of", AS_OF])
    assert_input_error(result, str(path), "MiB limit")
    assert_bounded(elapsed, peak)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("x: " + "[" * 100_000 + "]" * 100_000 + "\n", id="flow-100000"),
        pytest.param("services: " + "[" * 250 + "]" * 250 + "\n", id="flow-250"),
        pytest.param("services: " + "{a: " * 250 + "1" + "}" * 250 + "\n", id="flow-map-250"),
        pytest.param(
            "services:\n" + "".join("  " * i + "-\n" for i in range(1, 1500)), id="block-seq-1500"
        ),
        pytest.param(
            "".join("  " * i + f"k{i}:\n" for i in range(1500)) + "  " * 1500 + "v\n",
            id="block-map-1500",
        ),
        pytest.param(
            "services:\n" + "".join("  " * i + "-\n" for i in range(1, 250)), id="block-seq-250"
        ),
    ],
)
def test_deep_nesting_is_refused_without_crashing(ws: Path, content: str) -> None:
    path = write(ws, content)
    result, elapsed, peak = bounded(["validate", str(ws)])
    output = assert_input_error(result, str(path))
    assert "nest" in output.lower(), output
    assert_bounded(elapsed, peak)


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"services: *a{levels - 1}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("command", ["validate", "audit"])
def test_billion_laughs_is_refused(ws: Path, command: str) -> None:
    path = write(ws, billion_laughs())
    args = [command, str(ws)] + (["--as-of", AS_OF] if command == "audit" else [])
    result, elapsed, peak = bounded(args)
    output = assert_input_error(result, str(path), "alias")
    assert "alias bomb" in output
    assert_bounded(elapsed, peak)


def test_alias_bomb_in_organisation_is_refused(ws: Path) -> None:
    text = billion_laughs().replace("services: *a8", "organisation: {policies: *a8}")
    path = write(ws, text, "organisation.yaml")
    result, elapsed, peak = bounded(["validate", str(ws)])
    assert_input_error(result, str(path), "alias")
    assert_bounded(elapsed, peak)


def test_self_referencing_alias_is_refused(ws: Path) -> None:
    path = write(ws, "services: &loop [*loop]\n")
    result, elapsed, peak = bounded(["validate", str(ws)])
    assert_input_error(result, str(path))
    assert_bounded(elapsed, peak)


# --------------------------------------------------------------------------
# 12-13. custom controls: CEL and documentation
# --------------------------------------------------------------------------


def test_custom_control_template_is_valid(ws: Path) -> None:
    """The baseline for the broken variants below: as written, CUS-BAD loads."""
    custom_control(ws)
    result = validate(ws)
    assert result.exit_code == 0, _describe(result)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        pytest.param("vendor.dpa.signed_on != )", ["CEL syntax error"], id="syntax-error"),
        pytest.param(
            "vendor.dpa.signd_on != null",
            ["unknown field 'signd_on'", "did you mean 'vendor.dpa.signed_on'"],
            id="unknown-field",
        ),
        pytest.param(
            "vendr.dpa.signed_on != null",
            ["unknown variable 'vendr'", "did you mean 'vendor'"],
            id="unknown-variable",
        ),
        pytest.param(
            "sise(vendor.name) > 0",
            ["unknown function 'sise'", "did you mean 'size'"],
            id="unknown-function",
        ),
        pytest.param(
            "vendor.sub_processors.country == 'US'",
            ["'vendor.sub_processors' is a list"],
            id="field-of-a-list",
        ),
        pytest.param("(" * 5000 + "true" + ")" * 5000, ["CEL syntax error"], id="deep-parens"),
    ],
)
def test_broken_cel_names_control_file_line_and_problem(
    ws: Path, expression: str, words: list[str]
) -> None:
    path, text = custom_control(ws, expression)
    line = line_of(text, "expression:")
    start = time.perf_counter()
    result = validate(ws)
    elapsed = time.perf_counter() - start
    assert_input_error(
        result, "CUS-BAD", f"{path.name}:{line}:", "requirements[0].expression", *words
    )
    assert "my-controls" in result.output
    assert elapsed < MAX_SECONDS


def test_broken_cel_is_reported_by_audit_too(ws: Path) -> None:
    custom_control(ws, "vendor.dpa.signd_on != null")
    assert_input_error(audit(ws), "CUS-BAD", "did you mean 'vendor.dpa.signed_on'")


def test_unknown_placeholder_in_message(ws: Path) -> None:
    path, text = custom_control(
        ws, edit=lambda t: t.replace('signé avec {facts}."', 'signé avec {fact}."')
    )
    assert_input_error(
        validate(ws),
        f"{path.name}:{line_of(text, '{fact}.')}:",
        "control CUS-BAD: unknown placeholder {fact}",
        "requirements[0].message.fr",
    )


def test_objective_listed_twice(ws: Path) -> None:
    path, text = custom_control(
        ws,
        edit=lambda t: t.replace(
            "objectives: [confidentiality]", "objectives: [confidentiality, confidentiality]"
        ),
    )
    assert_input_error(
        validate(ws),
        f"{path.name}:{line_of(text, 'objectives:')}:",
        "objectives",
        "objective listed twice: confidentiality",
    )


def test_stray_brace_in_message(ws: Path) -> None:
    # str.format_map would fail on it at audit time: it fails loading instead.
    path, text = custom_control(
        ws, edit=lambda t: t.replace('signé avec {facts}."', 'signé avec {facts} }."')
    )
    assert_input_error(
        validate(ws),
        f"{path.name}:{line_of(text, '{facts} }.')}:",
        "control CUS-BAD: message is not a valid template",
        "requirements[0].message.fr",
        "literal brace",
    )


@pytest.mark.parametrize(
    ("section", "dropped_line", "path_words"),
    [
        ("title", "  it: Con il fornitore", "title.it"),
        ("requirements", '      de: "Kein unterzeichneter', "requirements[0].message.de"),
    ],
)
def test_control_missing_a_language(
    ws: Path, section: str, dropped_line: str, path_words: str
) -> None:
    def drop(text: str) -> str:
        lines = [line for line in text.splitlines(keepends=True) if dropped_line not in line]
        assert len(lines) == len(text.splitlines()) - 1
        return "".join(lines)

    path, text = custom_control(ws, edit=drop)
    lang = path_words.rsplit(".", 1)[1]
    section_line = line_of(text, f"{section}:")
    output = assert_input_error(
        validate(ws), path_words, f"missing required field '{lang}'", str(path.name)
    )
    # Located at the mapping that lacks the language (or inside it).
    assert any(f"{path.name}:{n}:" in output for n in range(section_line, section_line + 9)), output


def test_control_file_name_must_be_its_id(ws: Path) -> None:
    custom_control(ws)
    folder = ws / "my-controls"
    (folder / "CUS-BAD.yaml").rename(folder / "X-BAD.yaml")
    assert_input_error(
        validate(ws), "X-BAD.yaml:1:", "the file name must be the control id", "CUS-BAD.yaml"
    )


def test_custom_control_cannot_reuse_a_builtin_id(ws: Path) -> None:
    use_custom_controls(ws)
    text = CUSTOM_CONTROL.replace("EXPRESSION", GOOD_EXPRESSION).replace("CUS-BAD", "SUP-DPA")
    (ws / "my-controls" / "SUP-DPA.yaml").write_text(text, encoding="utf-8")
    assert_input_error(validate(ws), "SUP-DPA.yaml:1:", "duplicate control id SUP-DPA")


def test_custom_control_with_yaml_error(ws: Path) -> None:
    path, _ = custom_control(ws, edit=lambda t: t.replace("severity: high", "severity: [high"))
    assert_input_error(validate(ws), f"{path.name}:", "YAML syntax error")


def test_missing_custom_control_folder(ws: Path) -> None:
    use_custom_controls(ws, "not-there").rmdir()
    assert_input_error(validate(ws), "not-there", "control folder not found")


def test_oversized_custom_control_is_refused(ws: Path) -> None:
    folder = use_custom_controls(ws)
    sparse_file(folder / "CUS-BIG.yaml", 50 * 1024 * 1024)
    start = time.perf_counter()
    result = validate(ws)
    assert_input_error(result, "CUS-BIG.yaml", "MiB limit")
    assert time.perf_counter() - start < MAX_SECONDS


# --------------------------------------------------------------------------
# 14. conformite.toml
# --------------------------------------------------------------------------

TOML_HEAD = '[commune]\nname = "Testdorf"\ncanton = "BL"\npopulation = 1900\nlanguage = "en"\n'


def write_config(ws: Path, text: str | bytes) -> Path:
    path = ws / "conformite.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_toml_syntax_error_is_located_like_other_errors(ws: Path) -> None:
    path = write_config(ws, TOML_HEAD + "\n[catalogue\nextra = []\n")
    assert_input_error(validate(ws), at(path, 7), "TOML syntax error")


def test_unknown_canton(ws: Path) -> None:
    path = write_config(ws, TOML_HEAD.replace('"BL"', '"XY"'))
    assert_input_error(validate(ws), at(path, 3), "commune.canton", "'XY'", "'BL'")


def test_unknown_config_key_suggests_the_right_one(ws: Path) -> None:
    path = write_config(ws, TOML_HEAD.replace("population", "populaton"))
    assert_input_error(
        validate(ws),
        at(path, 4),
        "commune.populaton",
        "unknown key 'populaton'",
        "did you mean 'population'",
    )


def test_unknown_catalogue_option_suggests_the_right_one(ws: Path) -> None:
    path = write_config(ws, TOML_HEAD + "\n[catalogue]\nextr = []\n")
    assert_input_error(validate(ws), at(path, 8), "unknown key 'extr'", "did you mean 'extra'")


def test_config_wrong_type(ws: Path) -> None:
    path = write_config(ws, TOML_HEAD.replace("1900", '"many"'))
    assert_input_error(validate(ws), at(path, 4), "commune.population", "'many'")


def test_config_not_utf8(ws: Path) -> None:
    path = write_config(ws, b'[commune]\nname = "\xff"\n')
    assert_input_error(validate(ws), str(path), "not valid UTF-8")


def test_parameters_for_unknown_control(ws: Path) -> None:
    write_config(ws, TOML_HEAD + "\n[parameters.NOPE-CTL]\nmax_age_days = 3\n")
    assert_input_error(
        validate(ws), "conformite.toml", "parameters.NOPE-CTL", "unknown control NOPE-CTL"
    )


def test_parameters_for_unknown_control_is_located(ws: Path) -> None:
    path = write_config(ws, TOML_HEAD + "\n[parameters.NOPE-CTL]\nmax_age_days = 3\n")
    assert_input_error(validate(ws), at(path, 7), "unknown control NOPE-CTL")


# --------------------------------------------------------------------------
# 15. all problems of all files in one run
# --------------------------------------------------------------------------


def test_every_problem_of_every_file_in_one_run(ws: Path) -> None:
    org = write(ws, "organisation:\n  staff_count: -1\n", "organisation.yaml")
    services = write(
        ws,
        "services:\n  - {id: a, name: A, owner: O, purpose: P, hosting: saas, "
        "data_subject_count: many}\n",
    )
    vendors = write(ws, "vendors:\n  - {id: v, name: V, country: CH, contry: CH}\n", "vendors.yaml")
    waivers = write(ws, "waivers: [\n", "waivers.yaml")
    output = assert_input_error(
        validate(ws),
        "4 problems",
        at(org, 2),
        "organisation.staff_count",
        at(services, 2),
        "services[0].data_subject_count",
        at(vendors, 2),
        "did you mean 'country'",
        at(waivers, 2),
        "YAML syntax error",
    )
    # Listed file by file, like a compiler's errors.
    positions = [output.index(str(p)) for p in (org, services, vendors, waivers)]
    assert positions == sorted(positions), output


def test_problems_within_a_file_are_all_reported_in_line_order(ws: Path) -> None:
    path = write(
        ws,
        "services:\n"
        "  - {id: a, name: A, owner: O, purpose: P, hosting: cloud}\n"
        "  - {id: B, name: B, owner: O, purpose: P, hosting: saas}\n"
        "  - {id: c, name: C, owner: O, purpose: P, hosting: saas, purpse: x}\n"
        "  - {id: d, owner: O, purpose: P, hosting: saas}\n",
    )
    output = assert_input_error(validate(ws), "4 problems")
    positions = [output.index(at(path, line)) for line in (2, 3, 4, 5)]
    assert positions == sorted(positions), output


# --------------------------------------------------------------------------
# 16-17. command-line arguments and workspace folder
# --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["notadate", "2026-02-30", "28.11.2026"])
def test_bad_as_of_date(ws: Path, value: str) -> None:
    assert_input_error(invoke("audit", str(ws), "--as-of", value), "--as-of", repr(value))


@pytest.mark.parametrize("command", ["validate", "audit"])
def test_missing_workspace_folder(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nope"
    assert_input_error(invoke(command, str(missing)), str(missing), "no such folder")


def test_missing_workspace_folder_hints_at_init(tmp_path: Path) -> None:
    assert_input_error(invoke("validate", str(tmp_path / "nope")), "conformite init")


@pytest.mark.parametrize("command", ["validate", "audit"])
def test_folder_without_config_hints_at_init(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    assert_input_error(
        invoke(command, str(folder)),
        str(folder / "conformite.toml"),
        "not a conformite workspace",
        f"conformite init {folder}",
    )


def test_workspace_argument_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a-file"
    path.write_text("x", encoding="utf-8")
    assert_input_error(invoke("validate", str(path)), "is a file")


def test_demo_and_directory_together(ws: Path) -> None:
    assert_input_error(invoke("audit", str(ws), "--demo"), "--demo")


def test_unknown_output_language(ws: Path) -> None:
    assert_input_error(invoke("--lang", "xx", "validate", str(ws)), "--lang", "'xx'")


# --------------------------------------------------------------------------
# 18. init never overwrites silently
# --------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_refuses_to_overwrite_then_force_does(ws: Path) -> None:
    services = write(ws, VALID_SERVICES)
    before = _snapshot(ws)

    refused = invoke(
        "init", str(ws), "--commune", "Otherdorf", "--canton", "VD", "--population", "5"
    )
    assert_input_error(refused, "already exists", "--force")
    assert _snapshot(ws) == before, "init changed files without --force"

    forced = invoke(
        "init", str(ws), "--commune", "Otherdorf", "--canton", "VD", "--population", "5", "--force"
    )
    assert forced.exit_code == 0, _describe(forced)
    assert "Otherdorf" in (ws / "conformite.toml").read_text(encoding="utf-8")
    assert services.read_text(encoding="utf-8") != VALID_SERVICES
    assert "services: []" in services.read_text(encoding="utf-8")
    assert not list(ws.rglob(".*.tmp")), "temporary files left behind"


def test_init_refuses_when_only_one_file_exists(tmp_path: Path) -> None:
    folder = tmp_path / "partial"
    (folder / "inventory").mkdir(parents=True)
    (folder / "inventory" / "vendors.yaml").write_text("mine\n", encoding="utf-8")
    assert_input_error(invoke("init", str(folder), *INIT_OPTIONS), "vendors.yaml", "--force")
    assert _snapshot(folder) == {folder / "inventory" / "vendors.yaml": b"mine\n"}


def test_init_without_required_options(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    assert_input_error(invoke("init", str(folder)), "--commune", "--canton", "--population")
    assert not folder.exists()


def test_init_with_unknown_canton(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    result = invoke("init", str(folder), "--commune", "T", "--canton", "XY", "--population", "5")
    assert_input_error(result, "--canton", "'XY'")
    assert not folder.exists()


# --------------------------------------------------------------------------
# 19. a failed audit leaves no output file behind
# --------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["json", "table"])
def test_audit_output_not_written_on_bad_input(ws: Path, output_format: str) -> None:
    write(ws, "services: [\n")
    out = ws / "out.json"
    before = sorted(p.name for p in ws.iterdir())
    result = audit(ws, "--format", output_format, "-o", str(out))
    assert_input_error(result, "YAML syntax error")
    assert not out.exists()
    assert sorted(p.name for p in ws.iterdir()) == before, "a file was left behind"


def test_audit_keeps_previous_output_on_bad_input(ws: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    out = reports / "out.json"
    out.write_text('{"previous": true}\n', encoding="utf-8")
    write(ws, "services:\n  - {id: a}\n")
    assert_input_error(audit(ws, "--format", "json", "-o", str(out)), "missing required field")
    assert out.read_text(encoding="utf-8") == '{"previous": true}\n'
    assert [p.name for p in reports.iterdir()] == ["out.json"]


# --------------------------------------------------------------------------
# Regressions: bugs found by these tests and fixed
# --------------------------------------------------------------------------


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-01", "2026-00-10"])
def test_impossible_calendar_date(ws: Path, date: str) -> None:
    path = write(
        ws,
        "waivers:\n  - control: SUP-DPA\n    target: organisation\n    justification: J\n"
        f"    approver: A\n    decided_on: {date}\n    expires_on: 2027-01-01\n    risk: low\n",
        "waivers.yaml",
    )
    assert_input_error(validate(ws), at(path, 6))


def test_integer_with_too_many_digits(ws: Path) -> None:
    path = write(
        ws,
        VALID_SERVICES.replace("hosting: saas", "hosting: saas, data_subject_count: " + "9" * 5000),
    )
    assert_input_error(validate(ws), at(path, 2))


def test_control_character_is_located(ws: Path) -> None:
    path = write(ws, "services:\n  - id: a\n    name: A\x00\n")
    assert_input_error(validate(ws), at(path, 3), "character")


def test_control_character_is_an_input_error(ws: Path) -> None:
    path = write(ws, "services:\n  - id: a\n    name: A\x07\n")
    assert_input_error(validate(ws), str(path), "control characters are not allowed")


def test_directory_named_like_a_control_file(ws: Path) -> None:
    (use_custom_controls(ws) / "drafts.yaml").mkdir()
    result = validate(ws)
    assert result.exception is None or isinstance(result.exception, SystemExit), _describe(result)
    assert result.exit_code in (0, 2), _describe(result)


def test_oversized_custom_control_is_not_read_into_memory(ws: Path) -> None:
    folder = use_custom_controls(ws)
    sparse_file(folder / "CUS-BIG.yaml", 50 * 1024 * 1024)
    result, elapsed, peak = bounded(["validate", str(ws)])
    assert_input_error(result, "CUS-BIG.yaml", "MiB limit")
    assert_bounded(elapsed, peak)


def test_many_dangling_references_are_reported_fast(ws: Path) -> None:
    count = 1000
    write(
        ws,
        "vendors:\n"
        + "".join(f"  - {{id: vendor-{i}, name: V, country: CH}}\n" for i in range(count)),
        "vendors.yaml",
    )
    write(
        ws,
        "services:\n"
        + "".join(
            f"  - {{id: s{i}, name: A, owner: O, purpose: P, hosting: saas, vendor: vendr-{i}}}\n"
            for i in range(count)
        ),
    )
    start = time.perf_counter()
    result = validate(ws)
    elapsed = time.perf_counter() - start
    assert_input_error(result, f"{count} problems", "unknown vendor 'vendr-0'")
    assert elapsed < MAX_SECONDS, f"took {elapsed:.1f} s"


def test_init_below_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    assert_input_error(invoke("init", str(blocker / "ws"), *INIT_OPTIONS), str(blocker))


def test_audit_output_below_a_regular_file(ws: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    result = audit(ws, "--format", "json", "-o", str(blocker / "out.json"))
    assert_input_error(result, str(blocker))


def test_init_refuses_a_config_that_would_not_validate(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    result = invoke(
        "init", str(folder), "--commune", "T" * 300, "--canton", "BL", "--population", "5"
    )
    assert_input_error(result, "200")
    assert not (folder / "conformite.toml").exists()
