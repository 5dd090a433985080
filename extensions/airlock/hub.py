"""The hub's airlock API, as a bubble calls it: with its own token, however it reaches the hub.

It uses JupyterHub's own HTTP client (the one the server uses for its
activity reports), so the hub is reached over its Unix socket when the
bubble is sandboxed. Answers are passed on with their status: a refusal's
sentence is the hub's, unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from jupyterhub.httpclient import fetch


class HubUnreachable(RuntimeError):
    """The hub did not answer."""


@dataclass(frozen=True)
class HubAnswer:
    status: int
    body: Any  # parsed JSON, or {"message": text}


@dataclass(frozen=True)
class HubAirlock:
    api_url: str  # JUPYTERHUB_API_URL
    token: str  # JUPYTERHUB_API_TOKEN: the bubble's own
    user: str
    server: str
    timeout: float = 120.0

    @property
    def base(self) -> str:
        bubble = f"{quote(self.user, safe='')}/{quote(self.server, safe='')}"
        return f"{self.api_url.rstrip('/')}/bulle/airlock/bubbles/{bubble}"

    async def call(self, method: str, path: str, body: Any = None) -> HubAnswer:
        try:
            response = await fetch(
                f"{self.base}/{path}",
                method=method,
                raise_for_status=False,
                headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
                data=json.dumps(body) if body is not None else None,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
            status, text = response.status, await response.text()
        except Exception as exc:
            raise HubUnreachable(f"the hub's airlock cannot be reached: {exc}") from exc
        try:
            parsed = json.loads(text) if text else {}
        except json.JSONDecodeError:
            parsed = {"message": text}
        return HubAnswer(status, parsed)

    async def rules(self) -> HubAnswer:
        return await self.call("GET", "rules")

    async def requests(self) -> HubAnswer:
        return await self.call("GET", "requests")

    async def submit(self, body: dict[str, Any]) -> HubAnswer:
        return await self.call("POST", "requests", body)
