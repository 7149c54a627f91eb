"""DNS for the probe: the one question the mail checks ask, behind a small interface.

:class:`Resolver` is what the checks need from DNS (the TXT records of a
name); :class:`DnspythonResolver` implements it with dnspython and the
system's resolver configuration, and tests pass a fake with fixed answers.
Kept apart from :mod:`conformite.probe.mail` so that
:mod:`conformite.probe.settings` can name the interface without importing
the checks.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["DnsError", "DnsFailure", "DnspythonResolver", "NameNotFound", "NoAnswer", "Resolver"]


class DnsError(Exception):
    """A DNS question without a usable answer."""

    transient = False


class NameNotFound(DnsError):
    """The name does not exist (NXDOMAIN)."""


class NoAnswer(DnsError):
    """The name exists but has no record of that type."""


class DnsFailure(DnsError):
    """No answer at all: time-out, server failure, no name server. Worth a retry."""

    transient = True


@runtime_checkable
class Resolver(Protocol):
    """What the mail checks need from DNS."""

    def txt(self, name: str, timeout: float) -> list[str]:
        """The TXT records of ``name``, each as one string (its parts joined).

        Raises :class:`NameNotFound`, :class:`NoAnswer` or :class:`DnsFailure`.
        """
        ...


class DnspythonResolver:
    """:class:`Resolver` backed by dnspython.

    Without ``nameservers``, uses the system configuration (``/etc/resolv.conf``
    or the Windows registry); with them (and ``port``), asks those servers only.
    """

    def __init__(self, nameservers: list[str] | None = None, port: int = 53) -> None:
        import dns.resolver

        if nameservers is None:
            try:
                self._resolver = dns.resolver.Resolver(configure=True)
            except dns.resolver.NoResolverConfiguration:
                self._resolver = dns.resolver.Resolver(configure=False)
        else:
            self._resolver = dns.resolver.Resolver(configure=False)
            self._resolver.nameservers = list(nameservers)
            self._resolver.port = port

    def txt(self, name: str, timeout: float) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = self._resolver.resolve(name, "TXT", lifetime=timeout, search=False)
        except dns.resolver.NXDOMAIN:
            raise NameNotFound(name) from None
        except dns.resolver.NoAnswer:
            raise NoAnswer(name) from None
        except dns.exception.Timeout:
            raise DnsFailure("DNS timed out") from None
        except dns.resolver.NoNameservers:
            raise DnsFailure("no DNS server answered") from None
        except dns.exception.DNSException as exc:
            raise DnsFailure(f"DNS error: {exc}") from None
        return [
            b"".join(record.strings).decode("utf-8", errors="replace")
            for record in answer  # type: ignore[attr-defined]
        ]
