"""Run code in a bubble's kernel through the real Jupyter kernel protocol.

:class:`KernelSession` starts a kernel with the bubble's REST API and speaks
the Jupyter messaging protocol (v5, JSON over the websocket
``/api/kernels/<id>/channels``) to it, through the hub's proxy and with the
member's own cookies, exactly as JupyterLab does in a browser.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websocket

from tests.hub.hubprocess import HubClient


@dataclass
class Execution:
    """What one ``execute_request`` produced."""

    stdout: str = ""
    stderr: str = ""
    error: dict[str, Any] | None = None
    statuses: list[str] = field(default_factory=list)

    def json(self) -> Any:
        """The last line the code printed, as JSON (the probes print one JSON line)."""
        assert self.error is None, f"the code raised {self.error}"
        return json.loads(self.stdout.strip().splitlines()[-1])


class KernelSession:
    def __init__(self, client: HubClient, user: str, server: str) -> None:
        self.client = client
        self.prefix = f"/user/{user}/{server}"
        self.session_id = uuid.uuid4().hex
        xsrf = client.session.cookies.get("_xsrf", path=f"{self.prefix}/") or ""
        self.headers = {"X-XSRFToken": xsrf}
        response = client.session.post(client.url(f"{self.prefix}/api/kernels"), headers=self.headers, timeout=30)
        assert response.status_code == 201, response.text
        self.kernel_id = response.json()["id"]
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.session.cookies)
        ws_url = client.url(f"{self.prefix}/api/kernels/{self.kernel_id}/channels?session_id={self.session_id}")
        self.ws = websocket.create_connection(
            ws_url.replace("http://", "ws://"), header=[f"Cookie: {cookie}"], timeout=30
        )

    def close(self) -> None:
        self.ws.close()
        self.client.session.delete(
            self.client.url(f"{self.prefix}/api/kernels/{self.kernel_id}"), headers=self.headers, timeout=30
        )

    def execute(self, code: str, timeout: float = 60) -> Execution:
        """Run ``code``; return its output once the kernel is idle again (or has died)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps(self._message("execute_request", msg_id, {"code": code})))
        result = Execution()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            kind, content = message["msg_type"], message["content"]
            if kind == "status" and content["execution_state"] in ("restarting", "dead"):
                result.statuses.append(content["execution_state"])
                return result  # the kernel died: no reply will come
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if kind == "stream":
                setattr(result, content["name"], getattr(result, content["name"]) + content["text"])
            elif kind == "error":
                result.error = {"ename": content["ename"], "evalue": content["evalue"]}
            elif kind == "status":
                result.statuses.append(content["execution_state"])
                if content["execution_state"] == "idle":
                    return result
        raise AssertionError(f"no answer from the kernel within {timeout}s: {result}")

    def probe(self, code: str) -> Any:
        return self.execute(code).json()

    def _message(self, kind: str, msg_id: str, content: dict[str, Any]) -> dict[str, Any]:
        return {
            "header": {
                "msg_id": msg_id,
                "msg_type": kind,
                "session": self.session_id,
                "username": "test",
                "date": dt.datetime.now(dt.UTC).isoformat(),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": {"silent": False, "store_history": False, "allow_stdin": False, **content},
            "channel": "shell",
            "buffers": [],
        }
