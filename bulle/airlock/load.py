"""Reading an output from disk: the file, its counts file, and ACRO's evidence beside it.

This is the I/O edge of :mod:`bulle.airlock`; everything else works on the
bytes it returns. A file larger than ``max_bytes`` is read only that far
(its size on disk is kept, so the ``file-size`` check fails it without the
rest being read).
"""

from __future__ import annotations

import json
from pathlib import Path

from .output import AcroEvidence, Kind, Output

ACRO_RESULTS = "results.json"


def _read(path: Path, max_bytes: int | None) -> tuple[bytes, int | None]:
    with path.open("rb") as handle:
        content = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    if max_bytes is not None and len(content) > max_bytes:
        return content[: max_bytes + 1], path.stat().st_size
    return content, None


def acro_evidence(results: bytes | None, checksum: bytes | None) -> AcroEvidence | None:
    """ACRO's evidence from the bytes of ``results.json`` and of the file's ``checksums/<name>.txt``.

    None when there is no ``results.json`` or it is not a JSON object. The
    hub reads both files itself (without following links) and calls this.
    """
    if results is None:
        return None
    try:
        parsed = json.loads(results)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    sha256 = checksum.decode("utf-8", errors="replace").strip() if checksum is not None else None
    return AcroEvidence(results=parsed, sha256=sha256)


def _read_if_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def read_acro_evidence(path: Path) -> AcroEvidence | None:
    """ACRO's ``results.json`` in the folder of ``path``, with its checksum of ``path``, when both are there."""
    if path.name == ACRO_RESULTS:
        return None
    results = _read_if_file(path.parent / ACRO_RESULTS)
    return acro_evidence(results, _read_if_file(path.parent / "checksums" / f"{path.name}.txt"))


def load_output(path: Path, kind: Kind | str, counts: Path | None = None, *, max_bytes: int | None = None) -> Output:
    """The output at ``path`` declared as ``kind``; OSError when a file cannot be read."""
    content, size = _read(path, max_bytes)
    # The counts file is evidence, never released: no cap (it has one row per cell of the table).
    counts_content = counts.read_bytes() if counts is not None else None
    return Output(
        name=path.name,
        kind=Kind(kind),
        content=content,
        counts=counts_content,
        acro=read_acro_evidence(path),
        size=size,
    )
