"""Versions of a project's extract, the pointer to the current one, and who still uses the others.

::

    <state>/projects/<id>/data/      0750 root:bulleprj-<id>
      current -> v3                    the current version (a symbolic link, switched atomically)
      v2/                              an older version, kept while a running bubble uses it
      v3/                              manifest.json, extract.duckdb, <table>.parquet …
      .extract.lock                    held by `bulle extract` while it runs

Vocabulary:

- a *version* ``v<N>`` is complete when it has its manifest (written last);
  it never changes once complete;
- *publishing* a version switches ``current`` to it: a new symbolic link is
  made under a temporary name and renamed over ``current`` (rename is atomic),
  so a reader sees the old version or the new one, never a mix;
- *pinning* is what a bubble's start does: it opens the current version's
  folder and takes a shared ``flock`` on it; the descriptor is inherited by
  the bubble's server process, so the lock lasts as long as the bubble,
  across hub restarts, and the kernel releases it when that process ends,
  however it ends (only the bubble itself could drop it earlier, and then
  only lose its own data);
- *collecting* removes every version but the current one whose folder no
  bubble holds: an exclusive, non-blocking ``flock`` succeeds only then. It
  renames the folder away while holding that lock, so a start that pinned
  the same folder meanwhile sees it moved and pins again.

Versions left half-written by a crashed extraction are not current and not
locked, so the next collection removes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .manifest import MANIFEST_NAME

CURRENT = "current"
LOCK_NAME = ".extract.lock"
_VERSION_RE = re.compile(r"^v([1-9][0-9]*)$")
PIN_ATTEMPTS = 20


@dataclass(frozen=True)
class Pinned:
    """A version held for a bubble: its folder and the open, shared-locked descriptor to hand to the bubble."""

    name: str
    path: Path
    fd: int

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


@dataclass(frozen=True)
class Collected:
    removed: tuple[str, ...]
    in_use: tuple[str, ...]


@dataclass(frozen=True)
class ExtractVersions:
    """The versioned extract in one project's data folder (paths and the operations above)."""

    data_dir: Path

    @property
    def pointer(self) -> Path:
        return self.data_dir / CURRENT

    def version_dir(self, name: str) -> Path:
        return self.data_dir / name

    def current(self) -> str | None:
        """The name of the current version, or None when nothing was published."""
        try:
            target = os.readlink(self.pointer)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return target if _VERSION_RE.match(target) else None

    def current_dir(self) -> Path | None:
        name = self.current()
        return self.version_dir(name) if name else None

    def names(self) -> list[str]:
        """Every version folder, complete or not, oldest first."""
        try:
            entries = os.listdir(self.data_dir)
        except FileNotFoundError:
            return []
        found = [e for e in entries if _VERSION_RE.match(e) and (self.data_dir / e).is_dir()]
        return sorted(found, key=lambda e: int(e[1:]))

    def next_name(self) -> str:
        names = self.names()
        return f"v{int(names[-1][1:]) + 1 if names else 1}"

    @contextlib.contextmanager
    def extraction_lock(self) -> Iterator[None]:
        """Serialise extractions of this project (blocking)."""
        self.data_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def publish(self, name: str) -> None:
        """Make the complete version ``name`` current (atomic switch of the pointer)."""
        if not (self.version_dir(name) / MANIFEST_NAME).is_file():
            raise ValueError(f"version {name} of {self.data_dir} is not complete; it cannot be published")
        _fsync_dir(self.version_dir(name))
        temporary = self.data_dir / f".{CURRENT}.{secrets.token_hex(4)}"
        os.symlink(name, temporary)
        os.replace(temporary, self.pointer)
        _fsync_dir(self.data_dir)

    def pin(self) -> Pinned | None:
        """Hold the current version for a bubble (shared lock), or None when there is none.

        The caller hands ``fd`` to the bubble's process and closes its own copy
        (:meth:`Pinned.release`) once the process has it.
        """
        for _ in range(PIN_ATTEMPTS):
            name = self.current()
            if name is None:
                return None
            path = self.version_dir(name)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # collected between the two reads: read the pointer again
            fcntl.flock(fd, fcntl.LOCK_SH)
            if _same_file(fd, path):
                return Pinned(name, path, fd)
            os.close(fd)
        raise RuntimeError(f"the current extract of {self.data_dir} kept changing; try again")

    def collect(self) -> Collected:
        """Remove versions that are neither current nor held by a bubble, and leftovers of crashed runs.

        Call it under :meth:`extraction_lock`, so that no version being written is taken for a leftover.
        """
        current = self.current()
        removed, in_use = [], []
        for name in self.names():
            if name == current:
                continue
            if self._remove_if_unused(name):
                removed.append(name)
            else:
                in_use.append(name)
        for entry in self._leftovers():
            shutil.rmtree(entry, ignore_errors=True)
        return Collected(tuple(removed), tuple(in_use))

    def _remove_if_unused(self, name: str) -> bool:
        path = self.version_dir(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            return True
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            trash = self.data_dir / f".trash-{name}-{secrets.token_hex(4)}"
            os.rename(path, trash)  # while locked: a start that pinned meanwhile sees the folder moved
        finally:
            os.close(fd)
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def _leftovers(self) -> list[Path]:
        try:
            entries = os.listdir(self.data_dir)
        except FileNotFoundError:
            return []
        return [self.data_dir / e for e in entries if e.startswith((".trash-", f".{CURRENT}."))]


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
