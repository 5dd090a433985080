"""Creating a member's project workspace with restrictive ownership and modes.

See :mod:`bulle.state` for the layout. Folders are created if missing and
their owner and mode are (re)set at every start, without following symbolic
links, so a bubble cannot make the hub chown or chmod anything else.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from bulle.state import OUTBOX, StateLayout

from .bubble import Bubble
from .identity import Identity

ROOT_UID = 0


def prepare_workspace(layout: StateLayout, bubble: Bubble, identity: Identity | None) -> None:
    """Create the project folder, the member's workspace and outbox, the shared folder and the data folder.

    The data folder holds the project's extract (written by the hub, never by
    a bubble): members may read it, and bubbles see it read-only.

    ``identity`` is the bubble's system identity when the hub runs as root,
    or None when every folder stays owned by the hub's own user.
    """
    project_gid = identity.groups[0] if identity and identity.groups else -1
    owner = ROOT_UID if identity else -1
    _ensure_dir(layout.projects_dir, 0o711, -1, -1)
    _ensure_dir(layout.project_dir(bubble.project_id), 0o750, owner, project_gid)
    _ensure_dir(layout.work_root(bubble.project_id), 0o750, owner, project_gid)
    _ensure_dir(layout.shared_dir(bubble.project_id), 0o2770, owner, project_gid)
    _ensure_dir(layout.data_dir(bubble.project_id), 0o750, owner, project_gid)
    work_uid = identity.uid if identity else -1
    _ensure_dir(bubble.work_dir, 0o700, work_uid, project_gid)
    link = bubble.work_dir / "shared"
    if not os.path.lexists(link):
        os.symlink(bubble.shared_dir, link)
        if identity:
            os.lchown(link, identity.uid, project_gid)
    _ensure_member_dir(bubble.work_dir / OUTBOX, identity, project_gid)


def _ensure_member_dir(path: Path, identity: Identity | None, gid: int) -> None:
    """Create a folder inside the member's workspace, owned by them, unless something is there.

    The workspace is the member's: what they put at that name (even a file or
    a link) stays; the hub never changes the mode of anything in it, and
    reads the outbox without following links (:mod:`bulle.exports.outbox`).
    """
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    if identity:
        os.chown(path, identity.uid, gid, follow_symlinks=False)


def _ensure_dir(path: Path, mode: int, uid: int, gid: int) -> None:
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=mode & 0o777)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise RuntimeError(f"{path} should be a folder but is not; refusing to use it")
    if (uid, gid) != (-1, -1):
        os.chown(path, uid, gid, follow_symlinks=False)
    # lstat above proved a real folder, and its parent is not writable by bubbles.
    os.chmod(path, mode)
