"""POSIX identities for bubbles in the embedded deployment.

Each user's bubbles run as a system account ``bulle-<user>`` (never root); the
members of a project share the system group ``bulleprj-<project>``, which owns
the project's folder. Accounts and groups are created on demand with
``useradd``/``groupadd`` and need root; when the hub does not run as root,
bubbles run as the hub's own user and :func:`can_switch_users` says so.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass

from bulle.policies import system_group, system_user

NOLOGIN = "/usr/sbin/nologin"


@dataclass(frozen=True)
class Identity:
    """The uid, gid and supplementary groups a bubble process runs with."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]


def can_switch_users() -> bool:
    return os.geteuid() == 0


def current_identity() -> Identity:
    entry = pwd.getpwuid(os.geteuid())
    return Identity(entry.pw_name, entry.pw_uid, entry.pw_gid, ())


def ensure_bubble_identity(user: str, project_id: str, members: Iterable[str]) -> Identity:
    """Create (if missing) ``bulle-<user>`` and ``bulleprj-<project>``; return the identity.

    The project group's member list is set to exactly the project's members,
    so a member removed from the policy loses access at their next start.
    """
    account = _ensure_user(system_user(user))
    group = _ensure_group(system_group(project_id))
    wanted = sorted(system_user(m) for m in members)
    for name in wanted:
        _ensure_user(name)
    if sorted(group.gr_mem) != wanted:
        _run(["gpasswd", "-M", ",".join(wanted), group.gr_name])
        group = grp.getgrnam(group.gr_name)
    return Identity(account.pw_name, account.pw_uid, account.pw_gid, (group.gr_gid,))


def group_names(identity: Identity) -> dict[int, str]:
    """Names of the identity's primary and supplementary groups, by gid."""
    names = {}
    for gid in (identity.gid, *identity.groups):
        try:
            names[gid] = grp.getgrgid(gid).gr_name
        except KeyError:
            continue
    return names


def project_gid(project_id: str) -> int:
    return _ensure_group(system_group(project_id)).gr_gid


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    _run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            NOLOGIN,
            "--comment",
            "bulle bubble account",
            name,
        ]
    )
    return pwd.getpwnam(name)


def _ensure_group(name: str) -> grp.struct_group:
    try:
        return grp.getgrnam(name)
    except KeyError:
        pass
    _run(["groupadd", "--system", name])
    return grp.getgrnam(name)


def _run(command: list[str], attempts: int = 5) -> None:
    for attempt in range(attempts):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        # exit 9 of useradd/groupadd: the name appeared meanwhile (another bubble created it)
        if result.returncode in (0, 9):
            return
        # "cannot lock /etc/passwd; try again later": another process is editing the account files
        if "lock" not in result.stderr or attempt == attempts - 1:
            break
        time.sleep(0.1 * 2**attempt)
    raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")
