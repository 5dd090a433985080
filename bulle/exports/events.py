"""Audit events of the airlock: pure builders, one per action, and one for every refusal.

Every event names the request's project and bubble (``<requester>/<server>``)
and has the request id as its ``object``; its actor is whoever acted. The
workflow records each one before it changes anything (check, record, act),
and records a refusal (``airlock.refused``, outcome ``deny``) with the
sentence the person was told.

==========================  =====================================================
type                        recorded when
==========================  =====================================================
``airlock.requested``       a request is made: each file's path, kind, pinned SHA-256, verdict
``airlock.reviewed``        a checker decides on one file (approve, reject, return)
``airlock.viewed``          someone reads a requested file's bytes in the hub
``airlock.released``        approved files are copied to the release area
``airlock.returned``        a checker returns the request for changes
``airlock.rejected``        a checker rejects the request
``airlock.withdrawn``       the requester withdraws it
``airlock.downloaded``      the requester downloads a released file
``airlock.refused``         any of these was refused: the action, rule and sentence
``outbox.written``          a bubble saw a file written or changed in its outbox
==========================  =====================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bulle.audit import Event, make_event

from .model import Decision, ExportRequest, FileOutcome, RequestedFile

MAX_TEXT = 4000


def _event(type: str, request: ExportRequest, actor: str, now: dt.datetime, details: Mapping[str, Any]) -> Event:
    return make_event(
        type,
        actor=actor,
        time=now,
        project=request.project,
        bubble=request.bubble,
        object=request.id,
        details={"request": request.id, **details},
    )


def requested(request: ExportRequest, parameters: Mapping[str, Any], now: dt.datetime) -> Event:
    details = {
        "justification": request.justification[:MAX_TEXT],
        "files": [f.pinned() for f in request.files],
        "parameters": dict(parameters),
        "data_version": request.data.get("version"),
        "snapshots": request.data.get("snapshots"),
    }
    return _event("airlock.requested", request, request.requester, now, details)


def reviewed(request: ExportRequest, decision: Decision, outcome: FileOutcome, now: dt.datetime) -> Event:
    requested_file = request.file(decision.path)
    details = {
        "file": decision.path,
        "sha256": requested_file.sha256 if requested_file else None,
        "decision": decision.decision.value,
        "comment": decision.comment[:MAX_TEXT],
        "override_reason": decision.override_reason[:MAX_TEXT] if decision.override_reason else None,
        "outcome": outcome.value,
    }
    return _event("airlock.reviewed", request, decision.reviewer, now, details)


def viewed(request: ExportRequest, actor: str, requested_file: RequestedFile, now: dt.datetime) -> Event:
    details = {"file": requested_file.path, "sha256": requested_file.sha256}
    return _event("airlock.viewed", request, actor, now, details)


def released(
    request: ExportRequest,
    actor: str,
    comment: str,
    files: Sequence[RequestedFile],
    record_sha256: str,
    snapshots: Sequence[Mapping[str, Any]] | None,
    now: dt.datetime,
) -> Event:
    released_paths = {f.path for f in files}
    details = {
        "comment": comment[:MAX_TEXT],
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in files],
        "withheld": [f.path for f in request.files if f.path not in released_paths],
        "record_sha256": record_sha256,
        "snapshots": [dict(s) for s in snapshots] if snapshots is not None else None,
    }
    return _event("airlock.released", request, actor, now, details)


def closed(type: str, request: ExportRequest, actor: str, comment: str, now: dt.datetime) -> Event:
    """``airlock.returned``, ``airlock.rejected`` or ``airlock.withdrawn``."""
    return _event(type, request, actor, now, {"comment": comment[:MAX_TEXT]})


def downloaded(request: ExportRequest, actor: str, requested_file: RequestedFile, now: dt.datetime) -> Event:
    details = {"file": requested_file.path, "sha256": requested_file.sha256, "size": requested_file.size}
    return _event("airlock.downloaded", request, actor, now, details)


def refused(
    actor: str,
    action: str,
    rule: str,
    sentence: str,
    now: dt.datetime,
    *,
    project: str | None,
    bubble: str | None,
    request_id: str | None = None,
    file: str | None = None,
) -> Event:
    """A refused airlock action; ``project`` only when the policy knows it."""
    return make_event(
        "airlock.refused",
        actor=actor,
        time=now,
        outcome="deny",
        project=project,
        bubble=bubble,
        object=request_id,
        details={"action": action, "rule": rule, "sentence": sentence[:2000], "file": file},
    )
