"""A request as JSON, the shape the hub's API answers and the bubble's extension shows.

::

    {"id", "project", "requester", "bubble", "justification", "status", "created",
     "waiting_for": "output checker" | "requester" | "nobody",
     "files": [{"path", "kind", "sha256", "size", "verdict", "outcome",
                "approvals_needed", "approvals_missing", "counts_path", "counts_sha256",
                "report": {...},                         # the automated checks (bulle.airlock)
                "decisions": [{"reviewer", "decision", "comment", "override_reason", "time"}]}],
     "history": [{"from", "to", "actor", "time", "comment"}]}
"""

from __future__ import annotations

from typing import Any

from .lifecycle import APPROVALS_NEEDED, STATUS_OWNERS, approvals_missing, file_outcome
from .model import Decision, ExportRequest, RequestedFile


def request_summary(request: ExportRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "project": request.project,
        "requester": request.requester,
        "bubble": request.bubble,
        "justification": request.justification,
        "status": request.status.value,
        "created": request.created,
        "waiting_for": STATUS_OWNERS[request.status].value,
        "files": [_file(request, f) for f in request.files],
        "history": history_json(request),
    }


def history_json(request: ExportRequest) -> list[dict[str, Any]]:
    return [
        {
            "from": c.source.value if c.source else None,
            "to": c.target.value,
            "actor": c.actor,
            "time": c.time,
            "comment": c.comment,
        }
        for c in request.history
    ]


def decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "reviewer": decision.reviewer,
        "decision": decision.decision.value,
        "comment": decision.comment,
        "override_reason": decision.override_reason,
        "time": decision.time,
    }


def _file(request: ExportRequest, requested: RequestedFile) -> dict[str, Any]:
    return {
        **requested.pinned(),
        "outcome": file_outcome(requested, request.decisions).value,
        "approvals_needed": APPROVALS_NEEDED[requested.verdict],
        "approvals_missing": approvals_missing(requested, request.decisions),
        "report": dict(requested.report),
        "decisions": [decision_json(d) for d in request.decisions_on(requested.path)],
    }
