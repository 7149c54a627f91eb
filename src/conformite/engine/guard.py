"""A workspace's own controls run in a child process, with time and memory limits.

The CEL binding has no cost limit, no timeout and holds the interpreter while
it runs: a custom control (``[catalogue] extra``) whose expression loops 10^9
times, or builds gigabytes of strings, would stop the audit for good. The
load-time checks (:mod:`conformite.catalogue.cel`) reject what they can see;
this module bounds what they cannot.

The custom controls are evaluated in a forked child with an address-space
limit (``RLIMIT_AS``), which writes to memory shared with this process which
control it is evaluating, since when, and how long each control has taken so
far. This process reads the child's findings from a pipe and, between reads,
checks the clock: a control that runs longer than :data:`SECONDS_PER_FINDING`
on one target, or :data:`SECONDS_PER_CONTROL` over all its targets, is stopped
(the child is killed). A control during which the child runs out of memory or
dies is stopped too. The child is then started again without the stopped
controls, so that the others' findings are complete; each stopped control
becomes an ``error`` finding on each of its targets, naming the limit.

Built-in controls are not run here: they are part of conformite, reviewed and
tested, and their evaluation is the hot path of every audit.
"""

from __future__ import annotations

import faulthandler
import marshal
import mmap
import os
import resource
import select
import signal
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformite.engine.children import reap, unmarshal_list
from conformite.i18n import translate
from conformite.i18n.formats import format_number

__all__ = ["Limits", "available", "limits", "run_guarded", "stopped_message"]

#: Wall-clock time one control may take on one target (conditions,
#: requirements and facts). A normal control takes microseconds.
SECONDS_PER_FINDING = 1.0
#: Wall-clock time one control may take over all its targets.
SECONDS_PER_CONTROL = 10.0
#: Memory the child may allocate beyond what it inherits, in MiB.
MEMORY_MIB = 512
#: Characters one finding's messages and facts may hold: a control listing a
#: million facts would make every report unreadable (and huge).
OUTPUT_CHARACTERS = 100_000

_STATE = struct.Struct("qd")  # index of the control being evaluated (-1: none), since when
_SPENT = struct.Struct("d")  # then, per control: seconds spent so far
_POLL_SECONDS = 0.02
_STATM = Path("/proc/self/statm")
#: Time allowed to a child beyond its controls' limits (start, context, results).
_SPARE_SECONDS = 30.0
#: Exit status of a child that caught a MemoryError during a control, or that
#: stopped a control whose finding went over OUTPUT_CHARACTERS.
_EXIT_MEMORY = 3
_EXIT_OUTPUT = 4


@dataclass(frozen=True)
class Limits:
    seconds_per_finding: float
    seconds_per_control: float
    memory_mib: int


def _number(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        number = float(value)
    except ValueError:
        return default
    return number if number > 0 else default


def limits() -> Limits:
    """The limits in force: the defaults above, or ``CONFORMITE_CEL_SECONDS_PER_FINDING``,
    ``CONFORMITE_CEL_SECONDS_PER_CONTROL`` and ``CONFORMITE_CEL_MEMORY_MIB``."""
    return Limits(
        seconds_per_finding=_number("CONFORMITE_CEL_SECONDS_PER_FINDING", SECONDS_PER_FINDING),
        seconds_per_control=_number("CONFORMITE_CEL_SECONDS_PER_CONTROL", SECONDS_PER_CONTROL),
        memory_mib=int(_number("CONFORMITE_CEL_MEMORY_MIB", MEMORY_MIB)),
    )


def available() -> bool:
    """Whether controls can be run in a limited child process here (POSIX with fork)."""
    return hasattr(os, "fork") and _STATM.exists()


#: What the child is given: the controls to run, and a ``decide`` function to
#: use in place of the plain one. It returns its findings packed for marshal.
Work = Callable[[set[str], Callable[..., Any]], list[Any]]
#: Why a control was stopped: "time", "memory", "output" or "crash".
Stopped = dict[str, str]


def run_guarded(
    control_ids: list[str], work: Work, decide: Callable[..., Any], limit: Limits
) -> tuple[list[Any], Stopped]:
    """Run ``work`` on ``control_ids`` in limited children until it completes.

    Returns the packed findings (each a tuple starting with its control id) of
    the controls that stayed within the limits and, for each stopped control,
    why. A child is started at most once per stopped control, plus one.
    """
    active = list(control_ids)
    stopped: Stopped = {}
    while active:
        blob, culprits = _run_child(active, work, decide, limit)
        stopped.update(culprits)
        if blob is not None:
            packed = unmarshal_list(blob)
            if packed is None:
                # The child died between controls, or sent nothing usable: no
                # control can be blamed, and none of them can be trusted.
                stopped.update(dict.fromkeys(active, "crash"))
                return [], stopped
            return [p for p in packed if p[0] not in stopped], stopped
        active = [c for c in active if c not in culprits]
    return [], stopped


def _run_child(
    active: list[str], work: Work, decide: Callable[..., Any], limit: Limits
) -> tuple[bytes | None, Stopped]:
    """One child over ``active``: its output (None if stopped), the controls stopped."""
    shared = mmap.mmap(-1, _STATE.size + _SPENT.size * len(active))
    _STATE.pack_into(shared, 0, -1, 0.0)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_end)
            _limit_child(limit, len(active))
            status = _child(shared, write_end, active, work, decide)
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        return _supervise(pid, read_end, shared, active, limit)
    finally:
        os.close(read_end)
        shared.close()


def stopped_message(control_id: str, reason: str, limit: Limits, lang: str) -> str:
    """Why a control was stopped, naming it and the limit it went over."""
    return translate(
        f"finding.cel_{reason}_limit" if reason != "crash" else "finding.cel_crash",
        lang,
        control=control_id,
        per_finding=f"{limit.seconds_per_finding:g}",
        per_control=f"{limit.seconds_per_control:g}",
        megabytes=limit.memory_mib,
        characters=format_number(OUTPUT_CHARACTERS, lang),
    )


def _limit_child(limit: Limits, controls: int) -> None:
    # Messages the binding prints on a failed allocation, or a fault handler's
    # dump of an abort, are the parent's to report.
    faulthandler.disable()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.environ["RUST_BACKTRACE"] = "0"  # a failed allocation aborts at once
    inherited = int(_STATM.read_text(encoding="ascii").split()[0]) * os.sysconf("SC_PAGE_SIZE")
    allowed = inherited + limit.memory_mib * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        allowed = min(allowed, hard)
    resource.setrlimit(resource.RLIMIT_AS, (allowed, hard))
    # A backstop should this process disappear without killing the child.
    seconds = int(limit.seconds_per_control * controls + 2 * _SPARE_SECONDS)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or seconds < hard:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, hard))


def _child(
    shared: mmap.mmap, write_end: int, active: list[str], work: Work, decide: Callable[..., Any]
) -> int:
    index = {control_id: i for i, control_id in enumerate(active)}
    clock = time.monotonic
    state = _STATE.pack_into
    spent = _SPENT
    base = _STATE.size

    def guarded(control: Any, *args: Any) -> Any:
        i = index[control.id]
        # The start time first: once the index shows, its start is current.
        started = clock()
        state(shared, 0, -1, started)
        state(shared, 0, i, started)
        result = decide(control, *args)
        state(shared, 0, -1, started)
        offset = base + spent.size * i
        spent.pack_into(shared, offset, spent.unpack_from(shared, offset)[0] + clock() - started)
        outcome, messages, facts = result
        if outcome == "error" and "MemoryError" in messages[0]:
            state(shared, 0, i, started)  # blame the control, then die like a failed allocation
            return os._exit(_EXIT_MEMORY)
        size = sum(map(len, messages))
        for fact in facts:
            size += sum(map(len, fact.details))
        if size > OUTPUT_CHARACTERS:
            state(shared, 0, i, started)
            return os._exit(_EXIT_OUTPUT)
        return result

    blob = marshal.dumps(work(set(active), guarded))
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(blob)
    return 0


def _supervise(
    pid: int, read_end: int, shared: mmap.mmap, active: list[str], limit: Limits
) -> tuple[bytes | None, Stopped]:
    chunks: list[bytes] = []
    # A backstop for a child stuck between controls, where no control is to blame.
    deadline = time.monotonic() + limit.seconds_per_control * len(active) + _SPARE_SECONDS
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], _POLL_SECONDS)
            if ready:
                chunk = os.read(read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                continue
            running = _running_over_limit(shared, limit)
            if running is not None or time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                reap(pid)
                if running is None:
                    return None, dict.fromkeys(active, "crash")
                return None, {active[running]: "time"}
    except BaseException:
        # Interrupted (Ctrl-C): the child goes with us.
        os.kill(pid, signal.SIGKILL)
        reap(pid)
        raise
    status = reap(pid)
    current = _STATE.unpack_from(shared, 0)[0]
    if status not in (0, None):
        if current < 0:
            return b"", {}
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        if code == _EXIT_OUTPUT:
            reason = "output"
        elif code == _EXIT_MEMORY or os.WIFSIGNALED(status):
            reason = "memory"
        else:
            reason = "crash"
        return None, {active[current]: reason}
    # Finished; a control may still have taken too long over all its targets.
    over = {
        control_id: "time"
        for i, control_id in enumerate(active)
        if _SPENT.unpack_from(shared, _STATE.size + _SPENT.size * i)[0] > limit.seconds_per_control
    }
    return b"".join(chunks), over


def _running_over_limit(shared: mmap.mmap, limit: Limits) -> int | None:
    """The index of the control being evaluated if it is over a time limit."""
    current, started = _STATE.unpack_from(shared, 0)
    if current < 0:
        return None
    running = time.monotonic() - started
    spent = _SPENT.unpack_from(shared, _STATE.size + _SPENT.size * current)[0]
    if running > limit.seconds_per_finding or spent + running > limit.seconds_per_control:
        return int(current)
    return None
