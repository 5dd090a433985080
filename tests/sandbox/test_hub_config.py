"""The hub's sandbox settings: its API on a Unix socket, and a TCP one refused for isolated bubbles."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from traitlets.config import Config

from bulle.hub.sandbox import SandboxUnavailable, configure_sandbox
from bulle.state import StateLayout


def test_hub_api_goes_on_a_unix_socket_bubbles_can_see(tmp_path: Path) -> None:
    c = Config()
    warning = configure_sandbox(c, StateLayout(tmp_path), insecure=False)
    assert warning is None
    url = c.JupyterHub.hub_bind_url
    assert url == c.JupyterHub.hub_connect_url
    assert url.startswith("http+unix://")
    socket = Path(unquote(url.removeprefix("http+unix://")))
    assert socket.name == "hub.sock"
    assert socket.parent.stat().st_mode & 0o777 == 0o755
    assert c.LocalBubbleSpawner.runtime_dir == str(socket.parent.parent)
    assert c.LocalBubbleSpawner.sandbox is True
    assert c.JupyterHub.proxy_class == "bulle.hub.proxy.UnixSocketProxy"


def test_tcp_hub_api_is_refused_for_isolated_bubbles(tmp_path: Path) -> None:
    c = Config()
    c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
    with pytest.raises(SandboxUnavailable, match="sandboxed bubbles have no network route to the hub"):
        configure_sandbox(c, StateLayout(tmp_path), insecure=False)
    # Neighbour: without isolation the deployer's URL stands, and the pages say so.
    warning = configure_sandbox(c, StateLayout(tmp_path), insecure=True)
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:8081"
    assert warning is not None
    assert "NOT isolated" in warning
