"""Hostile YAML: explicit tags, YAML 1.1 numbers, alias bombs and deep nesting.

Every YAML file conformite reads (inventory, screening candidate, YAML
questionnaire answers, custom controls, supplier profiles) goes through
``conformite.inventory.safe_yaml``. These tests go through the CLI with real
files and check that:

* an explicit tag (``!!bool``, ``!!set``, ``!!python/...``, ``!foo``) is a located
  error (``file:line:column``, "explicit YAML tags are not supported", a hint),
  exit code 2, no traceback; only ``!!str`` on a scalar (it just says "text") is read;
* numbers follow the YAML 1.2 core schema that the README promises (``010`` is 10,
  ``12:30`` and ``1_000`` are text), and what conformite writes reads back the same;
* alias bombs, aliases to their own container and deep nesting are refused with
  the line of the anchor or of the deep node.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import traceback
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from conformite.cli import cli
from conformite.inventory.safe_yaml import load_yaml_text

AS_OF = "2026-11-28"
INIT_OPTIONS = ("--commune", "Testdorf", "--canton", "BL", "--population", "1900")
#: Each hostile file is refused in well under this (the attacks took minutes or crashed).
MAX_SECONDS = 5.0
TAG_MESSAGE = "explicit YAML tags are not supported"
TAG_HINT = "hint: remove the tag"

#: (text written after ``key: ``, the tag as the message shows it).
TAGS = [
    pytest.param('!!bool "true"', "!!bool", id="bool"),
    pytest.param("!!float 1", "!!float", id="float"),
    pytest.param("!!int '12'", "!!int", id="int"),
    pytest.param("!!timestamp 2026-01-02", "!!timestamp", id="timestamp"),
    pytest.param("!!timestamp x", "!!timestamp", id="timestamp-invalid"),
    pytest.param("!!set {a, b}", "!!set", id="set"),
    pytest.param("!!map {a: 1}", "!!map", id="map"),
    pytest.param("!!seq [a]", "!!seq", id="seq"),
    pytest.param("!!omap [a: 1]", "!!omap", id="omap"),
    pytest.param("!!binary aGk=", "!!binary", id="binary"),
    pytest.param("!!null ''", "!!null", id="null"),
    pytest.param("!!python/object/apply:os.system [echo]", "!!python/object/apply", id="python"),
    pytest.param("!foo x", "!foo", id="custom"),
]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _describe(result: Result) -> str:
    text = f"exit code {result.exit_code}\n--- output ---\n{result.output}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += "--- exception ---\n" + "".join(traceback.format_exception(result.exception))
    return text


def assert_input_error(result: Result, *fragments: str) -> str:
    """Exit code 2, no traceback, every fragment in the output."""
    assert result.exception is None or isinstance(result.exception, SystemExit), _describe(result)
    assert result.exit_code == 2, _describe(result)
    assert "Traceback" not in result.output, _describe(result)
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} missing\n{_describe(result)}"
    return result.output


def timed(*args: str) -> Result:
    start = time.perf_counter()
    result = invoke(*args)
    elapsed = time.perf_counter() - start
    assert elapsed < MAX_SECONDS, f"took {elapsed:.1f} s\n{_describe(result)}"
    return result


@pytest.fixture(scope="module")
def template_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("template") / "ws"
    created = invoke("init", str(directory), *INIT_OPTIONS)
    assert created.exit_code == 0, _describe(created)
    return directory


@pytest.fixture
def ws(template_ws: Path, tmp_path: Path) -> Path:
    """A fresh copy of a ``conformite init`` workspace."""
    import shutil

    directory = tmp_path / "ws"
    shutil.copytree(template_ws, directory)
    return directory


def services(ws: Path, purpose: str) -> Path:
    """services.yaml with one service whose ``purpose`` (line 3) is ``purpose``."""
    path = ws / "inventory" / "services.yaml"
    path.write_text(
        "services:\n"
        "  - id: a\n"
        f"    purpose: {purpose}\n"
        "    name: A\n"
        "    owner: O\n"
        "    hosting: saas\n",
        encoding="utf-8",
    )
    return path


CANDIDATE = """\
vendors:
  - id: nuage
    name: Nuage SA
    country: CH
    breach_notification_hours: {value}
data_location: {{stored_in: [CH], processed_in: [CH], support_access_from: [CH]}}
"""


def screen(path: Path) -> Result:
    return timed(
        "screen",
        str(path),
        "--use",
        "Guichet virtuel",
        "--data",
        "identity,contact",
        "--canton",
        "VD",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )


def answers_file(tmp_path: Path, contact: str, hours: str = "24") -> Path:
    """A YAML questionnaire with ``contact`` on line 6 and ``breach_notification_hours``."""
    path = tmp_path / "answers.yaml"
    path.write_text(
        "questions:\n"
        "- field: name\n"
        "  answer: Nuage SA\n"
        "- field: contact\n"
        "  # the vendor's answer:\n"
        f"  answer: {contact}\n"
        "- field: country\n"
        "  answer: CH\n"
        "- field: breach_notification_hours\n"
        f"  answer: {hours}\n",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------
# explicit tags, in every kind of file
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), TAGS)
def test_explicit_tag_in_inventory_is_refused_with_its_place(
    ws: Path, value: str, shown: str
) -> None:
    path = services(ws, value)
    output = assert_input_error(timed("validate", str(ws)), f"{path}:3:14:", TAG_MESSAGE, TAG_HINT)
    assert f"'{shown}" in output, output


@pytest.mark.parametrize(("value", "shown"), TAGS)
def test_explicit_tag_in_audit_is_refused(ws: Path, value: str, shown: str) -> None:
    path = services(ws, value)
    result = timed("audit", str(ws), "--as-of", AS_OF)
    assert_input_error(result, f"{path}:3:14:", TAG_MESSAGE, shown)


@pytest.mark.parametrize(("value", "shown"), TAGS)
def test_explicit_tag_in_screening_candidate_is_refused(
    tmp_path: Path, value: str, shown: str
) -> None:
    path = tmp_path / "candidate.yaml"
    path.write_text(CANDIDATE.format(value=value), encoding="utf-8")
    assert_input_error(screen(path), f"{path}:5:32:", TAG_MESSAGE, shown, TAG_HINT)


@pytest.mark.parametrize(("value", "shown"), TAGS)
def test_explicit_tag_in_questionnaire_answers_is_refused(
    tmp_path: Path, value: str, shown: str
) -> None:
    path = answers_file(tmp_path, value)
    result = timed("questionnaire", "import", str(path))
    assert_input_error(result, f"{path}:6:11:", TAG_MESSAGE, shown, TAG_HINT)


def test_explicit_tag_in_custom_control_is_refused(ws: Path) -> None:
    config = ws / "conformite.toml"
    text = config.read_text(encoding="utf-8")
    assert "extra = []" in text
    config.write_text(text.replace("extra = []", 'extra = ["my-controls"]'), encoding="utf-8")
    (ws / "my-controls").mkdir()
    path = ws / "my-controls" / "CUS-TAG.yaml"
    path.write_text("id: CUS-TAG\nstatus: active\nseverity: !!set {high}\n", encoding="utf-8")
    assert_input_error(timed("validate", str(ws)), f"{path}:3:11:", TAG_MESSAGE, "!!set")


def test_explicit_tag_in_supplier_profile_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "publisher.key"
    made = invoke("keygen", str(key))
    assert made.exit_code == 0, _describe(made)
    folder = tmp_path / "published"
    folder.mkdir()
    path = folder / "nuage.v1.yaml"
    path.write_text(
        "profile:\n  id: nuage\n  version: !!float 1\n  publisher: P\n", encoding="utf-8"
    )
    result = timed("profiles", "publish", str(folder), "--key", str(key))
    assert_input_error(result, ":3:12:", TAG_MESSAGE, "!!float")
    assert not (folder / "index.json").exists()


def test_tags_on_keys_and_documents_are_refused(ws: Path) -> None:
    path = ws / "inventory" / "services.yaml"
    path.write_text("services:\n  - ? !!int 1\n    : x\n", encoding="utf-8")
    assert_input_error(timed("validate", str(ws)), f"{path}:2:7:", TAG_MESSAGE, "!!int")
    path.write_text("--- !!map\nservices: []\n", encoding="utf-8")
    assert_input_error(timed("validate", str(ws)), f"{path}:1:5:", TAG_MESSAGE, "!!map")


def test_str_tag_on_a_scalar_is_text(tmp_path: Path) -> None:
    """``!!str`` only says "text": read as text, like quotes."""
    path = answers_file(tmp_path, "!!str 010")
    result = timed("questionnaire", "import", str(path))
    assert result.exit_code == 0, _describe(result)
    vendor = load_yaml_text(result.output, "out").data["vendors"][0]
    assert vendor["contact"] == "010"


def test_str_tag_on_a_mapping_is_refused(ws: Path) -> None:
    path = services(ws, "!!str {a: 1}")
    assert_input_error(timed("validate", str(ws)), f"{path}:3:14:", TAG_MESSAGE, "!!str")


# --------------------------------------------------------------------------
# numbers: YAML 1.2 core schema
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("010", 10),
        ("0o10", 8),
        ("0x1F", 31),
        ("+12", 12),
        ("-0", 0),
        ("0777", 777),
        ("12:30", "12:30"),
        ("1:20:30.5", "1:20:30.5"),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("1,000", "1,000"),
        (".5", 0.5),
        ("+.5", 0.5),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("0.", 0.0),
        ("-1.5e-2", -0.015),
        (".inf", float("inf")),
        ("-.Inf", float("-inf")),
        ("NO", "NO"),
        ("yes", "yes"),
        ("off", "off"),
        ("True", True),
        ("false", False),
        ("~", None),
        ("=", "="),
        ("2026-01-02", __import__("datetime").date(2026, 1, 2)),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    data = load_yaml_text(f"k: {text}\n", "x.yaml").data
    assert data == {"k": value}
    assert type(data["k"]) is type(value)


def test_nan_is_a_float() -> None:
    value = load_yaml_text("k: .NaN\n", "x.yaml").data["k"]
    assert isinstance(value, float) and value != value


def test_leading_zero_is_decimal_through_the_cli(tmp_path: Path) -> None:
    path = answers_file(tmp_path, "12:30", hours="010")
    result = timed("questionnaire", "import", str(path))
    assert result.exit_code == 0, _describe(result)
    vendor = yaml.safe_load(result.output)["vendors"][0]
    assert vendor["breach_notification_hours"] == 10  # YAML 1.1 read 8
    assert vendor["contact"] == "12:30"  # YAML 1.1 read 750


def test_sexagesimal_looking_text_is_a_valid_text_field(ws: Path) -> None:
    """``purpose: 12:30`` is text (YAML 1.1 made it the integer 750, a wrong type)."""
    services(ws, "12:30")
    result = timed("validate", str(ws))
    assert result.exit_code == 0, _describe(result)


def test_screen_reads_leading_zero_as_decimal(tmp_path: Path) -> None:
    path = tmp_path / "candidate.yaml"
    path.write_text(CANDIDATE.format(value="072"), encoding="utf-8")
    result = screen(path)
    # 72 hours is more than the 48-hour threshold: no-go (YAML 1.1 read 072 as 58).
    assert result.exit_code == 4, _describe(result)
    assert "Nuage SA (72 h)" in result.output, result.output


@pytest.mark.parametrize("text", ["1e3", "0o10", "010", "12:30", "1_000", ".inf", "NO", "yes"])
def test_written_entry_reads_back_as_the_same_text(tmp_path: Path, text: str) -> None:
    """The import's output is YAML 1.2-safe: text that 1.2 would read as a number is quoted."""
    from conformite.inventory.safe_yaml import dump_yaml

    path = answers_file(tmp_path, f"'{text}'")
    result = timed("questionnaire", "import", str(path))
    assert result.exit_code == 0, _describe(result)
    assert load_yaml_text(result.output, "out").data["vendors"][0]["contact"] == text
    assert load_yaml_text(dump_yaml({"k": text}), "out").data == {"k": text}


# --------------------------------------------------------------------------
# aliases and nesting: located
# --------------------------------------------------------------------------


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"services: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_names_the_line_of_the_anchor(ws: Path) -> None:
    path = ws / "inventory" / "services.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    # a8 (line 9) is the anchor the bomb repeats most.
    assert_input_error(timed("validate", str(ws)), f"{path}:9:5:", "alias bomb")


def test_alias_bomb_in_questionnaire_answers_is_located(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(billion_laughs().replace("services:", "questions:"), encoding="utf-8")
    result = timed("questionnaire", "import", str(path))
    assert_input_error(result, f"{path}:9:5:", "alias bomb")


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        pytest.param("services: &loop [*loop]\n", 1, 11, id="sequence"),
        pytest.param("services:\n  - &me {id: a, name: *me}\n", 2, 5, id="mapping"),
        pytest.param("services:\n  - &outer\n    - [1, [*outer]]\n", 2, 5, id="indirect"),
    ],
)
def test_alias_to_its_own_container_is_located(
    ws: Path, content: str, line: int, column: int
) -> None:
    path = ws / "inventory" / "services.yaml"
    path.write_text(content, encoding="utf-8")
    assert_input_error(timed("validate", str(ws)), f"{path}:{line}:{column}:", "recursive")


def test_self_alias_in_screening_candidate_is_located(tmp_path: Path) -> None:
    path = tmp_path / "candidate.yaml"
    path.write_text("vendors: &v [*v]\n", encoding="utf-8")
    assert_input_error(screen(path), f"{path}:1:10:", "recursive")


@pytest.mark.parametrize(
    ("content", "line"),
    [
        pytest.param("services: " + "[" * 250 + "]" * 250 + "\n", 1, id="flow-250"),
        pytest.param("services: " + "{a: " * 250 + "1" + "}" * 250 + "\n", 1, id="flow-map-250"),
        pytest.param(
            "services:\n" + "".join("  " * i + "-\n" for i in range(1, 250)), 201, id="block-250"
        ),
        pytest.param("x: " + "[" * 100_000 + "]" * 100_000 + "\n", 1, id="flow-100000"),
    ],
)
def test_deep_nesting_is_located(ws: Path, content: str, line: int) -> None:
    path = ws / "inventory" / "services.yaml"
    path.write_text(content, encoding="utf-8")
    output = assert_input_error(timed("validate", str(ws)), f"{path}:{line}:")
    assert "nest" in output, output


def test_deep_nesting_does_not_crash_the_interpreter(tmp_path: Path) -> None:
    """PyYAML 6.0.1-6.0.3 segfault here with the C loader (hence pyyaml>=6.0.4)."""
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from conformite.errors import InputError
        from conformite.inventory.safe_yaml import load_yaml_file
        try:
            load_yaml_file(Path({str(path)!r}))
        except InputError as exc:
            print(exc.problems[0].line, exc.problems[0].message)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert done.stdout.startswith("1 "), done.stdout
    assert "nesting depth" in done.stdout


def test_pyyaml_floor_excludes_the_crashing_versions() -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert '"pyyaml>=6.0.4"' in pyproject.read_text(encoding="utf-8")
    installed = tuple(int(part) for part in yaml.__version__.split(".")[:3])
    assert installed >= (6, 0, 4), yaml.__version__
