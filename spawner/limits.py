"""A bubble's CPU, memory and process limits, and the two ways to enforce them.

The profile grants CPU cores (maybe fractional) and bytes of memory. On one
machine they are enforced in one of two *modes*:

- ``cgroup``: a cgroup v2 of its own per bubble (``cpu.max``, ``memory.max``,
  ``memory.swap.max``, ``pids.max``), where a writable cgroup v2 folder with
  the ``cpu``, ``memory`` and ``pids`` controllers exists
  (:mod:`bulle.spawner.cgroups`). Over its memory, the kernel's OOM killer
  kills the largest process of the bubble.
- ``rlimits``: elsewhere (cgroup v1 hosts, containers without delegation).
  CPU: the bubble's processes are pinned to ``ceil(cpu)`` cores (a seccomp
  filter stops them widening it). Memory: the :class:`~bulle.spawner.memguard.MemoryGuard`
  kills the bubble's largest process when the sum of their resident memory
  goes over the limit, as the OOM killer would. Processes: ``RLIMIT_NPROC``
  on the bubble's account. Core dumps are off in both modes.

Everything here but :func:`apply_process_limits` (which runs in the child
before it executes the sandbox) is pure.
"""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Sequence
from dataclasses import dataclass

CPU_PERIOD_US = 100_000


@dataclass(frozen=True)
class ResourceLimits:
    """What one bubble may use: its profile's grant, and a cap on processes."""

    cpu: float
    memory: int
    max_processes: int


def cpu_count_for(cpu: float) -> int:
    """Whole cores a bubble is pinned to without a CPU cgroup (at least one)."""
    return max(1, math.ceil(cpu - 1e-9))


def pick_cpus(available: Sequence[int], cpu: float, offset: int) -> tuple[int, ...]:
    """``ceil(cpu)`` of the ``available`` cores, starting at ``offset`` (round robin)."""
    ordered = sorted(available)
    count = min(len(ordered), cpu_count_for(cpu))
    return tuple(sorted(ordered[(offset + i) % len(ordered)] for i in range(count)))


def cgroup_settings(limits: ResourceLimits) -> dict[str, str]:
    """Interface files of the bubble's cgroup v2 and what to write in them."""
    quota = max(1000, round(limits.cpu * CPU_PERIOD_US))
    return {
        "cpu.max": f"{quota} {CPU_PERIOD_US}",
        "memory.max": str(limits.memory),
        "memory.swap.max": "0",
        "pids.max": str(limits.max_processes),
    }


def process_rlimits(limits: ResourceLimits) -> dict[int, tuple[int, int]]:
    """Resource limits every process of the bubble inherits.

    ``RLIMIT_NPROC`` counts the tasks of the bubble's account (threads
    included), so it is also a cap on a fork bomb's reach into the host.
    """
    return {
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NPROC: (limits.max_processes, limits.max_processes),
    }


def apply_process_limits(rlimits: dict[int, tuple[int, int]], cpus: Sequence[int] | None) -> None:
    """Set rlimits and CPU affinity on the calling process (a child before exec)."""
    for which, values in rlimits.items():
        resource.setrlimit(which, values)
    if cpus:
        os.sched_setaffinity(0, cpus)
