"""Replay of a bubble's session: its cells and terminal lines in the order they ran.

:func:`replay_steps` turns the records of one bubble (``kernel.execute``,
``kernel.result``, ``terminal.input``, and the ``bubble.*`` events that
frame each run of it) into :class:`ReplayStep` rows: each execution with its
result joined by message id (time, notebook, code, status, output digest and
size), each typed terminal line, each file written to the export outbox,
and a row where each run of the bubble started or stopped. Pure: records in, rows out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .store import StoredRecord

#: The record types a replay shows.
REPLAY_TYPES = (
    "bubble.requested",
    "bubble.started",
    "bubble.stopped",
    "bubble.culled",
    "kernel.execute",
    "kernel.result",
    "terminal.input",
    "outbox.written",
)


@dataclass
class ReplayStep:
    seq: int
    time: str
    kind: str  # "cell", "terminal", "outbox", "bubble"
    where: str  # notebook path, terminal name, or the bubble event's type
    text: str  # code, typed line, or what happened to the bubble
    language: str = ""
    status: str = ""
    execution_count: int | None = None
    output_sha256: str = ""
    output_size: int | None = None
    duration_ms: int | None = None


def replay_steps(records: Iterable[StoredRecord]) -> list[ReplayStep]:
    steps: list[ReplayStep] = []
    cells: dict[tuple[str, str], ReplayStep] = {}
    for record in records:
        event = record.event
        kind, details = event["type"], event["details"]
        if kind == "kernel.execute":
            step = ReplayStep(
                record.seq,
                event["time"],
                "cell",
                event["object"] or f"kernel {details['kernel_id']}",
                details["code"] + ("\n…" if details["code_truncated"] else ""),
                language=details["language"],
                status="no result recorded",
            )
            cells[(details["kernel_id"], details["msg_id"])] = step
            steps.append(step)
        elif kind == "kernel.result":
            cell = cells.get((details["kernel_id"], details["msg_id"]))
            if cell is not None:
                _add_result(cell, details)
        elif kind == "terminal.input":
            where = f"terminal {details['terminal']}"
            steps.append(ReplayStep(record.seq, event["time"], "terminal", where, details["line"]))
        elif kind == "outbox.written":
            text = f"wrote outbox/{details['path']} ({details['size']:,} bytes, SHA-256 {details['sha256'][:16]}…)"
            steps.append(ReplayStep(record.seq, event["time"], "outbox", "outbox", text))
        elif kind.startswith("bubble."):
            steps.append(ReplayStep(record.seq, event["time"], "bubble", kind, _bubble_text(event)))
    return steps


def _add_result(cell: ReplayStep, details: dict[str, Any]) -> None:
    cell.status = details["status"]
    cell.execution_count = details.get("execution_count")
    cell.output_sha256 = details["output_sha256"]
    cell.output_size = details["output_size"]
    cell.duration_ms = details["duration_ms"]


def _bubble_text(event: dict[str, Any]) -> str:
    details = event["details"]
    texts = {
        "bubble.requested": f"start of profile {details.get('profile')} requested by {details.get('requested_by')}",
        "bubble.started": "bubble launched",
        "bubble.stopped": "bubble stopped",
        "bubble.culled": f"culled: {details.get('reason')}",
    }
    return str(texts.get(event["type"], event["type"]))
