"""A one-screen, plain-text summary of a valid policy (``bulle policy validate``)."""

from __future__ import annotations

import datetime as dt

from .model import Project, ProjectStatus
from .policy import Policy
from .sources import FLAT_KINDS
from .units import format_duration, format_memory


def summarise(policy: Policy, now: dt.datetime) -> str:
    today = policy.day(now)
    roles = policy.platform.roles
    lines = [
        f"Policy is valid: {len(policy.platform.profiles)} profiles, {len(policy.projects)} projects, "
        f"{len(policy.usernames)} users (digest {policy.digest[:12]}).",
        f"Dates are read in {policy.platform.timezone}; today is {today.isoformat()}.",
        "",
        "Profiles:",
    ]
    for p in policy.platform.profiles:
        gpu = f" {p.gpu} GPU" if p.gpu else ""
        lines.append(
            f"  {p.name:<12} {p.kind.value:<8} {p.cpu:g} CPU {format_memory(p.memory):>5}{gpu}"
            f"  idle {format_duration(p.idle_timeout)}, at most {format_duration(p.max_lifetime)}"
        )
    lines += [
        "",
        "Platform roles:",
        f"  admins:          {', '.join(roles.admins) or '-'}",
        f"  output checkers: {', '.join(roles.output_checkers) or '-'}",
        f"  data stewards:   {', '.join(roles.data_stewards) or '-'}",
        "",
        f"Airlock: {_airlock(policy)}",
        "",
        "Projects:",
    ]
    for project in policy.projects.values():
        stricter = project.airlock.set_values()
        lines.append(
            f"  {project.id:<20} {_state(project, today):<16} {project.valid_from} → {project.valid_until}"
            f"  {len(project.members)} member{'s' if len(project.members) != 1 else ''},"
            f" profiles {', '.join(project.profiles)}, {len(project.grants)} grants"
            + (f", stricter airlock: {_overrides(stricter)}" if stricter else "")
        )
    if policy.sources:
        lines += ["", "Warehouse sources:"]
        for source in policy.sources.values():
            treated = len(source.identifiers)
            builtin = "" if source.kind in FLAT_KINDS else " + the format's own de-identification"
            lines.append(
                f"  {source.name:<20} {source.kind.value:<8} → {source.namespace:<16} "
                f"{treated} column treatment{'s' if treated != 1 else ''}{builtin}"
            )
    return "\n".join(lines)


def _state(project: Project, today: dt.date) -> str:
    if project.status is not ProjectStatus.approved:
        return project.status.value
    if today < project.valid_from:
        return "approved, not yet open"
    if today > project.valid_until:
        return "expired"
    return "open"


def _airlock(policy: Policy) -> str:
    rules = policy.disclosure_rules()
    overrides = policy.platform.airlock.set_values()
    changed = f" with {_overrides(overrides)}" if overrides else ""
    return (
        f"profile {policy.platform.airlock.profile}{changed}: cells of at least {rules.safe_threshold}, "
        f"{rules.safe_dof_threshold} residual degrees of freedom"
    )


def _overrides(values: dict[str, int | float | bool]) -> str:
    return ", ".join(f"{name} {value}" for name, value in values.items())
