"""Local servers, a local CA and fake DNS for the probe's tests and benchmark.

Everything listens on 127.0.0.1 only. Not a test module (it defines no
tests); imported by ``test_probe*.py`` and ``benchmarks/bench_probe.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

from conformite.probe.dns import NameNotFound, NoAnswer

#: (status, headers, body) or a function of the request handler that returns one.
Response = tuple[int, list[tuple[str, str]], bytes]
Route = Response | Callable[[BaseHTTPRequestHandler], Response]

NOW = dt.datetime.now(dt.UTC)


@dataclass
class LocalCA:
    """A trustme CA written to a PEM file the probe can trust."""

    ca: trustme.CA
    ca_file: str

    @classmethod
    def create(cls, directory: Path, key_type: trustme.KeyType = trustme.KeyType.ECDSA) -> LocalCA:
        ca = trustme.CA(key_type=key_type)
        path = directory / "local-ca.pem"
        ca.cert_pem.write_to_path(str(path))
        return cls(ca=ca, ca_file=str(path))

    def leaf(
        self,
        *names: str,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key_type: trustme.KeyType | None = None,
    ) -> trustme.LeafCert:
        kwargs: dict[str, Any] = {}
        if not_before is not None:
            kwargs["not_before"] = not_before
        if not_after is not None:
            kwargs["not_after"] = not_after
        if key_type is not None:
            kwargs["key_type"] = key_type
        return self.ca.issue_cert(*(names or ("127.0.0.1",)), **kwargs)


class SelfSignedCert:
    """A self-signed certificate for a server context.

    ``weak``: RSA 1024 signed with SHA-1, made by the ``openssl`` command
    (cryptography no longer signs with SHA-1).
    """

    def __init__(self, directory: Path, name: str = "127.0.0.1", *, weak: bool = False) -> None:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        label = "weak" if weak else "ec"
        self.cert_file = directory / f"self-signed-{label}.pem"
        self.key_file = directory / f"self-signed-{label}.key"
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
            alt_text = f"IP:{name}"
        except ValueError:
            alt = x509.DNSName(name)
            alt_text = f"DNS:{name}"
        if weak:
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes",
                 "-days", "90", "-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_text}",
                 "-keyout", str(self.key_file), "-out", str(self.cert_file)],
                check=True,
                capture_output=True,
            )  # fmt: skip
            return
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .sign(key, hashes.SHA256())
        )
        self.cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    def configure_cert(self, context: ssl.SSLContext) -> None:
        context.set_ciphers("ALL:@SECLEVEL=0")  # let the weak key and SHA-1 load
        context.load_cert_chain(str(self.cert_file), str(self.key_file))


@dataclass
class Seen:
    """One request a local server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class LocalServer:
    port: int
    tls: bool
    requests: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/"


def _handler(
    routes: dict[str, Route], record: list[Seen], delay: float
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each response waits ~40 ms for a delayed ACK

        def do_GET(self) -> None:
            record.append(Seen("GET", self.path, dict(self.headers.items())))
            if delay:
                time.sleep(delay)
            route = routes.get(self.path.split("?")[0], (404, [], b"not found"))
            status, headers, body = route(self) if callable(route) else route
            self.send_response(status)
            names = {name.lower() for name, _ in headers}
            for name, value in headers:
                self.send_header(name, value)
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(body)))
            if "content-type" not in names:
                self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    context: ssl.SSLContext | None = None
    handshake_delay = 0.0
    request_queue_size = 128

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.context is not None:
            # The handshake happens in the request's thread, not the accepting one.
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.context is not None:
            if self.handshake_delay:
                time.sleep(self.handshake_delay)  # a network round trip, roughly
            request.settimeout(5)
            request.do_handshake()
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # version probes hang up right after the handshake: that is expected


def server_context(
    cert: trustme.LeafCert | SelfSignedCert,
    versions: tuple[ssl.TLSVersion, ssl.TLSVersion] | None = None,
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    if versions is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version, context.maximum_version = versions
            if versions[0] < ssl.TLSVersion.TLSv1_2:
                context.set_ciphers("ALL:@SECLEVEL=0")
    return context


@contextlib.contextmanager
def serve(
    routes: dict[str, Route] | None = None,
    cert: trustme.LeafCert | SelfSignedCert | None = None,
    *,
    versions: tuple[ssl.TLSVersion, ssl.TLSVersion] | None = None,
    delay: float = 0.0,
) -> Iterator[LocalServer]:
    """An HTTP server on 127.0.0.1 (HTTPS when ``cert`` is given) answering ``routes``.

    ``delay``: seconds added before each TLS handshake and each response, to
    stand for the network's latency.
    """
    record: list[Seen] = []
    server = _Server(("127.0.0.1", 0), _handler(routes or {}, record, delay))
    if cert is not None:
        server.context = server_context(cert, versions)
        server.handshake_delay = delay
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    local = LocalServer(port=server.server_address[1], tls=cert is not None, requests=record)
    try:
        yield local
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (time-outs)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def tls10_supported() -> bool:
    """Whether this machine's OpenSSL can speak TLS 1.0 to itself."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    try:
        server_ctx = server_context(cert, (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            client.check_hostname = False
            client.verify_mode = ssl.CERT_NONE
            client.minimum_version = client.maximum_version = ssl.TLSVersion.TLSv1
            client.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return False
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        errors: list[BaseException] = []

        def accept() -> None:
            conn, _ = listener.accept()
            try:
                with server_ctx.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError) as exc:
                errors.append(exc)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                client.wrap_socket(raw) as tls,
            ):
                ok = tls.version() == "TLSv1"
        except (OSError, ssl.SSLError):
            ok = False
        thread.join(5)
    return ok and not errors


class FakeResolver:
    """DNS answers from a dict: name -> TXT records; names in ``missing`` do not exist."""

    def __init__(
        self,
        records: dict[str, list[str]],
        missing: set[str] | None = None,
        failing: set[str] | None = None,
    ) -> None:
        self.records = {k.lower(): v for k, v in records.items()}
        self.missing = {m.lower() for m in missing or set()}
        self.failing = {f.lower() for f in failing or set()}
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def txt(self, name: str, timeout: float) -> list[str]:
        from conformite.probe.dns import DnsFailure

        key = name.lower().rstrip(".")
        with self._lock:
            self.asked.append(key)
        if key in self.failing:
            raise DnsFailure("DNS timed out")
        if key in self.missing:
            raise NameNotFound(key)
        if key not in self.records:
            raise NoAnswer(key)
        return list(self.records[key])


@contextlib.contextmanager
def dns_server(records: dict[str, list[str]]) -> Iterator[int]:
    """A tiny authoritative DNS server on 127.0.0.1 (UDP) answering TXT questions."""
    import dns.message
    import dns.rcode
    import dns.rdatatype
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()
    known = {k.lower().rstrip("."): v for k, v in records.items()}

    def loop() -> None:
        while not stop.is_set():
            try:
                data, address = sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().lower().rstrip(".")
            if name not in known:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                values = [f'"{value}"' for value in known[name]]
                if values:
                    response.answer.append(
                        dns.rrset.from_text(question.name, 300, "IN", "TXT", *values)
                    )
            sock.sendto(response.to_wire(), address)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        sock.close()


@dataclass
class Trickle:
    """A server that answers one byte every ``interval`` seconds (see :func:`trickle_server`)."""

    port: int
    #: Set when a client has connected (and, with TLS, finished its handshake).
    connected: threading.Event = field(default_factory=threading.Event)
    #: Connections accepted so far.
    connections: int = 0

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"


@contextlib.contextmanager
def trickle_server(
    *,
    interval: float = 0.2,
    context: ssl.SSLContext | None = None,
    fast_headers: bool = False,
) -> Iterator[Trickle]:
    """A hostile HTTP server on 127.0.0.1: after the request, one byte every ``interval``.

    The response never ends (its body is announced as 1 MB). ``fast_headers``:
    the status line and headers come at once and only the body trickles;
    otherwise the status line itself trickles. ``context``: TLS.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()
    state = Trickle(port=int(listener.getsockname()[1]))
    # Long headers: trickled, they alone take a minute (300 bytes at 0.2 s each).
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n"
        + b"X-Padding: "
        + b"p" * 220
        + b"\r\n\r\n"
    )

    def handle(conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if context is not None:
                conn = context.wrap_socket(conn, server_side=True)
            state.connected.set()
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            if fast_headers:
                conn.sendall(head)
            payload = head if not fast_headers else b"x" * 1_000_000
            for index in range(len(payload)):
                if stop.is_set():
                    return
                conn.sendall(payload[index : index + 1])
                time.sleep(interval)
        except (OSError, ssl.SSLError):
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            state.connections += 1
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(2)
        listener.close()


@contextlib.contextmanager
def listener() -> Iterator[tuple[int, Callable[[], bool]]]:
    """A port on 127.0.0.1 that listens, and a function telling whether anyone connected."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)

    def contacted() -> bool:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True

    try:
        yield int(sock.getsockname()[1]), contacted
    finally:
        sock.close()
