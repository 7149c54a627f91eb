"""The catalogue in OSCAL (NIST's Open Security Controls Assessment Language, JSON).

GRC tools (CISO Assistant, compliance-trestle, Eramba) and cantonal IT services
exchange controls and assessments as OSCAL documents. This module writes:

* the catalogue as an OSCAL **catalog**: one group per control family, one
  control per conformite control (``id`` a lower-case token of the control id,
  the original id kept in the ``label`` prop), its parts (statement = what it
  checks, guidance = why, a second guidance part of class ``remediation`` = what
  to do), props (severity, family, objectives, target, …), params (the control's
  parameters) and links to back-matter resources, one per legal citation;
* a canton's overlay as an OSCAL **profile**: it imports the catalog (the
  controls in force in the canton) and alters each control with the cantonal
  articles of the law in force on a date (an added ``guidance`` part of class
  ``cantonal-law``, a ``canton`` prop and links to its own back-matter).

Everything is deterministic: UUIDs are version-5 UUIDs of stable names under
:data:`NAMESPACE`, dates come from the catalogue (``published_on``) or ``--as-of``,
never the clock, and keys and lists keep one order.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from conformite.catalogue.model import FAMILIES, Catalogue, CompiledControl, LegalBasis
from conformite.i18n import translate

__all__ = [
    "NAMESPACE",
    "NS",
    "OSCAL_VERSION",
    "catalog_document",
    "control_token",
    "dump",
    "profile_document",
    "prop",
    "published_on",
    "stable_uuid",
    "timestamp",
]

#: The OSCAL version the documents are written against.
OSCAL_VERSION = "1.1.2"
#: Namespace of conformite's own prop names (OSCAL wants one on non-OSCAL names).
NS = "urn:conformite:oscal"
#: The namespace of every UUID conformite writes (uuid5 of stable names): the same
#: inputs give the same UUIDs, hence byte-identical documents.
NAMESPACE = uuid.UUID("5d1c6a3e-3b8f-5c52-9a0e-7c0f1e6b2d41")
#: When ``catalogue.yaml`` has no ``published_on``.
_NO_DATE = dt.date(1970, 1, 1)


def stable_uuid(*parts: object) -> str:
    """A version-5 UUID of ``parts`` joined: stable across runs and machines."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(str(p) for p in parts)))


def control_token(control_id: str) -> str:
    """The OSCAL id of a control: ``GOV-ACCESS-REQUESTS`` -> ``gov-access-requests``.

    Control ids are upper-case letters, digits and hyphens (``model.ControlId``),
    so the lower-case form is a valid OSCAL token and no two controls share one."""
    return control_id.lower()


def timestamp(day: dt.date) -> str:
    """Midnight UTC of ``day``, as OSCAL's date-time-with-timezone."""
    return f"{day.isoformat()}T00:00:00Z"


def prop(name: str, value: object, *, oscal: bool = False, cls: str | None = None) -> dict:
    """An OSCAL prop; conformite's own names carry the :data:`NS` namespace."""
    out: dict[str, Any] = {"name": name}
    if not oscal:
        out["ns"] = NS
    out["value"] = str(value)
    if cls:
        out["class"] = cls
    return out


def published_on(directory: Path) -> dt.date:
    """``published_on`` of ``catalogue.yaml`` in ``directory`` (the catalog's
    last-modified date): a fixed date, so the export does not depend on the clock."""
    from conformite.inventory.safe_yaml import load_yaml_file

    meta = directory / "catalogue.yaml"
    if not meta.is_file():
        return _NO_DATE
    data = load_yaml_file(meta, meta.name).data
    value = data.get("published_on") if isinstance(data, dict) else None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return _NO_DATE


def dump(document: dict, *, compact: bool = False) -> str:
    """Deterministic JSON text (UTF-8, two-space indent unless ``compact``, final newline)."""
    return json.dumps(document, ensure_ascii=False, indent=None if compact else 2) + "\n"


class _Resources:
    """Back-matter resources, one per distinct citation, in first-use order."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str | None], dict] = {}

    def link(self, text: str, url: str, canton: str | None, certainty: str | None = None) -> dict:
        key = (text, url, canton)
        resource = self._by_key.get(key)
        if resource is None:
            resource = {"uuid": stable_uuid("citation", text, url, canton or "")}
            resource["title"] = text
            props = [prop("canton", canton)] if canton else []
            if certainty:
                props.append(prop("certainty", certainty))
            if props:
                resource["props"] = props
            resource["citation"] = {"text": text}
            resource["rlinks"] = [{"href": url}]
            self._by_key[key] = resource
        return {"href": f"#{resource['uuid']}", "rel": "reference", "text": text}

    def back_matter(self) -> dict:
        return {"resources": list(self._by_key.values())} if self._by_key else {}


def _param_values(value: object) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    return [text] if text else []


def _params(token: str, compiled: CompiledControl) -> list[dict]:
    params = []
    for name, value in sorted(compiled.parameters.items()):
        param: dict[str, Any] = {"id": f"{token}_prm_{name}", "label": name}
        values = _param_values(value)
        if values:
            param["values"] = values
        params.append(param)
    return params


def _basis_link(basis: LegalBasis, lang: str, resources: _Resources) -> dict:
    url = basis.url if basis.canton else basis.url_in(lang)
    return resources.link(basis.cite(lang), url, basis.canton, basis.certainty)


def _control(compiled: CompiledControl, lang: str, resources: _Resources) -> dict:
    spec = compiled.control
    token = control_token(spec.id)
    props = [
        prop("label", spec.id, oscal=True),
        prop("severity", spec.severity),
        prop("family", spec.family),
        *(prop("objective", o) for o in spec.objectives),
        prop("target", spec.target),
        prop("status", spec.status),
        prop("since", spec.since),
        *(prop("canton", c) for c in spec.cantons),
        prop("effort-person-days", f"{spec.effort.person_days:g}"),
        prop("effort-external-chf", spec.effort.external_chf),
        *(prop("mapping", f"{m.framework}:{m.id}", cls=m.relationship) for m in spec.mappings),
    ]
    if spec.status == "deprecated":
        props.append(prop("status", "withdrawn", oscal=True))
    links = [_basis_link(b, lang, resources) for b in spec.legal_basis]
    links += [{"href": r.url, "rel": "related", "text": r.title} for r in spec.references]
    control: dict[str, Any] = {"id": token, "class": "conformite", "title": spec.title.get(lang)}
    params = _params(token, compiled)
    if params:
        control["params"] = params
    control["props"] = props
    control["links"] = links
    control["parts"] = [
        {"id": f"{token}_smt", "name": "statement", "prose": spec.description.get(lang)},
        {
            "id": f"{token}_gdn",
            "name": "guidance",
            "title": translate("control.rationale", lang),
            "prose": spec.rationale.get(lang),
        },
        {
            "id": f"{token}_rem",
            "name": "guidance",
            "class": "remediation",
            "title": translate("control.remediation", lang),
            "prose": spec.remediation.get(lang),
        },
    ]
    return control


def _metadata(title: str, last_modified: dt.date, version: str, lang: str, **extra: Any) -> dict:
    metadata: dict[str, Any] = {
        "title": title,
        "last-modified": timestamp(last_modified),
        "version": version,
        "oscal-version": OSCAL_VERSION,
        "props": [prop("language", lang), *extra.pop("props", [])],
    }
    metadata.update(extra)
    return metadata


def catalog_document(catalogue: Catalogue, lang: str, last_modified: dt.date) -> dict:
    """The whole catalogue as ``{"catalog": …}`` in ``lang``."""
    resources = _Resources()
    groups = []
    for family in FAMILIES:
        members = [c for c in catalogue.controls if c.control.family == family]
        if members:
            groups.append(
                {
                    "id": family.replace("_", "-"),
                    "class": "family",
                    "title": translate(f"family.{family}", lang),
                    "props": [prop("family", family)],
                    "controls": [_control(c, lang, resources) for c in members],
                }
            )
    catalog: dict[str, Any] = {
        "uuid": stable_uuid("catalog", catalogue.version, catalogue.digest, lang),
        "metadata": _metadata(
            translate("oscal.catalog_title", lang, version=catalogue.version),
            last_modified,
            catalogue.version,
            lang,
            props=[prop("catalogue-sha256", catalogue.digest)],
        ),
        "groups": groups,
    }
    back_matter = resources.back_matter()
    if back_matter:
        catalog["back-matter"] = back_matter
    return {"catalog": catalog}


def profile_document(
    catalogue: Catalogue,
    canton: str,
    lang: str,
    as_of: dt.date | None,
    last_modified: dt.date,
    catalog_href: str,
    note: str,
) -> dict:
    """Canton ``canton``'s overlay as ``{"profile": …}``: the controls in force there,
    imported from the catalog at ``catalog_href``, each altered with the cantonal
    articles of the law in force on ``as_of`` (the newest law when None). ``note``
    (which law applies, or the federal fallback) becomes the metadata's remarks."""
    resources = _Resources()
    overlay = catalogue.overlays.get(canton)
    version = overlay.version_on(as_of) if overlay is not None else None
    in_force = catalogue.in_canton(canton)
    alters = []
    for compiled in in_force:
        cantonal = [
            (text, url)
            for text, url, where in catalogue.citations(compiled.control, canton, lang, as_of)
            if where == canton
        ]
        if not cantonal:
            continue
        token = control_token(compiled.id)
        law = version.law.abbreviation if version is not None else canton
        alters.append(
            {
                "control-id": token,
                "adds": [
                    {
                        "position": "ending",
                        "props": [prop("canton", canton)],
                        "links": [resources.link(t, u, canton) for t, u in cantonal],
                        "parts": [
                            {
                                "id": f"{token}_law_{canton.lower()}",
                                "name": "guidance",
                                "class": "cantonal-law",
                                "title": translate(
                                    "oscal.cantonal_part", lang, law=law, canton=canton
                                ),
                                "prose": "\n".join(f"- {t}" for t, _ in cantonal),
                            }
                        ],
                    }
                ],
            }
        )
    props = [prop("canton", canton)]
    if as_of is not None:
        props.append(prop("as-of", as_of.isoformat()))
    if version is not None:
        props.append(prop("law", version.law.abbreviation))
        if version.in_force_from is not None:
            props.append(prop("law-in-force-from", version.in_force_from.isoformat()))
        if version.in_force_until is not None:
            props.append(prop("law-in-force-until", version.in_force_until.isoformat()))
    remarks = note
    if version is not None:
        remarks += "\n\n" + version.summary.get(lang)
    profile: dict[str, Any] = {
        "uuid": stable_uuid(
            "profile", catalogue.version, catalogue.digest, canton, as_of or "", lang
        ),
        "metadata": _metadata(
            translate("oscal.profile_title", lang, canton=canton, version=catalogue.version),
            last_modified,
            catalogue.version,
            lang,
            props=props,
            remarks=remarks,
        ),
        "imports": [
            {
                "href": catalog_href,
                "include-controls": [{"with-ids": [control_token(c.id) for c in in_force]}],
            }
        ],
        "merge": {"as-is": True},
    }
    if alters:
        profile["modify"] = {"alters": alters}
    back_matter = resources.back_matter()
    if back_matter:
        profile["back-matter"] = back_matter
    return {"profile": profile}
