"""Benchmark: ``probe_endpoints`` on 200 local HTTPS endpoints, concurrent against sequential.

    python benchmarks/bench_probe.py                     # the figures quoted in the README
    python benchmarks/bench_probe.py --endpoints 50 --latency-ms 0 --concurrency 1,8

Everything runs on 127.0.0.1: a trustme CA, one HTTPS server per endpoint
(its own port, so nothing is shared between endpoints), each answering with
good security headers and a valid security.txt, and one plain HTTP server that
redirects to HTTPS. ``--latency-ms`` makes every TLS handshake and every
response wait that long on the server side, standing in for the network
(a site hosted in Switzerland or nearby is typically 5 to 30 ms away); with
0 the run measures the probe's own CPU cost. Per endpoint the probe makes
5 TLS handshakes (4 versions and the chain check), ``http://`` once per host,
and 2 HTTPS requests (the page and security.txt) on one connection.

Each run is timed once per concurrency level, after a warm-up.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import ssl
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conformite.probe import ProbeSettings, probe_endpoints
from test_probe_support import LocalCA, serve

HEADERS = [
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Set-Cookie", "session=abc; Secure; HttpOnly; SameSite=Lax"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, nargs="*", default=[0.0, 20.0])
    parser.add_argument("--concurrency", default="1,8,32", help="levels, comma-separated")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    security_txt = f"Contact: mailto:security@example.ch\nExpires: {expires}\n".encode()
    routes = {
        "/": (200, HEADERS, b"<!doctype html><p>Commune</p>"),
        "/.well-known/security.txt": (200, [("Content-Type", "text/plain")], security_txt),
    }
    python = sys.version.split()[0]
    print(f"{args.endpoints} local HTTPS endpoints, {sys.platform}, Python {python}")
    print(f"OpenSSL {ssl.OPENSSL_VERSION}")
    with tempfile.TemporaryDirectory() as tmp:
        ca = LocalCA.create(Path(tmp))
        for latency in args.latency_ms:
            delay = latency / 1000
            with contextlib.ExitStack() as stack:
                sites = [
                    stack.enter_context(serve(routes, ca.leaf(), versions=_TLS12_13, delay=delay))
                    for _ in range(args.endpoints)
                ]
                plain = stack.enter_context(
                    serve({"/": (301, [("Location", "https://127.0.0.1/")], b"")})
                )
                urls = [site.url for site in sites]
                warm = ProbeSettings(
                    allow_private_addresses=True,
                    ca_file=ca.ca_file,
                    http_port=plain.port,
                    concurrency=8,
                )
                probe_endpoints(urls[:10], warm)
                for level in levels:
                    settings = ProbeSettings(
                        allow_private_addresses=True,
                        ca_file=ca.ca_file,
                        http_port=plain.port,
                        concurrency=level,
                        timeout=10,
                    )
                    started = time.perf_counter()
                    run = probe_endpoints(urls, settings)
                    seconds = time.perf_counter() - started
                    ok = sum(
                        1
                        for o in run.observations
                        if o.tls.certificate.valid and o.security_txt.valid
                    )
                    assert ok == len(urls), f"only {ok} of {len(urls)} endpoints fully observed"
                    mode = "sequential " if level == 1 else f"concurrency {level:<2}"
                    print(
                        f"latency {latency:>4.0f} ms  {mode}  {seconds:6.2f} s"
                        f"  ({1000 * seconds / len(urls):5.1f} ms per endpoint)"
                    )


_TLS12_13 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)

if __name__ == "__main__":
    main()
