"""The hub's side of the airlock: the export workflow, opened at start, and its handlers.

:func:`configure_airlock` is called by :func:`bulle.hub.config.configure_hub`
after the audit trail is open (every airlock action is recorded in it). It
makes the :class:`~bulle.exports.ExportWorkflow` (settings in
``c.ExportWorkflow``) on the hub database and the state folder, and
registers the API, the pages and the downloads (:mod:`.airlockhandlers`).
"""

from __future__ import annotations

import atexit

from traitlets.config import Config

from bulle.exports import ExportWorkflow
from bulle.policies import Policy
from bulle.state import StateLayout

from .airlockhandlers import airlock_handlers


def configure_airlock(c: Config, policy: Policy, layout: StateLayout) -> ExportWorkflow:
    section = c.ExportWorkflow
    for key, value in (("db_url", c.JupyterHub.db_url), ("state_dir", str(layout.root))):
        if key not in section:
            section[key] = value
    section.policy = policy
    workflow = ExportWorkflow(config=c).open()
    atexit.register(workflow.close)
    c.JupyterHub.extra_handlers = [*c.JupyterHub.get("extra_handlers", []), *airlock_handlers(workflow)]
    return workflow
