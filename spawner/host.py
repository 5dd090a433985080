"""What this machine offers a sandbox: system folders, bulle's software, namespaces.

The I/O half of :mod:`bulle.spawner.sandbox`: these functions look at the
host (which top-level folders are links, where Python and bulle are
installed, whether bubblewrap can create namespaces here) and return plain
values for the pure builders.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from .seccomp import SYSCALLS, make_seccomp_filter

# bulle's packages a bubble may import; bulle.hub (secrets-free, but of no use
# in a bubble) stays out of the view.
BUBBLE_PACKAGES = ("bulle", "bulle.policies", "bulle.spawner", "bulle.extensions", "bulle.warehouse")


def system_entries(paths: Iterable[str]) -> list[tuple[str, str | None]]:
    """``(path, link target or None)`` for each of ``paths`` that exists here."""
    found: list[tuple[str, str | None]] = []
    for path in paths:
        if os.path.islink(path):
            found.append((path, os.readlink(path)))
        elif os.path.isdir(path):
            found.append((path, None))
    return found


def outermost(paths: Iterable[Path]) -> list[Path]:
    """``paths`` without those inside another one of them, sorted."""
    unique = sorted(set(paths), key=lambda p: (len(p.parts), str(p)))
    kept: list[Path] = []
    for path in unique:
        if not any(path == k or path.is_relative_to(k) for k in kept):
            kept.append(path)
    return sorted(kept)


def software_paths(system_dirs: Sequence[Path]) -> list[Path]:
    """Python's prefixes and bulle's package folders, minus what the system folders hold."""
    candidates = [Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent.parent]
    for name in BUBBLE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            candidates += [Path(p).resolve() for p in spec.submodule_search_locations]
    covered = set(system_dirs)
    return [p for p in outermost(candidates) if not any(p == d or p.is_relative_to(d) for d in covered)]


def seccomp_fd() -> int | None:
    """A file descriptor holding this machine's seccomp filter, or None on an unknown architecture."""
    table = SYSCALLS.get(platform.machine())
    if table is None:
        return None
    fd = os.memfd_create("bulle-seccomp", 0)
    os.write(fd, make_seccomp_filter(table))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def sandbox_unavailable_reason(bwrap: Sequence[str], setpriv: str) -> str | None:
    """Why bubbles cannot be sandboxed on this machine, or None when they can.

    Runs bubblewrap once with every namespace a bubble uses.
    """
    if os.geteuid() != 0:
        return "the hub does not run as root, so it cannot give each bubble its own account and namespaces"
    if shutil.which(bwrap[0]) is None:
        return f"{bwrap[0]!r} (bubblewrap) is not installed; install the Debian package bubblewrap"
    if shutil.which(setpriv) is None:
        return f"{setpriv!r} is not installed; install the Debian package util-linux"
    probe = [
        *bwrap,
        "--die-with-parent",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--",
        "true",
    ]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not run: {exc}"
    if result.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {result.stderr.strip() or result.returncode}"
    return None
