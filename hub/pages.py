"""What bulle adds to the hub's pages: the user's project bubbles on the home page.

JupyterHub calls each callable of ``template_vars`` with the current user
(or None on pages without one); :func:`home_template_vars` builds them from
the policy. When bubbles are not isolated (``--insecure-no-sandbox``), the
warning is the announcement of every page and a red banner on the home page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Any

from bulle.policies import Policy, server_name, startable_bubbles


@dataclass(frozen=True)
class BubbleRow:
    """One line of the home page: a bubble the user may start, or one still running."""

    server: str
    project_id: str
    project_title: str
    valid_until: str
    profile: str
    profile_title: str
    state: str  # "stopped", "starting", "running", "stopping"
    allowed: bool


def home_template_vars(policy: Policy, isolation_warning: str | None = None) -> dict[str, Any]:
    def bubbles(user: Any) -> list[BubbleRow]:
        return [] if user is None else bubble_rows(policy, user, dt.datetime.now(dt.UTC))

    def roles(user: Any) -> list[str]:
        if user is None:
            return []
        platform = policy.platform.roles
        held = {
            "administrator": user.name in platform.admins,
            "output checker": user.name in platform.output_checkers,
            "data steward": user.name in platform.data_stewards,
        }
        return [name for name, has in held.items() if has]

    found: dict[str, Any] = {
        "bulle_bubbles": bubbles,
        "bulle_roles": roles,
        "bulle_isolation_warning": isolation_warning,
    }
    if isolation_warning:
        found["announcement"] = f"<strong>{escape(isolation_warning)}</strong>"
    return found


def bubble_rows(policy: Policy, user: Any, now: dt.datetime) -> list[BubbleRow]:
    """Rows for ``user`` (a JupyterHub ``User``): startable bubbles, then stray running ones."""
    rows = []
    listed = set()
    for project, profiles in startable_bubbles(policy, user.name, now):
        for profile in profiles:
            name = server_name(project.id, profile.name)
            listed.add(name)
            rows.append(
                BubbleRow(
                    server=name,
                    project_id=project.id,
                    project_title=project.title,
                    valid_until=project.valid_until.isoformat(),
                    profile=profile.name,
                    profile_title=profile.display_title,
                    state=_state(user, name),
                    allowed=True,
                )
            )
    for name in sorted(user.orm_spawners):
        state = _state(user, name)
        if name and name not in listed and state != "stopped":
            options = user.orm_spawners[name].user_options or {}
            rows.append(
                BubbleRow(
                    server=name,
                    project_id=str(options.get("project", "?")),
                    project_title="no longer allowed by the policy",
                    valid_until="",
                    profile=str(options.get("profile", "?")),
                    profile_title=str(options.get("profile", "?")),
                    state=state,
                    allowed=False,
                )
            )
    return rows


def _state(user: Any, name: str) -> str:
    if name not in user.orm_spawners:
        return "stopped"
    spawner = user.spawners[name]
    if spawner.pending == "stop":
        return "stopping"
    if spawner.pending:
        return "starting"
    if spawner.ready:
        return "running"
    return "stopped"
