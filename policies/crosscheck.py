"""Rules that span several keys or files of a policy.

Each file validated on its own can still contradict another: a project may
name a profile the platform does not offer, or ask for a profile bigger than
its own quota. :func:`cross_check` finds those and returns them as located
errors; it never raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from .disclosure import looser_overrides, platform_rules
from .errors import PolicyError
from .model import Platform, Profile, Project
from .names import server_name
from .units import format_memory
from .yamlsource import Locator

T = TypeVar("T")


@dataclass(frozen=True)
class Located(Generic[T]):
    """A validated value with the file and line map it came from."""

    path: str
    locator: Locator
    value: T

    def error(self, loc: tuple[str | int, ...], key: str, message: str) -> PolicyError:
        return PolicyError(self.path, self.locator.line_of(loc), key, message)


def cross_check(platform: Located[Platform], projects: Sequence[Located[Project]]) -> list[PolicyError]:
    errors = list(_platform_duplicates(platform))
    first_file: dict[str, str] = {}
    for project in projects:
        errors.extend(_project_file_name(project))
        errors.extend(_project_duplicates(project))
        errors.extend(_project_profiles(platform.value, project))
        errors.extend(_project_airlock(platform.value, project))
        previous = first_file.setdefault(project.value.id, project.path)
        if previous != project.path:
            errors.append(
                project.error(("id",), "id", f"project id {project.value.id!r} is already defined in {previous}")
            )
    errors.extend(_server_name_collisions(projects))
    return errors


def _duplicates(items: Iterable[str]) -> list[tuple[int, str, int]]:
    """(index, item, index of first occurrence) for every repeated item."""
    seen: dict[str, int] = {}
    repeated = []
    for index, item in enumerate(items):
        if item in seen:
            repeated.append((index, item, seen[item]))
        else:
            seen[item] = index
    return repeated


def _platform_duplicates(platform: Located[Platform]) -> Iterable[PolicyError]:
    for index, name, first in _duplicates(p.name for p in platform.value.profiles):
        yield platform.error(
            ("profiles", index, "name"),
            f"profiles[{index}].name",
            f"duplicate profile name {name!r} (also profiles[{first}])",
        )
    roles = platform.value.roles
    for role in ("admins", "output_checkers", "data_stewards"):
        for index, user, first in _duplicates(getattr(roles, role)):
            yield platform.error(
                ("roles", role, index), f"roles.{role}[{index}]", f"{user!r} is listed twice (also [{first}])"
            )


def _project_file_name(project: Located[Project]) -> Iterable[PolicyError]:
    expected = f"projects/{project.value.id}.yaml"
    if project.path != expected:
        yield project.error(("id",), "id", f"project {project.value.id!r} must be in {expected}, not in {project.path}")


def _project_duplicates(project: Located[Project]) -> Iterable[PolicyError]:
    for index, user, first in _duplicates(m.user for m in project.value.members):
        yield project.error(
            ("members", index, "user"),
            f"members[{index}].user",
            f"{user!r} is a member twice (also members[{first}]); give each member one role",
        )
    for index, name, first in _duplicates(project.value.profiles):
        yield project.error(("profiles", index), f"profiles[{index}]", f"{name!r} is listed twice (also [{first}])")


def _project_profiles(platform: Platform, project: Located[Project]) -> Iterable[PolicyError]:
    offered: dict[str, Profile] = {}
    for candidate in platform.profiles:
        offered.setdefault(candidate.name, candidate)  # a duplicate is reported once, on the platform
    quotas = project.value.quotas
    for index, name in enumerate(project.value.profiles):
        loc = ("profiles", index)
        key = f"profiles[{index}]"
        profile = offered.get(name)
        if profile is None:
            known = ", ".join(sorted(offered))
            yield project.error(loc, key, f"unknown profile {name!r}; the platform offers: {known}")
            continue
        if profile.cpu > quotas.cpu:
            yield project.error(
                loc, key, f"profile {name!r} needs {profile.cpu:g} CPU but quotas.cpu is {quotas.cpu:g}"
            )
        if profile.memory > quotas.memory:
            yield project.error(
                loc,
                key,
                f"profile {name!r} needs {format_memory(profile.memory)} of memory "
                f"but quotas.memory is {format_memory(quotas.memory)}",
            )
        if profile.gpu > quotas.gpu:
            yield project.error(loc, key, f"profile {name!r} needs {profile.gpu} GPU but quotas.gpu is {quotas.gpu}")
    if quotas.bubbles_per_member > quotas.bubbles_per_project:
        yield project.error(
            ("quotas", "bubbles_per_member"),
            "quotas.bubbles_per_member",
            f"{quotas.bubbles_per_member} is more than quotas.bubbles_per_project ({quotas.bubbles_per_project})",
        )


def _project_airlock(platform: Platform, project: Located[Project]) -> Iterable[PolicyError]:
    base = platform_rules(platform.airlock)
    for name, message in looser_overrides(base, project.value.airlock):
        yield project.error(("airlock", name), f"airlock.{name}", message)


def _server_name_collisions(projects: Sequence[Located[Project]]) -> Iterable[PolicyError]:
    owners: dict[str, tuple[str, str]] = {}
    for project in projects:
        for index, profile in enumerate(project.value.profiles):
            name = server_name(project.value.id, profile)
            owner = owners.setdefault(name, (project.value.id, profile))
            if owner != (project.value.id, profile):
                yield project.error(
                    ("profiles", index),
                    f"profiles[{index}]",
                    f"bubble name {name!r} of ({project.value.id}, {profile}) is also the name of "
                    f"({owner[0]}, {owner[1]}); rename the project or the profile",
                )
