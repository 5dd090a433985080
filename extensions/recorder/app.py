"""The session recorder as a Jupyter server extension, enabled in every bubble.

It reads who the bubble is from the environment the spawner set
(``BULLE_USER``, ``BULLE_PROJECT``, ``JUPYTERHUB_SERVER_NAME``) and how to
reach the hub from JupyterHub's (``JUPYTERHUB_API_URL``,
``JUPYTERHUB_API_TOKEN``: the bubble's own token, which may write this
bubble's records and nothing else). At load it makes the server's kernel
connections record (:mod:`.kernels`); terminals record through
:mod:`.terminals`. Both recording classes are also set by configuration
(``extensions/jupyter-config/jupyter_server_config.json``) so that, should this
extension fail to load, code and keystrokes are refused rather than run
unrecorded.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Integer, Unicode, default

from ..bubble import BubbleSettings
from .capture import BubbleIdentity
from .delivery import Delivery
from .kernels import recording_connection_class
from .recorder import SessionRecorder
from .spool import Spool
from .terminals import record_new_terminals


class RecorderApp(BubbleSettings, ExtensionApp):
    """Record the code run and the lines typed in this bubble, and send them to the hub's audit trail."""

    name = "bulle_recorder"
    load_other_extensions = True

    spool_dir = Unicode(
        help="""Folder where records wait until the hub confirms them. Default:
        BULLE_RECORDER_SPOOL, else `~/.local/state/bulle/recorder/<server name>`
        (in the bubble's workspace, so that a restarted bubble sends what a
        stopped one could not).""",
    ).tag(config=True)

    max_code_bytes = Integer(
        1 << 20,
        help="Code longer than this (bytes) is recorded truncated, with the digest and size of the whole.",
    ).tag(config=True)

    durable = Bool(
        True,
        help="Flush each record to disk (fsync) before the action goes on. Turn off only for tests.",
    ).tag(config=True)

    recorder: SessionRecorder | None = None
    delivery: Delivery | None = None

    @default("spool_dir")
    def _spool_dir_default(self) -> str:
        if os.environ.get("BULLE_RECORDER_SPOOL"):
            return os.environ["BULLE_RECORDER_SPOOL"]
        return str(Path.home() / ".local" / "state" / "bulle" / "recorder" / (self.server_name or "default"))

    def initialize_settings(self) -> None:
        missing = self.missing_settings("user", "project", "server_name", "hub_api_url", "api_token")
        if missing:
            self.log.error(
                "bulle recorder: %s not set (is this a bubble started by the bulle hub?); code will not run unrecorded",
                ", ".join(missing),
            )
            return
        who = BubbleIdentity(self.user, self.project, self.server_name)
        spool = Spool(Path(self.spool_dir), durable=self.durable)
        bubble_path = f"{quote(who.user, safe='')}/{quote(who.server, safe='')}"
        url = f"{self.hub_api_url.rstrip('/')}/bulle/audit/bubbles/{bubble_path}/events"
        self.delivery = Delivery(spool, url, self.api_token, self.log)
        self.recorder = SessionRecorder(who, spool, self.delivery, self.max_code_bytes)
        web_app = getattr(self.serverapp, "web_app", None)
        current = web_app.settings.get("kernel_websocket_connection_class") if web_app is not None else None
        self.settings["bulle_recorder"] = self.recorder
        if current is not None:
            self.settings["kernel_websocket_connection_class"] = recording_connection_class(current)
        self.log.info(
            "bulle recorder: recording bubble %s (project %s), spool %s", who.bubble, who.project, spool.directory
        )

    async def _start_jupyter_server_extension(self, serverapp: object) -> None:
        if self.delivery is None:
            return
        self.delivery.start()
        self.delivery.wake()  # records a previous run could not send
        web_app = getattr(self.serverapp, "web_app", None)
        manager = web_app.settings.get("terminal_manager") if web_app is not None else None
        if manager is not None and record_new_terminals(manager, lambda: self.recorder):
            self.log.warning("bulle recorder: %s did not record terminals; it does now", type(manager).__name__)

    async def stop_extension(self) -> None:
        if self.delivery is None:
            return
        if not await self.delivery.flush(timeout=10):
            self.log.warning(
                "bulle recorder: %d records stay in the spool for the next start", self.delivery.spool.backlog
            )
        await self.delivery.stop()
        self.delivery.spool.close()
