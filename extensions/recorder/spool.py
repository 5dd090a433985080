"""The recorder's local spool: captured records wait here, in order, until the hub has them.

Every captured record is appended to ``records.jsonl`` (one JSON line, with
a local number *n* that only grows) and made durable *before* the action it
describes goes on (the code reaches the kernel, the keystrokes the
terminal). ``delivered`` holds the highest *n* the hub confirmed; it is
replaced atomically (temporary file, then rename). Whatever is above it is
sent again after a crash or restart of the server, or of the hub; the hub
drops what it already has by the records' idempotency keys, so nothing is
lost and nothing is counted twice.

When everything is delivered and the file has grown, it is emptied (again
by rename). A line cut short by a crash is removed when the spool opens.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

COMPACT_ABOVE_BYTES = 1 << 20


class Spool:
    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        self.directory = directory
        self.durable = durable
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.records_path = directory / "records.jsonl"
        self.delivered_path = directory / "delivered"
        self._lock = threading.Lock()
        self._repair_torn_tail()
        self.delivered = self._read_delivered()
        self._pending: list[tuple[int, dict[str, Any]]] = [
            (n, record) for n, record in self._read_records() if n > self.delivered
        ]
        self._last = max([self.delivered, *(n for n, _ in self._pending)])
        self._file = self.records_path.open("a", encoding="utf-8")

    # -- writing --------------------------------------------------------------

    def append(self, record: dict[str, Any]) -> int:
        """Add ``record`` durably; return its local number. Safe from any thread."""
        with self._lock:
            self._last += 1
            line = json.dumps({"n": self._last, "record": record}, ensure_ascii=False, separators=(",", ":"))
            self._file.write(line + "\n")
            self._file.flush()
            if self.durable:
                os.fsync(self._file.fileno())
            self._pending.append((self._last, record))
            return self._last

    def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest ``limit`` records the hub has not confirmed, in order."""
        with self._lock:
            return self._pending[:limit]

    @property
    def backlog(self) -> int:
        with self._lock:
            return len(self._pending)

    def mark_delivered(self, n: int) -> None:
        """The hub has every record up to ``n``."""
        with self._lock:
            if n <= self.delivered:
                return
            self._replace(self.delivered_path, f"{n}\n")
            self.delivered = n
            self._pending = [(m, r) for m, r in self._pending if m > n]
            if not self._pending and self.records_path.stat().st_size > COMPACT_ABOVE_BYTES:
                self._file.close()
                self._replace(self.records_path, "")
                self._file = self.records_path.open("a", encoding="utf-8")

    def set_aside(self, records: list[tuple[int, dict[str, Any]]], reason: str) -> None:
        """Keep records the hub refused as invalid in ``rejected.jsonl``, then count them delivered."""
        with (self.directory / "rejected.jsonl").open("a", encoding="utf-8") as rejected:
            for n, record in records:
                rejected.write(json.dumps({"n": n, "reason": reason, "record": record}, ensure_ascii=False) + "\n")
        self.mark_delivered(records[-1][0])

    def close(self) -> None:
        with self._lock:
            self._file.close()

    # -- reading back ---------------------------------------------------------

    def _replace(self, path: Path, text: str) -> None:
        temporary = path.with_name(f".{path.name}.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if self.durable:
                os.fsync(handle.fileno())
        os.replace(temporary, path)

    def _repair_torn_tail(self) -> None:
        if not self.records_path.exists():
            return
        data = self.records_path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.records_path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def _read_delivered(self) -> int:
        try:
            return int(self.delivered_path.read_text(encoding="utf-8").strip() or 0)
        except FileNotFoundError:
            return 0

    def _read_records(self) -> list[tuple[int, dict[str, Any]]]:
        if not self.records_path.exists():
            return []
        found = []
        for line in self.records_path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            found.append((int(entry["n"]), entry["record"]))
        return found
