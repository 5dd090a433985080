"""bulle: a trusted research environment for health data, built on JupyterHub."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bulle")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
