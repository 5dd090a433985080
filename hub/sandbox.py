"""The hub's half of bubble isolation: its API on a Unix socket, and no silent downgrade.

Sandboxed bubbles have no network route to the hub: they reach its API
through the Unix socket ``<runtime>/hub/hub.sock``, which the sandbox shows
them, and the proxy reaches each bubble through the bubble's own socket
(:class:`~bulle.hub.proxy.UnixSocketProxy`). :func:`configure_sandbox` sets
that up and checks, at the hub's start, that this machine can sandbox:
if it cannot, the hub refuses to start unless the deployer said
``--insecure-no-sandbox``, and then every page of the hub says that bubbles
are not isolated (:func:`isolation_warning`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from traitlets.config import Config

from bulle.spawner.host import sandbox_unavailable_reason
from bulle.state import RuntimeLayout, StateLayout, default_runtime_dir

HUB_SOCKET_MODE = 0o666  # the folder is what bubbles see; the API itself needs a token
DEFAULT_SANDBOX_COMMAND = ["bwrap"]
DEFAULT_SETPRIV = "/usr/bin/setpriv"


class SandboxUnavailable(Exception):
    """This machine cannot sandbox bubbles and the deployer did not accept that."""


def isolation_warning(insecure: bool, network_mode: str) -> str | None:
    """What the home page must say about isolation, or None when bubbles are isolated."""
    if insecure:
        return (
            "Bubbles on this hub are NOT isolated: it was started with --insecure-no-sandbox. "
            "Code in a bubble can reach the network, other bubbles and every file its account can read. "
            "Do not use it with real data."
        )
    if network_mode == "host":
        return (
            "Bubbles on this hub share the host's network (network_mode = host): "
            "code in a bubble can reach the network and local services."
        )
    return None


def configure_sandbox(c: Config, layout: StateLayout, insecure: bool) -> str | None:
    """Apply the sandbox settings to ``c``; return the isolation warning (or None).

    Raises :class:`SandboxUnavailable` when bubbles should be sandboxed and cannot be.
    """
    spawner = _spawner_section(c)
    if not insecure:
        command = list(spawner.get("sandbox_command", DEFAULT_SANDBOX_COMMAND))
        reason = sandbox_unavailable_reason(command, spawner.get("setpriv_command", DEFAULT_SETPRIV))
        if reason is not None:
            raise SandboxUnavailable(
                f"bubbles cannot be sandboxed on this machine: {reason}. "
                "Fix that, or start the hub with --insecure-no-sandbox to run bubbles without isolation "
                "(the hub's pages will then say so)."
            )
    network_mode = str(spawner.get("network_mode", "isolated"))
    configured = c.JupyterHub.get("hub_bind_url", "")
    if configured and not configured.startswith("http+unix://") and not insecure and network_mode == "isolated":
        raise SandboxUnavailable(
            f"c.JupyterHub.hub_bind_url = {configured!r}: sandboxed bubbles have no network route to the hub "
            "and reach its API only through the Unix socket bulle sets up; leave hub_bind_url unset"
        )
    runtime = RuntimeLayout(default_runtime_dir(layout.root, os.geteuid(), Path(tempfile.gettempdir())))
    prepare_hub_runtime(runtime)
    if not configured:
        hub_url = "http+unix://" + quote(str(runtime.hub_socket), safe="")
        c.JupyterHub.hub_bind_url = hub_url
        c.JupyterHub.hub_connect_url = hub_url
        c.JupyterHub.hub_socket_mode = HUB_SOCKET_MODE
    if "proxy_class" not in c.JupyterHub:
        c.JupyterHub.proxy_class = "bulle.hub.proxy.UnixSocketProxy"
    c.LocalBubbleSpawner.sandbox = not insecure
    c.LocalBubbleSpawner.runtime_dir = str(runtime.root)
    return isolation_warning(insecure, network_mode)


def prepare_hub_runtime(runtime: RuntimeLayout) -> None:
    """The runtime folder (root, 0711) and the hub's socket folder (0755)."""
    runtime.root.mkdir(mode=0o711, parents=True, exist_ok=True)
    runtime.root.chmod(0o711)
    runtime.hub_dir.mkdir(mode=0o755, exist_ok=True)
    runtime.hub_dir.chmod(0o755)
    # The hub's socket goes with the hub, but not its folder: bubbles that
    # outlive the hub have that folder bind-mounted, and see the next hub's
    # socket only if it appears in the same folder. Each bubble's own folder
    # goes when its spawner sees the bubble stopped.
    atexit.register(_remove_file, runtime.hub_socket)


def _remove_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _spawner_section(c: Config) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for section in ("Spawner", "LocalProcessSpawner", "LocalBubbleSpawner"):
        if section in c:
            merged.update(c[section])
    return merged
