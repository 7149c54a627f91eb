"""Live probe of declared endpoints: what the commune's sites and mail domains really do.

:func:`probe_endpoints` (:mod:`.run`) takes the endpoints an inventory declares (see
:mod:`conformite.probe.targets`) and returns one
:class:`~conformite.inventory.observations.Observation` per endpoint, in an
:class:`~conformite.inventory.observations.ObservationFile` that the CLI saves as
``<workspace>/observations/probe-YYYYMMDDTHHMMSSZ.json`` for the next audit.

For a web endpoint (``https://host[:port]/path``):

1. a TCP connection to the HTTPS port (retried after a transient failure);
2. ``http://host/`` once, for the redirect to HTTPS (:mod:`.http`);
3. one TLS handshake per protocol version, then the certificate and its
   chain against the trust store (:mod:`.tls`);
4. the page's security headers and cookies (:mod:`.http`);
5. ``/.well-known/security.txt`` (:mod:`.securitytxt`).

For ``mail:<domain>``: SPF, DMARC and MTA-STS (:mod:`.mail`).

Results that belong to a host rather than a URL (TLS, the ``http://``
redirect, security.txt) are measured once per run and shared by the URLs on
that host. An endpoint that cannot be reached is an observation
(``reachable: false``, ``error: "unreachable: connection refused"``), never
an exception.

Safety rules, enforced here and tested:

* only the hosts of the given endpoints are contacted (plus, for a mail
  domain that publishes an MTA-STS record, its ``mta-sts.<domain>`` policy
  host; and hosts of the same site reached by a redirect, e.g. ``www.`` of
  the declared domain); redirects to another site are reported, never
  followed;
* only public addresses, unless ``allow_private_addresses``: loopback,
  private, link-local (cloud metadata), multicast, reserved addresses are
  refused after DNS resolution, on every connection (:mod:`.netguard`); a
  refused endpoint is an observation ``error: "not probed: address refused:
  …"``, which the audit shows as not checked;
* nothing that identifies the user is sent: no credentials (``.netrc`` and
  proxy variables are ignored), no cookies, a plain ``User-Agent``;
* every operation has a timeout, every request, endpoint and run an overall
  deadline that holds while bytes trickle in (the watchdog shuts the
  connection down); bodies read are size-limited and page bodies not read.
"""

from conformite._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "run": [
            "NOT_PROBED",
            "ProbeRun",
            "dump_observations",
            "observations_path",
            "probe_endpoints",
        ],
        "settings": ["ProbeSettings"],
        "targets": ["DeclaredEndpoint", "declared_endpoints"],
    },
)
