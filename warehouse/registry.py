"""Which files a table already holds: the load manifests of its snapshots.

Each ingest writes, before its commit, a *load manifest* (JSON, beside the
table's metadata) listing the files it loaded into the table, and names it in
the snapshot summary. A table's *registry* is the union of the manifests of
the snapshots in its history, newest first: a file's latest digest wins.
Because only committed snapshots name manifests, the registry changes exactly
when the table does; a run killed before its commit leaves an orphan manifest
that nothing reads.

Files are known in manifests by their *path key*, the pseudonym of their path
relative to the source's location (paths such as FHIR bundle names or DICOM
folders carry names and patient ids); the key is the same on every run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.io import FileIO
from pyiceberg.table import Table
from pyiceberg.table.snapshots import ancestors_of

from .loads import InputFile
from .pseudonym import PseudonymKey, pseudonymise

MANIFEST_PROPERTY = "bulle.load-manifest"
SOURCE_SUMMARY = "bulle.source"
MANIFEST_FOLDER = "bulle-loads"


@dataclass(frozen=True)
class ManifestEntry:
    path_key: str
    sha256: str
    rows: int


def path_keys(key: PseudonymKey, files: Sequence[InputFile]) -> dict[str, str]:
    """Relative path → path key, for every file (one vectorised HMAC)."""
    relatives = [f.relative for f in files]
    keys = pseudonymise(key, pa.array(relatives, pa.string())).to_pylist() if relatives else []
    return dict(zip(relatives, keys, strict=True))


def recorded_files(table: Table, source: str) -> dict[str, str]:
    """Path key → digest of every file ``source`` loaded into ``table`` (latest load wins)."""
    recorded: dict[str, str] = {}
    current = table.current_snapshot()
    if current is None:
        return recorded
    for snapshot in ancestors_of(current, table.metadata):
        summary = snapshot.summary
        if summary is None or summary.get(SOURCE_SUMMARY) != source:
            continue
        location = summary.get(MANIFEST_PROPERTY)
        if not location:
            continue
        for entry in read_manifest(table, location):
            recorded.setdefault(entry.path_key, entry.sha256)
    return recorded


def read_manifest(table: Table, location: str) -> list[ManifestEntry]:
    with table.io.new_input(location).open() as handle:
        document = json.loads(handle.read())
    return [ManifestEntry(item["path_key"], item["sha256"], item["rows"]) for item in document["files"]]


def manifest_location(table_location: str, run_id: str) -> str:
    return f"{table_location.rstrip('/')}/metadata/{MANIFEST_FOLDER}/{run_id}.json"


def write_manifest(io: FileIO, location: str, header: Mapping[str, object], entries: Sequence[ManifestEntry]) -> None:
    """Write a load manifest through the table's FileIO (so on S3 it is encrypted like the data)."""
    document = {**header, "files": [entry.__dict__ for entry in entries]}
    output = io.new_output(location)
    with output.create(overwrite=True) as handle:
        handle.write(json.dumps(document, indent=1, sort_keys=True).encode())
