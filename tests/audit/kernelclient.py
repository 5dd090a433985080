"""A minimal Jupyter client for tests: kernels and terminals through a server's websockets.

:class:`KernelSocket` speaks the kernel protocol over ``/api/kernels/<id>/channels``
the way JupyterLab does, in either websocket protocol: the JSON one or
``v1.kernel.websocket.jupyter.org`` (binary frames). :class:`TerminalSocket`
types into ``/terminals/websocket/<name>``. Both authenticate with a token.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websocket
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1

V1 = "v1.kernel.websocket.jupyter.org"


@dataclass
class Execution:
    msg_id: str
    status: str = ""
    execution_count: int | None = None
    stdout: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)


class KernelSocket:
    """A kernel's channels; ``unix_socket`` connects to a server listening on that socket path."""

    def __init__(self, ws_url: str, token: str, protocol: str = "json", unix_socket: str | None = None) -> None:
        self.protocol = protocol
        self.session = uuid.uuid4().hex
        connected = None
        if unix_socket is not None:
            connected = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connected.settimeout(60)
            connected.connect(unix_socket)
        self.ws = websocket.create_connection(
            f"{ws_url}?session_id={self.session}",
            header=[f"Authorization: token {token}"],
            subprotocols=[V1] if protocol == V1 else None,
            timeout=60,
            socket=connected,
        )

    def execute(self, code: str, cell_id: str | None = None, timeout: float = 90) -> Execution:
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "username": "test",
                "session": self.session,
                "msg_type": "execute_request",
                "version": "5.3",
                "date": dt.datetime.now(dt.UTC).isoformat(),
            },
            "parent_header": {},
            "metadata": {"cellId": cell_id} if cell_id else {},
            "content": {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        }
        self._send(message, "shell")
        execution = Execution(msg_id)
        idle = False
        deadline = time.monotonic() + timeout
        while not (idle and execution.status) and time.monotonic() < deadline:
            channel, msg = self._receive()
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if channel == "shell" and kind == "execute_reply":
                execution.status = msg["content"]["status"]
                execution.execution_count = msg["content"].get("execution_count")
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind in ("stream", "execute_result", "display_data", "error"):
                execution.outputs.append(msg["content"])
                if kind == "stream" and msg["content"]["name"] == "stdout":
                    execution.stdout += msg["content"]["text"]
        if not (idle and execution.status):
            raise AssertionError(f"no reply to {code!r} within {timeout}s")
        return execution

    def close(self) -> None:
        self.ws.close()

    def _send(self, message: dict[str, Any], channel: str) -> None:
        if self.protocol == V1:
            self.ws.send_binary(serialize_msg_to_ws_v1(message, channel, lambda part: json.dumps(part).encode()))
        else:
            self.ws.send(json.dumps({**message, "channel": channel, "buffers": []}))

    def _receive(self) -> tuple[str, dict[str, Any]]:
        data = self.ws.recv()
        if self.protocol == V1:
            channel, parts = deserialize_msg_from_ws_v1(data)
            header, parent, metadata, content = (json.loads(part) for part in parts[:4])
            return channel, {"header": header, "parent_header": parent, "metadata": metadata, "content": content}
        msg = json.loads(data)
        return msg["channel"], msg


class TerminalSocket:
    def __init__(self, ws_url: str, token: str) -> None:
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=60)

    def type(self, keys: str) -> None:
        self.ws.send(json.dumps(["stdin", keys]))

    def wait_for_output(self, text: str, timeout: float = 30) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while text not in seen and time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message[0] == "stdout":
                seen += message[1]
        if text not in seen:
            raise AssertionError(f"{text!r} did not appear in the terminal: {seen!r}")
        return seen

    def close(self) -> None:
        self.ws.close()
