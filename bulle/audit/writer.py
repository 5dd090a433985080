"""Group commit: many callers, one transaction per batch, one writer thread.

:meth:`GroupCommitWriter.submit` queues events and returns a
:class:`Receipt` at once. A single thread takes everything queued (up to
``max_batch`` events), appends it in one transaction, then resolves every
receipt with its record's seq. While a commit is in flight new events pile
up and go in the next one, so the number of commits per second stays about
constant whatever the load and each event waits about one commit. Under a
light load the writer also waits ``commit_delay`` after the first event for
others to share its commit: a commit costs about as much for one event as
for a hundred.

Events submitted together (:meth:`GroupCommitWriter.submit_many`) are
appended in one transaction, in order, or not at all. A commit that fails
on a transient database error is retried; if it keeps failing, the
receipts carry the error: callers that wait on them learn the action could
not be recorded.

After commits, and on a timer when idle, the writer asks its *checkpointer*
(if any) to sign the trail's end (:mod:`bulle.audit.checkpoints`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from . import store
from .events import Event

log = logging.getLogger("bulle.audit")


class AuditWriteFailed(RuntimeError):
    """Events could not be written to the trail; the action they describe must not go on."""


class AuditClosed(AuditWriteFailed):
    """The trail was closed; nothing more can be recorded through it."""


class Receipt:
    """The promise that events are in the trail: wait for it, or ``await`` it.

    It resolves to the seq of the record (a list of seqs for a group).
    """

    def __init__(self, future: Future[Any]) -> None:
        self._future = future

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the events are committed; return the seq(s). Raises :class:`AuditWriteFailed`."""
        return self._future.result(timeout)

    def done(self) -> bool:
        return self._future.done()

    def add_done_callback(self, callback: Callable[[Receipt], None]) -> None:
        """Call ``callback(receipt)`` once the events are committed (or failed), in the writer's thread."""
        self._future.add_done_callback(lambda _: callback(self))

    def __await__(self) -> Generator[Any, None, Any]:
        return asyncio.wrap_future(self._future).__await__()


@dataclass
class _Pending:
    events: Sequence[Event]
    future: Future[Any]
    single: bool
    submitted: float = field(default_factory=time.monotonic)


_STOP = object()

#: Called after commits with a connection factory; signs the trail's end.
Checkpointer = Callable[[Engine, store.Tables], None]


class GroupCommitWriter:
    def __init__(
        self,
        engine: Engine,
        tables: store.Tables,
        *,
        max_batch: int = 1000,
        commit_delay: float = 0.005,
        checkpointer: Checkpointer | None = None,
        checkpoint_every_records: int = 10_000,
        checkpoint_every_seconds: float = 60.0,
        retries: int = 5,
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.max_batch = max_batch
        self.commit_delay = commit_delay
        self.checkpointer = checkpointer
        self.checkpoint_every_records = checkpoint_every_records
        self.checkpoint_every_seconds = checkpoint_every_seconds
        self.retries = retries
        self.commits = 0
        self.appended = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = False
        self._uncheckpointed = 0
        self._last_checkpoint = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="bulle-audit-writer", daemon=True)
        self._thread.start()

    # -- callers --------------------------------------------------------------

    def submit(self, event: Event) -> Receipt:
        return self._put([event], single=True)

    def submit_many(self, events: Sequence[Event]) -> Receipt:
        """Append ``events`` together and in order; the receipt resolves to their seqs."""
        return self._put(list(events), single=False)

    def _put(self, events: Sequence[Event], single: bool) -> Receipt:
        if self._closed:
            raise AuditClosed("the audit trail is closed; nothing more can be recorded")
        future: Future[Any] = Future()
        self._queue.put(_Pending(events, future, single))
        return Receipt(future)

    def close(self, timeout: float = 30) -> None:
        """Commit what is queued, sign a last checkpoint, and stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # -- the thread -----------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self._seconds_to_next_checkpoint())
            except queue.Empty:
                self._checkpoint_if_due(idle=True)
                continue
            if first is _STOP:
                break
            batch, stopping = self._take_batch(first)
            self._commit(batch)
            self._checkpoint_if_due(idle=False)
        self._checkpoint(final=True)

    def _take_batch(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """What is queued, up to ``max_batch`` events, waiting until ``commit_delay`` after the first."""
        batch, size = [first], len(first.events)
        deadline = first.submitted + self.commit_delay
        while size < self.max_batch:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
            size += len(item.events)
        return batch, False

    def _commit(self, batch: list[_Pending]) -> None:
        events = [event for pending in batch for event in pending.events]
        try:
            seqs = self._append_with_retries(events)
        except Exception as exc:
            error = AuditWriteFailed(f"the audit trail could not be written: {exc}")
            log.error("%s", error)
            for pending in batch:
                pending.future.set_exception(error)
            return
        self.commits += 1
        new = len(set(seqs))
        self.appended += new
        self._uncheckpointed += new
        position = 0
        for pending in batch:
            mine = seqs[position : position + len(pending.events)]
            position += len(pending.events)
            pending.future.set_result(mine[0] if pending.single else mine)

    def _append_with_retries(self, events: list[Event]) -> list[int]:
        """Append in one transaction; retry transient errors (a lock timeout, a database restart)."""
        delay = 0.05
        for attempt in range(1, self.retries + 1):
            try:
                with self.engine.begin() as conn:
                    return store.append(conn, self.tables, events)
            except OperationalError as exc:
                if attempt == self.retries:
                    raise
                log.warning("Audit commit failed (attempt %d), retrying: %s", attempt, exc)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    def _seconds_to_next_checkpoint(self) -> float | None:
        if self.checkpointer is None:
            return None
        return max(0.01, self._last_checkpoint + self.checkpoint_every_seconds - time.monotonic())

    def _checkpoint_if_due(self, idle: bool) -> None:
        if self.checkpointer is None:
            return
        elapsed = time.monotonic() - self._last_checkpoint
        if self._uncheckpointed >= self.checkpoint_every_records or (
            elapsed >= self.checkpoint_every_seconds and (self._uncheckpointed or idle)
        ):
            self._checkpoint()

    def _checkpoint(self, final: bool = False) -> None:
        if self.checkpointer is None or (final and not self._uncheckpointed):
            return
        try:
            self.checkpointer(self.engine, self.tables)
        except Exception:
            log.exception("Could not sign an audit checkpoint")
        self._uncheckpointed = 0
        self._last_checkpoint = time.monotonic()
