"""Recording kernel websocket connections: every ``execute_request`` to any kernel of the bubble.

The browser talks to kernels through the server's kernel websocket; each
connection object forwards messages between the websocket and the kernel's
ZMQ channels (``handle_incoming_message``, ``handle_outgoing_message``).
:class:`RecordingKernelMixin` sits in front of those two methods:

- an ``execute_request`` on the shell channel, or a debugger ``evaluate``
  on the control channel, is recorded (and spooled) *before* it is
  forwarded to the kernel; if the recorder is not running, it is not
  forwarded at all and the cell fails with a message;
- the outputs that answer a request this connection sent are folded into a
  digest and a size as they pass (never stored), and when the kernel has
  replied and gone idle the result is recorded.

Both websocket protocols are read: the JSON one and
``v1.kernel.websocket.jupyter.org`` (binary frames), which JupyterLab uses.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_server.services.kernels.connection.base import (
    deserialize_binary_message,
    deserialize_msg_from_ws_v1,
)
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

from .capture import OUTPUT_TYPES, OutputTally, debugger_code

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
NOT_RECORDING = (
    "bulle: this bubble's session recorder is not running, so code cannot run here unrecorded. "
    "Restart the bubble from the hub's home page; if this persists, tell an administrator."
)


class RecordingKernelMixin:
    """Mixed in before a kernel websocket connection class (see :func:`recording_connection_class`)."""

    websocket_handler: Any
    session: Any
    log: Any
    kernel_id: str
    kernel_manager: Any

    @property
    def _bulle_tallies(self) -> dict[str, OutputTally]:
        tallies: dict[str, OutputTally] | None = self.__dict__.get("_bulle_tallies_")
        if tallies is None:
            tallies = self.__dict__["_bulle_tallies_"] = {}
        return tallies

    def _bulle_recorder(self) -> Any:
        return self.websocket_handler.settings.get("bulle_recorder")

    # -- the connection's hooks -----------------------------------------------

    async def prepare(self) -> None:
        await super().prepare()  # type: ignore[misc]
        await self._bulle_refresh_path()

    def handle_incoming_message(self, incoming_msg: Any) -> None:
        channel, header, content, metadata = self._bulle_read_incoming(incoming_msg)
        request = _code_request(channel, header, content)
        if request is not None:
            recorder = self._bulle_recorder()
            if recorder is None:
                self._bulle_refuse(header)
                return
            kind, code = request
            self._bulle_tallies[str(header.get("msg_id"))] = recorder.execute_requested(
                kernel_id=self.kernel_id,
                kernel_name=self._bulle_kernel_name(),
                language=self._bulle_language(),
                path=self.__dict__.get("_bulle_path_"),
                header=header,
                content={**content, "code": code},
                metadata=metadata or {},
                request=kind,
            )
            # A renamed notebook shows from the next cell on.
            self.__dict__["_bulle_path_task_"] = asyncio.ensure_future(self._bulle_refresh_path())
        super().handle_incoming_message(incoming_msg)  # type: ignore[misc]

    def handle_outgoing_message(self, stream: Any, outgoing_msg: list[Any]) -> None:
        if self._bulle_tallies:
            try:
                self._bulle_observe(stream, outgoing_msg)
            except Exception:
                self.log.exception("bulle recorder: could not read a kernel message")
        super().handle_outgoing_message(stream, outgoing_msg)  # type: ignore[misc]

    def disconnect(self) -> None:
        """An execution still running when the browser leaves is recorded with what was seen so far."""
        recorder = self._bulle_recorder()
        for msg_id, tally in list(self._bulle_tallies.items()):
            if recorder is not None:
                recorder.execute_finished(self.kernel_id, msg_id, tally)
        self._bulle_tallies.clear()
        super().disconnect()  # type: ignore[misc]

    # -- reading messages -----------------------------------------------------

    def _bulle_read_incoming(self, ws_msg: Any) -> tuple[str | None, Any, Any, Any]:
        """(channel, header, content, metadata) of a message from the browser; contents only where code goes."""
        if getattr(self, "subprotocol", None) == V1_PROTOCOL:
            channel, parts = deserialize_msg_from_ws_v1(ws_msg)
            if channel not in ("shell", "control"):
                return channel, None, None, None
            unpack = self.session.unpack
            return channel, unpack(parts[0]), unpack(parts[3]), unpack(parts[2])
        msg = deserialize_binary_message(ws_msg) if isinstance(ws_msg, bytes) else json.loads(ws_msg)
        return msg.get("channel") or "shell", msg.get("header"), msg.get("content"), msg.get("metadata")

    def _bulle_observe(self, stream: Any, msg_list: list[Any]) -> None:
        channel = stream if isinstance(stream, str) else getattr(stream, "channel", None)
        _, fed = self.session.feed_identities(msg_list)
        parts = [getattr(part, "bytes", part) for part in fed[1:]]  # header, parent, metadata, content, buffers
        if len(parts) < 4 or not any(msg_id.encode() in parts[1] for msg_id in self._bulle_tallies):
            return
        msg_id = str(self.session.unpack(parts[1]).get("msg_id"))
        tally = self._bulle_tallies.get(msg_id)
        if tally is None:
            return
        msg_type = self.session.unpack(parts[0]).get("msg_type")
        if channel == "iopub" and msg_type in OUTPUT_TYPES:
            tally.add_output(parts[3], *parts[4:])
        elif channel == "iopub" and msg_type == "status":
            tally.idle = tally.idle or self.session.unpack(parts[3]).get("execution_state") == "idle"
        elif channel == "shell" and msg_type == "execute_reply":
            tally.add_reply(self.session.unpack(parts[3]))
        elif channel == "control" and msg_type == "debug_reply":
            tally.add_debug_reply(parts[3], bool(self.session.unpack(parts[3]).get("success")))
        if tally.finished:
            del self._bulle_tallies[msg_id]
            recorder = self._bulle_recorder()
            if recorder is not None:
                recorder.execute_finished(self.kernel_id, msg_id, tally)

    # -- what the kernel is ---------------------------------------------------

    def _bulle_kernel_name(self) -> str:
        return str(getattr(self.kernel_manager, "kernel_name", "") or "unknown")

    def _bulle_language(self) -> str:
        try:
            return str(self.kernel_manager.kernel_spec.language)
        except Exception:
            return "unknown"

    async def _bulle_refresh_path(self) -> None:
        """The notebook or console path of this kernel's session, if it has one."""
        manager = self.websocket_handler.settings.get("session_manager")
        if manager is None:
            return
        try:
            sessions = await manager.list_sessions()
        except Exception:
            return
        paths = [s.get("path") for s in sessions if (s.get("kernel") or {}).get("id") == self.kernel_id]
        self.__dict__["_bulle_path_"] = paths[0] if paths else None

    def _bulle_refuse(self, header: dict[str, Any]) -> None:
        self.log.error("bulle recorder is not loaded: refusing to run code unrecorded")
        self.write_stderr(NOT_RECORDING, header)  # type: ignore[attr-defined]


def _code_request(channel: str | None, header: Any, content: Any) -> tuple[str, str] | None:
    """("execute_request" or "debug_evaluate", code) when a message carries code to run."""
    if header is None or not isinstance(content, dict):
        return None
    msg_type = header.get("msg_type")
    if channel == "shell" and msg_type == "execute_request":
        return "execute_request", str(content.get("code", ""))
    if channel == "control" and msg_type == "debug_request":
        expression = debugger_code(content)
        return None if expression is None else ("debug_evaluate", expression)
    return None


class RecordingKernelConnection(RecordingKernelMixin, ZMQChannelsWebsocketConnection):
    """The default kernel connection, recording. Set as ``ServerApp.kernel_websocket_connection_class``."""


def recording_connection_class(base: type) -> type:
    """``base`` if it records already, else a recording subclass of it."""
    if issubclass(base, RecordingKernelMixin):
        return base
    return type(f"Recording{base.__name__}", (RecordingKernelMixin, base), {})
