"""cgroup v2 folders for bubbles, where the host lets bulle make them.

A *parent* is a cgroup v2 folder bulle may write, whose ``cgroup.controllers``
offers ``cpu``, ``memory`` and ``pids``; each bubble gets a child folder
``bubble-<token>`` under it, with the values of
:func:`bulle.spawner.limits.cgroup_settings`, and its first process joins it
before executing the sandbox, so that every descendant is counted.

:func:`find_cgroup_parent` answers the parent to use, or None with the reason
(cgroup v1 host, no delegation, controllers missing): the spawner then falls
back to rlimits and says so in the hub's log. Parsing is pure
(:func:`cgroup2_mount`, :func:`own_cgroup`); the rest is small I/O.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

REQUIRED_CONTROLLERS = ("cpu", "memory", "pids")
DEFAULT_PARENT_NAME = "bulle"


def cgroup2_mount(mountinfo: Iterable[str]) -> Path | None:
    """Mount point of the cgroup v2 hierarchy, from ``/proc/self/mountinfo`` lines."""
    for line in mountinfo:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        fs_type = line.split(" - ", 1)[1].split()[0]
        if fs_type == "cgroup2":
            return Path(fields[4])
    return None


def own_cgroup(proc_cgroup: Iterable[str]) -> str | None:
    """This process's cgroup v2 path, from ``/proc/self/cgroup`` lines (``0::/path``)."""
    for line in proc_cgroup:
        if line.startswith("0::"):
            return line.strip()[3:] or "/"
    return None


def missing_controllers(available: str) -> list[str]:
    offered = set(available.split())
    return [name for name in REQUIRED_CONTROLLERS if name not in offered]


def find_cgroup_parent(configured: str) -> tuple[Path | None, str]:
    """(parent folder, why) — the folder is None when cgroups cannot be used here."""
    if os.geteuid() != 0 and not configured:
        return None, "the hub does not run as root"
    if configured:
        candidate = Path(configured)
    else:
        mount = cgroup2_mount(_read_lines("/proc/self/mountinfo"))
        if mount is None:
            return None, "no cgroup v2 hierarchy is mounted"
        own = own_cgroup(_read_lines("/proc/self/cgroup"))
        if own is None:
            return None, "this process is in no cgroup v2"
        # Beside the hub's own cgroup: cgroup v2 forbids processes in a folder
        # whose controllers are delegated to children (except at the root).
        base = mount / own.lstrip("/")
        candidate = base / DEFAULT_PARENT_NAME if own == "/" else base.parent / DEFAULT_PARENT_NAME
    return _prepare_parent(candidate)


def _prepare_parent(path: Path) -> tuple[Path | None, str]:
    try:
        controllers = (path.parent / "cgroup.controllers").read_text()
    except OSError as exc:
        return None, f"{path.parent} is not a cgroup v2 folder ({exc.strerror})"
    missing = missing_controllers(controllers)
    if missing:
        return None, f"the cgroup v2 folder {path.parent} does not offer the {', '.join(missing)} controller(s)"
    try:
        _enable_controllers(path.parent)
        path.mkdir(exist_ok=True)
        _enable_controllers(path)
    except OSError as exc:
        return None, f"cannot set up {path} ({exc.strerror})"
    return path, f"cgroup v2 under {path}"


def _enable_controllers(path: Path) -> None:
    enabled = (path / "cgroup.subtree_control").read_text().split()
    wanted = [f"+{name}" for name in REQUIRED_CONTROLLERS if name not in enabled]
    if wanted:
        (path / "cgroup.subtree_control").write_text(" ".join(wanted))


def create_bubble_cgroup(parent: Path, token: str, settings: dict[str, str]) -> Path:
    path = parent / f"bubble-{token}"
    path.mkdir()
    for name, value in settings.items():
        (path / name).write_text(value)
    return path


def join_cgroup(path: Path) -> None:
    """Move the calling process into ``path`` (called in the child before exec)."""
    fd = os.open(path / "cgroup.procs", os.O_WRONLY)
    try:
        os.write(fd, b"0")
    finally:
        os.close(fd)


def remove_bubble_cgroup(path: Path) -> None:
    """Kill what is left in the bubble's cgroup and remove it."""
    with contextlib.suppress(OSError):
        (path / "cgroup.kill").write_text("1")
    with contextlib.suppress(OSError):
        path.rmdir()


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readlines()
    except OSError:
        return []
