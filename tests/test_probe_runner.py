"""The probe's machinery: budgets, retries, error names, the bounded pool, Once."""

from __future__ import annotations

import errno
import socket
import ssl
import threading
import time

import pytest
import requests

from conformite.probe.runner import (
    Budget,
    BudgetExhausted,
    Once,
    describe,
    is_transient,
    retry,
    run_pool,
)


def test_budget_caps_the_timeout_and_runs_out() -> None:
    budget = Budget.start(0.5, time.monotonic() + 100)
    assert budget.timeout(10) <= 0.5
    assert budget.timeout(0.1) == 0.1
    spent = Budget(ends_at=time.monotonic() - 1, run_ends_at=time.monotonic() + 100)
    with pytest.raises(BudgetExhausted):
        spent.timeout(10)


def test_budget_never_outlives_the_run() -> None:
    run_ends_at = time.monotonic() + 0.2
    assert Budget.start(60, run_ends_at).ends_at == run_ends_at


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connection refused"),
        (ConnectionResetError(errno.ECONNRESET, "reset"), "connection reset"),
        (TimeoutError("timed out"), "timed out"),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "name not resolved"),
        (
            socket.gaierror(socket.EAI_AGAIN, "Temporary failure"),
            "name resolution failed temporarily",
        ),
        (BudgetExhausted("x"), "timed out (time budget used up)"),
        (requests.ReadTimeout("read timed out"), "timed out"),
    ],
)
def test_describe_names_network_failures(exc: BaseException, reason: str) -> None:
    assert describe(exc) == reason


def test_describe_looks_inside_wrapped_exceptions() -> None:
    try:
        try:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
        except OSError as inner:
            raise requests.ConnectionError("Max retries exceeded") from inner
    except requests.ConnectionError as outer:
        assert describe(outer) == "connection refused"


def test_describe_tls_failures() -> None:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"  # type: ignore[misc]
    assert describe(error) == "TLS handshake failed: WRONG_VERSION_NUMBER"


def test_retry_repeats_transient_failures_with_backoff() -> None:
    calls: list[float] = []

    def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise TimeoutError("timed out")
        return "ok"

    budget = Budget.start(10, time.monotonic() + 10)
    assert retry(flaky, attempts=3, backoff=0.05, budget=budget) == "ok"
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.05
    assert calls[2] - calls[1] >= 0.1  # doubled


def test_retry_does_not_repeat_a_definite_answer() -> None:
    calls = 0

    def refused() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")

    with pytest.raises(ConnectionRefusedError):
        retry(refused, attempts=3, backoff=0.01, budget=Budget.start(10, time.monotonic() + 10))
    assert calls == 1
    assert not is_transient(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))


def test_retry_gives_up_rather_than_sleep_past_the_budget() -> None:
    calls = 0

    def slow() -> None:
        nonlocal calls
        calls += 1
        raise TimeoutError("timed out")

    with pytest.raises(TimeoutError):
        retry(slow, attempts=5, backoff=1.0, budget=Budget.start(0.5, time.monotonic() + 10))
    assert calls == 1


def test_pool_is_bounded_and_keeps_the_order() -> None:
    lock = threading.Lock()
    running = 0
    peak = 0

    def work(item: int, budget: Budget) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return item * 2

    seen: list[int] = []
    done, skipped = run_pool(
        list(range(20)),
        work,
        concurrency=4,
        deadline=30,
        item_seconds=5,
        on_done=lambda item, _result: seen.append(item),
    )
    assert [result for _, result in done] == [i * 2 for i in range(20)]
    assert skipped == []
    assert peak == 4
    assert sorted(seen) == list(range(20))


def test_pool_stops_at_the_deadline_and_lists_what_it_left_out() -> None:
    def work(item: float, budget: Budget) -> float:
        time.sleep(item)
        return item

    started = time.monotonic()
    done, skipped = run_pool(
        [0.0, 0.0, 2.0, 2.0], work, concurrency=2, deadline=0.5, item_seconds=5
    )
    assert time.monotonic() - started < 1.5
    assert [item for item, _ in done] == [0.0, 0.0]
    assert skipped == [2.0, 2.0]


def test_a_worker_blocked_forever_does_not_keep_the_process_alive() -> None:
    """The pool returns at the deadline and its workers are daemon threads: the
    interpreter does not wait for a read that never ends (Ctrl-C, --deadline)."""
    release = threading.Event()
    workers: list[threading.Thread] = []

    def work(item: int, budget: Budget) -> int:
        workers.append(threading.current_thread())
        release.wait(30)  # a read that never ends
        return item

    started = time.monotonic()
    done, skipped = run_pool([1, 2], work, concurrency=2, deadline=0.3, item_seconds=60)
    try:
        assert time.monotonic() - started < 1
        assert done == []
        assert skipped == [1, 2]
        assert len(workers) == 2
        assert all(worker.daemon and worker.is_alive() for worker in workers)
    finally:
        release.set()


def test_once_computes_a_shared_value_once() -> None:
    once = Once()
    calls = 0
    barrier = threading.Barrier(8)

    def compute() -> str:
        nonlocal calls
        calls += 1
        time.sleep(0.05)
        return "value"

    results: list[str] = []

    def ask() -> None:
        barrier.wait()
        results.append(once.get(("tls", "host", 443), compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["value"] * 8
    assert calls == 1


def test_a_refused_request_is_refused_not_a_time_out() -> None:
    """urllib3's NewConnectionError subclasses its ConnectTimeoutError: read past it."""
    from test_probe_support import closed_port

    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{closed_port()}/", timeout=2)
    assert describe(info.value) == "connection refused"
    assert not is_transient(info.value)
