"""The hub's own copies of requested files, by SHA-256, in a folder only root can read.

When a request is made, the hub keeps the bytes it read from the outbox
(``<state>/airlock/blobs/<sha256>``), so that output checkers review exactly
what was asked for, whatever happens to the outbox afterwards. Files are
written under a temporary name and renamed into place once complete, so a
blob is either whole or absent; the same bytes are kept once.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def prepare(self) -> BlobStore:
        """Create the folder (mode 0700) and its parent (0700) if needed."""
        for folder in (self.directory.parent, self.directory):
            folder.mkdir(mode=0o700, exist_ok=True)
            folder.chmod(0o700)
        return self

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 in hexadecimal")
        return self.directory / sha256

    def put(self, content: bytes) -> str:
        """Keep ``content``; return its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        temporary = self.directory / f".{digest}.{secrets.token_hex(4)}.tmp"
        with open(temporary, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o600)
        os.replace(temporary, target)
        return digest

    def get(self, sha256: str) -> bytes:
        """The bytes kept under ``sha256``; FileNotFoundError when there are none."""
        return self.path(sha256).read_bytes()
