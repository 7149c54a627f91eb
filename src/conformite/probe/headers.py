"""Reading header values as browsers do, and which hosts belong to the same site.

* :func:`single_value`: a header sent twice with the same value
  (``X-Frame-Options: SAMEORIGIN`` twice, which requests joins as
  ``SAMEORIGIN, SAMEORIGIN``) is that value, as browsers apply it
  (web-platform-tests ``x-frame-options/multiple.html``,
  ``fetch/nosniff``); duplicates that disagree stay invalid.
* :func:`site_of` / :func:`same_site`: the registrable domain of a host
  (``www.example.ch`` -> ``example.ch``), from the Public Suffix List, as
  browsers define a *site*; an IP address is its own site.
* :func:`port_state`: what a failed ``http://`` request says about the port:
  closed (refused), silent (no answer) or malformed (not HTTP).
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
from typing import Any, Literal

__all__ = ["PortState", "port_state", "same_site", "single_value", "site_of"]

PortState = Literal["answered", "closed", "silent", "malformed", "error"]


def single_value(value: str) -> str | None:
    """The one value of a header sent once or several times identically, else ``None``.

    Compared case-insensitively, after trimming; the first spelling is returned.
    """
    items = [item.strip() for item in value.split(",")]
    if not items or any(item == "" for item in items):
        return None if len(items) > 1 else value.strip()
    if len({item.lower() for item in items}) > 1:
        return None
    return items[0]


@functools.cache
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def site_of(host: str) -> str:
    """The registrable domain of ``host`` (or the host itself: an IP address, a suffix)."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = name
    return _suffixes().privatesuffix(ascii_name) or ascii_name


def same_site(first: str, second: str) -> bool:
    """Whether two hosts share their registrable domain (example.ch, www.example.ch)."""
    return site_of(first) == site_of(second)


def port_state(exc: BaseException | None) -> PortState:
    """What a failed request to ``http://host/`` says about the port (``None``: it answered)."""
    if exc is None:
        return "answered"
    from urllib3.exceptions import ProtocolError

    from conformite.probe.runner import _chain, describe

    chain = list(_chain(exc))
    if any(isinstance(item, http.client.RemoteDisconnected) for item in chain):
        return "silent"  # accepted, then hung up without a word
    if any(isinstance(item, http.client.HTTPException) for item in chain):
        return "malformed"  # a status line or headers that are not HTTP
    reason = describe(exc)
    if reason == "connection refused":
        return "closed"
    if reason.startswith("timed out") or reason == "connection reset":
        return "silent"
    if any(isinstance(item, ProtocolError) for item in chain):
        return "malformed"
    return "error"
