"""The hub's side of the audit trail: opening it, and the hub's own events.

:func:`configure_audit` opens the trail in the hub database when the hub
starts, installs it for :func:`bulle.audit.record`, records ``policy.loaded``
(before anything else may happen), registers the audit API and pages, and
wraps the hub's request log so that every state-changing API call of an
administrator (or a service) is recorded as ``admin.api``.

Logins and logouts are recorded by the authenticator
(:mod:`bulle.hub.auth`) with :func:`login_event` and :func:`logout_event`;
bubble events by the spawner (:mod:`bulle.spawner.events`).
"""

from __future__ import annotations

import atexit
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from jupyterhub import orm
from jupyterhub.log import log_request
from tornado import web
from traitlets.config import Config

from bulle import audit
from bulle.policies import Policy
from bulle.state import StateLayout

from .audithandlers import audit_handlers

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: API calls that are not administration even when an administrator's token makes them
#: (the airlock records its own actions, as ``airlock.*``).
NOT_ADMINISTRATION = re.compile(r"^/(users/[^/]+/activity|bulle/audit/.*|bulle/airlock/.*)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def configure_audit(c: Config, policy: Policy, policy_dir: str, layout: StateLayout) -> audit.AuditTrail:
    """Open the trail (``c.AuditTrail``), record the policy, add the audit handlers and request log."""
    section = c.AuditTrail
    for key, value in (
        ("db_url", c.JupyterHub.db_url),
        ("signing_key_file", str(layout.audit_signing_key)),
        ("checkpoint_file", str(layout.audit_checkpoints)),
        ("create_signing_key", True),
    ):
        if key not in section:
            section[key] = value
    trail = audit.AuditTrail(config=c).open()
    audit.install(trail)
    atexit.register(trail.close)
    audit.record(policy_loaded_event(policy, policy_dir, dt.datetime.now(dt.UTC))).wait(timeout=120)
    c.JupyterHub.extra_handlers = [*c.JupyterHub.get("extra_handlers", []), *audit_handlers(trail, policy)]
    settings = dict(c.JupyterHub.get("tornado_settings", {}))
    settings["log_function"] = recording_admin_actions(settings.get("log_function", log_request))
    c.JupyterHub.tornado_settings = settings
    return trail


def policy_loaded_event(policy: Policy, policy_dir: str, now: dt.datetime) -> audit.Event:
    return audit.make_event(
        "policy.loaded",
        actor="system:hub",
        time=now,
        object=policy_dir,
        details={
            "digest": policy.digest,
            "files": [{"path": f.path, "sha256": f.sha256} for f in sorted(policy.files, key=lambda f: f.path)],
        },
    )


def printable(text: str, limit: int = 200) -> str:
    """``text`` made fit for an actor or object field: no control characters, bounded length."""
    return _CONTROL.sub("?", text)[:limit] or "?"


def login_event(
    authenticator: str, username: str, remote_ip: str, now: dt.datetime, reason: str | None = None
) -> audit.Event:
    """A login that succeeded (``reason`` None) or failed with ``reason``."""
    details: dict[str, Any] = {"authenticator": authenticator, "remote_ip": remote_ip}
    if reason is not None:
        details["reason"] = reason[:1000]
    return audit.make_event(
        "auth.login",
        actor=printable(username),
        time=now,
        outcome="allow" if reason is None else "deny",
        details=details,
    )


def logout_event(username: str, remote_ip: str, now: dt.datetime) -> audit.Event:
    return audit.make_event("auth.logout", actor=username, time=now, details={"remote_ip": remote_ip})


def admin_action_event(handler: web.RequestHandler, now: dt.datetime) -> audit.Event | None:
    """``admin.api`` for a finished state-changing API request of an administrator or a service; else None."""
    request = handler.request
    hub = handler.settings.get("hub")
    prefix = f"{hub.base_url if hub is not None else '/hub/'}api"
    if request.method not in WRITE_METHODS or not request.path.startswith(prefix + "/"):
        return None
    path = request.path[len(prefix) :]
    if NOT_ADMINISTRATION.match(path):
        return None
    who = getattr(handler, "_jupyterhub_user", None)
    if who is None:
        return None
    if isinstance(who, orm.Service):
        actor = f"service:{who.name}"
    elif getattr(who, "admin", False):
        actor = who.name
    else:
        return None
    status = handler.get_status()
    return audit.make_event(
        "admin.api",
        actor=actor,
        time=now,
        outcome="allow" if status < 400 else "deny",
        object=printable(path, 4096),
        details={"method": request.method, "status": status, "remote_ip": request.remote_ip or ""},
    )


def recording_admin_actions(log_function: Callable[[Any], None]) -> Callable[[Any], None]:
    """Wrap the hub's request log so that administrators' API changes are recorded too."""

    def log_and_record(handler: Any) -> None:
        log_function(handler)
        try:
            event = admin_action_event(handler, dt.datetime.now(dt.UTC))
        except audit.EventInvalid:
            handler.log.exception("Could not describe an administrator's request for the audit trail")
            return
        if event is not None:
            audit.record(event)

    return log_and_record
