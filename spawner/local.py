"""The embedded flavour: each bubble is a local JupyterLab process.

Built on JupyterHub's ``LocalProcessSpawner``. When the hub runs as root, a
bubble runs as its user's system account ``bulle-<user>`` with the project's
group as its only supplementary group (see :mod:`bulle.spawner.identity`);
otherwise it runs as the hub's own user. Its home and working folder is the
member's project workspace.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import default

from bulle.extensions.recorder import recorder_config_dir

from .bubble import Bubble
from .identity import Identity, can_switch_users, ensure_bubble_identity
from .mixin import PolicySpawnerMixin
from .workspace import prepare_workspace

BUBBLE_UMASK = 0o007


def bubble_jupyter_config_dir() -> str:
    """Jupyter config every bubble reads (no news feed, no update checks)."""
    return str(resources.files("bulle.spawner").joinpath("jupyter_config"))


class LocalBubbleSpawner(PolicySpawnerMixin, LocalProcessSpawner):  # type: ignore[misc]
    """A policy-checked JupyterLab bubble running as a local process."""

    identity: Identity | None = None

    @default("default_url")
    def _default_url_default(self) -> str:
        return "/lab"

    def apply_bubble(self, bubble: Bubble) -> None:
        super().apply_bubble(bubble)
        self.notebook_dir = str(bubble.work_dir)
        config_path = os.pathsep.join([bubble_jupyter_config_dir(), recorder_config_dir()])
        self.environment = {**self.environment, "JUPYTER_CONFIG_PATH": config_path}

    async def launch(self, bubble: Bubble) -> Any:
        if can_switch_users():
            self.identity = ensure_bubble_identity(bubble.user, bubble.project_id, bubble.project_members)
        else:
            self.log.warning("The hub does not run as root: bubble %s runs as the hub's own user", bubble.server_name)
            self.identity = None
        prepare_workspace(self.layout, bubble, self.identity)
        return await LocalProcessSpawner.start(self)

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        identity = self.identity
        work_dir = str(self.bubble.work_dir) if self.bubble else None

        def preexec() -> None:
            os.umask(BUBBLE_UMASK)
            if identity is not None:
                os.setgid(identity.gid)
                os.setgroups(list(identity.groups))
                os.setuid(identity.uid)
            if work_dir:
                os.chdir(work_dir)

        return preexec

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.identity.name if self.identity else env.get("USER", self.user.name)
        env["SHELL"] = "/bin/bash"
        if self.bubble is not None:
            env["HOME"] = str(self.bubble.work_dir)
        return env
