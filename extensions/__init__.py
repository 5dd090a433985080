"""Jupyter server extensions that run inside each bubble: the session recorder and the airlock.

Both are enabled, and the server's recording and download-refusing classes
set, by the folder ``jupyter-config/`` beside this file, which the spawner
makes each bubble's ``JUPYTER_CONFIG_DIR`` (read-only in the bubble, so that
code in the bubble cannot switch them off; see
``bulle.spawner.local.locked_jupyter_environment``):

- ``jupyter_server_config.d/bulle-recorder.json``, ``bulle-airlock.json``
  enable the extensions (also shipped as wheel shared data into
  ``<prefix>/etc/jupyter/``, which an editable install does not place);
- ``jupyter_server_config.json`` sets the recording kernel connection and
  terminal manager, and the handler that refuses ``/files/`` downloads
  (Jupyter reads ``.d`` folders only to enable extensions);
- ``labconfig/page_config.json`` disables JupyterLab's download and
  export plugins.
"""

from __future__ import annotations

from importlib import resources


def bubble_config_dir() -> str:
    """The Jupyter config folder every bubble reads: its ``JUPYTER_CONFIG_DIR``."""
    return str(resources.files("bulle.extensions").joinpath("jupyter-config"))
