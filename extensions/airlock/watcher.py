"""``outbox.written``: every file written or changed in the outbox, recorded in the audit trail.

:class:`OutboxWatcher` looks at the outbox every ``interval`` seconds
(size and modification time of each regular file, links not followed), and
for each new or changed file records its SHA-256 and size through the
session recorder's spool, which delivers it to the hub with the bubble's
token like any other session record. Several writes between two looks are
one record. Each record's idempotency key is made of the path, digest and
modification time, so a restarted bubble does not record an unchanged file
again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bulle.audit import Event, make_event
from bulle.exports import OutboxPathRefused, read_outbox_file
from bulle.exports.outbox import list_outbox
from bulle.extensions.recorder.capture import BubbleIdentity

Seen = dict[str, tuple[int, int]]  # path -> (size, mtime_ns)


def written_event(who: BubbleIdentity, path: str, sha256: str, size: int, mtime_ns: int, now: dt.datetime) -> Event:
    key = hashlib.sha256(f"outbox\0{path}\0{sha256}\0{mtime_ns}".encode()).hexdigest()[:40]
    return make_event(
        "outbox.written",
        actor=who.user,
        time=now,
        project=who.project,
        bubble=who.bubble,
        object=path[:4096],
        key=f"outbox-{key}",
        details={"path": path[:1024], "sha256": sha256, "size": size},
    )


def changed(before: Seen, now: Seen) -> list[str]:
    """Paths new in ``now`` or whose size or modification time differ from ``before``."""
    return sorted(path for path, stamp in now.items() if before.get(path) != stamp)


def look(work_dir: Path, max_files: int) -> Seen:
    seen: Seen = {}
    outbox = work_dir / "outbox"
    for path, _ in list_outbox(work_dir, max_files):
        info = os.lstat(outbox / path)
        seen[path] = (info.st_size, info.st_mtime_ns)
    return seen


class OutboxWatcher:
    def __init__(
        self,
        who: BubbleIdentity,
        work_dir: Path,
        record: Callable[[Event], None],
        log: logging.Logger | logging.LoggerAdapter[Any],
        interval: float = 3.0,
        max_files: int = 1000,
    ) -> None:
        self.who = who
        self.work_dir = work_dir
        self.record = record
        self.log = log
        self.interval = interval
        self.max_files = max_files
        self.seen: Seen = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bulle-outbox-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.scan)
            except Exception:
                self.log.exception("bulle airlock: could not look at the outbox")
            await asyncio.sleep(self.interval)

    def scan(self) -> None:
        """Record every file written since the last look."""
        try:
            now = look(self.work_dir, self.max_files)
        except FileNotFoundError:
            now = {}
        for path in changed(self.seen, now):
            try:
                read = read_outbox_file(self.work_dir, path, 0)
            except (OutboxPathRefused, OSError):
                now.pop(path, None)  # gone or replaced meanwhile: the next look decides
                continue
            self.record(written_event(self.who, path, read.sha256, read.size, now[path][1], dt.datetime.now(dt.UTC)))
        self.seen = now
