"""The session recorder of one bubble: capture, spool, deliver.

:class:`SessionRecorder` is what the kernel connections and terminals call.
Each call turns what was seen into an audit event (:mod:`.capture`),
appends it to the spool (:mod:`.spool`) before returning, so that the
action only goes on once it is recorded locally, and wakes the delivery
(:mod:`.delivery`).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from bulle.audit import Event

from . import capture
from .capture import BubbleIdentity, OutputTally
from .delivery import Delivery
from .spool import Spool


class SessionRecorder:
    def __init__(self, who: BubbleIdentity, spool: Spool, delivery: Delivery, max_code_bytes: int) -> None:
        self.who = who
        self.spool = spool
        self.delivery = delivery
        self.max_code_bytes = max_code_bytes

    def record(self, event: Event) -> None:
        self.spool.append(event.as_dict())
        self.delivery.wake()

    def execute_requested(
        self,
        *,
        kernel_id: str,
        kernel_name: str,
        language: str,
        path: str | None,
        header: dict[str, Any],
        content: dict[str, Any],
        metadata: dict[str, Any],
        request: str = "execute_request",
    ) -> OutputTally:
        """Record code about to be sent to a kernel; return the tally for its outputs."""
        self.record(
            capture.execute_event(
                self.who,
                kernel_id=kernel_id,
                kernel_name=kernel_name,
                language=language,
                path=path,
                header=header,
                content=content,
                metadata=metadata,
                now=dt.datetime.now(dt.UTC),
                max_code_bytes=self.max_code_bytes,
                request=request,
            )
        )
        return OutputTally(started=time.monotonic())

    def execute_finished(self, kernel_id: str, msg_id: str, tally: OutputTally) -> None:
        self.record(capture.result_event(self.who, kernel_id, msg_id, tally, dt.datetime.now(dt.UTC), time.monotonic()))

    def line_typed(self, terminal: str, line: str, truncated: bool) -> None:
        self.record(capture.line_event(self.who, terminal, line, truncated, dt.datetime.now(dt.UTC)))
