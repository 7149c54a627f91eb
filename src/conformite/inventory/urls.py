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

from conformite.errors import Text

__all__ = ["MAX_URL_LENGTH", "endpoint_url_problem"]

MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _host_problem(host: str) -> Text | None:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return Text("url.bad_host", host=host)
    name = ascii_host.removesuffix(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        return Text("url.bad_host", host=host)
    if name.replace(".", "").isdigit():
        return Text("url.bad_ipv4", host=host)
    return None


def endpoint_url_problem(url: str) -> Text | None:
    """Why ``url`` is not a usable endpoint address, or ``None`` when it is."""
    if len(url) > MAX_URL_LENGTH:
        return Text("url.too_long", limit=MAX_URL_LENGTH)
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return Text("url.white_space")
    if "\\" in url:
        return Text("url.backslash")
    if not url.startswith(("https://", "http://")):
        return Text("url.scheme")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        return Text("url.bad_port" if "port" in str(exc).lower() else "url.malformed", raw=exc)
    if "@" in parts.netloc:
        return Text("url.credentials")
    if not parts.hostname:
        return Text("url.no_host")
    if port == 0:
        return Text("url.port_zero")
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(parts.hostname)
        except ValueError:
            return Text("url.bad_ipv6", host=parts.hostname)
        return None
    return _host_problem(parts.hostname)
