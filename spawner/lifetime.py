"""When the hub stops a bubble on its own: the profile's lifetime and idle timeout.

A bubble is *culled* when its project's authorisation ends (the end of its
``valid_until`` day in the platform's time zone; reason ``expired``), when it
has run for its profile's ``max_lifetime`` (reason ``lifetime``), or when
JupyterHub has recorded no activity for its ``idle_timeout`` once its server
is ready (reason ``idle``; activity is what the single-user server and the
proxy report to JupyterHub: HTTP and websocket traffic, busy kernels). A hub
that re-adopts a bubble that outlived it stops it if the policy it loaded no
longer allows it (reason ``policy``).
:func:`stop_reason` is the one place that decides, and the reason is what
the audit trail records as a "culled" event. :func:`next_check` says how long
the supervisor may sleep before the answer can change.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from bulle.policies.units import format_duration


class StopReason(enum.StrEnum):
    EXPIRED = "expired"
    LIFETIME = "lifetime"
    IDLE = "idle"
    POLICY = "policy"

    @property
    def rule(self) -> str:
        """The rule's identifier in the audit trail's ``bubble.culled`` events."""
        return _AUDIT_RULES[self]


_AUDIT_RULES = {
    StopReason.EXPIRED: "project-expired",
    StopReason.LIFETIME: "max-lifetime",
    StopReason.IDLE: "idle-timeout",
    StopReason.POLICY: "policy",
}


@dataclass(frozen=True)
class Lifetime:
    """The clock of one bubble: when it started and its profile's two durations (seconds).

    The lifetime counts from the start; the idle timeout only from the moment
    the server is ready (``ready``), so that a slow start is not idleness.
    """

    started: dt.datetime
    max_lifetime: int
    idle_timeout: int
    closes: dt.datetime | None = None  # when the project's authorisation ends

    @property
    def deadline(self) -> dt.datetime:
        return self.started + dt.timedelta(seconds=self.max_lifetime)

    def idle_deadline(self, ready: dt.datetime | None, last_activity: dt.datetime | None) -> dt.datetime | None:
        if ready is None:
            return None
        since = max(ready, last_activity) if last_activity else ready
        return since + dt.timedelta(seconds=self.idle_timeout)


def stop_reason(
    lifetime: Lifetime, ready: dt.datetime | None, last_activity: dt.datetime | None, now: dt.datetime
) -> StopReason | None:
    """Why the bubble must stop at ``now``, or None while it may run on."""
    if lifetime.closes is not None and now >= lifetime.closes:
        return StopReason.EXPIRED
    if now >= lifetime.deadline:
        return StopReason.LIFETIME
    idle_deadline = lifetime.idle_deadline(ready, last_activity)
    if idle_deadline is not None and now >= idle_deadline:
        return StopReason.IDLE
    return None


def next_check(
    lifetime: Lifetime, ready: dt.datetime | None, last_activity: dt.datetime | None, now: dt.datetime, at_most: float
) -> float:
    """Seconds until :func:`stop_reason` may answer otherwise (at most ``at_most``)."""
    deadlines = [lifetime.deadline, lifetime.idle_deadline(ready, last_activity), lifetime.closes]
    soonest = min(d for d in deadlines if d is not None)
    return max(0.0, min(at_most, (soonest - now).total_seconds()))


def describe(reason: StopReason, lifetime: Lifetime) -> str:
    """A sentence for the hub's log and for the user (not for ``policy``, which has the policy's own)."""
    if reason is StopReason.EXPIRED:
        return f"its project's authorisation ended at {lifetime.closes:%Y-%m-%d %H:%M %Z}"
    if reason is StopReason.LIFETIME:
        return f"it reached its maximum lifetime of {format_duration(lifetime.max_lifetime)}"
    return f"it was idle for {format_duration(lifetime.idle_timeout)}"
