"""Audit events: what a record says, checked against its versioned schema.

An :class:`Event` is one thing that happened, in the envelope every record
shares (type, time, actor, project, bubble, object, outcome, details, and an
optional idempotency key). Each *type* (``auth.login``, ``kernel.execute``)
has a JSON schema for its ``details`` in ``schemas/<type>/v<version>.yaml``,
with an ``$id``, the required fields, and a description of what is recorded
and what is deliberately not. :data:`EVENT_TYPES` lists the types and the
schema version written today.

An event is validated when it is made (:func:`make_event`), so a record that
reaches the trail always matches its schema. Its *body* is the canonical JSON
of the envelope (sorted keys, no spaces, UTF-8): the exact bytes the hash
chain covers.

To add a type: write ``schemas/<family>.<action>/v1.yaml`` (copy one that is
close; keep ``additionalProperties: false`` so nothing unexpected is stored)
and add the type to :data:`EVENT_TYPES`; ``tests/audit/test_events.py`` checks
that both agree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

import fastjsonschema
import yaml

SCHEMA_BASE = "https://schema.bulle-tre.org/audit/"

#: Every event type bulle records, with the version of its schema written today.
EVENT_TYPES: Mapping[str, int] = MappingProxyType(
    {
        "auth.login": 1,
        "auth.logout": 1,
        "bubble.requested": 1,
        "bubble.refused": 1,
        "bubble.started": 1,
        "bubble.failed": 1,
        "bubble.stopped": 1,
        "bubble.culled": 1,
        "policy.loaded": 1,
        "kernel.execute": 1,
        "kernel.result": 1,
        "terminal.input": 1,
        "admin.api": 1,
        "audit.viewed": 1,
        "audit.exported": 1,
        "audit.write-refused": 1,
        "warehouse.ingested": 1,
        "data.extracted": 1,
        "data.connected": 1,
        "airlock.requested": 1,
        "airlock.reviewed": 1,
        "airlock.viewed": 1,
        "airlock.released": 1,
        "airlock.returned": 1,
        "airlock.rejected": 1,
        "airlock.withdrawn": 1,
        "airlock.downloaded": 1,
        "airlock.refused": 1,
        "outbox.written": 1,
    }
)

#: Types a bubble's session recorder sends.
RECORDER_TYPES = frozenset({"kernel.execute", "kernel.result", "terminal.input"})
#: Types a bubble may send (the recorder's, its data connections, its airlock extension's outbox records);
#: the hub refuses any other from a bubble.
BUBBLE_TYPES = RECORDER_TYPES | {"data.connected", "outbox.written"}

Outcome = Literal["allow", "deny"]


class EventInvalid(ValueError):
    """An event does not match its schema; the message names the type and the field."""


@dataclass(frozen=True)
class Event:
    """One audit record before it joins the chain. Build it with :func:`make_event`."""

    type: str
    version: int
    time: str
    actor: str
    outcome: Outcome = "allow"
    project: str | None = None
    bubble: str | None = None
    object: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "version": self.version,
            "time": self.time,
            "key": self.key,
            "actor": self.actor,
            "project": self.project,
            "bubble": self.bubble,
            "object": self.object,
            "outcome": self.outcome,
            "details": dict(self.details),
        }

    @cached_property
    def body(self) -> str:
        """The canonical JSON the chain hashes (computed once, by the thread that made the event)."""
        return canonical_json(self.as_dict())


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_time(moment: dt.datetime) -> str:
    """``moment`` in UTC as the trail writes times: ``2026-05-01T12:00:00.000000Z``."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_event(
    type: str,
    *,
    actor: str,
    time: dt.datetime,
    outcome: Outcome = "allow",
    project: str | None = None,
    bubble: str | None = None,
    object: str | None = None,
    details: Mapping[str, Any] | None = None,
    key: str | None = None,
) -> Event:
    """A validated event of ``type`` at ``time``; :class:`EventInvalid` if it does not fit its schema."""
    if type not in EVENT_TYPES:
        raise EventInvalid(f"{type!r} is not an audit event type; known types: {', '.join(EVENT_TYPES)}")
    event = Event(
        type=type,
        version=EVENT_TYPES[type],
        time=format_time(time),
        actor=actor,
        outcome=outcome,
        project=project,
        bubble=bubble,
        object=object,
        details=dict(details or {}),
        key=key,
    )
    check_event(event.as_dict())
    _ = event.body  # serialise here, not in the writer's thread
    return event


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """An event from its JSON form (as a bubble sends it); :class:`EventInvalid` if it does not fit."""
    check_event(data)
    event = Event(
        type=data["type"],
        version=data["version"],
        time=data["time"],
        actor=data["actor"],
        outcome=data["outcome"],
        project=data["project"],
        bubble=data["bubble"],
        object=data["object"],
        details=dict(data["details"]),
        key=data["key"],
    )
    _ = event.body
    return event


def check_event(data: Mapping[str, Any]) -> None:
    """Check an event's JSON form against the envelope and its type's schema."""
    _validate(_validator("envelope", 1), data, "the audit record")
    event_type, version = data["type"], data["version"]
    if event_type not in EVENT_TYPES:
        raise EventInvalid(f"{event_type!r} is not an audit event type")
    if version != EVENT_TYPES[event_type]:
        raise EventInvalid(f"{event_type} records are written with schema version {EVENT_TYPES[event_type]}")
    _validate(_validator(event_type, version), data["details"], f"the details of {event_type}")


def load_schema(name: str, version: int) -> dict[str, Any]:
    """The schema ``schemas/<name>/v<version>.yaml`` as a dict."""
    text = resources.files("bulle.audit").joinpath("schemas", name, f"v{version}.yaml").read_text(encoding="utf-8")
    schema: dict[str, Any] = yaml.safe_load(text)
    return schema


@cache
def _validator(name: str, version: int) -> Callable[[Any], Any]:
    schema = {k: v for k, v in load_schema(name, version).items() if k != "version"}
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return validate


def _validate(validator: Callable[[Any], Any], data: Any, what: str) -> None:
    try:
        validator(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise EventInvalid(f"{what} is not valid: {exc.message}") from None
