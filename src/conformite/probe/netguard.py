"""Guarded connections: which addresses may be contacted, and deadlines that hold.

Two rules for every connection the probe (and ``profiles sync``) opens:

* **Address policy.** A host name is resolved here, each address is checked
  with :func:`address_problem` and the connection goes to a checked address
  (never to a name resolved again later), so a name that resolves to
  ``127.0.0.1`` or ``169.254.169.254`` (cloud metadata), or that changes its
  answer between two connections (DNS rebinding), is refused on every
  connection, redirects included. Refused: loopback, link-local, private,
  multicast, unspecified, reserved and other non-global addresses; an
  IPv4-mapped or NAT64 IPv6 address is judged by its IPv4 address.
* **Deadlines.** Socket time-outs bound each *read*, not a response: a server
  sending one byte every half second never times out. Each connection is
  therefore registered with the :class:`Watchdog`, one daemon thread that
  shuts the socket down when its deadline passes, which unblocks a read
  waiting in another thread at once. A deadline covers connecting, the TLS
  handshake, the response headers and the body.

:func:`mount_guard` applies both to a ``requests`` session; the raw TLS
handshakes use :func:`guarded_connection`.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import ipaddress
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "WATCHDOG",
    "AddressPolicy",
    "AddressRefused",
    "StaticHosts",
    "Watchdog",
    "address_problem",
    "guarded_adapter",
    "guarded_connection",
    "mount_guard",
    "open_connection",
    "public_only",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(address, port)`` -> why the address may not be contacted, or ``None``.
AddressPolicy = Callable[[IPAddress, int], str | None]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_problem(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public Internet address, or ``None`` when it is.

    The reason is one word (``loopback``, ``link-local``, ``private``,
    ``multicast``, ``unspecified``, ``reserved``, ``non-public``). Nothing is
    contacted.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def public_only(address: IPAddress, port: int) -> str | None:
    """The default :data:`AddressPolicy`: public addresses only, any port."""
    del port
    return address_problem(address)


class AddressRefused(Exception):
    """The host's addresses are all refused by the address policy (nothing was sent)."""

    transient = False

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"address refused: {address} ({reason})")
        self.host = host
        self.address = address
        self.reason = reason


class _Watch:
    """One socket watched until its deadline (through a duplicate of its descriptor)."""

    def __init__(self, sock: socket.socket, ends_at: float) -> None:
        # A plain socket on a duplicate descriptor: works for TLS sockets too
        # (SSLSocket cannot dup()), and shutting it down shuts the connection.
        self._dup: socket.socket | None = socket.socket(fileno=os.dup(sock.fileno()))
        self.ends_at = ends_at
        self.fired = False
        self._lock = threading.Lock()

    def fire(self) -> None:
        with self._lock:
            if self._dup is None:
                return
            self.fired = True
            with contextlib.suppress(OSError):
                # shutdown (not close) wakes a recv blocked in another thread.
                self._dup.shutdown(socket.SHUT_RDWR)
            self._dup.close()
            self._dup = None

    def release(self) -> None:
        with self._lock:
            if self._dup is not None:
                self._dup.close()
                self._dup = None


class Watchdog:
    """A daemon thread that shuts connections down when their deadline passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, ends_at: float) -> _Watch:
        """Shut ``sock`` down at ``ends_at`` (monotonic) unless released before."""
        watch = _Watch(sock, ends_at)
        if ends_at <= time.monotonic():
            watch.fire()
            return watch
        with self._cond:
            heapq.heappush(self._heap, (ends_at, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="conformite-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return watch

    def fire_all(self) -> None:
        """Shut every watched connection down now (on Ctrl-C)."""
        with self._cond:
            watches = [watch for _, _, watch in self._heap]
            self._heap.clear()
        for watch in watches:
            watch.fire()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                ends_at, _, watch = self._heap[0]
                wait = ends_at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.fire()


#: The process's watchdog.
WATCHDOG = Watchdog()


#: Fixed answers for some names, ``{name: address}`` (like curl's ``--resolve``).
StaticHosts = tuple[tuple[str, str], ...]


def _resolve(
    host: str, port: int, timeout: float, hosts: StaticHosts = ()
) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` for TCP, given up after ``timeout`` (it cannot be interrupted).

    A name in ``hosts`` resolves to its fixed address instead (the address
    policy still judges it).
    """
    fixed = dict(hosts).get(host.lower().rstrip("."))
    if fixed is not None:
        host = fixed
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    box: list[Any] = []
    done = threading.Event()

    def work() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the caller
            box.append(exc)
        done.set()

    threading.Thread(target=work, name="conformite-resolve", daemon=True).start()
    if not done.wait(max(timeout, 0.0)):
        raise TimeoutError("name resolution timed out")
    if isinstance(box[0], BaseException):
        raise box[0]
    return list(box[0])


def open_connection(
    host: str,
    port: int,
    *,
    timeout: float,
    policy: AddressPolicy | None,
    ends_at: float | None = None,
    hosts: StaticHosts = (),
) -> socket.socket:
    """A TCP connection to an address of ``host`` that ``policy`` allows.

    Raises :class:`AddressRefused` when every address is refused, else what
    connecting raises (``socket.gaierror``, ``TimeoutError``, ``OSError``).
    """

    def left() -> float:
        if ends_at is None:
            return timeout
        remaining = ends_at - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        return min(timeout, remaining)

    infos = _resolve(host.strip("[]"), port, left(), hosts)
    allowed = []
    refused: tuple[str, str] | None = None
    for info in infos:
        address = info[4][0].split("%", 1)[0]
        reason = policy(ipaddress.ip_address(address), port) if policy is not None else None
        if reason is None:
            allowed.append(info)
        elif refused is None:
            refused = (address, reason)
    if not allowed:
        if refused is not None:
            raise AddressRefused(host, *refused)
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in allowed:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left())
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    assert error is not None
    raise error


@contextlib.contextmanager
def guarded_connection(
    host: str,
    port: int,
    *,
    timeout: float,
    policy: AddressPolicy | None,
    ends_at: float,
    hosts: StaticHosts = (),
) -> Iterator[socket.socket]:
    """:func:`open_connection`, watched until ``ends_at`` and closed on exit."""
    sock = open_connection(host, port, timeout=timeout, policy=policy, ends_at=ends_at, hosts=hosts)
    watch = WATCHDOG.watch(sock, ends_at)
    try:
        yield sock
    finally:
        watch.release()
        sock.close()


def _guarded_classes(
    deadline: Callable[[], float], policy: AddressPolicy | None, hosts: StaticHosts = ()
) -> dict[str, type]:
    """urllib3 pool classes whose connections follow ``policy`` and ``deadline()``."""
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    class Guarded:
        _watch: _Watch | None = None
        _requests = 0

        def _new_conn(self) -> socket.socket:
            conn: Any = self
            ends_at = deadline()
            timeout = conn.timeout if isinstance(conn.timeout, int | float) else 30.0
            try:
                sock = open_connection(
                    conn._dns_host,
                    conn.port,
                    timeout=timeout,
                    policy=policy,
                    ends_at=ends_at,
                    hosts=hosts,
                )
            except AddressRefused:
                raise
            except TimeoutError as exc:
                raise ConnectTimeoutError(conn, f"connection to {conn.host} timed out") from exc
            except OSError as exc:
                raise NewConnectionError(conn, f"failed to connect: {exc}") from exc
            self._arm(sock, ends_at)
            return sock

        def _arm(self, sock: socket.socket, ends_at: float) -> None:
            if self._watch is not None:
                self._watch.release()
            self._watch = WATCHDOG.watch(sock, ends_at)

        def request(self, *args: Any, **kwargs: Any) -> Any:
            conn: Any = self
            self._requests += 1
            if self._requests > 1 and conn.sock is not None:
                self._arm(conn.sock, deadline())  # a reused connection: a new request's time
            return super().request(*args, **kwargs)  # type: ignore[misc]

        def close(self) -> None:
            try:
                super().close()  # type: ignore[misc]
            finally:
                if self._watch is not None:
                    self._watch.release()
                    self._watch = None

    class GuardedHTTPConnection(Guarded, HTTPConnection):
        pass

    class GuardedHTTPSConnection(Guarded, HTTPSConnection):
        pass

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}


@functools.cache
def _adapter_class() -> type:
    """:class:`requests.adapters.HTTPAdapter` with guarded pools (built on first use)."""
    from requests.adapters import HTTPAdapter

    class GuardedAdapter(HTTPAdapter):
        """A transport adapter whose connections follow the address policy and deadline."""

        def __init__(
            self,
            deadline: Callable[[], float],
            policy: AddressPolicy | None,
            ssl_context: Any,
            hosts: StaticHosts = (),
        ) -> None:
            self._classes = _guarded_classes(deadline, policy, hosts)
            self._ssl_context = ssl_context
            super().__init__()

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            if self._ssl_context is not None:
                kwargs["ssl_context"] = self._ssl_context
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = dict(self._classes)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            if not proxy.lower().startswith("socks"):  # SOCKS pools make their own sockets
                manager.pool_classes_by_scheme = dict(self._classes)
            return manager

    return GuardedAdapter


def guarded_adapter(
    deadline: Callable[[], float],
    policy: AddressPolicy | None,
    ssl_context: Any = None,
    hosts: StaticHosts = (),
) -> Any:
    """A ``requests`` transport adapter whose connections follow the two rules.

    ``deadline()`` gives the monotonic instant a request starting now must be
    done by; ``policy`` the addresses allowed (``None``: any).
    """
    return _adapter_class()(deadline, policy, ssl_context, hosts)


def mount_guard(
    session: Any,
    deadline: Callable[[], float],
    policy: AddressPolicy | None,
    ssl_context: Any = None,
    hosts: StaticHosts = (),
) -> Any:
    """Mount :func:`guarded_adapter` on ``session`` for http:// and https://."""
    session.mount("http://", guarded_adapter(deadline, policy, None, hosts))
    session.mount("https://", guarded_adapter(deadline, policy, ssl_context, hosts))
    return session
