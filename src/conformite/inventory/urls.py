"""The one rule for a web address an inventory may declare as an endpoint.

Used by the inventory model (services' ``endpoints[].url``, vendors'
``portal_url``), so by ``validate``, and by the probe's target selection
(:func:`conformite.probe.targets.url_problem`): an address ``validate``
accepts can be probed, and one the probe would refuse is an input error.

The rule: ``http://`` or ``https://`` (in lower case), a host name or an IP
address (IPv6 in brackets), an optional port from 1 to 65535, no user name or
password (they would be sent to the site), no white space, control character
or backslash anywhere, at most 2048 characters.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = ["MAX_URL_LENGTH", "endpoint_url_problem"]

MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _host_problem(host: str) -> str | None:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"'{host}' is not a valid host name"
    name = ascii_host.removesuffix(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        return f"'{host}' is not a valid host name"
    if name.replace(".", "").isdigit():
        return f"'{host}' is not a valid IPv4 address"
    return None


def endpoint_url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable endpoint address, or ``None`` when it is."""
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "contains white space or a control character"
    if "\\" in url:
        return "contains a backslash"
    if not url.startswith(("https://", "http://")):
        return "only http:// and https:// addresses can be declared and probed"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        return f"not a usable URL: {exc}"
    if "@" in parts.netloc:
        return "contains a user name or password (they would be sent to the site)"
    if not parts.hostname:
        return "has no host name"
    if port == 0:
        return "port 0 is not a usable port"
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(parts.hostname)
        except ValueError:
            return f"'{parts.hostname}' is not a valid IPv6 address"
        return None
    return _host_problem(parts.hostname)
