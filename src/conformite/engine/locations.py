"""Where each audit target is written in the inventory: file, line and column.

For outputs that point at the source (SARIF for code-scanning views). Nothing
here runs during an audit: the inventory files are read again and scanned once
each (:func:`conformite.inventory.yaml_marks.locate_paths`), only when asked.

* the organisation: its ``organisation:`` key in ``organisation.yaml``;
* a service or a vendor: its entry (the ``id`` of ``- id: ...``);
* an endpoint: the first place that declares it, as the audit takes them (a
  service's ``endpoints`` entry, a vendor's ``portal_url``, a mail domain of
  the organisation).
"""

from __future__ import annotations

from dataclasses import dataclass

from conformite.engine.workspace import INVENTORY_DIR, Workspace
from conformite.errors import InputError
from conformite.inventory.safe_yaml import read_bounded
from conformite.inventory.yaml_marks import Path, locate_paths

__all__ = ["TargetLocation", "target_locations"]


@dataclass(frozen=True, slots=True)
class TargetLocation:
    """``file`` is relative to the workspace, with ``/``; line and column are 1-based
    (None when the file could not be read again)."""

    file: str
    line: int | None = None
    column: int | None = None


def _wanted(workspace: Workspace) -> dict[tuple[str, str], tuple[str, Path]]:
    """(target kind, target id) -> (inventory file, path of its definition)."""
    inventory = workspace.inventory
    places: dict[tuple[str, str], tuple[str, Path]] = {
        ("organisation", "organisation"): ("organisation.yaml", ("organisation",))
    }
    for i, service in enumerate(inventory.services):
        places[("service", service.id)] = ("services.yaml", ("services", i))
    for i, vendor in enumerate(inventory.vendors):
        places[("vendor", vendor.id)] = ("vendors.yaml", ("vendors", i))
    # Endpoints in the order iter_targets declares them: the first declaration wins.
    endpoints: list[tuple[str, str, Path]] = []
    for i, service in enumerate(inventory.services):
        for j, endpoint in enumerate(service.endpoints):
            endpoints.append((endpoint.url, "services.yaml", ("services", i, "endpoints", j)))
    for i, vendor in enumerate(inventory.vendors):
        if vendor.portal_url:
            endpoints.append((vendor.portal_url, "vendors.yaml", ("vendors", i, "portal_url")))
    for k, domain in enumerate(inventory.organisation.mail_domains):
        path: Path = ("organisation", "mail_domains", k)
        endpoints.append((f"mail:{domain}", "organisation.yaml", path))
    for url, file, path in endpoints:
        places.setdefault(("endpoint", url), (file, path))
    return places


def target_locations(workspace: Workspace) -> dict[tuple[str, str], TargetLocation]:
    """(target kind, target id) -> where it is defined, for every target of the workspace."""
    places = _wanted(workspace)
    by_file: dict[str, list[Path]] = {}
    for file, path in places.values():
        by_file.setdefault(file, []).append(path)
    marks: dict[str, dict[Path, tuple[int, int]]] = {}
    for file, paths in by_file.items():
        source = workspace.directory / INVENTORY_DIR / file
        try:
            text = read_bounded(source, str(source)).decode("utf-8-sig")
        except (InputError, UnicodeDecodeError):  # changed since the audit read it
            text = ""
        marks[file] = locate_paths(text, paths)
    out: dict[tuple[str, str], TargetLocation] = {}
    for key, (file, path) in places.items():
        line, column = marks[file].get(path, (None, None))
        out[key] = TargetLocation(f"{INVENTORY_DIR}/{file}", line, column)
    return out
