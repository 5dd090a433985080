"""Reading a requested file from an outbox as an :class:`~bulle.airlock.Output` for the checks.

Used by the hub (as root, for the report it keeps) and by the bubble's
extension (as the member, for a quick report before asking): the file, its
counts file, and ACRO's ``results.json`` and checksum beside it, each read
with :func:`~bulle.exports.outbox.read_outbox_file`, so links are never followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bulle.airlock import AcroEvidence, Kind, Output
from bulle.airlock.load import ACRO_RESULTS, acro_evidence

from .decisions import FileAsk
from .outbox import OutboxFile, OutboxPathRefused, read_outbox_file

MAX_COUNTS_BYTES = 64 * 1024**2  # a counts file has a row per cell; it is evidence, never released
MAX_EVIDENCE_BYTES = 4 * 1024**2  # ACRO's results.json and checksums


@dataclass(frozen=True)
class OutboxOutput:
    """A requested file as read: the output to check, and the file and counts file with their digests."""

    output: Output
    file: OutboxFile
    counts: OutboxFile | None


def read_output(work_dir: Path, ask: FileAsk, max_bytes: int) -> OutboxOutput:
    """The file ``ask`` names in ``work_dir``'s outbox; :class:`OutboxPathRefused` when it cannot be read there."""
    file = read_outbox_file(work_dir, ask.path, max_bytes)
    counts = read_outbox_file(work_dir, ask.counts, MAX_COUNTS_BYTES) if ask.counts else None
    output = Output(
        name=ask.path.rsplit("/", 1)[-1],
        kind=Kind(ask.kind),
        content=file.content,
        counts=counts.content if counts is not None else None,
        acro=_acro_evidence(work_dir, ask.path),
        size=file.size,
    )
    return OutboxOutput(output, file, counts)


def _acro_evidence(work_dir: Path, path: str) -> AcroEvidence | None:
    folder, _, name = path.rpartition("/")
    if name == ACRO_RESULTS:
        return None
    prefix = f"{folder}/" if folder else ""

    def optional(relative: str) -> bytes | None:
        try:
            read = read_outbox_file(work_dir, relative, MAX_EVIDENCE_BYTES)
        except (OutboxPathRefused, OSError):
            return None
        return read.content if read.complete else None

    return acro_evidence(optional(f"{prefix}{ACRO_RESULTS}"), optional(f"{prefix}checksums/{name}.txt"))
