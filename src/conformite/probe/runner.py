"""Running probes at work: a bounded pool, time budgets, retries, plain error names.

* :func:`run_pool` probes items on at most ``concurrency`` daemon threads and
  stops waiting at an overall deadline; an item finished after it is left out
  (its older observation stays in force) rather than saved half-measured.
  Daemon threads never keep the process alive: it exits at the deadline or on
  Ctrl-C even if a worker is still blocked somewhere.
* :class:`Budget` caps every network operation at the per-operation timeout,
  at what is left of the endpoint's budget and at the overall deadline.
* :func:`retry` repeats an operation after a *transient* failure (time-out,
  reset, temporary DNS failure) with exponential backoff, within the budget;
  a definite answer (connection refused, name unknown) is not retried.
* :func:`describe` turns any network exception into a short, stable reason
  such as ``connection refused`` that goes into the observation.
"""

from __future__ import annotations

import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from conformite.probe.netguard import AddressRefused

__all__ = [
    "Budget",
    "BudgetExhausted",
    "Once",
    "describe",
    "is_transient",
    "retry",
    "run_pool",
]

T = TypeVar("T")
R = TypeVar("R")

#: Reasons worth another attempt.
TRANSIENT = frozenset({"timed out", "connection reset", "name resolution failed temporarily"})


class BudgetExhausted(TimeoutError):
    """The endpoint's time budget or the run's deadline is used up."""


@dataclass(frozen=True)
class Budget:
    """Time left for one endpoint, as monotonic clock instants."""

    ends_at: float
    run_ends_at: float

    @classmethod
    def start(cls, seconds: float, run_ends_at: float) -> Budget:
        return cls(ends_at=min(time.monotonic() + seconds, run_ends_at), run_ends_at=run_ends_at)

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()

    def timeout(self, limit: float) -> float:
        """``limit`` capped by the time left; raises :class:`BudgetExhausted` when none is."""
        left = self.remaining()
        if left <= 0.01:
            raise BudgetExhausted("time budget used up")
        return min(limit, left)

    def request_deadline(self, seconds: float) -> float:
        """When a request starting now must be done: ``seconds`` from now, within the budget."""
        return min(self.ends_at, time.monotonic() + seconds)


def retry(
    call: Callable[[], T],
    *,
    attempts: int,
    backoff: float,
    budget: Budget,
    transient: Callable[[BaseException], bool] | None = None,
) -> T:
    """``call()``, repeated after transient failures with exponential backoff.

    A failure once the budget is used up (a connection the watchdog shut
    down at the deadline) is raised as :class:`BudgetExhausted`.
    """
    check = transient or is_transient
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:
            if budget.remaining() <= 0.01 and not isinstance(exc, BudgetExhausted):
                raise BudgetExhausted("time budget used up") from exc
            delay = backoff * (2**attempt)
            if attempt + 1 >= attempts or not check(exc) or budget.remaining() <= delay:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - attempts >= 1


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (causes, contexts, urllib3 reasons)."""
    seen: set[int] = set()
    queue: list[BaseException | None] = [exc]
    while queue:
        item = queue.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        queue.append(item.__cause__)
        queue.append(item.__context__)
        reason = getattr(item, "reason", None)
        if isinstance(reason, BaseException):
            queue.append(reason)
        queue.extend(a for a in item.args if isinstance(a, BaseException))


def describe(exc: BaseException) -> str:
    """A short reason for a failed network operation, e.g. ``connection refused``.

    The concrete socket or TLS error is looked for first, anywhere in the
    chain: urllib3's ``NewConnectionError`` is a subclass of its
    ``ConnectTimeoutError``, so a refused connection must not be read as a
    time-out (and retried).
    """
    import requests
    import urllib3.exceptions

    chain = list(_chain(exc))
    for item in chain:
        if isinstance(item, AddressRefused):
            return str(item)
        if isinstance(item, BudgetExhausted):
            return "timed out (time budget used up)"
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
            return "connection reset"
        if isinstance(item, socket.gaierror):
            if item.errno == socket.EAI_AGAIN:
                return "name resolution failed temporarily"
            return "name not resolved"
        if isinstance(item, TimeoutError):  # socket.timeout is TimeoutError
            return "timed out"
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"certificate verification failed: {item.verify_message}"
        if isinstance(item, ssl.SSLError):
            return f"TLS handshake failed: {item.reason or item.strerror or item}"
    for item in chain:
        if isinstance(item, requests.Timeout | urllib3.exceptions.TimeoutError):
            return "timed out"
        if isinstance(item, OSError) and item.errno is not None and item.strerror:
            return item.strerror.lower()
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:200]


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt may succeed (time-outs, resets, temporary DNS failures)."""
    if isinstance(exc, BudgetExhausted):
        return False
    transient = getattr(exc, "transient", None)
    if isinstance(transient, bool):
        return transient
    return describe(exc) in TRANSIENT


class Once:
    """Compute a value once per key, even when several threads ask at the same time.

    Endpoints on the same host share their TLS, ``http://`` and security.txt
    results: the host is asked once per run, not once per URL.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
                raise
        return future.result()  # type: ignore[no-any-return]


def run_pool(
    items: Sequence[T],
    work: Callable[[T, Budget], R],
    *,
    concurrency: int,
    deadline: float,
    item_seconds: float,
    on_done: Callable[[T, R], None] | None = None,
) -> tuple[list[tuple[T, R]], list[T]]:
    """Run ``work(item, budget)`` on a bounded pool of threads, until ``deadline`` seconds.

    Returns the results finished in time, in the order of ``items``, and the
    items left out (not started or not finished before the deadline). Each
    item's budget starts when a worker picks it up. The workers are daemon
    threads: one still blocked after the deadline does not keep the process
    alive (and its connections are shut down by the watchdog at the deadline).
    """
    run_ends_at = time.monotonic() + deadline
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(items)):
        pending.put(index)
    finished: queue.Queue[tuple[int, Any, BaseException | None, float]] = queue.Queue()

    def worker() -> None:
        while time.monotonic() < run_ends_at:
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            try:
                result = work(items[index], Budget.start(item_seconds, run_ends_at))
            except BaseException as exc:  # handed to the calling thread
                finished.put((index, None, exc, time.monotonic()))
                continue
            finished.put((index, result, None, time.monotonic()))

    for number in range(max(1, min(concurrency, len(items) or 1))):
        threading.Thread(target=worker, name=f"conformite-probe-{number}", daemon=True).start()
    results: dict[int, R] = {}
    for _ in range(len(items)):
        left = run_ends_at - time.monotonic()
        if left <= 0:
            break
        try:
            index, result, error, finished_at = finished.get(timeout=left)
        except queue.Empty:
            break
        if error is not None:
            raise error
        if finished_at > run_ends_at:
            continue
        results[index] = result
        if on_done is not None:
            on_done(items[index], result)
    done = [(items[i], results[i]) for i in sorted(results)]
    skipped = [item for i, item in enumerate(items) if i not in results]
    return done, skipped
