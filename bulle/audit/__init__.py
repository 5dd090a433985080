"""bulle's tamper-evident audit trail: one API for the hub, the spawner, the tools and the airlock.

Vocabulary:

- an **event** (:class:`Event`) is one thing that happened: its *type*
  (``auth.login``, ``kernel.execute``...), time, *actor*, project, bubble,
  *object*, *outcome* (``allow`` or ``deny``) and type-specific *details*,
  checked against the type's versioned JSON schema (:mod:`.events`);
- a **record** is an event in the trail, numbered by its *seq* and chained
  to the one before it by hashes (:mod:`.chain`), in the hub database
  (:mod:`.store`);
- a **checkpoint** is a signature over the trail's end with a key kept out
  of the database (:mod:`.checkpoints`).

To record, make an event and hand it to :func:`record`, the one entry point::

    from bulle import audit

    event = audit.make_event("bubble.refused", actor=user, time=now, outcome="deny", ...)
    await audit.record(event)      # in async code: returns once committed
    audit.record(event).wait()     # in blocking code
    audit.record(event)            # or let it be committed in the background

:func:`record` writes to the process's trail, installed once by the hub at
start (:func:`install`) or opened by a tool with :func:`open_trail`. Callers
that must not act unrecorded wait for the receipt: it raises
:class:`AuditWriteFailed` when the record could not be written.
"""

from __future__ import annotations

from .events import (
    BUBBLE_TYPES,
    EVENT_TYPES,
    RECORDER_TYPES,
    Event,
    EventInvalid,
    event_from_dict,
    format_time,
    make_event,
)
from .trail import AuditTrail, open_trail
from .writer import AuditClosed, AuditWriteFailed, Receipt

__all__ = [
    "BUBBLE_TYPES",
    "EVENT_TYPES",
    "RECORDER_TYPES",
    "AuditClosed",
    "AuditTrail",
    "AuditUnavailable",
    "AuditWriteFailed",
    "Event",
    "EventInvalid",
    "Receipt",
    "event_from_dict",
    "format_time",
    "install",
    "installed",
    "make_event",
    "open_trail",
    "record",
]


class AuditUnavailable(RuntimeError):
    """No trail is installed in this process, so nothing can be recorded."""


_installed: AuditTrail | None = None


def install(trail: AuditTrail | None) -> None:
    """Make ``trail`` the one :func:`record` writes to in this process (None: none)."""
    global _installed
    _installed = trail


def installed() -> AuditTrail:
    if _installed is None:
        raise AuditUnavailable(
            "no audit trail is open in this process; the hub opens one at start, tools use bulle.audit.open_trail"
        )
    return _installed


def record(event: Event) -> Receipt:
    """Append ``event`` to this process's trail; the receipt resolves once it is committed."""
    return installed().record(event)
