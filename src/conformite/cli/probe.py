"""``conformite probe``: check the declared endpoints live and save what was seen."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from conformite.cli._common import (
    CommandError,
    console,
    handle_input_errors,
    language,
    load,
    resolve_directory,
    workspace_argument,
    write_file,
)

if TYPE_CHECKING:
    from conformite.inventory.observations import Observation
    from conformite.probe import ProbeRun, ProbeSettings

#: Reasons of ``unreachable: …`` errors that have a translation (probe.reason.<slug>).
_REASONS = {
    "connection refused": "connection_refused",
    "timed out": "timed_out",
    "timed out (time budget used up)": "timed_out",
    "name not resolved": "name_not_resolved",
    "name resolution failed temporarily": "name_not_resolved",
    "connection reset": "connection_reset",
    "domain does not exist": "domain_missing",
    "DNS timed out": "dns_failed",
    "no DNS server answered": "dns_failed",
}


#: ``address refused: ADDRESS (KIND)``, as :class:`conformite.probe.netguard.AddressRefused` says.
_REFUSED = re.compile(
    r"address refused: (?P<address>\S+) "
    r"\((?P<kind>loopback|link-local|private|multicast|unspecified|reserved|non-public)\)"
)
#: Prefix of the error of an endpoint refused by the address policy (as in conformite.probe).
NOT_PROBED = "not probed: "
#: Exit code after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


def make_settings(
    *,
    timeout: float,
    concurrency: int,
    deadline: float,
    allow_private_addresses: bool = False,
    extra_ca_file: str | None = None,
) -> ProbeSettings:
    """The settings of a run from the command line (tests replace this to go offline)."""
    from conformite.probe import ProbeSettings

    return ProbeSettings(
        timeout=timeout,
        concurrency=concurrency,
        deadline=deadline,
        allow_private_addresses=allow_private_addresses,
        extra_ca_file=extra_ca_file,
    )


@click.command()
@workspace_argument
@click.option(
    "--only",
    multiple=True,
    metavar="ID",
    help="Probe only the endpoints of this service or vendor id, 'organisation' (the mail "
    "domains), or this URL / mail:DOMAIN. Repeat for several.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    metavar="N",
    help="Endpoints probed at the same time. Default: [probe] concurrency in conformite.toml (8).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, 120, min_open=True),
    metavar="S",
    help="Seconds one connection, request or DNS query may take. "
    "Default: [probe] timeout_seconds in conformite.toml (10).",
)
@click.option(
    "--deadline",
    type=click.FloatRange(1, 86_400),
    default=600,
    show_default=True,
    metavar="S",
    help="Seconds the whole run may take; endpoints not done by then keep their older observation.",
)
@click.option(
    "--allow-private-addresses",
    is_flag=True,
    default=None,
    help="Also contact loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local, "
    "multicast and reserved addresses, e.g. an intranet site. Default: [probe] "
    "allow_private_addresses in conformite.toml (false): such endpoints are not probed.",
)
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PEM",
    help="PEM file of certificate authorities to trust in addition to the public ones, e.g. "
    "an intranet's private CA. Default: [probe] ca_file in conformite.toml (relative to the "
    "workspace), else the public CAs only.",
)
@handle_input_errors
def probe(
    directory: Path | None,
    only: tuple[str, ...],
    concurrency: int | None,
    timeout: float | None,
    deadline: float,
    allow_private_addresses: bool | None,
    ca_file: Path | None,
) -> None:
    """Check the declared endpoints live: TLS, certificate, HTTP headers, security.txt, mail DNS.

    DIRECTORY is the workspace (default: the current folder). Only the hosts
    the inventory declares are contacted: services' endpoints, vendors'
    portal_url, the organisation's mail_domains (and their mta-sts. policy
    host), and only at public addresses (checked after DNS resolution, on
    every connection) unless --allow-private-addresses. No credentials or
    cookies are sent; redirects to another site are reported, not followed.
    The run stops at --deadline even against a server that trickles bytes;
    Ctrl-C stops it at once (exit code 130, nothing saved).

    What was seen is saved in DIRECTORY/observations/probe-<UTC time>.json;
    the next 'conformite audit' judges it with the endpoint controls (EP-…)
    and says how old it is. An unreachable host is an observation, not an
    error: the exit code is 0 once the probe ran, 2 for a usage or input error.

    \b
    Examples:
      conformite probe my-commune
      conformite probe my-commune --only website --only mail:my-commune.ch
      conformite probe my-commune --concurrency 4 --timeout 5 && conformite audit my-commune
    """
    from conformite.errors import InputError
    from conformite.i18n import translate
    from conformite.probe import (
        declared_endpoints,
        dump_observations,
        observations_path,
    )
    from conformite.probe.targets import UnknownSelection, endpoint_problems, select_endpoints

    workspace = load(resolve_directory(directory, demo=False))
    lang = language(workspace)
    inventory = workspace.inventory
    endpoints = declared_endpoints(inventory)
    known_ids = [s.id for s in inventory.services] + [v.id for v in inventory.vendors]
    try:
        chosen = select_endpoints(endpoints, only, known_ids)
    except UnknownSelection as exc:
        if exc.known:
            raise CommandError(
                translate("probe.only_without_endpoint", lang, value=exc.value)
            ) from None
        hint = (
            translate("probe.did_you_mean", lang, suggestion=exc.suggestion)
            if exc.suggestion
            else ""
        )
        raise CommandError(
            translate("probe.only_unknown", lang, value=exc.value, hint=hint)
        ) from None
    if not chosen:
        click.echo(translate("probe.nothing", lang))
        return
    problems = endpoint_problems(inventory, [endpoint.url for endpoint in chosen])
    if problems:
        raise InputError(problems)

    options = workspace.config.probe
    extra_ca_file = _extra_ca_file(ca_file, options.ca_file, workspace.directory)
    settings = make_settings(
        timeout=timeout if timeout is not None else options.timeout_seconds,
        concurrency=concurrency if concurrency is not None else options.concurrency,
        deadline=deadline,
        allow_private_addresses=(
            allow_private_addresses
            if allow_private_addresses is not None
            else options.allow_private_addresses
        ),
        extra_ca_file=extra_ca_file,
    )
    urls = [endpoint.url for endpoint in chosen]
    started = time.monotonic()
    try:
        run = _run(urls, settings, lang)
    except KeyboardInterrupt:
        click.echo(translate("probe.interrupted", lang), err=True)
        click.get_current_context().exit(EXIT_INTERRUPTED)
    seconds = time.monotonic() - started

    out = console()
    order = {url: index for index, url in enumerate(urls)}
    _print_table(out, sorted(run.observations, key=lambda o: order[o.url]), lang)
    unreachable = sum(1 for o in run.observations if not o.reachable)
    out.print(
        translate(
            "probe.summary",
            lang,
            count=len(run.observations),
            seconds=f"{seconds:.1f}",
            unreachable=unreachable,
        )
    )
    if run.skipped:
        out.print(
            translate("probe.skipped", lang, deadline=f"{deadline:g}", urls=", ".join(run.skipped))
        )
    if not run.observations:
        return
    path = observations_path(workspace.directory, run.file.started_at)
    write_file(path, dump_observations(run.file))
    out.print(translate("probe.written", lang, path=path, directory=workspace.directory))


def _extra_ca_file(option: Path | None, configured: str | None, directory: Path) -> str | None:
    """The extra CA bundle: ``--ca-file``, else ``[probe] ca_file`` (relative to the workspace).

    Checked here (a located input error, exit code 2), before anything is contacted.
    """
    from conformite.inventory.config import CONFIG_FILE, toml_line
    from conformite.probe.cafile import check_ca_file

    if option is not None:
        return check_ca_file(option)
    if configured is None:
        return None
    config = directory / CONFIG_FILE
    return check_ca_file(
        directory / configured,
        config_file=str(config),
        line=toml_line(config, ("probe", "ca_file")),
    )


def _run(urls: list[str], settings: ProbeSettings, lang: str) -> ProbeRun:
    """Probe ``urls``, with a progress bar on a terminal."""
    from conformite.i18n import translate
    from conformite.probe import probe_endpoints

    err = console(stderr=True)
    if err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(translate("probe.progress", lang), total=len(urls))
            return probe_endpoints(urls, settings, progress=lambda _o: bar.advance(task))
    return probe_endpoints(urls, settings)


def _print_table(out: Any, observations: list[Observation], lang: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from conformite.i18n import translate

    table = Table(show_edge=False)
    table.add_column(translate("probe.column.endpoint", lang), overflow="fold")
    table.add_column(translate("probe.column.state", lang))
    table.add_column(translate("probe.column.details", lang))
    for observation in observations:
        if observation.reachable:
            state = Text(translate("probe.state.reachable", lang), style="green")
            details = "; ".join(describe_observation(observation, lang))
        elif (observation.error or "").startswith(NOT_PROBED):
            state = Text(translate("probe.state.not_probed", lang), style="yellow")
            details = reason_text(observation.error or "", lang)
        else:
            state = Text(translate("probe.state.unreachable", lang), style="red")
            details = reason_text(observation.error or "", lang)
        table.add_row(observation.url, state, details)
    out.print(table)


def reason_text(error: str, lang: str) -> str:
    """An ``unreachable: …`` error in the user's language when its reason is known."""
    from conformite.i18n import translate

    refused = _REFUSED.fullmatch(error.removeprefix(NOT_PROBED))
    if refused is not None:
        kind = refused.group("kind").replace("-", "_")
        return translate(
            "probe.reason.address_refused",
            lang,
            address=refused.group("address"),
            kind=translate(f"probe.address_kind.{kind}", lang),
        )
    reason = error.removeprefix("unreachable: ")
    slug = _REASONS.get(reason)
    return translate(f"probe.reason.{slug}", lang) if slug else reason


def describe_observation(observation: Observation, lang: str) -> list[str]:
    """Short phrases of what an observation shows, for the summary table."""
    from conformite.i18n import translate

    def t(key: str, **values: Any) -> str:
        return translate(f"probe.detail.{key}", lang, **values)

    if observation.kind == "mail_domain":
        mail = observation.mail
        parts = [
            t("spf", all=mail.spf_all or "?", lookups=mail.spf_lookups)
            if mail.spf
            else t("no_spf"),
            t("dmarc", policy=mail.dmarc_policy or "?") if mail.dmarc else t("no_dmarc"),
            t("mta_sts", mode=mail.mta_sts_mode) if mail.mta_sts_mode else t("no_mta_sts"),
        ]
        return parts

    tls = observation.tls
    http = observation.http
    parts = []
    if tls.versions:
        parts.append(t("tls", versions=", ".join(tls.versions)))
        certificate = tls.certificate
        if certificate.valid:
            parts.append(t("certificate_valid", days=certificate.days_to_expiry))
        else:
            reasons = []
            if certificate.expired:
                reasons.append(t("reason_expired"))
            if certificate.trusted is False:
                reasons.append(
                    t("reason_self_signed") if certificate.self_signed else t("reason_untrusted")
                )
            if certificate.hostname_match is False:
                reasons.append(t("reason_wrong_name"))
            parts.append(t("certificate_invalid", reasons=", ".join(reasons) or "?"))
    else:
        reason = (tls.error or "").removeprefix("no TLS handshake succeeded: ")
        parts.append(t("no_tls", reason=reason_text(reason, lang)))
    if certificate_by_extra_ca(observation):
        parts.append(t("extra_ca"))
    if http.redirects_to_https is True:
        parts.append(t("redirect"))
    elif http.redirects_to_https is False:
        parts.append(t("no_redirect"))
    else:
        parts.append(port_80_text(http.http_port_state, http.http_port_error, lang))
    if len(http.chain) > 1 and http.final_url and not http.cross_host_redirect:
        parts.append(t("headers_on", url=http.final_url, count=len(http.chain) - 1))
    if tls.versions and http.error is None:
        parts.append(
            t("hsts", days=http.hsts_max_age // 86_400)
            if http.hsts_max_age is not None
            else t("no_hsts")
        )
        missing = []
        if http.csp is None:
            missing.append("CSP")
        if not http.framing_restricted:
            missing.append("frame-ancestors/X-Frame-Options")
        if not http.nosniff:
            missing.append("nosniff")
        if missing:
            parts.append(t("missing_headers", headers=", ".join(missing)))
        insecure = [c.name for c in http.cookies if not (c.secure and c.http_only)]
        if insecure:
            parts.append(t("cookies_without_flags", cookies=", ".join(insecure)))
    if http.cross_host_redirect:
        parts.append(t("cross_host", location=http.cross_host_location or "?"))
    security_txt = observation.security_txt
    if security_txt.valid:
        parts.append(t("security_txt_valid"))
    elif security_txt.present:
        parts.append(t("security_txt_invalid", problems=", ".join(security_txt.problems)))
    else:
        parts.append(t("no_security_txt"))
    return parts


def certificate_by_extra_ca(observation: Observation) -> bool:
    """Whether the certificate was trusted only through the extra CA bundle."""
    return observation.tls.certificate.trusted_by_extra_ca


def port_80_text(state: str | None, error: str | None, lang: str) -> str:
    """What the http:// port did, when it did not answer HTTP: closed only when refused."""
    from conformite.i18n import translate

    if state in ("silent", "malformed"):
        return translate(f"probe.detail.port_80_{state}", lang)
    if state == "error":
        return translate("probe.detail.port_80_error", lang, reason=reason_text(error or "?", lang))
    return translate("probe.detail.port_80_closed", lang)
