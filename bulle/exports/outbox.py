"""Paths in a member's outbox, and reading files there without following links.

A *path* names a file inside the outbox (``<workspace>/outbox/``), relative
to it, with ``/`` between folders: ``tables/age_by_sex.csv``.
:func:`outbox_parts` refuses anything that could name a file elsewhere: an
empty path, an absolute one, ``..`` or ``.`` parts, empty parts, control
characters, and overlong names.

:func:`read_outbox_file` is how the hub (as root) and the bubble's extension
read a file: it opens the workspace, then ``outbox``, then each folder and
the file, each one relative to the folder before it (``openat``) with
``O_NOFOLLOW``, so a symbolic link anywhere on the way (to another project,
to the hub's state) is refused rather than followed; only regular files are
read (a FIFO would block, a device would read forever).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bulle.state import OUTBOX

MAX_PATH = 1024
MAX_DEPTH = 16
_CHUNK = 1 << 20


class OutboxPathRefused(ValueError):
    """A path that does not name a file inside the outbox; the message says why."""

    rule = "outbox-path"


def outbox_parts(path: str) -> tuple[str, ...]:
    """The folders and file name of ``path`` inside the outbox; :class:`OutboxPathRefused` if it leaves it."""
    if not path:
        raise OutboxPathRefused("the path is empty; name a file inside outbox/")
    if len(path) > MAX_PATH:
        raise OutboxPathRefused(f"the path is longer than {MAX_PATH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise OutboxPathRefused(f"{path!r} contains control characters")
    if path.startswith("/"):
        raise OutboxPathRefused(f"{path!r} is absolute; give the path inside outbox/, e.g. tables/result.csv")
    parts = tuple(path.split("/"))
    if any(part in ("", ".", "..") for part in parts):
        raise OutboxPathRefused(f"{path!r} climbs out of outbox/ or has empty parts; name a file inside it")
    if len(parts) > MAX_DEPTH:
        raise OutboxPathRefused(f"{path!r} is nested deeper than {MAX_DEPTH} folders")
    return parts


@dataclass(frozen=True)
class OutboxFile:
    """A file read from an outbox: its bytes (at most ``max_bytes`` + 1), its size, its SHA-256."""

    content: bytes
    size: int
    sha256: str  # of the whole file, even when ``content`` was cut short

    @property
    def complete(self) -> bool:
        """Whether ``content`` is the whole file (reading stops after ``max_bytes`` + 1 bytes)."""
        return len(self.content) == self.size


def _open_below(dir_fd: int, name: str, *, folder: bool, shown: str) -> int:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_DIRECTORY if folder else os.O_NONBLOCK)
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise OutboxPathRefused(f"there is no {shown} in outbox/") from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise OutboxPathRefused(
                f"{shown} is a symbolic link or not a {'folder' if folder else 'file'}; put the file itself in outbox/"
            ) from None
        raise


@contextlib.contextmanager
def open_outbox_file(work_dir: Path, path: str) -> Iterator[int]:
    """A read-only descriptor of the regular file ``path`` in ``work_dir``'s outbox, links refused."""
    parts = outbox_parts(path)
    opened: list[int] = []
    try:
        fd = os.open(work_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        opened.append(fd)
        fd = _open_below(fd, OUTBOX, folder=True, shown="outbox folder")
        opened.append(fd)
        for depth, part in enumerate(parts[:-1], start=1):
            fd = _open_below(fd, part, folder=True, shown="/".join(parts[:depth]))
            opened.append(fd)
        fd = _open_below(fd, parts[-1], folder=False, shown=path)
        opened.append(fd)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutboxPathRefused(f"{path} is not a regular file")
        yield fd
    finally:
        for descriptor in reversed(opened):
            os.close(descriptor)


def read_outbox_file(work_dir: Path, path: str, max_bytes: int | None = None) -> OutboxFile:
    """Read ``path`` from the outbox: all of it, or its first ``max_bytes`` + 1 bytes and the whole digest."""
    digest = hashlib.sha256()
    kept = bytearray()
    size = 0
    with open_outbox_file(work_dir, path) as fd:
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if max_bytes is None or len(kept) <= max_bytes:
                kept += chunk
    limit = len(kept) if max_bytes is None else max_bytes + 1
    return OutboxFile(bytes(kept[:limit]), size, digest.hexdigest())


def list_outbox(work_dir: Path, max_files: int = 1000) -> list[tuple[str, int]]:
    """(path, size) of the regular files in the outbox, links not followed, sorted; at most ``max_files``."""
    root = work_dir / OUTBOX
    found: list[tuple[str, int]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder) / name
            info = full.lstat()
            if stat.S_ISREG(info.st_mode):
                found.append((full.relative_to(root).as_posix(), info.st_size))
            if len(found) >= max_files:
                return found
    return found
