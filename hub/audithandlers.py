"""The hub's audit endpoints: bubbles send their session records; administrators read the trail.

=====================================================  =========================================
``POST /hub/api/bulle/audit/bubbles/<user>/<server>/events``  a bubble sends records (session, data connections)
``GET  /hub/api/bulle/audit/events``                   records as JSON, filtered (administrators)
``GET  /hub/audit``                                    the audit page: filter by project, user, time
``GET  /hub/audit/replay/<user>/<server>``             a bubble's session, cell by cell
=====================================================  =========================================

A bubble's records are accepted only with a token that holds
``custom:bulle:write-audit`` for that very server (the bubble's own token:
see ``BUBBLE_TOKEN_SCOPES``), and only when each record names the token's
user, the server's project (from the policy, not from the bubble) and the
bubble itself; anything else is refused with 403 and the refusal recorded.
Each record carries the recorder's idempotency key, so a batch sent again
after a lost answer is not appended twice.

Reading requires ``custom:bulle:read-audit`` (the ``bulle-auditor`` role of
administrators); every read, allowed or not, is itself recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers.base import BaseHandler
from jupyterhub.scopes import has_scope
from tornado import web

from bulle import audit
from bulle.audit.export import parse_bound
from bulle.audit.replay import REPLAY_TYPES, replay_steps
from bulle.audit.store import RecordFilter, StoredRecord, find_records
from bulle.policies import Policy
from bulle.policies.jupyterhub import READ_AUDIT_SCOPE, WRITE_AUDIT_SCOPE

MAX_BATCH = 500
PAGE_SIZE = 100
MAX_REPLAY = 10_000
FILTERS = ("project", "user", "bubble", "type", "since", "until")


def audit_handlers(trail: audit.AuditTrail, policy: Policy) -> list[tuple[str, type, dict[str, Any]]]:
    """``JupyterHub.extra_handlers`` entries (the hub adds its prefix)."""
    options = {"trail": trail, "policy": policy}
    return [
        (r"/api/bulle/audit/bubbles/([^/]+)/([^/]+)/events", BubbleRecordsHandler, options),
        (r"/api/bulle/audit/events", AuditRecordsAPIHandler, options),
        (r"/audit", AuditPageHandler, options),
        (r"/audit/replay/([^/]+)/([^/]+)", AuditReplayHandler, options),
    ]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BubbleRecordsHandler(APIHandler):  # type: ignore[misc]
    """Records sent by a bubble's session recorder, with that bubble's token."""

    def initialize(self, trail: audit.AuditTrail, policy: Policy) -> None:
        self.trail = trail
        self.policy = policy

    async def post(self, user_name: str, server_name: str) -> None:
        if self.current_user is None:
            raise web.HTTPError(403, "Missing or invalid credentials.")
        bubble = f"{user_name}/{server_name}"
        body = self.get_json_body()
        raw = body.get("events") if isinstance(body, dict) else None
        if not isinstance(raw, list) or not 0 < len(raw) <= MAX_BATCH:
            raise web.HTTPError(400, f"send {{'events': [...]}} with 1 to {MAX_BATCH} records")
        try:
            events = self._accept(user_name, server_name, raw)
        except web.HTTPError as refused:
            if refused.status_code == 403:
                await self._record_refusal(bubble, refused.log_message or "", len(raw))
            raise
        seqs = await self.trail.record_many(events)
        self.write({"recorded": seqs})

    def _accept(self, user_name: str, server_name: str, raw: list[Any]) -> list[audit.Event]:
        bubble = f"{user_name}/{server_name}"
        if not has_scope(f"{WRITE_AUDIT_SCOPE}!server={bubble}", self.parsed_scopes, db=self.db):
            raise web.HTTPError(403, f"this token may not send the session records of {bubble}; only its own token may")
        found = self.policy.bubble_for_server(server_name)
        if found is None:
            raise web.HTTPError(403, f"{server_name!r} is not a bubble of the policy")
        project = found[0]
        return [self._check(item, user_name, project, bubble) for item in raw]

    @staticmethod
    def _check(item: Any, user: str, project: str, bubble: str) -> audit.Event:
        if not isinstance(item, Mapping):
            raise web.HTTPError(400, "each record must be a JSON object")
        try:
            event = audit.event_from_dict(item)
        except audit.EventInvalid as invalid:
            raise web.HTTPError(400, str(invalid)) from None
        if event.type not in audit.BUBBLE_TYPES:
            raise web.HTTPError(403, f"a bubble may send only {', '.join(sorted(audit.BUBBLE_TYPES))} records")
        claimed = (event.actor, event.project, event.bubble)
        if claimed != (user, project, bubble):
            raise web.HTTPError(
                403,
                f"this token is bubble {bubble}'s, of user {user} in project {project}; it may not write records "
                f"of user {event.actor!r} in project {event.project!r} for bubble {event.bubble!r}",
            )
        if event.key is None:
            raise web.HTTPError(400, "each record needs an idempotency key")
        accepted = dataclasses.replace(event, key=f"{bubble}/{event.key}"[:200])
        _ = accepted.body  # serialise here, not in the writer's thread
        return accepted

    async def _record_refusal(self, bubble: str, reason: str, count: int) -> None:
        who = self.current_user
        await self.trail.record(
            audit.make_event(
                "audit.write-refused",
                actor=getattr(who, "name", "?"),
                time=_now(),
                outcome="deny",
                bubble=bubble,
                details={"reason": reason[:2000], "records": count},
            )
        )


class _ReadsTrail:
    """What the reading endpoints share: the scope check, the filters, recording the read."""

    trail: audit.AuditTrail
    policy: Policy

    def initialize(self, trail: audit.AuditTrail, policy: Policy) -> None:
        self.trail = trail
        self.policy = policy

    def _filters(self) -> dict[str, str | None]:
        handler: Any = self
        return {name: (handler.get_argument(name, "").strip() or None) for name in FILTERS}

    async def _check_reader(self, view: str, filters: dict[str, str | None]) -> None:
        handler: Any = self
        user = handler.current_user
        allowed = user is not None and has_scope(READ_AUDIT_SCOPE, handler.parsed_scopes)
        await self.trail.record(
            audit.make_event(
                "audit.viewed",
                actor=getattr(user, "name", None) or "anonymous",
                time=_now(),
                outcome="allow" if allowed else "deny",
                details={"view": view, "filters": filters},
            )
        )
        if not allowed:
            raise web.HTTPError(403, "only administrators may read the audit trail")

    def _query(self, filters: dict[str, str | None]) -> RecordFilter:
        try:
            since = parse_bound(filters["since"]) if filters["since"] else None
            until = parse_bound(filters["until"]) if filters["until"] else None
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        return RecordFilter(
            project=filters["project"],
            actor=filters["user"],
            bubble=filters["bubble"],
            types=(filters["type"],) if filters["type"] else (),
            since=since,
            until=until,
        )

    def _page(self, where: RecordFilter) -> tuple[list[StoredRecord], int | None]:
        handler: Any = self
        before = handler.get_argument("before", "")
        asked = handler.get_argument("limit", "")
        limit = min(int(asked), 1000) if asked.isdigit() and int(asked) > 0 else PAGE_SIZE
        with self.trail.reading() as conn:
            records = find_records(
                conn,
                self.trail.tables,
                where,
                before_seq=int(before) if before.isdigit() else None,
                limit=limit,
                newest_first=True,
            )
        older = records[-1].seq if len(records) == limit else None
        return records, older


class AuditRecordsAPIHandler(_ReadsTrail, APIHandler):  # type: ignore[misc]
    async def get(self) -> None:
        filters = self._filters()
        await self._check_reader("api", filters)
        records, older = self._page(self._query(filters))
        self.write(json.dumps({"records": [r.as_export() for r in records], "next_before": older}))


class AuditPageHandler(_ReadsTrail, BaseHandler):  # type: ignore[misc]
    @web.authenticated
    async def get(self) -> None:
        filters = self._filters()
        await self._check_reader("page", filters)
        records, older = self._page(self._query(filters))
        html = await self.render_template(
            "audit.html",
            filters=filters,
            records=[
                (r.seq, r.event, json.dumps(r.event["details"], ensure_ascii=False, sort_keys=True)) for r in records
            ],
            older=older,
            projects=sorted(self.policy.projects),
        )
        self.finish(html)


class AuditReplayHandler(_ReadsTrail, BaseHandler):  # type: ignore[misc]
    @web.authenticated
    async def get(self, user_name: str, server_name: str) -> None:
        bubble = f"{user_name}/{server_name}"
        filters = {**self._filters(), "bubble": bubble}
        await self._check_reader("replay", filters)
        where = dataclasses.replace(self._query(filters), types=REPLAY_TYPES)
        with self.trail.reading() as conn:
            records = find_records(conn, self.trail.tables, where, limit=MAX_REPLAY)
        html = await self.render_template(
            "audit-replay.html",
            bubble=bubble,
            steps=replay_steps(records),
            capped=MAX_REPLAY if len(records) == MAX_REPLAY else None,
        )
        self.finish(html)
