"""A commune's workspace: ``conformite.toml`` and the ``inventory/`` folder.

::

    my-commune/
      conformite.toml          # commune, canton, population, language, options
      inventory/
        organisation.yaml
        services.yaml
        vendors.yaml
        waivers.yaml
      controls/                # optional: the commune's own controls
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from conformite._files import read_regular_file
from conformite.errors import InputError, Problem, Text, os_reason
from conformite.inventory.syntax_problems import toml_problem_text

__all__ = ["CANTONS", "CONFIG_FILE", "Config", "load_config"]

CONFIG_FILE = "conformite.toml"
#: A hand-written configuration is a few kilobytes.
MAX_CONFIG_BYTES = 1024 * 1024
#: The 26 cantons, by their official two-letter abbreviation.
CANTONS = (
    "AG", "AI", "AR", "BE", "BL", "BS", "FR", "GE", "GL", "GR", "JU", "LU", "NE",
    "NW", "OW", "SG", "SH", "SO", "SZ", "TG", "TI", "UR", "VD", "VS", "ZG", "ZH",
)  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Commune(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    canton: Literal[CANTONS]  # type: ignore[valid-type]
    population: int = Field(ge=1, le=2_000_000)
    language: Literal["fr", "de", "it", "en"] = "en"
    #: The commune's number at the Federal Statistical Office (BFS/OFS/UST,
    #: e.g. 5586 for Lausanne): names it in a roll-up across years.
    bfs_number: int | None = Field(None, ge=1, le=9999)


class CatalogueOptions(_Strict):
    #: Extra control folders, relative to the workspace.
    extra: list[str] = Field(default_factory=list)
    include_drafts: bool = False


class ProbeOptions(_Strict):
    #: Observations older than this are stale: still used, and said so.
    stale_after_days: int = Field(30, ge=1, le=3650)
    #: Seconds a single connection or request may take.
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    #: Endpoints probed at the same time.
    concurrency: int = Field(8, ge=1, le=64)
    #: Let the probe contact loopback, private, link-local... addresses
    #: (an intranet site); off by default (``--allow-private-addresses``).
    allow_private_addresses: bool = False
    #: A PEM bundle of certificate authorities trusted in addition to the public
    #: ones (a commune's private CA), relative to the workspace (``--ca-file``).
    ca_file: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None


class ReportOptions(_Strict):
    #: The Commission numérique's annual framework credit, per inhabitant
    #: (model digital strategy: about CHF 10).
    framework_credit_chf_per_inhabitant: float = Field(10.0, ge=0, le=10_000)
    #: What one person-day costs: ranks actions (risk per franc) and prices the
    #: days that would have to be bought when staff capacity runs out.
    person_day_chf: float = Field(800.0, ge=0, le=100_000)
    #: Years of the strategy's planning horizon (the action plan's length).
    planning_horizon_years: int = Field(4, ge=1, le=10)
    #: Days per year the IT function can give to the plan (staff capacity; internal
    #: time is never charged to the framework credit).
    staff_days_per_year: float = Field(40.0, ge=0, le=10_000)
    #: When staff capacity runs out, buy a fix's days from outside (the IT provider)
    #: at ``person_day_chf``, charged to the credit, rather than leave the credit unused.
    buy_missing_days: bool = True


class ProfileSource(_Strict):
    """A publisher of signed supplier profiles (``conformite profiles add-source``)."""

    #: Base address of the published folder (``index.json`` and the profiles).
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    #: The publisher's Ed25519 public key, PEM (SubjectPublicKeyInfo).
    pubkey: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ProfilesOptions(_Strict):
    #: Sources by name: ``[profiles.sources.association]``.
    sources: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")], ProfileSource
    ] = Field(default_factory=dict)


class Config(_Strict):
    """The content of ``conformite.toml``."""

    commune: Commune
    catalogue: CatalogueOptions = Field(default_factory=CatalogueOptions)
    probe: ProbeOptions = Field(default_factory=ProbeOptions)
    report: ReportOptions = Field(default_factory=ReportOptions)
    profiles: ProfilesOptions = Field(default_factory=ProfilesOptions)
    #: Per-control parameter overrides: ``[parameters.GOV-TRAINING]``.
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)


def load_config(directory: Path) -> Config:
    """Read ``conformite.toml`` in ``directory``; raise InputError with every problem."""
    path = directory / CONFIG_FILE
    display = str(path)
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    file=display,
                    message=Text("input.no_config"),
                    hint=Text("input.create_config", directory=str(directory)),
                )
            ]
        )
    text = ""
    try:
        text = read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError([Problem(file=display, message=Text("input.not_utf8"))]) from None
    except OSError as exc:
        reason = os_reason(exc)
        raise InputError(
            [Problem(file=display, message=Text("input.cannot_read", reason=reason))]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives lineno/colno; before, only the text says "(at line L, column C)".
        message = getattr(exc, "msg", str(exc))
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        if where and line is None:
            line, column = int(where.group(1)), int(where.group(2))
            message = str(exc)[: where.start()].strip()
        elif message.endswith("(at end of document)"):
            # An unclosed bracket or quote: the end of the file is where it shows.
            line = text.count("\n") + (0 if text.endswith("\n") else 1)
            message = message.removesuffix("(at end of document)").strip()
        raise InputError(
            [
                Problem(
                    file=display,
                    line=line,
                    column=column,
                    message=Text("input.toml_syntax", detail=toml_problem_text(message)),
                )
            ]
        ) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        from conformite.inventory.validation import describe_error

        problems = []
        for item in exc.errors(include_url=False):
            loc = tuple(item["loc"])
            message, expected, found, hint = describe_error(item, Config, loc)
            problems.append(
                Problem(
                    file=display,
                    path=".".join(str(p) for p in loc),
                    message=message,
                    expected=expected,
                    found=found,
                    hint=hint,
                    line=toml_line(path, loc),
                )
            )
        raise InputError(problems) from None


def toml_line(path: Path, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line of a TOML key: the key inside its table, else the table header."""
    if not loc:
        return None
    try:
        lines = read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    table = ".".join(str(p) for p in loc[:-1])
    key = str(loc[-1])
    in_table = table == ""
    table_line = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.strip("[]").replace('"', "").replace("'", "").strip()
            in_table = header == table
            if in_table:
                table_line = number
            if ".".join(str(p) for p in loc) == header:
                return number
            continue
        if in_table and stripped.split("=", 1)[0].strip().strip("\"'") == key:
            return number
    return table_line
