"""Authenticators whose allow-list, groups and admin flag come from the policy.

:class:`PolicyAuthenticatorMixin` holds the policy logic and sits in front of
any JupyterHub authenticator: it refuses users the policy does not know (with
the policy's sentence), gives each user the groups ``project-<id>`` of their
projects, and forces a new login when a user has left the policy since their
cookie was issued. Every login attempt, and every logout, is recorded in the
audit trail. :class:`LocalPasswordAuthenticator` is the embedded
flavour: local accounts with scrypt hashes (:mod:`bulle.hub.accounts`).
Multi-factor and OpenID Connect flavours replace it by configuration.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jupyterhub.auth import Authenticator
from jupyterhub.handlers.login import LogoutHandler
from tornado import web
from traitlets import Bool, Instance, Unicode, default

from bulle import audit
from bulle.policies import Policy, PolicyDenied, check_user_can_login
from bulle.policies.jupyterhub import compile_user_groups

from .accounts import read_accounts, verify_password
from .auditlog import login_event, logout_event


class PolicyAuthenticatorMixin(Authenticator):  # type: ignore[misc]
    """Login is allowed only to users the policy knows; groups follow the policy."""

    policy = Instance(
        Policy,
        allow_none=True,
        help="""The loaded bulle policy. Set by bulle's hub configuration from
        `Bulle.policy_dir`; do not set it by hand.""",
    ).tag(config=True)

    @default("manage_groups")
    def _manage_groups_default(self) -> bool:
        return True

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return False

    @default("any_allow_config")
    def _any_allow_config_default(self) -> bool:
        # check_allowed implements the policy's allow-list.
        return True

    @default("delete_invalid_users")
    def _delete_invalid_users_default(self) -> bool:
        # With add_user below: users who left the policy are deleted from the
        # hub database at start, which revokes their cookies and API tokens.
        return True

    @default("allow_existing_users")
    def _allow_existing_users_default(self) -> bool:
        # Users in the hub database who left the policy must not log in again.
        return False

    def _require_policy(self) -> Policy:
        if self.policy is None:
            raise RuntimeError("no bulle policy is configured; start the hub with `bulle hub`")
        return self.policy

    def check_allowed(self, username: str, authentication: dict[str, Any] | None = None) -> bool:
        try:
            check_user_can_login(self._require_policy(), username)
        except PolicyDenied as denied:
            self.log.warning("Login refused: %s", denied)
            raise web.HTTPError(403, str(denied)) from None
        return True

    def add_user(self, user: Any) -> None:
        """Called at every hub start for each user in the hub database.

        A user who left the policy is deleted from the hub database
        (``delete_invalid_users``), which ends their sessions and tokens. One
        whose bubbles outlived the hub is *blocked* for this start instead:
        JupyterHub then revokes their roles and stops those bubbles, and the
        next start deletes them.
        """
        if user.name in self._require_policy().usernames:
            super().add_user(user)
            return
        running = sorted(s.name for s in getattr(user, "_orm_spawners", []) if s.server is not None)
        if not running:
            raise ValueError(f"{user.name} is no longer in the policy; removing them from the hub database")
        # JupyterHub stops a blocked user's servers at start; the spawner records why.
        self.log.warning("%s left the policy: blocking them and stopping %s", user.name, ", ".join(running))
        self.blocked_users.add(user.name)

    def is_admin(self, handler: web.RequestHandler, authentication: dict[str, Any]) -> bool:
        return authentication["name"] in self._require_policy().platform.roles.admins

    async def refresh_user(self, user: Any, handler: web.RequestHandler | None = None) -> bool | dict[str, Any]:
        policy = self._require_policy()
        if user.name not in policy.usernames:
            return False
        return {"name": user.name, "groups": compile_user_groups(policy, user.name)}

    async def get_authenticated_user(
        self, handler: web.RequestHandler, data: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """JupyterHub's login flow, with its outcome recorded before the user gets in (or not)."""
        typed = str((data or {}).get("username") or "")
        remote_ip = handler.request.remote_ip or ""
        try:
            authenticated: dict[str, Any] | None = await super().get_authenticated_user(handler, data)
        except web.HTTPError as refused:
            reason = refused.log_message or f"HTTP {refused.status_code}"
            await audit.record(login_event(type(self).__name__, typed, remote_ip, dt.datetime.now(dt.UTC), reason))
            raise
        name = authenticated["name"] if authenticated else self.normalize_username(typed)
        reason = None if authenticated else self.failed_login_reason
        await audit.record(login_event(type(self).__name__, name, remote_ip, dt.datetime.now(dt.UTC), reason))
        return authenticated

    #: What a failed login is recorded as when the authenticator gives no reason.
    failed_login_reason = "the credentials were not accepted"

    def get_handlers(self, app: Any) -> list[tuple[Any, ...]]:
        """The authenticator's handlers, with logout recorded in the audit trail."""
        handlers = list(super().get_handlers(app))
        for index, (url, handler_class, *rest) in enumerate(handlers):
            if url == "/logout":
                handlers[index] = (url, recording_logouts(handler_class), *rest)
                return handlers
        return [*handlers, ("/logout", recording_logouts(LogoutHandler))]

    async def run_post_auth_hook(self, handler: web.RequestHandler, authentication: dict[str, Any]) -> dict[str, Any]:
        authentication["groups"] = compile_user_groups(self._require_policy(), authentication["name"])
        result: dict[str, Any] = await super().run_post_auth_hook(handler, authentication)
        return result


def recording_logouts(handler_class: type[LogoutHandler]) -> type[LogoutHandler]:
    """``handler_class`` that records each logout of a logged-in user."""

    class RecordingLogoutHandler(handler_class):  # type: ignore[valid-type,misc]
        async def default_handle_logout(self) -> None:
            user = self.current_user
            await super().default_handle_logout()
            if user is not None:
                await audit.record(logout_event(user.name, self.request.remote_ip or "", dt.datetime.now(dt.UTC)))

    return RecordingLogoutHandler


class LocalPasswordAuthenticator(PolicyAuthenticatorMixin):
    """Username and password checked against bulle's local accounts file.

    Create accounts with ``bulle account set-password USER``.
    """

    failed_login_reason = "wrong username or password"

    accounts_file = Unicode(
        help="""Path of the JSON file of local accounts (username → scrypt hash).
        Default: `<state>/hub/accounts.json`, set by bulle's hub configuration.""",
    ).tag(config=True)

    lowercase_usernames = Bool(
        True,
        help="Fold the typed username to lowercase before checking it (policy usernames are lowercase).",
    ).tag(config=True)

    @default("accounts_file")
    def _accounts_file_default(self) -> str:
        return ""

    async def authenticate(self, handler: web.RequestHandler, data: dict[str, str]) -> str | None:
        username = (data.get("username") or "").strip()
        if self.lowercase_usernames:
            username = username.lower()
        password = data.get("password") or ""
        if not username or not password or not self.accounts_file:
            return None
        stored = read_accounts(Path(self.accounts_file)).get(username)
        if stored is None or not verify_password(password, stored):
            self.log.warning("Failed login for %r", username)
            return None
        return username
