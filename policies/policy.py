"""The loaded policy: the platform, its projects, and where they came from.

A :class:`Policy` is built only by :func:`bulle.policies.load_policy` after every
file validated; it is immutable, so the hub, the spawner and the compilers can
share one instance without copying it, and a policy change can only take
effect by loading a new one (at the next hub start).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

from .disclosure import DisclosureRules, apply_overrides, platform_rules
from .model import Platform, Profile, Project
from .names import server_name
from .sources import Source


@dataclass(frozen=True)
class SourceFile:
    """One file the policy was read from, relative to the policy directory."""

    path: str
    sha256: str


@dataclass(frozen=True)
class Policy:
    platform: Platform
    projects: Mapping[str, Project]
    files: tuple[SourceFile, ...] = ()
    sources: Mapping[str, Source] = field(default_factory=dict)
    _profiles: Mapping[str, Profile] = field(init=False, repr=False, compare=False)
    _servers: Mapping[str, tuple[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        projects = MappingProxyType(dict(sorted(self.projects.items())))
        profiles = MappingProxyType({p.name: p for p in self.platform.profiles})
        servers = MappingProxyType(
            {
                server_name(project.id, profile): (project.id, profile)
                for project in projects.values()
                for profile in project.profiles
            }
        )
        object.__setattr__(self, "projects", projects)
        object.__setattr__(self, "sources", MappingProxyType(dict(sorted(self.sources.items()))))
        object.__setattr__(self, "_profiles", profiles)
        object.__setattr__(self, "_servers", servers)

    def __deepcopy__(self, memo: dict[int, object]) -> Policy:
        # Immutable: traitlets deep-copies config values, sharing is correct.
        return self

    @property
    def digest(self) -> str:
        """SHA-256 over every source file's path and digest."""
        h = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f.path):
            h.update(f"{f.path}\0{f.sha256}\n".encode())
        return h.hexdigest()

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.platform.timezone)

    @property
    def profiles(self) -> Mapping[str, Profile]:
        return self._profiles

    def profile(self, name: str) -> Profile | None:
        return self._profiles.get(name)

    def project(self, project_id: str) -> Project | None:
        return self.projects.get(project_id)

    def disclosure_rules(self, project_id: str | None = None) -> DisclosureRules:
        """The airlock's rule parameters for ``project_id``, or the platform's when it is None.

        Raises KeyError for a project the policy does not know.
        """
        rules = platform_rules(self.platform.airlock)
        if project_id is None:
            return rules
        return apply_overrides(rules, self.projects[project_id].airlock)

    def source(self, name: str) -> Source | None:
        return self.sources.get(name)

    def bubble_for_server(self, name: str) -> tuple[str, str] | None:
        """The (project id, profile name) whose bubble is the named server ``name``."""
        return self._servers.get(name)

    @property
    def usernames(self) -> frozenset[str]:
        """Every user the policy knows: project members and platform role holders."""
        roles = self.platform.roles
        names = {m.user for p in self.projects.values() for m in p.members}
        names.update(roles.admins, roles.output_checkers, roles.data_stewards)
        return frozenset(names)

    def projects_of(self, username: str) -> tuple[Project, ...]:
        """Projects listing ``username`` as a member, whatever their status."""
        return tuple(p for p in self.projects.values() if p.member(username) is not None)

    def day(self, now: dt.datetime) -> dt.date:
        """The calendar day of ``now`` in the platform's time zone."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(self.timezone).date()
