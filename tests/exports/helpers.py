"""A small policy and requests for the airlock's unit tests.

Users: ``alice`` (researcher in ``alpha``), ``carl`` (output checker *and*
member of ``alpha``), ``oscar`` and ``olga`` (output checkers of no
project), ``bob`` (researcher in ``beta``), ``ada`` (administrator). Every project
caps exports at 1M (``max_file_size``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bulle.airlock import Kind, Status
from bulle.exports.model import Decision, ExportRequest, FileDecision, RequestedFile, RequestStatus, StatusChange
from bulle.policies import Policy, load_policy

PLATFORM = """timezone: Europe/Paris
profiles:
  - {name: notebook, kind: notebook, cpu: 1, memory: 1G, image: example.org/nb:1, idle_timeout: 1h, max_lifetime: 12h}
roles:
  admins: [ada]
  output_checkers: [oscar, olga, carl]
  data_stewards: [ada]
"""

PROJECT = """id: {id}
title: Project {id}
status: {status}
valid_from: 2026-01-01
valid_until: 2027-12-31
members:
{members}
profiles: [notebook]
quotas: {{cpu: 4, memory: 4G}}
airlock: {{max_file_size: 1M}}
"""


def write_policy(directory: Path) -> Path:
    (directory / "projects").mkdir(parents=True)
    (directory / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    projects = {
        "alpha": ("approved", ["alice", "carl"]),
        "beta": ("approved", ["bob"]),
        "gamma": ("suspended", ["alice"]),
    }
    for project_id, (status, members) in projects.items():
        listed = "\n".join(f"  - {{user: {m}, role: researcher}}" for m in members)
        (directory / "projects" / f"{project_id}.yaml").write_text(
            PROJECT.format(id=project_id, status=status, members=listed), encoding="utf-8"
        )
    return directory


def make_policy(directory: Path) -> Policy:
    return load_policy(write_policy(directory))


SHA = {name: f"{i:064x}" for i, name in enumerate(["a", "b", "c", "d"], start=1)}


def requested_file(path: str = "ages.csv", verdict: Status = Status.PASS, sha: str = SHA["a"]) -> RequestedFile:
    return RequestedFile(path=path, kind=Kind.FREQUENCY, sha256=sha, size=100, verdict=verdict)


def make_request(
    *files: RequestedFile,
    requester: str = "alice",
    project: str = "alpha",
    status: RequestStatus = RequestStatus.SUBMITTED,
    decisions: tuple[tuple[str, str, str], ...] = (),
) -> ExportRequest:
    """A request; ``decisions`` are (path, reviewer, decision) in the order made."""
    made = tuple(
        Decision(path, reviewer, FileDecision(kind), f"{kind} by {reviewer}", f"2026-05-01T12:00:0{i}.000000Z")
        for i, (path, reviewer, kind) in enumerate(decisions)
    )
    return ExportRequest(
        id="20260501-0a0b0c0d",
        project=project,
        requester=requester,
        server=f"{project}-notebook",
        justification="for the paper",
        status=status,
        created="2026-05-01T12:00:00.000000Z",
        files=files or (requested_file(),),
        decisions=made,
        history=(StatusChange(None, RequestStatus.SUBMITTED, requester, "2026-05-01T12:00:00.000000Z"),),
    )


def with_status(request: ExportRequest, status: RequestStatus) -> ExportRequest:
    return dataclasses.replace(request, status=status)
