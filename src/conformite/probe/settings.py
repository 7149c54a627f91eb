"""How a probe run behaves: time limits, concurrency, trust store, resolver.

Everything that touches the outside world can be injected here, so that the
probe is testable offline: the trust store (a PEM bundle, e.g. a trustme CA),
the DNS resolver (see :mod:`conformite.probe.dns`), the port ``http://host/``
is checked on, the MTA-STS policy address, and which addresses may be
contacted (see :mod:`conformite.probe.netguard`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformite import __version__

if TYPE_CHECKING:
    from conformite.probe.dns import Resolver
    from conformite.probe.netguard import AddressPolicy

__all__ = ["DEFAULT_MTA_STS_URL", "ProbeSettings"]

#: RFC 8461 section 3.3: where a mail domain publishes its MTA-STS policy.
DEFAULT_MTA_STS_URL = "https://mta-sts.{domain}/.well-known/mta-sts.txt"


@dataclass(frozen=True)
class ProbeSettings:
    """Limits and injected dependencies of one probe run."""

    #: Seconds one connection, handshake, request or DNS query may take.
    timeout: float = 10.0
    #: Endpoints probed at the same time.
    concurrency: int = 8
    #: Seconds the whole run may take; endpoints not finished by then are left out.
    deadline: float = 600.0
    #: One endpoint may take at most this many ``timeout`` in all.
    endpoint_budget: float = 6.0
    #: Extra attempts after a transient failure (timeout, reset, DNS failure).
    retries: int = 2
    #: Seconds before the first retry; doubled for each further one.
    backoff: float = 0.5
    #: PEM bundle of trusted roots; ``None``: certifi's bundle (Mozilla's roots).
    #: Replaces the public roots (tests); see ``extra_ca_file`` to add to them.
    ca_file: str | None = None
    #: PEM bundle trusted *in addition to* the public roots (``--ca-file``,
    #: ``[probe] ca_file``): a commune's private CA. Checked by the CLI first.
    extra_ca_file: str | None = None
    #: Fixed addresses for some names, ``(("www.example.test", "127.0.0.1"),)``,
    #: like curl's ``--resolve``; the address policy still applies (tests).
    static_hosts: tuple[tuple[str, str], ...] = ()
    #: DNS resolver for mail domains; ``None``: dnspython with the system configuration.
    resolver: Resolver | None = None
    #: Port on which ``http://host/`` is asked to redirect to https (80 on the Internet).
    http_port: int = 80
    #: Address of the MTA-STS policy; ``{domain}`` is the mail domain.
    mta_sts_url: str = DEFAULT_MTA_STS_URL
    #: Largest security.txt read, in bytes.
    max_security_txt_bytes: int = 32 * 1024
    #: Largest MTA-STS policy read, in bytes (RFC 8461 section 3.3 allows 64 KiB).
    max_policy_bytes: int = 64 * 1024
    #: Same-host redirects followed before giving up.
    max_redirects: int = 5
    #: SPF records fetched for one domain when counting DNS lookups (loop guard).
    max_spf_records: int = 20
    user_agent: str = f"conformite-probe/{__version__}"
    #: Whether loopback, private, link-local... addresses may be contacted
    #: (``--allow-private-addresses``; an intranet site, or tests on 127.0.0.1).
    allow_private_addresses: bool = False
    #: Which ``(address, port)`` may be contacted: a function returning why not,
    #: or ``None``. ``None`` here: public addresses only, unless
    #: ``allow_private_addresses``. Tests use it to allow one local port only.
    address_policy: AddressPolicy | None = None
    #: One request (connection, TLS handshake, headers and body) may take at
    #: most this many ``timeout``, even when the server trickles bytes.
    request_budget: float = 3.0

    def trust_file(self) -> str:
        """The PEM bundle certificate chains are checked against."""
        if self.ca_file is not None:
            return self.ca_file
        import certifi

        return str(certifi.where())

    def policy(self) -> AddressPolicy | None:
        """The address policy of the run (``None``: any address)."""
        if self.address_policy is not None:
            return self.address_policy
        if self.allow_private_addresses:
            return None
        from conformite.probe.netguard import public_only

        return public_only

    @property
    def request_seconds(self) -> float:
        """Time budget of one request, trickling included."""
        return self.timeout * self.request_budget

    @property
    def endpoint_seconds(self) -> float:
        """Time budget of one endpoint."""
        return self.timeout * self.endpoint_budget
