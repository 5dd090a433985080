"""What the session recorder captures, as audit events: pure builders.

- :func:`execute_event` – an ``execute_request`` (the code, exactly as sent),
  or an expression the debugger evaluates (:func:`debugger_code`);
- :class:`OutputTally` – the outputs of one execution as they arrive, kept
  only as a running SHA-256 and a size; :func:`result_event` once the kernel
  replied and went idle;
- :class:`LineAssembler` – keystrokes sent to a terminal, assembled into
  typed lines.

The bubble's identity (:class:`BubbleIdentity`) comes from the environment
the spawner gave the server; the hub checks it against the bubble's token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from bulle.audit import Event, make_event

#: iopub message types whose contents count as outputs.
OUTPUT_TYPES = frozenset({"stream", "display_data", "update_display_data", "execute_result", "error"})
MAX_LINE = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class BubbleIdentity:
    user: str
    project: str
    server: str

    @property
    def bubble(self) -> str:
        return f"{self.user}/{self.server}"


def new_key() -> str:
    return uuid.uuid4().hex


def execute_event(
    who: BubbleIdentity,
    *,
    kernel_id: str,
    kernel_name: str,
    language: str,
    path: str | None,
    header: dict[str, Any],
    content: dict[str, Any],
    metadata: dict[str, Any],
    now: dt.datetime,
    max_code_bytes: int,
    request: str = "execute_request",
) -> Event:
    code = str(content.get("code", ""))
    encoded = code.encode()
    truncated = len(encoded) > max_code_bytes
    kept = encoded[:max_code_bytes].decode(errors="ignore") if truncated else code
    cell_id = metadata.get("cellId")
    return make_event(
        "kernel.execute",
        actor=who.user,
        time=now,
        project=who.project,
        bubble=who.bubble,
        object=_CONTROL.sub("?", path)[:4096] if path else None,
        key=new_key(),
        details={
            "kernel_id": kernel_id,
            "kernel_name": kernel_name,
            "language": language,
            "msg_id": str(header.get("msg_id", "")),
            "session": str(header.get("session", "")),
            "cell_id": cell_id if isinstance(cell_id, str) else None,
            "code": kept,
            "code_sha256": hashlib.sha256(encoded).hexdigest(),
            "code_size": len(encoded),
            "code_truncated": truncated,
            "silent": bool(content.get("silent", False)),
            "request": request,
        },
    )


def debugger_code(content: dict[str, Any]) -> str | None:
    """The expression of a debugger ``evaluate`` request (Debug Adapter Protocol), else None."""
    if content.get("command") != "evaluate":
        return None
    arguments = content.get("arguments") or {}
    expression = arguments.get("expression") if isinstance(arguments, dict) else None
    return expression if isinstance(expression, str) else ""


@dataclass
class OutputTally:
    """The outputs of one execution, as a digest and a size; never their contents."""

    started: float
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    messages: int = 0
    status: str | None = None
    execution_count: int | None = None
    idle: bool = False

    def add_output(self, *frames: bytes) -> None:
        for frame in frames:
            self.digest.update(frame)
            self.size += len(frame)
        self.messages += 1

    def add_reply(self, content: dict[str, Any]) -> None:
        status = content.get("status")
        self.status = status if status in ("ok", "error", "aborted") else "unknown"
        count = content.get("execution_count")
        self.execution_count = count if isinstance(count, int) else None

    def add_debug_reply(self, content: bytes, success: bool) -> None:
        """A debugger's answer is its output, and ends the evaluation."""
        self.add_output(content)
        self.status = "ok" if success else "error"
        self.idle = True

    @property
    def finished(self) -> bool:
        return self.idle and self.status is not None


def result_event(
    who: BubbleIdentity, kernel_id: str, msg_id: str, tally: OutputTally, now: dt.datetime, ended: float
) -> Event:
    return make_event(
        "kernel.result",
        actor=who.user,
        time=now,
        project=who.project,
        bubble=who.bubble,
        key=new_key(),
        details={
            "kernel_id": kernel_id,
            "msg_id": msg_id,
            "status": tally.status or "unknown",
            "execution_count": tally.execution_count,
            "output_sha256": tally.digest.hexdigest(),
            "output_size": tally.size,
            "output_messages": tally.messages,
            "duration_ms": max(0, round((ended - tally.started) * 1000)),
        },
    )


def line_event(who: BubbleIdentity, terminal: str, line: str, truncated: bool, now: dt.datetime) -> Event:
    return make_event(
        "terminal.input",
        actor=who.user,
        time=now,
        project=who.project,
        bubble=who.bubble,
        object=f"terminal {terminal}",
        key=new_key(),
        details={"terminal": terminal, "line": line, "line_truncated": truncated},
    )


class LineAssembler:
    """Keystrokes in, typed lines out.

    Enter ends a line; Backspace removes the last character and Ctrl-U the
    whole line; Ctrl-C ends the line as cancelled (``^C``); other control
    characters are kept in caret notation (``^[`` for Escape), so arrows and
    Tab show as typed.
    """

    def __init__(self) -> None:
        self._line: list[str] = []
        self._truncated = False

    def feed(self, text: str) -> list[tuple[str, bool]]:
        """(line, truncated) for each line ``text`` completed."""
        done = []
        for char in text:
            if char in "\r\n":
                if self._line:
                    done.append(self._take())
            elif char in "\x7f\b":
                if self._line:
                    self._line.pop()
            elif char == "\x15":
                self._line.clear()
            elif char == "\x03":
                self._add("^C")
                done.append(self._take())
            elif ord(char) < 32:
                self._add("^" + chr(ord(char) + 64))
            else:
                self._add(char)
        return done

    def _add(self, text: str) -> None:
        if len(self._line) >= MAX_LINE:
            self._truncated = True
            return
        self._line.append(text)

    def _take(self) -> tuple[str, bool]:
        line, truncated = "".join(self._line), self._truncated
        self._line.clear()
        self._truncated = False
        return line, truncated
