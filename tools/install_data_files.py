"""Copy the wheel data files of pyproject.toml into the current environment.

``pip install -e .`` (what ``make install`` does) skips
``[tool.setuptools.data-files]``, but bubbles need those files in the
environment's prefix: Jupyter server configuration under
``etc/jupyter/jupyter_server_config.d`` and JupyterLab settings overrides.
A wheel install (the container images) places them by itself.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data_files: dict[str, list[str]] = table["tool"]["setuptools"].get("data-files", {})
    for destination, sources in sorted(data_files.items()):
        target_dir = Path(sys.prefix) / destination
        target_dir.mkdir(parents=True, exist_ok=True)
        for source in sources:
            target = target_dir / Path(source).name
            shutil.copyfile(ROOT / source, target)
            target.chmod(0o644)
            print(f"installed {target.relative_to(sys.prefix)}")


if __name__ == "__main__":
    main()
