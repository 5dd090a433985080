"""Export requests in the hub database (SQLite or PostgreSQL): the tables and the SQL on them.

============================  ===============================================================
table                         one row per
============================  ===============================================================
``bulle_airlock_requests``    request: project, requester, bubble, justification, status, extract read
``bulle_airlock_files``       requested file: path, kind, pinned SHA-256 and size, verdict, report
``bulle_airlock_decisions``   decision of a checker on a file (never updated: a new one is added)
``bulle_airlock_history``     status change, with who, when and the comment
============================  ===============================================================

Nothing is deleted: a returned, rejected or withdrawn request keeps its
files, decisions and history. A status changes only from the status the
caller checked (``UPDATE ... WHERE status = :checked``), so two checkers
acting at once cannot both release a request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bulle.airlock import Kind, Status

from .model import Decision, ExportRequest, FileDecision, RequestedFile, RequestStatus, StatusChange

PREFIX = "bulle_airlock_"


@dataclass(frozen=True)
class Tables:
    metadata: sa.MetaData
    requests: sa.Table
    files: sa.Table
    decisions: sa.Table
    history: sa.Table


def make_tables() -> Tables:
    metadata = sa.MetaData()
    text = sa.Text
    requests = sa.Table(
        f"{PREFIX}requests",
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("project", text, nullable=False),
        sa.Column("requester", text, nullable=False),
        sa.Column("server", text, nullable=False),
        sa.Column("justification", text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("data", text, nullable=False),
        sa.Index(f"ix_{PREFIX}requests_requester", "requester", "created"),
        sa.Index(f"ix_{PREFIX}requests_status", "status", "created"),
    )
    files = sa.Table(
        f"{PREFIX}files",
        metadata,
        sa.Column("request_id", sa.String(64), sa.ForeignKey(requests.c.id), primary_key=True),
        sa.Column("path", text, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("report", text, nullable=False),
        sa.Column("counts_path", text),
        sa.Column("counts_sha256", sa.String(64)),
    )
    decisions = sa.Table(
        f"{PREFIX}decisions",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), sa.ForeignKey(requests.c.id), nullable=False),
        sa.Column("path", text, nullable=False),
        sa.Column("reviewer", text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", text, nullable=False),
        sa.Column("override_reason", text),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Index(f"ix_{PREFIX}decisions_request", "request_id", "id"),
    )
    history = sa.Table(
        f"{PREFIX}history",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), sa.ForeignKey(requests.c.id), nullable=False),
        sa.Column("source", sa.String(16)),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("actor", text, nullable=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("comment", text, nullable=False),
        sa.Index(f"ix_{PREFIX}history_request", "request_id", "id"),
    )
    return Tables(metadata, requests, files, decisions, history)


def create_tables(engine: Engine) -> Tables:
    tables = make_tables()
    tables.metadata.create_all(engine, checkfirst=True)
    return tables


def insert_request(conn: Connection, tables: Tables, request: ExportRequest) -> None:
    """Store a new request with its files and the first step of its history."""
    conn.execute(
        tables.requests.insert().values(
            id=request.id,
            project=request.project,
            requester=request.requester,
            server=request.server,
            justification=request.justification,
            status=request.status.value,
            created=request.created,
            data=json.dumps(dict(request.data), sort_keys=True),
        )
    )
    conn.execute(
        tables.files.insert(),
        [
            {
                "request_id": request.id,
                "position": position,
                **f.pinned(),
                "report": json.dumps(dict(f.report), sort_keys=True),
            }
            for position, f in enumerate(request.files)
        ],
    )
    for change in request.history:
        _insert_change(conn, tables, request.id, change)


def add_decision(conn: Connection, tables: Tables, request_id: str, decision: Decision) -> None:
    conn.execute(
        tables.decisions.insert().values(
            request_id=request_id,
            path=decision.path,
            reviewer=decision.reviewer,
            decision=decision.decision.value,
            comment=decision.comment,
            override_reason=decision.override_reason,
            time=decision.time,
        )
    )


def change_status(conn: Connection, tables: Tables, request_id: str, change: StatusChange) -> bool:
    """Move the request from ``change.source`` to ``change.target``; False if its status was not the source."""
    if change.source is None:
        raise ValueError("a status change of a stored request has a source status")
    t = tables.requests
    result = conn.execute(
        t.update().where(t.c.id == request_id, t.c.status == change.source.value).values(status=change.target.value)
    )
    if result.rowcount != 1:
        return False
    _insert_change(conn, tables, request_id, change)
    return True


def _insert_change(conn: Connection, tables: Tables, request_id: str, change: StatusChange) -> None:
    conn.execute(
        tables.history.insert().values(
            request_id=request_id,
            source=change.source.value if change.source else None,
            target=change.target.value,
            actor=change.actor,
            time=change.time,
            comment=change.comment,
        )
    )


def load_request(conn: Connection, tables: Tables, request_id: str) -> ExportRequest | None:
    found = load_requests(conn, tables, sa.select(tables.requests).where(tables.requests.c.id == request_id))
    return found[0] if found else None


def find_requests(
    conn: Connection,
    tables: Tables,
    *,
    requester: str | None = None,
    projects: Iterable[str] | None = None,
    statuses: Iterable[RequestStatus] | None = None,
    limit: int = 200,
) -> list[ExportRequest]:
    """Requests matching every filter given, newest first."""
    t = tables.requests
    query = sa.select(t)
    if requester is not None:
        query = query.where(t.c.requester == requester)
    if projects is not None:
        query = query.where(t.c.project.in_(list(projects)))
    if statuses is not None:
        query = query.where(t.c.status.in_([s.value for s in statuses]))
    return load_requests(conn, tables, query.order_by(t.c.created.desc(), t.c.id.desc()).limit(limit))


def load_requests(conn: Connection, tables: Tables, query: sa.Select[tuple[object, ...]]) -> list[ExportRequest]:
    rows = conn.execute(query).mappings().all()
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    files = _grouped(
        conn.execute(
            sa.select(tables.files).where(tables.files.c.request_id.in_(ids)).order_by(tables.files.c.position)
        )
        .mappings()
        .all()
    )
    decisions = _grouped(
        conn.execute(
            sa.select(tables.decisions).where(tables.decisions.c.request_id.in_(ids)).order_by(tables.decisions.c.id)
        )
        .mappings()
        .all()
    )
    history = _grouped(
        conn.execute(
            sa.select(tables.history).where(tables.history.c.request_id.in_(ids)).order_by(tables.history.c.id)
        )
        .mappings()
        .all()
    )
    return [
        ExportRequest(
            id=row["id"],
            project=row["project"],
            requester=row["requester"],
            server=row["server"],
            justification=row["justification"],
            status=RequestStatus(row["status"]),
            created=row["created"],
            data=MappingProxyType(json.loads(row["data"])),
            files=tuple(_file(r) for r in files.get(row["id"], [])),
            decisions=tuple(_decision(r) for r in decisions.get(row["id"], [])),
            history=tuple(_change(r) for r in history.get(row["id"], [])),
        )
        for row in rows
    ]


def _grouped(rows: Sequence[sa.RowMapping]) -> dict[str, list[sa.RowMapping]]:
    grouped: dict[str, list[sa.RowMapping]] = {}
    for row in rows:
        grouped.setdefault(row["request_id"], []).append(row)
    return grouped


def _file(row: sa.RowMapping) -> RequestedFile:
    return RequestedFile(
        path=row["path"],
        kind=Kind(row["kind"]),
        sha256=row["sha256"],
        size=int(row["size"]),
        verdict=Status(row["verdict"]),
        report=MappingProxyType(json.loads(row["report"])),
        counts_path=row["counts_path"],
        counts_sha256=row["counts_sha256"],
    )


def _decision(row: sa.RowMapping) -> Decision:
    return Decision(
        path=row["path"],
        reviewer=row["reviewer"],
        decision=FileDecision(row["decision"]),
        comment=row["comment"],
        time=row["time"],
        override_reason=row["override_reason"],
    )


def _change(row: sa.RowMapping) -> StatusChange:
    return StatusChange(
        source=RequestStatus(row["source"]) if row["source"] else None,
        target=RequestStatus(row["target"]),
        actor=row["actor"],
        time=row["time"],
        comment=row["comment"],
    )
