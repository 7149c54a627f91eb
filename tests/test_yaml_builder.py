"""The direct value builder of safe_yaml gives exactly what PyYAML's constructor gives."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from conformite.inventory import safe_yaml

REPO = Path(__file__).resolve().parents[1]
FILES = sorted(
    p
    for pattern in ("controls/**/*.yaml", "src/conformite/**/*.yaml", "supplier_profiles/*.yaml")
    for p in REPO.glob(pattern)
)


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def both(text: str) -> tuple[object, object]:
    """(direct builder's value, PyYAML constructor's value) of ``text``; the value
    built from the parser's events without nodes is checked to be the direct one."""
    direct = safe_yaml._Loader(text)
    reference = safe_yaml._Loader(text)
    try:
        built = safe_yaml._build(direct, direct.get_single_node())
        constructed = reference.construct_document(reference.get_single_node())
    finally:
        direct.dispose()
        reference.dispose()
    if "!!" not in text:  # a tag is left to the composed path
        assert same(safe_yaml._parse_streaming(text), built)
    return built, constructed


def test_every_shipped_yaml_file_is_found() -> None:
    assert len(FILES) > 100


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_shipped_files_build_the_same(path: Path) -> None:
    built, constructed = both(path.read_text(encoding="utf-8"))
    assert same(built, constructed)


def test_every_scalar_type_builds_the_same() -> None:
    text = (
        "a: text\nb: 'quoted'\nc: 010\nd: 0o17\ne: 0x1F\nf: -1.5e3\ng: .inf\nh: -.inf\n"
        "i: .nan\nj: true\nk: FALSE\nl: null\nm: ~\nn:\no: 2026-01-10\n"
        "p: 2026-01-10 10:00:00\nq: NO\nr: 12:30\ns: !!str 42\nt: [1, [2, {u: v}]]\n1: one\n"
        "tz: 2026-01-10T10:00:00+02:00\nutc: 2026-01-10T10:00:00Z\nempty: ''\n~: nothing\n"
    )
    built, constructed = both(text)
    assert same(built, constructed)
    assert built["c"] == 10 and built["q"] == "NO" and built["r"] == "12:30"  # type: ignore[index]
    assert built["o"] == dt.date(2026, 1, 10) and built[1] == "one"  # type: ignore[index]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", id="merge key"),
        pytest.param("a: 1\na: 2\n", id="repeated key"),
        pytest.param("? [1, 2]\n: pair\n", id="collection as a key"),
    ],
)
def test_unusual_documents_are_left_to_pyyaml(text: str) -> None:
    loader = safe_yaml._Loader(text)
    try:
        with pytest.raises(safe_yaml._Unusual):
            safe_yaml._build(loader, loader.get_single_node())
    finally:
        loader.dispose()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", id="merge key"),
        pytest.param("other:\n  <<: {x: 1}\n  y: 2\n", id="inline merge key"),
        pytest.param("a: 1\na: 2\n", id="repeated key"),
        pytest.param("1: a\n01: b\n", id="keys equal as values"),
        pytest.param("? [1, 2]\n: pair\n", id="collection as a key"),
        pytest.param("a: !!str 1\n", id="tag"),
        pytest.param("a: !!python/object:os.system x\n", id="python tag"),
        pytest.param("a: &x 1\n", id="anchor"),
        pytest.param("a: [1, 2]\n---\nb: 1\n", id="two documents"),
        pytest.param("[" * 201 + "]" * 201 + "\n", id="too deep"),
        pytest.param("a: [1, 2\n", id="syntax error"),
        pytest.param("count: 0x" + "f" * 5000 + "\n", id="integer too long"),
    ],
)
def test_documents_the_event_builder_leaves_to_the_composed_path(text: str) -> None:
    with pytest.raises((safe_yaml._Unusual, safe_yaml.yaml.YAMLError)):
        safe_yaml._parse_streaming(text)


def test_the_event_builder_reads_empty_and_nested_documents() -> None:
    assert safe_yaml._parse_streaming("") is None
    assert safe_yaml._parse_streaming("# only a comment\n") is None
    assert safe_yaml._parse_streaming("---\n") is None
    nested = "[" * 199 + "1" + "]" * 199 + "\n"  # deepest allowed: built, not refused
    value = safe_yaml._parse_streaming(nested)
    for _ in range(199):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == 1


def test_a_repeated_key_is_still_a_located_error_through_the_public_reader() -> None:
    with pytest.raises(safe_yaml.InputError) as error:
        safe_yaml.load_yaml_text("a: 1\nb: 2\na: 3\n", "x.yaml")
    problem = error.value.problems[0]
    assert problem.line == 3 and "duplicate key 'a'" in problem.message


def test_a_merge_key_still_merges() -> None:
    doc = safe_yaml.load_yaml_text("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", "x.yaml")
    assert doc.data == {"base": {"x": 1}, "other": {"x": 1, "y": 2}}


def test_an_inline_merge_key_still_merges_through_the_public_reader() -> None:
    """No alias, so the direct builder is tried first: it leaves ``<<`` to PyYAML."""
    doc = safe_yaml.load_yaml_text("other:\n  <<: {x: 1}\n  y: 2\n", "x.yaml")
    assert doc.data == {"other": {"x": 1, "y": 2}}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 2024-02-30\na: 1\n", 2, "duplicate key 'a'"),
        ("1: a\n01: b\n", 2, "duplicate key '01' (first at line 1, written '1')"),
        ("~: a\nnull: b\n", 2, "duplicate key 'null'"),
        ("x:\n  true: 1\n  True: 2\n", 3, "duplicate key 'True'"),
    ],
)
def test_keys_equal_as_values_are_duplicates(text: str, line: int, words: str) -> None:
    with pytest.raises(safe_yaml.InputError) as error:
        safe_yaml.load_yaml_text(text, "x.yaml")
    problem = error.value.problems[0]
    assert problem.line == line and words in problem.message


def test_an_integer_longer_than_python_allows_is_refused_in_any_base() -> None:
    for digits in ("9" * 5000, "0x" + "f" * 5000, "0o" + "7" * 5000):
        with pytest.raises(safe_yaml.InputError) as error:
            safe_yaml.load_yaml_text(f"count: {digits}\n", "x.yaml")
        assert error.value.problems[0].line == 1
