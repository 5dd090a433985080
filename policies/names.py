"""Names that must be safe everywhere the policy is compiled to.

A *slug* here is what JupyterHub calls a safe slug and what Kubernetes, DNS
and POSIX account names all accept: lowercase ASCII letters, digits and single
hyphens, starting with a letter and ending with a letter or digit.

- Usernames are slugs of at most 26 characters, so that the per-user system
  account ``bulle-<user>`` fits POSIX's 32-character limit.
- Project ids are slugs of at most 20 characters, so that the project's
  system group ``bulleprj-<id>`` fits too.
- Profile names are slugs of at most 20 characters.

A bubble is a JupyterHub *named server*; its name is derived from the project
and the profile by :func:`server_name`, which must be a JupyterHub safe slug
(at most 30 characters). The loader checks that no two pairs share a name.
"""

from __future__ import annotations

import hashlib
import re

MAX_USERNAME = 26
MAX_PROJECT_ID = 20
MAX_PROFILE_NAME = 20
MAX_SERVER_NAME = 30

_SLUG_RE = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-))*(?<=[a-z0-9])$|^[a-z]$")


def is_slug(value: str, max_length: int) -> bool:
    """Whether ``value`` is a safe slug of at most ``max_length`` characters."""
    return 0 < len(value) <= max_length and bool(_SLUG_RE.match(value))


def slug_problem(value: str, what: str, max_length: int) -> str | None:
    """A sentence saying why ``value`` is not a valid ``what``, or None."""
    if is_slug(value, max_length):
        return None
    if len(value) > max_length:
        return f"{what} {value!r} is longer than {max_length} characters"
    return (
        f"{what} {value!r} is not DNS-safe: use lowercase letters, digits and single "
        "hyphens, starting with a letter and ending with a letter or digit"
    )


def server_name(project_id: str, profile: str) -> str:
    """The JupyterHub named-server name of the bubble (project, profile).

    ``<project>-<profile>`` when that fits in 30 characters, otherwise a
    truncated form with a short hash suffix so that names stay distinct.
    """
    name = f"{project_id}-{profile}"
    if len(name) <= MAX_SERVER_NAME:
        return name
    digest = hashlib.sha256(f"{project_id}/{profile}".encode()).hexdigest()[:6]
    head = name[: MAX_SERVER_NAME - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}"


def system_user(username: str) -> str:
    """The POSIX account a user's bubbles run as in the embedded deployment."""
    return f"bulle-{username}"


def system_group(project_id: str) -> str:
    """The POSIX group holding the members of a project in the embedded deployment."""
    return f"bulleprj-{project_id}"
