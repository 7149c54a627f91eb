"""Loading the control catalogue: read, validate and compile every control.

:func:`load_catalogue` reads each control file against
:class:`~conformite.catalogue.model.Control`, compiles every CEL expression
and checks every field it reads against the evaluation context
(:mod:`conformite.catalogue.cel`), applies the commune's parameter overrides
from ``conformite.toml`` and loads the cantonal overlays. It reports every
problem of every file at once, each with file, line and control id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from string import Formatter
from typing import Any

from conformite._paths import builtin_catalogue_dir
from conformite.catalogue import cel as _cel
from conformite.catalogue import cost as _cost
from conformite.catalogue.cantons import (
    NO_DUTIES,
    CantonOverlay,
    Duties,
    load_duties,
    load_overlays,
)
from conformite.catalogue.model import (
    LANGUAGES,
    Catalogue,
    CompiledControl,
    CompiledRequirement,
    Control,
)
from conformite.errors import ProblemCollector, Text
from conformite.inventory.safe_yaml import YamlDocument, load_yaml_file
from conformite.inventory.validation import read_model

__all__ = ["load_catalogue"]

#: The commune duties and the controls that check them (see catalogue.cantons).
DUTIES_FILE = "duties.yaml"

_VARIABLE_USE = re.compile(r"\bvariables\.([a-z][a-z0-9_]*)")


def _expression_paths(control: Control) -> Iterable[tuple[tuple[str | int, ...], str, str]]:
    """(yaml path, expression, role) for every CEL expression in a control."""
    for i, cond in enumerate(control.applies_when):
        yield ("applies_when", i, "expression"), cond.expression, "condition"
    for i, unknown in enumerate(control.unknown_when):
        yield ("unknown_when", i, "expression"), unknown.expression, "condition"
    for i, var in enumerate(control.variables):
        yield ("variables", i, "expression"), var.expression, "variable"
    for i, req in enumerate(control.requirements):
        yield ("requirements", i, "expression"), req.expression, "requirement"
        if req.facts:
            yield ("requirements", i, "facts"), req.facts, "facts"


def _compile_control(
    control: Control,
    doc: YamlDocument,
    parameters: dict[str, Any],
    problems: ProblemCollector,
    builtin: bool = False,
) -> CompiledControl | None:
    bound_variables: dict[str, str] = {}
    compiled: dict[tuple[str | int, ...], Any] = {}
    paths: set[tuple[str, ...]] = set()
    #: Per expression, what it reads, the paths of the variables it uses included.
    reads: dict[tuple[str | int, ...], frozenset[tuple[str, ...]]] = {}
    variable_reads: dict[str, frozenset[tuple[str, ...]]] = {}
    formulas: list[_cost.Formula] = []
    ok = True
    for path, expression, role in _expression_paths(control):
        # A variable may only use the variables defined before it.
        try:
            program, bound, read = _cel.compile_checked(
                expression, control.target, parameters=parameters, variables=bound_variables
            )
            paths |= read
            for used in _VARIABLE_USE.findall(expression):
                read = read | variable_reads.get(used, frozenset())
            reads[path] = frozenset(read)
            if path[0] == "variables":
                variable_reads[control.variables[int(path[1])].name] = reads[path]
            if role != "variable":  # variables are written into the others
                formulas.append(_cost.expression_formula(bound, control.target))
        except _cel.ExpressionError as exc:
            line, column = doc.locate(path)
            problems.report(
                doc.file,
                Text("refuse.control_problem", control=control.id, problem=exc.message),
                line=line,
                column=column,
                path=f"{path[0]}[{path[1]}].{path[2]}",
                found=_shortened(expression.strip()),
                hint=exc.hint,
            )
            ok = False
            if path[0] == "variables":
                bound_variables[control.variables[int(path[1])].name] = "null"
            continue
        if path[0] == "variables":
            bound_variables[control.variables[int(path[1])].name] = bound
        compiled[path] = program
    for message_path, req in (
        (("requirements", i, "message"), r) for i, r in enumerate(control.requirements)
    ):
        for lang in LANGUAGES:
            problem = _message_problem(req.message.get(lang), parameters)
            if problem:
                message, expected = problem
                line, column = doc.locate((*message_path, lang))
                problems.report(
                    doc.file,
                    Text("refuse.control_problem", control=control.id, problem=message),
                    line=line,
                    column=column,
                    path=f"requirements[{message_path[1]}].message.{lang}",
                    expected=expected,
                )
                ok = False
    if not ok:
        return None
    return CompiledControl(
        control=control,
        source=doc.file,
        conditions=tuple(
            (c.name, compiled[("applies_when", i, "expression")])
            for i, c in enumerate(control.applies_when)
        ),
        requirements=tuple(
            CompiledRequirement(
                name=r.name,
                program=compiled[("requirements", i, "expression")],
                message=r.message,
                facts=compiled.get(("requirements", i, "facts")),
                paths=reads[("requirements", i, "expression")],
            )
            for i, r in enumerate(control.requirements)
        ),
        condition_paths=tuple(
            reads[("applies_when", i, "expression")] for i in range(len(control.applies_when))
        ),
        unknown_when=tuple(
            (u.name, compiled[("unknown_when", i, "expression")], u.message)
            for i, u in enumerate(control.unknown_when)
        ),
        parameters=parameters,
        paths=frozenset(paths),
        cost=_cost.combine(formulas),
        builtin=builtin,
    )


def _check_dependencies(controls: list[CompiledControl], problems: ProblemCollector) -> None:
    """``depends_on`` names loaded controls on the same kind of target, without cycles."""
    by_id = {c.id: c for c in controls}
    for control in controls:
        for other_id in control.control.depends_on:
            other = by_id.get(other_id)
            if other is None or other.control.target != control.control.target:
                problems.report(
                    control.source,
                    Text(
                        "refuse.depends_on_unknown"
                        if other is None
                        else "refuse.depends_on_other_target",
                        control=control.id,
                    ),
                    path="depends_on",
                    expected=Text("refuse.depends_on_expected", target=control.control.target),
                    found=other_id,
                    hint=_did_you_mean(other_id, by_id) if other is None else None,
                )
            elif other.control.depends_on:
                problems.report(
                    control.source,
                    Text("refuse.depends_on_chain", control=control.id, other=other_id),
                    path="depends_on",
                    expected=Text("refuse.depends_on_one_level"),
                    found=other_id,
                )


def _shortened(text: str, limit: int = 300) -> str:
    """An expression as an error message quotes it: at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    return Text("refuse.shortened", text=text[:limit], length=f"{len(text):,}")


def _message_problem(text: str, parameters: dict[str, Any]) -> tuple[str, str] | None:
    """(problem, expected) when a requirement's message cannot be filled, else None.

    Messages are filled with ``str.format_map``: checked here with the same
    parser, so that a stray brace fails loading, not an audit.
    """
    expected = Text(
        "refuse.message_placeholders",
        names=", ".join(sorted(parameters)) or Text("refuse.message_no_parameter"),
    )
    try:
        names = [name for _, name, _, _ in Formatter().parse(text) if name is not None]
    except ValueError as exc:
        return (
            Text("refuse.message_template", detail=str(exc)),
            Text("refuse.message_literal_brace", expected=expected),
        )
    for name in names:
        if name != "facts" and name not in parameters:
            return Text("refuse.message_unknown_placeholder", name=name), expected
    return None


def _did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    from conformite.errors import closest, did_you_mean

    return did_you_mean(closest(word, candidates))


def _catalogue_version(directory: Path) -> str:
    meta = directory / "catalogue.yaml"
    if not meta.is_file():
        return "0"
    doc = load_yaml_file(meta, _display(meta))
    data = doc.data if isinstance(doc.data, dict) else {}
    return str(data.get("version", "0"))


def _display(path: Path) -> str:
    """A short, stable name for a file: relative to the working directory if possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_catalogue(
    directories: Iterable[Path] | None = None,
    *,
    parameter_overrides: dict[str, dict[str, Any]] | None = None,
    include_drafts: bool = False,
    config_file: Path | None = None,
) -> Catalogue:
    """Load, validate and compile every control under the given directories.

    The first directory is the built-in catalogue unless ``directories`` says
    otherwise; later ones (a workspace's own controls) add controls. Raises
    :class:`InputError` with every problem of every file at once.
    """
    dirs = list(directories) if directories is not None else [builtin_catalogue_dir()]
    config_name = str(config_file) if config_file else "conformite.toml"

    def config_line(*loc: str) -> int | None:
        from conformite.inventory.config import toml_line

        return toml_line(config_file, loc) if config_file and config_file.is_file() else None

    overrides = parameter_overrides or {}
    problems = ProblemCollector()
    controls: list[CompiledControl] = []
    seen: dict[str, str] = {}
    hasher = hashlib.sha256()
    sources: list[str] = []
    shipped = builtin_catalogue_dir().resolve()
    for directory in dirs:
        if not directory.is_dir():
            problems.report(_display(directory), Text("refuse.control_folder_not_found"))
            continue
        builtin = directory.resolve() == shipped
        files = sorted(
            p
            for p in directory.rglob("*.yaml")
            if p.is_file()
            and p.name not in ("catalogue.yaml", "screening.yaml", DUTIES_FILE)
            and not {"reference", "cantons"} & set(p.relative_to(directory).parts)
        )
        for path in files:
            display = _display(path)
            control, doc = read_model(path, Control, problems, display)
            if doc is None:
                continue
            name = path.relative_to(directory).as_posix().encode()
            hasher.update(name + b"\0" + doc.text.encode("utf-8") + b"\0")
            if control is None:
                continue
            if path.stem != control.id:
                line, column = doc.locate(("id",))
                problems.report(
                    display,
                    Text("refuse.file_name_control_id"),
                    line=line,
                    column=column,
                    path="id",
                    expected=f"{control.id}.yaml",
                    found=path.name,
                )
            if control.id in seen:
                line, column = doc.locate(("id",))
                problems.report(
                    display,
                    Text("refuse.duplicate_control", control=control.id),
                    line=line,
                    column=column,
                    path="id",
                    hint=Text("refuse.already_defined", file=seen[control.id]),
                )
                continue
            seen[control.id] = display
            if control.status == "draft" and not include_drafts:
                continue
            parameters = dict(control.parameters)
            for name, value in overrides.get(control.id, {}).items():
                if name not in parameters:
                    problems.report(
                        config_name,
                        Text(
                            "validate.parameters.unknown_parameter", control=control.id, name=name
                        ),
                        line=config_line("parameters", control.id, name),
                        path=f"parameters.{control.id}.{name}",
                        expected=", ".join(sorted(parameters)) or Text("validate.no_parameters"),
                        hint=_did_you_mean(name, parameters),
                    )
                    continue
                if type(value) is not type(parameters[name]) and not (
                    isinstance(value, int | float) and isinstance(parameters[name], int | float)
                ):
                    problems.report(
                        config_name,
                        Text("refuse.parameter_wrong_type", name=repr(name), control=control.id),
                        line=config_line("parameters", control.id, name),
                        path=f"parameters.{control.id}.{name}",
                        expected=type(parameters[name]).__name__,
                        found=repr(value),
                    )
                    continue
                parameters[name] = value
            compiled = _compile_control(control, doc, parameters, problems, builtin)
            if compiled is not None:
                controls.append(compiled)
        sources.append(_display(directory))
    for control_id in sorted(overrides):
        if control_id not in seen:
            problems.report(
                config_name,
                Text("validate.parameters.unknown_control", control=control_id),
                line=config_line("parameters", control_id),
                hint=_did_you_mean(control_id, seen),
                path=f"parameters.{control_id}",
            )
    _check_dependencies(controls, problems)
    problems.raise_if_any()
    controls.sort(key=lambda c: c.id)
    overlays: dict[str, CantonOverlay] = {}
    duties: Duties = NO_DUTIES
    if dirs:
        cantons_dir = dirs[0] / "cantons"
        for path in sorted(cantons_dir.glob("*.yaml")) if cantons_dir.is_dir() else []:
            hasher.update(b"cantons/" + path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        overlays = load_overlays(cantons_dir, set(seen))
        duties_file = dirs[0] / DUTIES_FILE
        if duties_file.is_file():
            hasher.update(b"duties.yaml\0" + duties_file.read_bytes() + b"\0")
            duties = load_duties(duties_file, set(seen))
    version = _catalogue_version(dirs[0]) if dirs else "0"
    return Catalogue(
        version=version,
        controls=controls,
        digest=hasher.hexdigest(),
        sources=sources,
        overlays=overlays,
        duties=duties,
    )
