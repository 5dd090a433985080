"""Recording a data connection in the audit trail, from inside a bubble.

``connect()`` runs in a kernel, inside a sandbox whose only way out is the
hub's API over its Unix socket. It sends one ``data.connected`` record to the
hub's bubble endpoint (the one the session recorder uses) with the bubble's
own token, and waits for the hub to say it is committed before handing over
the connection: check, record, then act. The hub checks that the record
names the token's user, the server's project (from the policy) and the
bubble, and refuses (403, itself recorded) otherwise.

Outside a bubble (no hub token in the environment: a data steward's shell,
a test) there is no bubble to record and nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from bulle.audit import Event, make_event

TIMEOUT_S = 30.0


class NotRecorded(Exception):
    """The hub did not record the connection, so it is not opened."""


@dataclass(frozen=True)
class BubbleContext:
    """Who the bubble is, and how it reaches the hub (from the environment the spawner set)."""

    user: str
    project: str
    server: str
    api_url: str
    token: str

    @property
    def bubble(self) -> str:
        return f"{self.user}/{self.server}"

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> BubbleContext | None:
        """The bubble of this environment, or None outside a bubble."""
        token = env.get("JUPYTERHUB_API_TOKEN", "")
        if not token:
            return None
        fields = {
            "user": env.get("BULLE_USER") or env.get("JUPYTERHUB_USER", ""),
            "project": env.get("BULLE_PROJECT", ""),
            "server": env.get("JUPYTERHUB_SERVER_NAME", ""),
            "api_url": env.get("JUPYTERHUB_API_URL", ""),
        }
        missing = [name for name, value in fields.items() if not value]
        if missing:
            raise NotRecorded(
                f"this bubble's environment lacks {', '.join(missing)}; the connection cannot be recorded"
            )
        return cls(token=token, **fields)


def connected_event(context: BubbleContext, details: Mapping[str, Any], now: dt.datetime) -> Event:
    return make_event(
        "data.connected",
        actor=context.user,
        time=now,
        project=context.project,
        bubble=context.bubble,
        key=uuid.uuid4().hex,
        details=details,
    )


def send_record(context: BubbleContext, event: Event, timeout: float = TIMEOUT_S) -> int:
    """Send ``event`` to the hub's bubble endpoint; its sequence number once committed, or :class:`NotRecorded`."""
    path = f"/bulle/audit/bubbles/{quote(context.user, safe='')}/{quote(context.server, safe='')}/events"
    body = json.dumps({"events": [event.as_dict()]})
    try:
        status, text = _post(context.api_url.rstrip("/") + path, context.token, body, timeout)
    except OSError as exc:
        raise NotRecorded(f"the hub cannot be reached to record this connection ({exc}); try again") from None
    if status != 200:
        raise NotRecorded(f"the hub refused to record this connection ({status}): {text[:500]}")
    return int(json.loads(text)["recorded"][0])


def _post(url: str, token: str, body: str, timeout: float) -> tuple[int, str]:
    """POST JSON to an ``http://``, ``https://`` or ``http+unix://<quoted socket>/…`` URL."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "http+unix":
        connection = _UnixConnection(unquote(parts.netloc), timeout)
    elif parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.netloc, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        connection.request("POST", path, body, {"Authorization": f"token {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock
