"""The airlock's REST API in a bubble, and the refusal of direct downloads.

=====================================  ==========================================================
``GET  /bulle/airlock/outbox``         the files in the outbox (path, size, suggested kind)
``POST /bulle/airlock/check``          a quick report on one file, with the project's rules
``GET  /bulle/airlock/requests``       the member's requests in this project, from the hub
``POST /bulle/airlock/requests``       ask for an export: passed on to the hub, which decides
``/files/…``, ``/view/…``, ``/nbconvert/…``   403: results leave only through the airlock
=====================================  ==========================================================

The server authenticates every call as the bubble's user. The bubble never
decides: it computes each file's SHA-256 (so that the hub can tell the
requester if a file changed while asking) and sends the request to the hub,
which reads the files itself, checks, records and answers; its answer,
refusals included, is passed on unchanged.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from bulle.airlock import check_output
from bulle.exports import FileAsk, OutboxPathRefused
from bulle.exports.outbox import list_outbox, read_outbox_file
from bulle.exports.reading import read_output
from bulle.policies import DisclosureRules

from .hub import HubAnswer, HubUnreachable

REFUSED = (
    "Direct downloads from a bubble are disabled: results leave only through the airlock. "
    "Put the file in outbox/ and choose “Request export…” on it; once an output checker has "
    "released it, download it from the hub's Airlock page."
)

#: The kind a file's name suggests, for the request dialog (the member chooses).
SUGGESTED_KINDS = {
    ".csv": "frequency",
    ".tsv": "frequency",
    ".png": "figure",
    ".jpg": "figure",
    ".jpeg": "figure",
    ".txt": "text",
    ".md": "text",
    ".html": "model",
}


class DownloadRefusedHandler(JupyterHandler):
    """Answers 403 to every request: the server's ``/files/`` handler, ``/view/`` and ``/nbconvert/`` in bubbles.

    Set as ``ContentsManager.files_handler_class`` by the bubbles'
    configuration, so ``/files/`` stays refused even if the extension fails to load.
    """

    def initialize(self, **_: Any) -> None:
        pass

    def prepare(self) -> None:
        # Answered here, before authentication and whatever the method: nothing is served.
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(REFUSED + "\n")


def suggested_kind(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith((".counts.csv", ".contributors.csv")):
        return "counts"
    return SUGGESTED_KINDS.get("." + name.rsplit(".", 1)[-1] if "." in name else "", "text")


class _AirlockHandler(ExtensionHandlerMixin, APIHandler):  # type: ignore[misc]
    auth_resource = "contents"

    @property
    def app(self) -> Any:
        return self.extensionapp

    def answer(self, found: HubAnswer) -> None:
        self.set_status(found.status)
        self.finish(json.dumps(found.body))

    async def rules(self) -> DisclosureRules:
        answer = await self.app.hub.rules()
        if answer.status != 200:
            raise web.HTTPError(answer.status, str(answer.body.get("message", answer.body)))
        return DisclosureRules.model_validate(answer.body["rules"])

    def body(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError:
            raise web.HTTPError(400, "the body is not JSON") from None
        if not isinstance(parsed, dict):
            raise web.HTTPError(400, "the body must be a JSON object")
        return parsed


class OutboxHandler(_AirlockHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        files = await asyncio.to_thread(list_outbox, self.app.work_path)
        self.finish(
            {
                "outbox": str(self.app.work_path / "outbox"),
                "files": [{"path": p, "size": size, "suggested_kind": suggested_kind(p)} for p, size in files],
            }
        )


class CheckHandler(_AirlockHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        ask = FileAsk(str(body.get("path", "")), str(body.get("kind", "")), body.get("counts") or None)
        rules = await self.rules()
        try:
            read = await asyncio.to_thread(read_output, self.app.work_path, ask, rules.max_file_size)
        except OutboxPathRefused as refused:
            raise web.HTTPError(403, str(refused)) from None
        except ValueError as invalid:  # an unknown kind
            raise web.HTTPError(400, str(invalid)) from None
        verdict = await asyncio.to_thread(check_output, read.output, rules)
        self.finish({**verdict.to_json(), "file": ask.path})


class RequestsHandler(_AirlockHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            self.answer(await self.app.hub.requests())
        except HubUnreachable as exc:
            raise web.HTTPError(502, str(exc)) from None

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        files = body.get("files")
        if not isinstance(files, list):
            raise web.HTTPError(400, 'send {"justification": "...", "files": [{"path", "kind", "counts"?}]}')
        sent = []
        for item in files:
            if not isinstance(item, dict):
                raise web.HTTPError(400, "each file must be a JSON object")
            item = {k: item[k] for k in ("path", "kind", "counts") if item.get(k)}
            sent.append({**item, **await asyncio.to_thread(self._digest, str(item.get("path", "")))})
        try:
            self.answer(await self.app.hub.submit({"justification": body.get("justification", ""), "files": sent}))
        except HubUnreachable as exc:
            raise web.HTTPError(502, str(exc)) from None

    def _digest(self, path: str) -> dict[str, str]:
        """The file's SHA-256 as the bubble reads it, when it can; the hub decides about the rest."""
        try:
            return {"sha256": read_outbox_file(self.app.work_path, path, 0).sha256}
        except (OutboxPathRefused, OSError):
            return {}
