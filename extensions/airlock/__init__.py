"""The airlock in a bubble: list the outbox, ask for an export, refuse direct downloads.

A Jupyter server extension (:class:`~.app.AirlockApp`), enabled by
``bulle-airlock.json`` in the bubbles' configuration folder (see
:mod:`bulle.extensions`), with a JupyterLab extension (``lab/``, built into
``labextension/``) that puts "Request export…" on the file browser's
context menu and an "Export requests" panel in the left sidebar.

- :mod:`.handlers`: the REST API under ``/bulle/airlock/`` (authenticated by
  the server as the bubble's user) and the handler that answers 403 to
  ``/files/``, ``/view/`` and ``/nbconvert/``;
- :mod:`.hub`: the calls to the hub's airlock API with the bubble's own token;
- :mod:`.watcher`: ``outbox.written`` audit records of files written to the outbox.
"""

from __future__ import annotations

from importlib import resources
from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import AirlockApp

    return [{"module": "bulle.extensions.airlock.app", "app": AirlockApp}]


def labextension_dir() -> str:
    """The built JupyterLab extension (``make`` builds it; bubbles load it from the environment's prefix)."""
    return str(resources.files("bulle.extensions.airlock").joinpath("labextension"))
