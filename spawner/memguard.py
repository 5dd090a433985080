"""The memory limit of a bubble where no memory cgroup can be made.

:class:`MemoryGuard` is a daemon thread of the hub, one per bubble. Every
``interval`` seconds it sums the resident memory of the bubble's processes
(every descendant of the sandbox's first process, read from their own
``/proc`` entries) and, over the limit, kills the largest one with SIGKILL,
as the kernel's OOM killer does inside a memory cgroup: usually the kernel
that allocated, which JupyterLab then reports as dead and restarts; the hub
and the other bubbles are untouched. Resident memory counts pages shared
between processes once per process, so the guard errs on the side of killing
early; an allocation faster than the interval can overshoot the limit for at
most one interval.

:func:`process_to_kill` is the pure decision; the thread only reads ``/proc``
and sends the signal.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ProcessUsage:
    pid: int
    uid: int
    rss: int


def process_to_kill(usage: Sequence[ProcessUsage], limit: int, protected_uid: int = 0) -> ProcessUsage | None:
    """The largest process not owned by ``protected_uid`` when the sum is over ``limit``."""
    if sum(p.rss for p in usage) <= limit:
        return None
    candidates = [p for p in usage if p.uid != protected_uid]
    return max(candidates, key=lambda p: p.rss, default=None)


def bubble_usage(root_pid: int) -> list[ProcessUsage]:
    """Resident memory of ``root_pid`` and all its descendants (gone processes are skipped).

    Reads only the bubble's own entries of ``/proc`` (``task/*/children``,
    ``statm``), so that its cost grows with the bubble, not with the host.
    """
    found, pending, seen = [], [root_pid], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            owner = os.stat(f"/proc/{pid}").st_uid
            with open(f"/proc/{pid}/statm", "rb") as statm:
                resident_pages = int(statm.read().split()[1])
            pending += _children(pid)
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
        found.append(ProcessUsage(pid, owner, resident_pages * PAGE_SIZE))
    return found


def _children(pid: int) -> list[int]:
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", "rb") as listed:
            children += [int(child) for child in listed.read().split()]
    return children


def _command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as comm:
            return comm.read().strip()
    except OSError:
        return "?"


class MemoryGuard:
    """Kill the largest process of a bubble while its processes use more than ``limit`` bytes."""

    def __init__(
        self,
        root_pid: int,
        limit: int,
        interval: float,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger],
        label: str,
        on_kill: Callable[[ProcessUsage, int], None] | None = None,
    ) -> None:
        self.root_pid = root_pid
        self.limit = limit
        self.interval = interval
        self.log = log
        self.label = label
        self.on_kill = on_kill
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"memory-guard-{label}", daemon=True)

    def start(self) -> MemoryGuard:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def check(self) -> ProcessUsage | None:
        """One look at the bubble: the process killed, or None."""
        usage = bubble_usage(self.root_pid)
        victim = process_to_kill(usage, self.limit)
        if victim is None:
            return None
        total = sum(p.rss for p in usage)
        name = _command_name(victim.pid)
        try:
            os.kill(victim.pid, signal.SIGKILL)
        except ProcessLookupError:
            return None
        self.log.warning(
            "Bubble %s used %d MiB of memory, over its limit of %d MiB: killed process %d (%s, %d MiB)",
            self.label,
            total >> 20,
            self.limit >> 20,
            victim.pid,
            name,
            victim.rss >> 20,
        )
        if self.on_kill:
            self.on_kill(victim, total)
        return victim

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            if not os.path.exists(f"/proc/{self.root_pid}"):
                return
            try:
                self.check()
            except Exception:  # the guard must outlive any one bad reading
                self.log.exception("Memory guard of bubble %s failed to check", self.label)
