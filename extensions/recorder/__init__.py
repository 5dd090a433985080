"""The session recorder: every cell run and every terminal line typed in a bubble, to the audit trail.

A Jupyter server extension (:class:`~.app.RecorderApp`), enabled the Jupyter
way by ``jupyter-config/jupyter_server_config.d/bulle-recorder.json``,
installed as wheel shared data into ``<prefix>/etc/jupyter``. The spawner
also makes ``jupyter-config/`` each bubble's ``JUPYTER_CONFIG_DIR`` (read-only
there, see ``bulle.spawner.local.locked_jupyter_environment``): an
editable install does not copy shared data, and that folder's
``jupyter_server_config.json`` sets the recording kernel connection and
terminal manager classes (``.d`` files only enable extensions).

See :mod:`.kernels`, :mod:`.terminals`, :mod:`.spool` and :mod:`.delivery`
for how records are captured and sent.
"""

from __future__ import annotations

from importlib import resources
from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import RecorderApp

    return [{"module": "bulle.extensions.recorder.app", "app": RecorderApp}]


def recorder_config_dir() -> str:
    """The Jupyter config folder that enables the recorder: a bubble's ``JUPYTER_CONFIG_DIR``."""
    return str(resources.files("bulle.extensions.recorder").joinpath("jupyter-config"))
