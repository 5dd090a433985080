"""Audit events of a bubble's life: requested, refused, started, failed, stopped, culled.

Pure builders: the spawner passes plain values and the time, records what
they return with :func:`bulle.audit.record`. Every event names the bubble as
``<user>/<server name>``; its actor is the bubble's user, and
``requested_by`` says who asked when that was someone else (an administrator
through the API).

Stops decided by bulle itself (maximum lifetime, idle timeout) are recorded
with :func:`culled` before the stop::

    ref = BubbleRef.of(spawner, policy)
    await audit.record(events.culled(ref, "idle for 2 h, over the profile's 1 h", "idle-timeout", now))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bulle.audit import Event, make_event
from bulle.policies import Policy

from .bubble import Bubble


@dataclass(frozen=True)
class BubbleRef:
    """Which bubble an event is about, as far as it is known."""

    user: str
    server: str
    project: str | None
    profile: str | None

    @property
    def name(self) -> str:
        return f"{self.user}/{self.server}"

    @classmethod
    def of(cls, spawner: Any, policy: Policy | None = None) -> BubbleRef:
        """The bubble of ``spawner``: from its resolved bubble, its saved options or its name."""
        bubble: Bubble | None = getattr(spawner, "bubble", None)
        if bubble is not None:
            return cls(bubble.user, bubble.server_name, bubble.project_id, bubble.profile.name)
        options = dict(spawner.user_options or {})
        known = policy.bubble_for_server(spawner.name) if policy is not None and spawner.name else None
        project, profile = known or (options.get("project"), options.get("profile"))
        if policy is not None and project not in policy.projects:
            project = None  # a made-up project name is not recorded as one
        return cls(
            spawner.user.name,
            spawner.name or "default",
            project if isinstance(project, str) else None,
            profile if isinstance(profile, str) else None,
        )


def requested(bubble: Bubble, requested_by: str, now: dt.datetime) -> Event:
    return make_event(
        "bubble.requested",
        actor=bubble.user,
        time=now,
        project=bubble.project_id,
        bubble=f"{bubble.user}/{bubble.server_name}",
        details={
            "profile": bubble.profile.name,
            "cpu": bubble.cpu_limit,
            "memory_bytes": bubble.mem_limit,
            "gpu": bubble.profile.gpu,
            "requested_by": requested_by,
        },
    )


def refused(ref: BubbleRef, sentence: str, rule: str, requested_by: str, now: dt.datetime) -> Event:
    return make_event(
        "bubble.refused",
        actor=ref.user,
        time=now,
        outcome="deny",
        project=ref.project,
        bubble=ref.name,
        details={"sentence": sentence[:2000], "rule": rule, "requested_by": requested_by, "profile": ref.profile},
    )


def started(bubble: Bubble, now: dt.datetime) -> Event:
    return make_event(
        "bubble.started",
        actor=bubble.user,
        time=now,
        project=bubble.project_id,
        bubble=f"{bubble.user}/{bubble.server_name}",
        details={"profile": bubble.profile.name},
    )


def failed(ref: BubbleRef, error: str, now: dt.datetime) -> Event:
    return make_event(
        "bubble.failed", actor=ref.user, time=now, project=ref.project, bubble=ref.name, details={"error": error[:2000]}
    )


def stopped(ref: BubbleRef, now: dt.datetime) -> Event:
    return make_event("bubble.stopped", actor=ref.user, time=now, project=ref.project, bubble=ref.name)


def culled(ref: BubbleRef, reason: str, rule: str, now: dt.datetime) -> Event:
    """bulle stops ``ref`` on its own (``rule``: ``max-lifetime`` or ``idle-timeout``)."""
    return make_event(
        "bubble.culled",
        actor=ref.user,
        time=now,
        project=ref.project,
        bubble=ref.name,
        details={"reason": reason[:1000], "rule": rule},
    )
