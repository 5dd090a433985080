"""Releasing a request: the release record, the extract it came from, the release folder.

A release copies the approved files, as re-read from the requester's outbox
and matched against their pinned SHA-256, into
``<state>/projects/<project>/releases/<request>/files/`` (root only, never
shown in a bubble), with ``release.json`` beside ``files/``, the machine-readable *release record*:
the files and their hashes, the data snapshots of the project's extract, the
automated checks with their parameters, and every reviewer's decisions.
The data snapshots are those of the extract version the requester's bubble
read, noted when the request was made (:func:`extract_snapshots`).

:func:`release_record` is pure. :func:`stage_release` writes the folder
under a temporary name and :func:`publish_release` renames it into place, so
that a release folder is either complete or absent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bulle.audit.events import canonical_json
from bulle.data.manifest import MANIFEST_NAME, ManifestProblem, read_manifest
from bulle.data.versions import ExtractVersions

from .lifecycle import file_outcome, latest_decisions
from .model import ExportRequest, FileOutcome
from .outbox import outbox_parts
from .summary import decision_json, history_json

RECORD_NAME = "release.json"
FILES_DIR = "files"  # released files keep their outbox paths below it
RECORD_SCHEMA = "https://schema.bulle-tre.org/airlock/release/v1"


def extract_snapshots(data_dir: Path, version: str | None) -> dict[str, Any]:
    """What the extract a bubble read says about its origin, for the request and its release record.

    ``version`` is the extract version the requester's bubble mounted (the
    spawner pins one at start, see :mod:`bulle.data.versions`), or None when
    it started without one. Gives the version, its manifest's SHA-256, and
    each table's warehouse snapshot id; ``snapshots`` is null, with
    ``reason``, when there is nothing to read. Read when the request is made,
    while the bubble still holds its version. This is the one place that
    knows the manifest.
    """
    if not version:
        return {"version": None, "snapshots": None, "reason": "the bubble ran without a data extract"}
    version_dir = ExtractVersions(data_dir).version_dir(version)
    try:
        manifest = read_manifest(version_dir)
        raw = (version_dir / MANIFEST_NAME).read_bytes()
    except (ManifestProblem, OSError) as exc:
        return {"version": version, "snapshots": None, "reason": str(exc)}
    return {
        "version": version,
        "manifest_sha256": hashlib.sha256(raw).hexdigest(),
        "created": manifest.created,
        "snapshots": [{"table": t.table, "view": t.name, "snapshot_id": t.snapshot_id} for t in manifest.tables],
    }


def released_paths(request: ExportRequest) -> list[str]:
    """The files of ``request`` that checkers approved, in request order."""
    return [f.path for f in request.files if file_outcome(f, request.decisions) is FileOutcome.APPROVED]


def release_record(request: ExportRequest, released_by: str, released_at: str, comment: str) -> dict[str, Any]:
    """The release record of ``request``, released by ``released_by`` at ``released_at``."""
    files = []
    for requested in request.files:
        outcome = file_outcome(requested, request.decisions)
        latest = latest_decisions(request.decisions, requested.path)
        files.append(
            {
                "path": requested.path,
                "kind": requested.kind.value,
                "released": outcome is FileOutcome.APPROVED,
                "outcome": outcome.value,
                "sha256": requested.sha256,
                "size": requested.size,
                "counts": {"path": requested.counts_path, "sha256": requested.counts_sha256}
                if requested.counts_path
                else None,
                "checks": dict(requested.report),
                "decisions": [
                    {**decision_json(d), "current": latest.get(d.reviewer) == d}
                    for d in request.decisions_on(requested.path)
                ],
            }
        )
    return {
        "schema": RECORD_SCHEMA,
        "request": request.id,
        "project": request.project,
        "requester": request.requester,
        "bubble": request.bubble,
        "justification": request.justification,
        "requested_at": request.created,
        "released_at": released_at,
        "released_by": released_by,
        "comment": comment,
        "reviewers": sorted({d.reviewer for d in request.decisions}),
        "files": files,
        "data": dict(request.data),
        "history": history_json(request),
    }


def record_bytes(record: Mapping[str, Any]) -> bytes:
    """``release.json`` as written: canonical JSON (sorted keys), then a newline."""
    return canonical_json(dict(record)).encode() + b"\n"


def stage_release(releases_dir: Path, request_id: str, files: Sequence[tuple[str, bytes]], record: bytes) -> Path:
    """Write the files and the record into a temporary folder beside the release's; return that folder."""
    releases_dir.mkdir(mode=0o700, parents=False, exist_ok=True)
    releases_dir.chmod(0o700)
    staging = releases_dir / f".{request_id}.{secrets.token_hex(4)}.tmp"
    staging.mkdir(mode=0o700)
    try:
        for target, content in [*((released_file(staging, p), c) for p, c in files), (staging / RECORD_NAME, record)]:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with open(target, "xb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            target.chmod(0o600)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def publish_release(staging: Path, release_dir: Path) -> None:
    """Move a staged release into place (one rename); FileExistsError if the release is there already."""
    if release_dir.exists():
        raise FileExistsError(f"{release_dir} already exists; a request is released once")
    os.rename(staging, release_dir)


def discard_release(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def released_file(release_dir: Path, path: str) -> Path:
    """Where the released file ``path`` lies in its release folder."""
    return release_dir.joinpath(FILES_DIR, *outbox_parts(path))
