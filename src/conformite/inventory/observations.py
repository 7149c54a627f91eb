"""Observations of public endpoints: what ``conformite probe`` saw, for the audit to judge.

The probe writes one JSON file per run under ``<workspace>/observations/``
(``probe-YYYYMMDDTHHMMSSZ.json``, a :class:`ObservationFile`). The audit reads
the newest observation of each endpoint and gives it to the endpoint controls
as ``observation`` (``null`` when the endpoint was never probed).

Every section exists even when nothing could be measured (values are then
``null`` or empty), so a control can read ``observation.tls.certificate.valid``
without guarding each level; controls check ``observation.reachable`` first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conformite._json_schema import publish
from conformite.errors import InputError, Problem, Text
from conformite.inventory.safe_yaml import read_bounded

__all__ = [
    "OBSERVATIONS_DIR",
    "OBSERVATIONS_SCHEMA_VERSION",
    "CertificateObservation",
    "CookieObservation",
    "CorsObservation",
    "CspProblem",
    "HttpObservation",
    "MailObservation",
    "Observation",
    "ObservationFile",
    "PageObservation",
    "PageResource",
    "ResponseObservation",
    "SecurityTxtObservation",
    "TlsObservation",
    "latest_observations",
    "observations_schema",
]

OBSERVATIONS_DIR = "observations"


class _Model(BaseModel):
    # The probe writes every field, defaults too: the published schema requires them all.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class CertificateObservation(_Model):
    subject: str | None = None
    issuer: str | None = None
    not_after: str | None = Field(None, description="expiry date, YYYY-MM-DD")
    days_to_expiry: int | None = None
    trusted: bool | None = Field(None, description="chain validates against the trust store")
    hostname_match: bool | None = None
    self_signed: bool | None = None
    expired: bool | None = None
    valid: bool | None = Field(None, description="trusted, matching and not expired")
    key_type: Literal["RSA", "EC", "Ed25519", "Ed448", "DSA", "other"] | None = None
    key_bits: int | None = None
    signature_hash: str | None = Field(None, description="sha256, sha384, sha1, …")
    trusted_by_extra_ca: bool = Field(
        False,
        description="the chain is trusted only through the extra CA bundle (--ca-file), "
        "not through the public roots",
    )


class TlsObservation(_Model):
    versions: list[Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]] = Field(
        default_factory=list, description="protocol versions the server accepted"
    )
    certificate: CertificateObservation = Field(default_factory=CertificateObservation)
    error: str | None = None
    versions_not_tested: list[Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]] = Field(
        default_factory=list,
        description="versions the probing machine's own OpenSSL could not offer: unknown, "
        "neither accepted nor refused",
    )
    extra_ca_file: str | None = Field(
        None,
        description="the CA bundle trusted besides the public roots (--ca-file, [probe] "
        "ca_file); null: public roots only",
    )


class CookieObservation(_Model):
    name: str
    secure: bool
    http_only: bool
    same_site: str | None = None


class ResponseObservation(_Model):
    """One response of the page's redirect chain."""

    url: str
    status: int


CspRule = Literal[
    "unsafe_inline",
    "unsafe_eval",
    "broad_script_source",
    "broad_object_source",
    "insecure_scheme",
    "strict_dynamic_without_nonce",
]


class CspProblem(_Model):
    rule: CspRule
    detail: str = Field(description="the directive and sources that break the rule")


class PageResource(_Model):
    url: str
    kind: Literal["script", "stylesheet"]
    integrity: bool = Field(description="a sha256, sha384 or sha512 integrity attribute")


class CorsObservation(_Model):
    origin_sent: str = Field(description="the foreign Origin the probe sent")
    allow_origin: str | None = Field(None, description="Access-Control-Allow-Origin answered")
    allow_credentials: bool = Field(False, description="Access-Control-Allow-Credentials: true")


class PageObservation(_Model):
    """The final page read again, with a foreign Origin (absent: not read, or older probe)."""

    html: bool = Field(description="the body is HTML (Content-Type)")
    truncated: bool = Field(False, description="the body was longer than the size read")
    password_field: bool = Field(False, description="the HTML has a password input (a login)")
    cross_origin_resources: list[PageResource] = Field(
        default_factory=list, description="scripts and stylesheets from another site"
    )
    cors: CorsObservation
    coop: str | None = Field(None, description="Cross-Origin-Opener-Policy")
    corp: str | None = Field(None, description="Cross-Origin-Resource-Policy")


class HttpObservation(_Model):
    status: int | None = None
    redirects_to_https: bool | None = Field(
        None, description="http:// answers with a redirect to https:// on the same host"
    )
    redirect_location: str | None = Field(None, description="the Location http:// answered with")
    http_port_state: Literal["answered", "closed", "silent", "malformed", "error"] | None = Field(
        None,
        description="what the http:// port did: answered HTTP, closed (connection refused), "
        "silent (open but no answer in time), malformed (answered something that is not "
        "HTTP), error (anything else); null: not asked",
    )
    http_port_error: str | None = Field(
        None, description="why the http:// port gave no HTTP answer (connection refused, …)"
    )
    cross_host_redirect: bool = Field(
        False, description="http:// or the page redirects to another host (not followed)"
    )
    cross_host_location: str | None = Field(None, description="that other host's URL")
    final_url: str | None = Field(
        None,
        description="the URL whose page headers (CSP, framing, nosniff, Referrer-Policy) were "
        "judged: the end of the same-site redirect chain",
    )
    chain: list[ResponseObservation] = Field(
        default_factory=list,
        description="the responses of the page, first (the endpoint) to last, redirects "
        "followed within the same site (registrable domain), https only",
    )
    hsts_url: str | None = Field(
        None, description="the URL whose Strict-Transport-Security was judged: the first response"
    )
    hsts_max_age: int | None = None
    hsts_include_subdomains: bool = False
    csp: str | None = None
    csp_unsafe_inline: bool = False
    csp_unsafe_eval: bool = False
    frame_ancestors: str | None = None
    x_frame_options: str | None = None
    framing_restricted: bool = False
    nosniff: bool = False
    referrer_policy: str | None = None
    referrer_policy_private: bool = Field(
        False,
        description="the policy in force is no-referrer, same-origin, strict-origin or "
        "strict-origin-when-cross-origin",
    )
    cookies: list[CookieObservation] = Field(default_factory=list)
    # Added after the first probes: absent (null) in older files, i.e. not known.
    csp_problems: list[CspProblem] | None = Field(
        None, description="CSP rules the enforced policies (header and meta) break together"
    )
    csp_meta: str | None = Field(None, description="a policy in a <meta http-equiv> tag")
    csp_report_only: str | None = Field(
        None, description="Content-Security-Policy-Report-Only (not enforced)"
    )
    csp_base_uri_missing: bool | None = None
    cookies_prefix_invalid: list[str] | None = Field(
        None, description="cookies breaking their __Secure- or __Host- prefix's rules"
    )
    page: PageObservation | None = None
    problems: list[str] = Field(default_factory=list)
    error: str | None = None


class SecurityTxtObservation(_Model):
    present: bool = False
    url: str | None = None
    content_type: str | None = None
    contacts: list[str] = Field(default_factory=list)
    expires: str | None = Field(None, description="the Expires field, RFC 3339")
    expires_count: int = 0
    days_to_expiry: int | None = None
    problems: list[str] = Field(default_factory=list)
    valid: bool = False


class MailObservation(_Model):
    spf: str | None = None
    spf_all: str | None = Field(None, description="-all, ~all, ?all, +all or null")
    spf_lookups: int | None = None
    spf_invalid_references: list[str] = Field(
        default_factory=list,
        description="names that include: or redirect= point to without exactly one SPF"
        " record, or that loop back: each makes the record a permanent error for receivers"
        " (RFC 7208 sections 5.2 and 6.1)",
    )
    dmarc: str | None = None
    dmarc_domain: str | None = Field(
        None,
        description="the domain whose _dmarc record applied: the probed domain, or its"
        " organisational domain when the probed one has none (RFC 7489 section 6.6.3)",
    )
    dmarc_organisational: bool = Field(
        False,
        description="true when the policy applied is the organisational domain's, the probed"
        " (sub-)domain having no record of its own",
    )
    dmarc_policy: Literal["none", "quarantine", "reject"] | None = Field(
        None,
        description="the policy that applies: sp= of the organisational domain's record"
        " for a sub-domain covered by it, else p=",
    )
    mta_sts_mode: Literal["enforce", "testing", "none"] | None = None
    problems: list[str] = Field(default_factory=list)
    error: str | None = None


class Observation(_Model):
    """What one probe of one endpoint saw."""

    url: str = Field(description="the endpoint as the inventory declares it; mail:DOMAIN for mail")
    kind: Literal["web", "mail_domain"] = "web"
    observed_at: dt.datetime
    reachable: bool
    error: str | None = Field(None, description="why the endpoint could not be reached")
    tls: TlsObservation = Field(default_factory=TlsObservation)
    http: HttpObservation = Field(default_factory=HttpObservation)
    security_txt: SecurityTxtObservation = Field(default_factory=SecurityTxtObservation)
    mail: MailObservation = Field(default_factory=MailObservation)


#: Bump the major part on any change a consumer of the JSON must adapt to.
OBSERVATIONS_SCHEMA_VERSION = "1.0"


class ObservationFile(_Model):
    """What conformite probe saw of the public endpoints
    (observations/probe-YYYYMMDDTHHMMSSZ.json), for the audit to judge."""

    schema_version: str = OBSERVATIONS_SCHEMA_VERSION
    tool_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    observations: list[Observation]


def observations_schema() -> dict[str, object]:
    """The published JSON Schema of the files ``conformite probe`` writes."""
    return publish(ObservationFile, kind="observations", version=OBSERVATIONS_SCHEMA_VERSION)


def latest_observations(workspace: Path) -> dict[str, Observation]:
    """The newest observation of each endpoint, from every probe file of the workspace."""
    folder = workspace / OBSERVATIONS_DIR
    latest: dict[str, Observation] = {}
    if not folder.is_dir():
        return latest
    problems: list[Problem] = []
    for path in sorted(folder.glob("probe-*.json")):
        try:
            raw = read_bounded(path, str(path), kind="observation")
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        try:
            # pydantic-core's JSON parser: bounded nesting, no RecursionError.
            data = ObservationFile.model_validate_json(raw)
        except (ValueError, ValidationError) as exc:
            first = str(exc).splitlines()[0]
            problems.append(
                Problem(
                    file=str(path),
                    message=Text("input.not_observation", detail=str(first)),
                    hint=Text("input.probe_again"),
                )
            )
            continue
        for observation in data.observations:
            known = latest.get(observation.url)
            if known is None or observation.observed_at >= known.observed_at:
                latest[observation.url] = observation
    if problems:
        raise InputError(problems)
    return latest
