"""Delivery of spooled records to the hub, in order, until the hub confirms them.

One task sends the oldest pending records (up to ``batch``) to the hub's
audit endpoint with the bubble's own token, waits for the answer, marks
them delivered, and goes on; when the hub cannot be reached it waits
(0.5 s, doubling up to ``retry_max``) and tries again with the same records.
A batch the hub refuses as invalid (400) is sent again one record at a time,
so that only the invalid record is set aside (``rejected.jsonl``).

It talks to the hub with JupyterHub's own HTTP client, the one the server
uses for its activity reports, so it reaches the hub however the server
does (TCP or a Unix socket).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from jupyterhub.httpclient import fetch

from .spool import Spool


class Delivery:
    def __init__(
        self,
        spool: Spool,
        url: str,
        token: str,
        log: logging.Logger | logging.LoggerAdapter[Any],
        *,
        batch: int = 200,
        retry_max: float = 30.0,
        timeout: float = 30.0,
    ) -> None:
        self.spool = spool
        self.url = url
        self.token = token
        self.log = log
        self.batch = batch
        self.retry_max = retry_max
        self.timeout = timeout
        self._one_at_a_time = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sending, from within the server's running event loop."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = wakeup = asyncio.Event()
        self._task = asyncio.create_task(self._run(wakeup), name="bulle-recorder-delivery")

    def wake(self) -> None:
        """New records are in the spool. Safe from any thread."""
        if self._loop is not None and self._wakeup is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    async def flush(self, timeout: float) -> bool:
        """Wait until the spool is empty, at most ``timeout`` seconds; whether it is."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.spool.backlog and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return not self.spool.backlog

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, wakeup: asyncio.Event) -> None:
        delay = 0.0
        while True:
            if not self.spool.backlog:
                await wakeup.wait()
                wakeup.clear()
                continue
            batch = self.spool.pending(1 if self._one_at_a_time else self.batch)
            if await self._send(batch):
                delay = 0.0
                continue
            delay = min(max(delay * 2, 0.5), self.retry_max)
            await asyncio.sleep(delay)

    async def _send(self, batch: list[tuple[int, dict[str, Any]]]) -> bool:
        """Whether the hub took (or definitively refused) ``batch``."""
        try:
            response = await fetch(
                self.url,
                method="POST",
                raise_for_status=False,
                headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
                data=json.dumps({"events": [record for _, record in batch]}),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
            status, text = response.status, await response.text()
        except Exception as exc:
            self.log.warning(
                "The hub's audit endpoint cannot be reached (%s); %d records wait", exc, self.spool.backlog
            )
            return False
        if status == 200:
            self.spool.mark_delivered(batch[-1][0])
            self._one_at_a_time = False
            return True
        if status == 400 and len(batch) > 1:
            self._one_at_a_time = True
            return True
        if status == 400:
            self.log.error("The hub refused a session record as invalid; set aside: %s", text)
            self.spool.set_aside(batch, text)
            self._one_at_a_time = False
            return True
        self.log.error("The hub answered %d to session records; retrying later: %s", status, text)
        return False
