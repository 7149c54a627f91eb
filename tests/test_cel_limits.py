"""Custom controls cannot hang or exhaust the audit: CEL cost limits.

What the loader can see is refused when the catalogue loads (``validate``
names file, line and control); what it cannot (lists whose size comes from
the inventory) is stopped at run time by engine.guard: an ``error`` finding
naming the control and the limit, and the audit completes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformite.catalogue.cel import ExpressionError, check_cost
from conformite.cli import cli
from conformite.engine import guard

AS_OF = "2026-11-28"

CONTROL = """\
id: {id}
since: "0.1"
family: governance
severity: {severity}
target: service
effort: {{person_days: 0.5}}
title: {{fr: Titre, de: Titel, it: Titolo, en: Title}}
description: {{fr: D, de: D, it: D, en: D}}
rationale: {{fr: R, de: R, it: R, en: R}}
remediation: {{fr: M, de: M, it: M, en: M}}
legal_basis:
  - {{instrument: nLPD, article: "8", url: "https://www.fedlex.admin.ch/eli/cc/2022/491/fr#art_8"}}
{variables}requirements:
  - name: check
    expression: {expression}
    message: {{fr: "{{facts}}", de: "{{facts}}", it: "{{facts}}", en: "owner is {{facts}}"}}
    facts: {facts}
"""

SERVICES = "services:\n" + "".join(
    f"  - {{id: s{i}, name: S{i}, owner: Greffe, purpose: P, hosting: saas}}\n" for i in range(3)
)

OK = 'service.owner == "Greffe"'
FAILS = 'service.owner == "Informatique"'
#: size(service.owner) is 6 ("Greffe"): 6,000^3 iterations, invisible to the loader.
BILLIONS = " ".join(
    [
        "lists.range(size(service.owner) * 1000).exists(a,",
        "lists.range(size(service.owner) * 1000).exists(b,",
        "lists.range(size(service.owner) * 1000).exists(c, a + b + c < 0)))",
    ]
)
#: A 10^8-character string (built by the Python stdlib), then 6 copies in CEL's Rust.
_A = '"' + "a" * 100 + '"'
_GROWN = _A + f'.replace("a", {_A})' * 3
MEMORY = f"[{_GROWN}].map(x, x + x + x + x + x + x).size() > 0"


def _workspace(
    tmp_path: Path,
    controls: dict[str, str],
    severity: str = "critical",
    variables: str = "",
    facts: str = "service.owner",
) -> Path:
    ws = tmp_path / "ws"
    runner = CliRunner()
    assert (
        runner.invoke(
            cli, ["init", str(ws), "--commune", "T", "--canton", "BE", "--population", "900"]
        ).exit_code
        == 0
    )
    config = ws / "conformite.toml"
    config.write_text(config.read_text().replace("extra = []", 'extra = ["my-controls"]'))
    (ws / "my-controls").mkdir()
    for control_id, expression in controls.items():
        (ws / "my-controls" / f"{control_id}.yaml").write_text(
            CONTROL.format(
                id=control_id,
                severity=severity,
                variables=variables,
                expression=json.dumps(expression),
                facts=json.dumps(facts),
            )
        )
    (ws / "inventory" / "services.yaml").write_text(SERVICES)
    return ws


def _audit(ws: Path, *extra: str) -> tuple[int, list[dict], float]:  # type: ignore[type-arg]
    started = time.monotonic()
    result = CliRunner().invoke(
        cli,
        [
            "audit",
            str(ws),
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--schema",
            "2",
            "--lang",
            "en",
            *extra,
        ],
    )
    elapsed = time.monotonic() - started
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"], elapsed


def _of(findings: list[dict], control_id: str) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in findings if f["control_id"] == control_id]


def _validate(ws: Path) -> tuple[int, str, float]:
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["validate", str(ws)])
    return result.exit_code, result.output, time.monotonic() - started


def test_a_billion_iterations_over_written_lists_is_refused_by_validate(tmp_path: Path) -> None:
    nested = "lists.range(1000).exists(a, lists.range(1000).exists(b, "
    nested += "lists.range(1000).exists(c, a + b + c < 0)))"
    ws = _workspace(tmp_path, {"CUS-HANG": nested})
    code, output, elapsed = _validate(ws)
    assert code == 2
    assert "CUS-HANG.yaml:15:5: requirements[0].expression: control CUS-HANG:" in output
    assert "1,000,000,000 iterations on each target (at most 100,000)" in output
    assert elapsed < 10


def test_a_huge_written_range_is_refused_by_validate(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"CUS-BIG": "size(lists.range(1000000000)) > 0"})
    code, output, _ = _validate(ws)
    assert code == 2
    assert "control CUS-BIG: lists.range(1000000000) builds a list of more than" in output


def test_variables_doubling_their_text_are_refused_quickly(tmp_path: Path) -> None:
    # Each variable refers twice to the one before: inlined, 2^30 copies.
    lines = ["variables:\n", "  - {name: v0, expression: '[1]'}\n"]
    lines += [
        f"  - {{name: v{i}, expression: 'variables.v{i - 1} + variables.v{i - 1}'}}\n"
        for i in range(1, 31)
    ]
    ws = _workspace(tmp_path, {"CUS-DOUBLE": "size(variables.v30) > 0"}, variables="".join(lines))
    code, output, elapsed = _validate(ws)
    assert code == 2
    assert "control CUS-DOUBLE: the expression is" in output
    assert (
        "characters long once its variables and parameters are written in (at most 50,000)"
    ) in output
    assert elapsed < 10


def test_a_huge_parameter_override_of_a_builtin_control_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"CUS-OK": OK})
    roles = ", ".join(f'"r{i}"' for i in range(20_000))
    with (ws / "conformite.toml").open("a", encoding="utf-8") as config:
        config.write(f"\n[parameters.GOV-COMMISSION-COMPOSITION]\nrecommended_roles = [{roles}]\n")
    code, output, elapsed = _validate(ws)
    assert code == 2
    assert "GOV-COMMISSION-COMPOSITION.yaml:" in output
    assert "control GOV-COMMISSION-COMPOSITION: the expression is" in output
    assert "long list parameter" in output
    assert elapsed < 10


def test_an_expression_that_crashes_the_cel_parser_is_a_located_error(tmp_path: Path) -> None:
    # The binding's parser panics (a BaseException) on this one.
    ws = _workspace(tmp_path, {"CUS-DEEP": "(" * 100_000 + "true" + ")" * 100_000})
    code, output, _ = _validate(ws)
    assert code == 2
    assert (
        "CUS-DEEP.yaml:15:5: requirements[0].expression: control CUS-DEEP: "
        "CEL syntax error: the parser failed"
    ) in output
    assert "Traceback" not in output
    assert len(output) < 2_000  # the expression is quoted shortened


def test_a_very_long_expression_is_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"CUS-LONG": " && ".join(["service.owner != null"] * 600)})
    code, output, _ = _validate(ws)
    assert code == 2
    assert "control CUS-LONG: the expression is 14,996 characters long (at most 10,000)" in output


def test_billions_of_iterations_are_stopped_and_the_audit_completes(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"CUS-HANG": BILLIONS, "CUS-OK": OK})
    assert _validate(ws)[0] == 0  # the loader cannot see the lists' size
    code, findings, elapsed = _audit(ws)
    assert elapsed < 20
    assert code == 0
    hang = _of(findings, "CUS-HANG")
    assert [f["target_id"] for f in hang] == ["s0", "s1", "s2"]
    for finding in hang:
        assert finding["outcome"] == "error"
        assert finding["facts"] == []
        assert finding["messages"] == [
            "Evaluation error, the control could not be checked: CUS-HANG stopped: its CEL "
            "expressions went over the time limit (1 s per finding, 10 s in all)"
        ]
    assert [f["outcome"] for f in _of(findings, "CUS-OK")] == ["pass"] * 3


def test_a_stopped_control_fails_the_audit_per_fail_on(tmp_path: Path) -> None:
    # Critical: no built-in control fails at that severity in this workspace.
    ok = _workspace(tmp_path / "ok", {"CUS-OK": OK})
    assert _audit(ok, "--fail-on", "critical")[0] == 0
    hang = _workspace(tmp_path / "hang", {"CUS-HANG": BILLIONS, "CUS-OK": OK})
    code, findings, _ = _audit(hang, "--fail-on", "critical")
    assert code == 1
    assert {f["outcome"] for f in _of(findings, "CUS-HANG")} == {"error"}


def test_a_control_over_its_total_time_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # About 0.25 s on each of the 3 services: within the time per finding, not in all.
    monkeypatch.setenv("CONFORMITE_CEL_SECONDS_PER_FINDING", "30")
    monkeypatch.setenv("CONFORMITE_CEL_SECONDS_PER_CONTROL", "0.1")
    slow = (
        "lists.range(size(service.owner) * 120).exists(a,"
        " lists.range(size(service.owner) * 120).exists(b, a + b < 0))"
    )
    ws = _workspace(tmp_path, {"CUS-SLOW": slow, "CUS-OK": OK})
    _, findings, elapsed = _audit(ws)
    assert elapsed < 20
    assert [f["messages"] for f in _of(findings, "CUS-SLOW")] == [
        [
            "Evaluation error, the control could not be checked: CUS-SLOW stopped: its CEL "
            "expressions went over the time limit (30 s per finding, 0.1 s in all)"
        ]
    ] * 3
    assert [f["outcome"] for f in _of(findings, "CUS-OK")] == ["pass"] * 3


def test_a_memory_hungry_control_is_stopped_at_the_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFORMITE_CEL_SECONDS_PER_FINDING", "60")
    monkeypatch.setenv("CONFORMITE_CEL_SECONDS_PER_CONTROL", "120")
    ws = _workspace(tmp_path, {"CUS-MEMORY": MEMORY, "CUS-OK": OK})
    assert _validate(ws)[0] == 0
    _, findings, elapsed = _audit(ws)
    assert elapsed < 30
    assert [f["messages"] for f in _of(findings, "CUS-MEMORY")] == [
        [
            "Evaluation error, the control could not be checked: CUS-MEMORY stopped: its CEL "
            "expressions went over the memory limit (512 MiB)"
        ]
    ] * 3
    assert [f["outcome"] for f in _of(findings, "CUS-OK")] == ["pass"] * 3


def test_memory_from_a_stdlib_function_is_bounded_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1.2 billion integers (tens of GB) asked of the Python side of the binding.
    monkeypatch.setenv("CONFORMITE_CEL_MEMORY_MIB", "256")
    ws = _workspace(
        tmp_path, {"CUS-RANGE": "size(lists.range(size(service.owner) * 200000000)) > 0"}
    )
    _, findings, _ = _audit(ws)
    assert {m for f in _of(findings, "CUS-RANGE") for m in f["messages"]} == {
        "Evaluation error, the control could not be checked: CUS-RANGE stopped: its CEL "
        "expressions went over the memory limit (256 MiB)"
    }


def test_a_control_listing_a_million_facts_is_stopped(tmp_path: Path) -> None:
    ws = _workspace(
        tmp_path,
        {"CUS-FACTS": FAILS, "CUS-OK": OK},
        facts="lists.range(size(service.owner) * 50000)",
    )
    # CUS-OK has the same facts expression, but passes: its facts are never computed.
    _, findings, _ = _audit(ws)
    assert [f["messages"] for f in _of(findings, "CUS-FACTS")] == [
        [
            "Evaluation error, the control could not be checked: CUS-FACTS stopped: one of its "
            "findings went over the size limit (100'000 characters of messages and facts)"
        ]
    ] * 3
    assert [f["outcome"] for f in _of(findings, "CUS-OK")] == ["pass"] * 3


def test_normal_custom_controls_give_the_same_findings_as_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(
        tmp_path, {"CUS-OK": OK, "CUS-FAILS": FAILS, "CUS-ERROR": "int(service.owner) > 0"}
    )
    guarded = CliRunner().invoke(
        cli, ["audit", str(ws), "--as-of", AS_OF, "--format", "json", "--schema", "2"]
    )
    findings = json.loads(guarded.output)["findings"]
    assert [f["outcome"] for f in _of(findings, "CUS-OK")] == ["pass"] * 3
    failing = _of(findings, "CUS-FAILS")
    assert [f["messages"] for f in failing] == [["owner is Greffe"]] * 3
    assert failing[0]["facts"] == [
        {"name": "check", "kind": "requirement", "met": False, "details": ["Greffe"]}
    ]
    assert "requirements.check" in _of(findings, "CUS-ERROR")[0]["messages"][0]
    monkeypatch.setattr(guard, "available", lambda: False)  # as before: all in this process
    plain = CliRunner().invoke(
        cli, ["audit", str(ws), "--as-of", AS_OF, "--format", "json", "--schema", "2"]
    )
    assert guarded.exit_code == plain.exit_code
    assert guarded.output == plain.output


_LIST = "[" + ", ".join(str(i) for i in range(400)) + "]"
_MAP = "{" + ", ".join(f"{i}: {i}" for i in range(400)) + "}"


@pytest.mark.parametrize(
    ("expression", "iterations"),
    [
        (f"{_LIST}.exists(a, {_LIST}.exists(b, a == b))", "160,000"),
        (f"{_MAP}.exists(a, {_MAP}.all(b, a == b))", "160,000"),
        (f"([1] + {_LIST}).exists(a, ({_LIST}).map(b, b).size() > a)", "160,400"),
        (
            "lists.range(50).exists(a, lists.range(50).exists(b, lists.range(50).exists(c, 1)))",
            "125,000",
        ),
    ],
)
def test_the_load_check_sizes_lists_written_in_the_expression(
    expression: str, iterations: str
) -> None:
    with pytest.raises(ExpressionError, match=f"make {iterations} iterations on each target"):
        check_cost(expression)


@pytest.mark.parametrize(
    "expression",
    [
        f"{_LIST}.exists(a, a == 1)",  # one level: 400
        "services.exists(s, services.exists(t, s.id == t.id))",  # sized at run time
        f"{_LIST}.exists(a, services.exists(s, size(s.name) == a))",
        "[1, 2, 3].map(x, x)[0] == 1 && T{a: 1}.exists(x, true)",
    ],
)
def test_the_load_check_accepts_small_or_inventory_lists(expression: str) -> None:
    check_cost(expression)
