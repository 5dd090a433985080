"""The session recorder: every cell run and every terminal line typed in a bubble, to the audit trail.

A Jupyter server extension (:class:`~.app.RecorderApp`), enabled the Jupyter
way by ``bulle-recorder.json`` in the bubbles' configuration folder
(``extensions/jupyter-config/``, see :mod:`bulle.extensions`), whose
``jupyter_server_config.json`` also sets the recording kernel connection and
terminal manager classes.

See :mod:`.kernels`, :mod:`.terminals`, :mod:`.spool` and :mod:`.delivery`
for how records are captured and sent.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import RecorderApp

    return [{"module": "bulle.extensions.recorder.app", "app": RecorderApp}]
