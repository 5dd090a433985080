"""Export requests through the airlock: asked from a bubble, reviewed by output checkers, released by the hub.

The automated disclosure checks are :mod:`bulle.airlock`; this package is
the rest of the airlock, the part with people in it:

- :mod:`.model`: requests, their files, the checkers' decisions, the history;
- :mod:`.lifecycle`: statuses and transitions as tables, with their owners
  and audit events, and how decisions make a file's outcome;
- :mod:`.decisions`: who may review, decide, release, return, reject,
  withdraw, see and download (pairs ``check_user_can_*`` / ``user_can_*``);
- :mod:`.outbox`: paths inside a member's outbox, read without following links;
- :mod:`.store`, :mod:`.blobs`: requests in the hub database, the files' bytes
  in the hub's private area;
- :mod:`.release`: the release record and folder;
- :mod:`.events`: the ``airlock.*`` audit events;
- :mod:`.workflow`: :class:`ExportWorkflow`, which the hub's handlers call.

It imports :mod:`bulle.policies`, :mod:`bulle.airlock`, :mod:`bulle.audit`
and :mod:`bulle.state`, never :mod:`bulle.hub`; the bubble's extension uses
only :mod:`.outbox` and :mod:`.decisions`' :class:`FileAsk`.
"""

from .decisions import ExportDenied, FileAsk
from .model import Decision, ExportRequest, FileDecision, FileOutcome, Owner, RequestedFile, RequestStatus
from .outbox import OutboxPathRefused, outbox_parts, read_outbox_file
from .workflow import ExportConflict, ExportWorkflow, RequestNotFound

__all__ = [
    "Decision",
    "ExportConflict",
    "ExportDenied",
    "ExportRequest",
    "ExportWorkflow",
    "FileAsk",
    "FileDecision",
    "FileOutcome",
    "OutboxPathRefused",
    "Owner",
    "RequestNotFound",
    "RequestStatus",
    "RequestedFile",
    "outbox_parts",
    "read_outbox_file",
]
