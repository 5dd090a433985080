"""A running bubble's folder of sockets and generated files (see :class:`bulle.state.RuntimeLayout`).

Each start gets a fresh random *token*, so a stopped bubble's folder is never
reused: ``bubbles/<token>/sock/`` belongs to the bubble's account (its server
creates its socket there, the proxy, running as root, connects to it), and
``bubbles/<token>/etc/`` holds the ``passwd``, ``group`` and ``hosts`` files
the sandbox shows, owned by root so that the bubble cannot change them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from bulle.state import RuntimeLayout

from .identity import Identity


def new_token() -> str:
    return secrets.token_hex(8)


def prepare_runtime_root(runtime: RuntimeLayout) -> None:
    """The runtime folder and its ``bubbles/`` folder (root, traversable, not listable)."""
    for path in (runtime.root, runtime.bubbles_dir):
        path.mkdir(mode=0o711, parents=True, exist_ok=True)
        path.chmod(0o711)


def prepare_bubble_runtime(
    runtime: RuntimeLayout, token: str, identity: Identity | None, etc_files: Mapping[str, str]
) -> None:
    prepare_runtime_root(runtime)
    runtime.bubble_dir(token).mkdir(mode=0o711)
    sock = runtime.bubble_socket_dir(token)
    sock.mkdir(mode=0o700)
    if identity is not None:
        os.chown(sock, identity.uid, identity.gid)
    etc = runtime.bubble_etc_dir(token)
    etc.mkdir(mode=0o755)
    for name, text in etc_files.items():
        _write_file(etc / name, text, 0o644)


def remove_bubble_runtime(runtime: RuntimeLayout, token: str) -> None:
    shutil.rmtree(runtime.bubble_dir(token), ignore_errors=True)


def _write_file(path: Path, text: str, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
