"""Compiler to JupyterHub: roles, custom scopes and groups.

Pure functions of the policy. Platform roles become JupyterHub roles whose
user lists JupyterHub applies as an exact match at every start
(``JupyterHub.load_roles``), so removing someone from ``platform.yaml``
removes the role at the next hub start. Projects become groups
``project-<id>``, which the authenticator sets at each login.
"""

from __future__ import annotations

from typing import Any

from .policy import Policy

READ_AUDIT_SCOPE = "custom:bulle:read-audit"
WRITE_AUDIT_SCOPE = "custom:bulle:write-audit"
REVIEW_OUTPUTS_SCOPE = "custom:bulle:review-outputs"
REQUEST_EXPORT_SCOPE = "custom:bulle:request-export"

#: Scopes bulle's hub-side services check, defined once here.
CUSTOM_SCOPES: dict[str, dict[str, str]] = {
    REVIEW_OUTPUTS_SCOPE: {"description": "Review export requests in the airlock."},
    REQUEST_EXPORT_SCOPE: {"description": "Ask the airlock to export files from a bubble's outbox."},
    READ_AUDIT_SCOPE: {"description": "Read and export the audit trail."},
    WRITE_AUDIT_SCOPE: {
        "description": "Send a bubble's session records (code run, terminal input) to the audit trail."
    },
    "custom:bulle:manage-warehouse": {"description": "Ingest sources and build project extracts."},
}

ROLE_SCOPES: dict[str, list[str]] = {
    "bulle-auditor": [READ_AUDIT_SCOPE, "read:users:name"],
    "bulle-output-checker": [REVIEW_OUTPUTS_SCOPE, "read:users:name"],
    "bulle-data-steward": ["custom:bulle:manage-warehouse", "read:users:name"],
}

#: Scopes of each bubble's own hub token: JupyterHub's default ``server`` role,
#: writing the session records of this bubble only, and asking the airlock for
#: exports from this bubble only (``!server`` becomes
#: ``!server=<user>/<server name>`` when the token is made).
BUBBLE_TOKEN_SCOPES: tuple[str, ...] = (
    "users:activity!user",
    "access:servers!server",
    f"{WRITE_AUDIT_SCOPE}!server",
    f"{REQUEST_EXPORT_SCOPE}!server",
)


def project_group(project_id: str) -> str:
    return f"project-{project_id}"


def compile_hub_roles(policy: Policy) -> list[dict[str, Any]]:
    """``JupyterHub.load_roles`` for the policy, sorted and complete.

    The ``user`` role lists every user the policy knows, so a user removed
    from the policy loses even their basic scopes (and tokens) at restart.
    It holds writing audit records and asking for exports for the user's own
    bubbles because a bubble's token can only carry scopes its user holds;
    the hub accepts both only for a bubble's own user, project and server.
    """
    roles = policy.platform.roles
    return [
        # JupyterHub forbids changing the admin role's description or scopes.
        {"name": "admin", "users": sorted(roles.admins), "services": []},
        {
            "name": "bulle-auditor",
            "description": "Administrators read the audit trail (platform.yaml roles.admins).",
            "scopes": ROLE_SCOPES["bulle-auditor"],
            "users": sorted(roles.admins),
        },
        {
            "name": "bulle-data-steward",
            "description": "Data stewards (platform.yaml roles.data_stewards).",
            "scopes": ROLE_SCOPES["bulle-data-steward"],
            "users": sorted(roles.data_stewards),
        },
        {
            "name": "bulle-output-checker",
            "description": "Output checkers (platform.yaml roles.output_checkers).",
            "scopes": ROLE_SCOPES["bulle-output-checker"],
            "users": sorted(roles.output_checkers),
        },
        {
            "name": "user",
            "description": "Everyone the policy knows.",
            "scopes": ["self", f"{WRITE_AUDIT_SCOPE}!user", f"{REQUEST_EXPORT_SCOPE}!user"],
            "users": sorted(policy.usernames),
        },
    ]


def compile_user_groups(policy: Policy, username: str) -> list[str]:
    """The JupyterHub groups of ``username``: one per project they are a member of."""
    return sorted(project_group(p.id) for p in policy.projects_of(username))


def compile_hub_groups(policy: Policy) -> dict[str, dict[str, Any]]:
    """Every project group with its members, for review and documentation."""
    return {
        project_group(p.id): {"users": sorted(m.user for m in p.members), "properties": {"project": p.id}}
        for p in policy.projects.values()
    }
