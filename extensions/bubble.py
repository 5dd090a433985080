"""Who a bubble is and how it reaches the hub: the settings every bubble extension shares.

The spawner puts them in the server's environment (``BULLE_USER``,
``BULLE_PROJECT``, ``JUPYTERHUB_SERVER_NAME``, ``JUPYTERHUB_API_URL``,
``JUPYTERHUB_API_TOKEN``: the bubble's own token); :class:`BubbleSettings`
reads them as traits, so an extension app that mixes it in can be
configured like any other.
"""

from __future__ import annotations

import os

from traitlets import HasTraits, Unicode, default


class BubbleSettings(HasTraits):
    user = Unicode(help="The bubble's user. Default: BULLE_USER, else JUPYTERHUB_USER.").tag(config=True)
    project = Unicode(help="The bubble's project. Default: BULLE_PROJECT.").tag(config=True)
    server_name = Unicode(help="The bubble's server name. Default: JUPYTERHUB_SERVER_NAME.").tag(config=True)
    hub_api_url = Unicode(help="The hub's API URL. Default: JUPYTERHUB_API_URL.").tag(config=True)
    api_token = Unicode(help="The bubble's hub token. Default: JUPYTERHUB_API_TOKEN.").tag(config=True)

    @default("user")
    def _user_default(self) -> str:
        return os.environ.get("BULLE_USER") or os.environ.get("JUPYTERHUB_USER", "")

    @default("project")
    def _project_default(self) -> str:
        return os.environ.get("BULLE_PROJECT", "")

    @default("server_name")
    def _server_name_default(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVER_NAME", "")

    @default("hub_api_url")
    def _hub_api_url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "")

    @default("api_token")
    def _api_token_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    def missing_settings(self, *names: str) -> list[str]:
        """Which of ``names`` are empty, as ``<Class>.<name>`` for a log line."""
        return [f"{type(self).__name__}.{name}" for name in names if not getattr(self, name)]
