"""One probe run: the declared endpoints in, one observation per endpoint out.

:func:`probe_endpoints` is the run described in :mod:`conformite.probe`: it
connects to each endpoint (through the address policy and the watchdog of
:mod:`.netguard`), asks the checks of :mod:`.tls`, :mod:`.http`,
:mod:`.securitytxt` and :mod:`.mail`, and returns a :class:`ProbeRun`;
:func:`observations_path` and :func:`dump_observations` say where and how the
CLI saves it.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conformite import __version__
from conformite.inventory.observations import (
    OBSERVATIONS_DIR,
    HttpObservation,
    Observation,
    ObservationFile,
    SecurityTxtObservation,
)
from conformite.probe.dns import DnspythonResolver, Resolver
from conformite.probe.http import check_http_redirect, netloc, new_session, probe_page
from conformite.probe.mail import check_mail_domain
from conformite.probe.netguard import WATCHDOG, AddressRefused, guarded_connection
from conformite.probe.page_checks import observe_page
from conformite.probe.runner import Budget, Once, describe, retry, run_pool
from conformite.probe.securitytxt import check_security_txt
from conformite.probe.settings import ProbeSettings
from conformite.probe.targets import (
    MAIL_PREFIX,
    DeclaredEndpoint,
    declared_endpoints,
    url_problem,
)
from conformite.probe.tls import TlsContexts, probe_tls

__all__ = [
    "NOT_PROBED",
    "DeclaredEndpoint",
    "ProbeRun",
    "ProbeSettings",
    "declared_endpoints",
    "dump_observations",
    "observations_path",
    "probe_endpoints",
]


#: Prefix of the error of an endpoint the address policy kept from being contacted.
NOT_PROBED = "not probed: "


@dataclass
class ProbeRun:
    """The result of :func:`probe_endpoints`."""

    file: ObservationFile
    #: Endpoints not finished before the overall deadline: left out of ``file``.
    skipped: list[str] = field(default_factory=list)

    @property
    def observations(self) -> list[Observation]:
        return self.file.observations


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _connect(host: str, port: int, settings: ProbeSettings, budget: Budget) -> None:
    with guarded_connection(
        host,
        port,
        timeout=budget.timeout(settings.timeout),
        policy=settings.policy(),
        ends_at=budget.request_deadline(settings.request_seconds),
        hosts=settings.static_hosts,
    ):
        pass


class _Run:
    """State shared by the workers of one run."""

    def __init__(self, settings: ProbeSettings, needs_dns: bool) -> None:
        self.settings = settings
        self.contexts = TlsContexts.build(settings.trust_file(), settings.extra_ca_file)
        self.once = Once()
        self.resolver: Resolver | None = settings.resolver
        if self.resolver is None and needs_dns:
            self.resolver = DnspythonResolver()

    def probe(self, url: str, budget: Budget) -> Observation:
        observed_at = _now()
        try:
            if url.startswith(MAIL_PREFIX):
                return self._probe_mail(url, budget, observed_at)
            return self._probe_web(url, budget, observed_at)
        except Exception as exc:  # a bug or a very strange host: still an observation
            return Observation(
                url=url,
                kind="mail_domain" if url.startswith(MAIL_PREFIX) else "web",
                observed_at=observed_at,
                reachable=False,
                error=f"probe failed: {describe(exc)}",
            )

    def _probe_mail(self, url: str, budget: Budget, observed_at: dt.datetime) -> Observation:
        assert self.resolver is not None
        domain = url.removeprefix(MAIL_PREFIX)
        reachable, error, mail = check_mail_domain(
            domain, self.resolver, self.settings, budget, observed_at
        )
        return Observation(
            url=url,
            kind="mail_domain",
            observed_at=observed_at,
            reachable=reachable,
            error=error,
            mail=mail,
        )

    def _probe_web(self, url: str, budget: Budget, observed_at: dt.datetime) -> Observation:
        settings = self.settings
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        https_port = parts.port if parts.scheme == "https" and parts.port else 443
        http_port = parts.port if parts.scheme == "http" and parts.port else settings.http_port
        page_url = urlunsplit(
            ("https", netloc(host, https_port, 443), parts.path or "/", parts.query, "")
        )
        observation = Observation(url=url, kind="web", observed_at=observed_at, reachable=False)

        https_error: str | None = None
        try:
            retry(
                partial(_connect, host, https_port, settings, budget),
                attempts=settings.retries + 1,
                backoff=settings.backoff,
                budget=budget,
            )
        except AddressRefused as exc:  # nothing was sent: the audit shows it as not checked
            observation.error = f"{NOT_PROBED}{exc}"
            observation.tls.error = observation.error
            return observation
        except Exception as exc:
            https_error = describe(exc)
        if https_error == "name not resolved":
            observation.error = f"unreachable: {https_error}"
            observation.tls.error = observation.error
            return observation

        redirect = self.once.get(
            ("http", host, http_port),
            partial(check_http_redirect, host, http_port, settings, budget),
        )
        if https_error is None:
            tls = self.once.get(
                ("tls", host, https_port),
                partial(probe_tls, host, https_port, self.contexts, settings, budget, observed_at),
            )
            observation.tls = tls.model_copy(deep=True)
        else:
            observation.tls.error = f"unreachable: {https_error}"

        if observation.tls.versions:
            session = new_session(settings, budget, self.contexts.http)
            try:
                page, fetched = probe_page(session, page_url, settings, budget)
                security_txt = self.once.get(
                    ("security.txt", host, https_port),
                    partial(
                        check_security_txt,
                        session,
                        host,
                        https_port,
                        settings,
                        budget,
                        observed_at,
                    ),
                ).model_copy(deep=True)
                if fetched is not None:  # last: reading the page may use the budget up
                    observe_page(page, fetched, session, settings, budget)
            finally:
                session.close()
        else:
            page = HttpObservation(error=f"https unavailable: {observation.tls.error}")
            security_txt = SecurityTxtObservation(problems=["https_unavailable"])

        page.redirects_to_https = redirect.redirects_to_https
        page.redirect_location = redirect.location
        page.http_port_state = redirect.state
        page.http_port_error = redirect.error
        if redirect.cross_host:
            page.cross_host_redirect = True
            page.cross_host_location = page.cross_host_location or redirect.location
        observation.http = page
        observation.security_txt = security_txt
        observation.reachable = https_error is None or redirect.answered
        if not observation.reachable:
            observation.error = f"unreachable: {https_error}"
        return observation


def probe_endpoints(
    urls: Sequence[str],
    settings: ProbeSettings | None = None,
    *,
    progress: Callable[[Observation], None] | None = None,
) -> ProbeRun:
    """Probe every URL (``http(s)://…`` or ``mail:<domain>``) and nothing else.

    ``progress`` is called with each observation as it is made (from the
    calling thread). Never raises for a host's behaviour; raises
    :class:`ValueError` for something that is not an endpoint.
    """
    import urllib3

    settings = settings or ProbeSettings()
    unique = list(dict.fromkeys(urls))
    for url in unique:
        problem = url_problem(url)
        if problem is not None:
            raise ValueError(f"not an endpoint: {url!r}: {problem}")
    started_at = _now()
    run = _Run(settings, needs_dns=any(u.startswith(MAIL_PREFIX) for u in unique))
    with warnings.catch_warnings():
        # Page headers are read without checking the certificate on purpose
        # (the certificate is judged on its own); warnings would only be noise.
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        try:
            done, skipped = run_pool(
                unique,
                run.probe,
                concurrency=settings.concurrency,
                deadline=settings.deadline,
                item_seconds=settings.endpoint_seconds,
                on_done=(lambda _url, observation: progress(observation)) if progress else None,
            )
        except KeyboardInterrupt:
            WATCHDOG.fire_all()  # the workers stop reading at once
            raise
    observations = sorted((observation for _, observation in done), key=lambda o: o.url)
    return ProbeRun(
        file=ObservationFile(
            tool_version=__version__,
            started_at=started_at,
            finished_at=_now(),
            observations=observations,
        ),
        skipped=skipped,
    )


def observations_path(directory: Path, started_at: dt.datetime) -> Path:
    """``<directory>/observations/probe-YYYYMMDDTHHMMSSZ.json``, not yet taken."""
    folder = directory / OBSERVATIONS_DIR
    stamp = started_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"probe-{stamp}.json"
    number = 1
    while path.exists():
        path = folder / f"probe-{stamp}-{number}.json"
        number += 1
    return path


def dump_observations(file: ObservationFile) -> str:
    """The JSON text of an observation file."""
    return file.model_dump_json(indent=2) + "\n"
