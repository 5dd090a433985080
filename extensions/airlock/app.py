"""The airlock as a Jupyter server extension, enabled in every bubble.

It reads who the bubble is from the environment the spawner set
(``BULLE_USER``, ``BULLE_PROJECT``, ``BULLE_WORK_DIR``,
``JUPYTERHUB_SERVER_NAME``) and reaches the hub as the session recorder
does (``JUPYTERHUB_API_URL``, ``JUPYTERHUB_API_TOKEN``: the bubble's own
token, which may ask for exports from this bubble and nothing else).
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Unicode, default

from ..bubble import BubbleSettings
from ..recorder.capture import BubbleIdentity
from .handlers import CheckHandler, DownloadRefusedHandler, OutboxHandler, RequestsHandler
from .hub import HubAirlock
from .watcher import OutboxWatcher


class AirlockApp(BubbleSettings, ExtensionApp):
    """Ask the hub's airlock for exports from this bubble's outbox; refuse direct downloads."""

    name = "bulle_airlock"
    load_other_extensions = True

    work_dir = Unicode(help="The member's workspace, holding outbox/. Default: BULLE_WORK_DIR, else HOME.").tag(
        config=True
    )
    outbox_scan_interval = Float(
        3.0,
        help="Seconds between two looks at the outbox for files written there (recorded as outbox.written); "
        "0 turns the recording off.",
    ).tag(config=True)

    hub: HubAirlock | None = None
    watcher: OutboxWatcher | None = None

    @default("work_dir")
    def _work_dir_default(self) -> str:
        return os.environ.get("BULLE_WORK_DIR") or str(Path.home())

    @property
    def work_path(self) -> Path:
        return Path(self.work_dir)

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            [
                (r"/bulle/airlock/outbox", OutboxHandler),
                (r"/bulle/airlock/check", CheckHandler),
                (r"/bulle/airlock/requests", RequestsHandler),
                # Extension handlers are matched before the server's own: these shadow its downloads.
                (r"/files/.*", DownloadRefusedHandler),
                (r"/view/.*", DownloadRefusedHandler),
                (r"/nbconvert/.*", DownloadRefusedHandler),
            ]
        )

    def initialize_settings(self) -> None:
        missing = self.missing_settings("user", "project", "server_name", "hub_api_url", "api_token")
        if missing:
            self.log.error(
                "bulle airlock: %s not set (is this a bubble started by the bulle hub?); exports cannot be asked for",
                ", ".join(missing),
            )
        self.hub = HubAirlock(self.hub_api_url, self.api_token, self.user, self.server_name)

    async def _start_jupyter_server_extension(self, serverapp: object) -> None:
        web_app = getattr(self.serverapp, "web_app", None)
        recorder = web_app.settings.get("bulle_recorder") if web_app is not None else None
        if recorder is None or not self.outbox_scan_interval:
            self.log.warning("bulle airlock: files written to the outbox are not recorded (no session recorder)")
            return
        who = BubbleIdentity(self.user, self.project, self.server_name)
        self.watcher = OutboxWatcher(who, self.work_path, recorder.record, self.log, self.outbox_scan_interval)
        self.watcher.start()
        self.log.info("bulle airlock: outbox %s, recording what is written there", self.work_path / "outbox")

    async def stop_extension(self) -> None:
        if self.watcher is not None:
            self.watcher.scan()  # what was written since the last look
            await self.watcher.stop()
