"""A bubble's plain values, computed from the policy.

:func:`make_bubble` is pure: given the policy, who asks, for which project and
profile, the time and the bubbles already running, it either raises
:class:`~bulle.policies.PolicyDenied` or returns a :class:`Bubble` that a
flavour (local process, Kubernetes pod) can launch without asking the policy
anything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from bulle.policies import Policy, Profile, RunningBubble, check_user_can_start, server_name
from bulle.state import StateLayout


@dataclass(frozen=True)
class Bubble:
    user: str
    project_id: str
    project_title: str
    profile: Profile
    server_name: str
    work_dir: Path
    shared_dir: Path
    project_members: tuple[str, ...]
    project_closes: dt.datetime  # the end of the project's last valid day
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def cpu_limit(self) -> float:
        return self.profile.cpu

    @property
    def mem_limit(self) -> int:
        return self.profile.memory


def make_bubble(
    policy: Policy,
    layout: StateLayout,
    user: str,
    project_id: str,
    profile_name: str,
    now: dt.datetime,
    running: Iterable[RunningBubble] = (),
) -> Bubble:
    """The bubble (user, project, profile) at ``now``, or :class:`PolicyDenied`."""
    check_user_can_start(policy, user, project_id, profile_name, now, tuple(running))
    project = policy.projects[project_id]
    profile = policy.profiles[profile_name]
    name = server_name(project_id, profile_name)
    work_dir = layout.work_dir(project_id, user)
    shared_dir = layout.shared_dir(project_id)
    environment = {
        "BULLE_USER": user,
        "BULLE_PROJECT": project_id,
        "BULLE_PROFILE": profile_name,
        "BULLE_PROFILE_KIND": profile.kind.value,
        "BULLE_BUBBLE": name,
        "BULLE_WORK_DIR": str(work_dir),
        "BULLE_SHARED_DIR": str(shared_dir),
        "BULLE_POLICY_DIGEST": policy.digest,
    }
    closes = dt.datetime.combine(project.valid_until + dt.timedelta(days=1), dt.time(), tzinfo=policy.timezone)
    return Bubble(
        user=user,
        project_id=project_id,
        project_title=project.title,
        profile=profile,
        server_name=name,
        work_dir=work_dir,
        shared_dir=shared_dir,
        project_members=tuple(sorted(m.user for m in project.members)),
        project_closes=closes,
        environment=MappingProxyType(environment),
    )
