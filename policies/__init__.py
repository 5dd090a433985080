"""bulle's policy model: who may do what, read from one directory of YAML files.

This package imports nothing else from bulle; every other part of bulle reads
the policy through it. The public names::

    load_policy(directory)  -> Policy          (raises PolicyInvalid)
    check_user_can_start(...) / user_can_start(...)
    check_user_can_login(...) / user_can_login(...)
    check_user_can_export(...) / user_can_export(...)   (asking the airlock for an export)
    startable_bubbles(policy, user, now)
    policy.disclosure_rules(project_id) -> DisclosureRules   (the airlock's parameters)
"""

from .decisions import (
    RunningBubble,
    bubble_may_continue,
    check_bubble_may_continue,
    check_user_can_export,
    check_user_can_login,
    check_user_can_start,
    startable_bubbles,
    user_can_export,
    user_can_login,
    user_can_start,
)
from .disclosure import DISCLOSURE_PROFILES, DisclosureRules, PlatformAirlock, RuleOverrides
from .errors import PolicyDenied, PolicyError, PolicyInvalid
from .loader import load_policy, parse_policy
from .model import Grant, Member, MemberRole, Platform, Profile, ProfileKind, Project, ProjectStatus, Quotas
from .names import server_name, system_group, system_user
from .policy import Policy, SourceFile
from .sources import Column, Generalise, Source, SourceKind, TableMapping

__all__ = [
    "DISCLOSURE_PROFILES",
    "Column",
    "DisclosureRules",
    "Generalise",
    "Grant",
    "Member",
    "MemberRole",
    "Platform",
    "PlatformAirlock",
    "Policy",
    "PolicyDenied",
    "PolicyError",
    "PolicyInvalid",
    "Profile",
    "ProfileKind",
    "Project",
    "ProjectStatus",
    "Quotas",
    "RuleOverrides",
    "RunningBubble",
    "Source",
    "SourceFile",
    "SourceKind",
    "TableMapping",
    "bubble_may_continue",
    "check_bubble_may_continue",
    "check_user_can_export",
    "check_user_can_login",
    "check_user_can_start",
    "load_policy",
    "parse_policy",
    "server_name",
    "startable_bubbles",
    "system_group",
    "system_user",
    "user_can_export",
    "user_can_login",
    "user_can_start",
]
