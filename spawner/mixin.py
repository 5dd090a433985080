"""The policy half of every bulle spawner.

:class:`PolicySpawnerMixin` owns the fixed outer flow of a start, in the way
JupyterHub's ``Authenticator.get_authenticated_user`` does for logins:

1. :meth:`requested_bubble` – which (project, profile) is asked for, from the
   form or API options and the server's name, refusing tampered values;
2. :meth:`running_bubbles` – what already runs, for the quotas;
3. :func:`~bulle.spawner.bubble.make_bubble` – the policy decides, and gives
   the bubble's plain values (or the refusal sentence, answered as HTTP 403);
4. :meth:`apply_bubble` – the plain values become spawner settings;
5. :meth:`launch` – the flavour (local process, Kubernetes) starts it.

Each outcome is recorded in the audit trail before the flow goes on
(:mod:`bulle.spawner.events`): refused, requested, then started or failed;
every stop after a start is recorded in :meth:`run_post_stop_hook`.

Flavours override :meth:`apply_bubble` and :meth:`launch`, never the policy steps.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyterhub import orm
from jupyterhub.utils import maybe_future, url_path_join
from traitlets import Instance, Unicode, default

from bulle import audit
from bulle.data.production import trino_environment
from bulle.policies import Policy, PolicyDenied, RunningBubble, server_name, startable_bubbles
from bulle.policies.jupyterhub import BUBBLE_TOKEN_SCOPES
from bulle.state import StateLayout

from . import events
from .bubble import Bubble, make_bubble
from .events import BubbleRef
from .form import FormRejected, parse_choice, render_options_form
from .refusal import refusal

if TYPE_CHECKING:
    from jupyterhub.spawner import Spawner as _SpawnerBase
else:
    # JupyterHub's Spawner.__init_subclass__ insists that every subclass defines
    # start, stop and poll; the mixin defines only start, so it is not a Spawner.
    # It must still be configurable for traitlets to set up its traits.
    from traitlets.config import LoggingConfigurable as _SpawnerBase


class PolicySpawnerMixin(_SpawnerBase):
    """Start only the bubbles the policy allows, with the profile's resources.

    Mix it in before a JupyterHub spawner: ``class S(PolicySpawnerMixin, SomeSpawner)``.
    """

    policy = Instance(
        Policy,
        allow_none=True,
        help="""The loaded bulle policy. Set by bulle's hub configuration from
        `Bulle.policy_dir`; do not set it by hand.""",
    ).tag(config=True)

    state_dir = Unicode(
        help="""Folder holding bulle's state (project workspaces among it).
        Set by bulle's hub configuration from `Bulle.state_dir`.""",
    ).tag(config=True)

    trino_url = Unicode(
        "",
        help="""Trino coordinator that production bubbles read their project's
        views from, e.g. `https://trino.internal:8443`. Each bubble then gets
        `BULLE_TRINO_*` variables and `bulle.data.connect()` connects as the
        project principal `<user>@<project>`. Empty (default): bubbles read
        their project's extract with DuckDB (the embedded deployment).""",
    ).tag(config=True)

    trino_catalog = Unicode(
        "projects",
        help="Trino catalog holding one schema of views per project (see `bulle policy compile --target trino`).",
    ).tag(config=True)

    bubble: Bubble | None = None

    @default("options_form")
    def _options_form_default(self) -> Any:
        return _options_form

    @default("server_token_scopes")
    def _server_token_scopes_default(self) -> list[str]:
        # The bubble's session recorder sends its records with this token.
        return list(BUBBLE_TOKEN_SCOPES)

    @property
    def layout(self) -> StateLayout:
        if not self.state_dir:
            raise RuntimeError("Spawner.state_dir is not set; start the hub with `bulle hub`")
        return StateLayout(Path(self.state_dir))

    def _require_policy(self) -> Policy:
        if self.policy is None:
            raise RuntimeError("no bulle policy is configured; start the hub with `bulle hub`")
        return self.policy

    # -- step 1: what is asked ------------------------------------------------

    def options_from_form(self, formdata: dict[str, list[str]]) -> dict[str, str]:
        try:
            return parse_choice(formdata)
        except FormRejected as exc:
            raise self._refuse("form", f"the spawn form was not valid: {exc}") from None

    def requested_bubble(self) -> tuple[str, str]:
        """(project, profile) of this start; HTTP 403 if options and server name disagree."""
        options = dict(self.user_options or {})
        by_name = self._require_policy().bubble_for_server(self.name) if self.name else None
        if not options:
            if by_name is None:
                raise self._refuse(
                    "form",
                    f"{self.name or 'the default server'!r} is not a bubble; choose a project bubble on the home page",
                )
            return by_name
        unknown = sorted(set(options) - {"project", "profile"})
        project, profile = options.get("project"), options.get("profile")
        if unknown or not isinstance(project, str) or not isinstance(profile, str):
            raise self._refuse("form", "bubble options must be exactly a project and a profile")
        if not self.name:
            raise self._refuse("form", "bubbles run as named servers; choose a project bubble on the home page")
        expected = server_name(project, profile)
        if self.name != expected:
            raise self._refuse(
                "form",
                f"the options ask for ({project}, {profile}) but this server is {self.name!r}; "
                f"that bubble is {expected!r}",
            )
        return project, profile

    # -- step 2: what runs ----------------------------------------------------

    def running_bubbles(self) -> list[RunningBubble]:
        """Every other active bubble of the hub (running or starting), from the database."""
        db = self.user.db
        rows = (
            db.query(orm.Spawner)
            .filter(orm.Spawner.server_id.isnot(None))
            .filter(orm.Spawner.id != self.orm_spawner.id)
            .all()
        )
        found = []
        for row in rows:
            options = row.user_options or {}
            project, profile = options.get("project"), options.get("profile")
            if isinstance(project, str) and isinstance(profile, str):
                found.append(RunningBubble(row.user.name, project, profile))
        return found

    # -- the fixed flow -------------------------------------------------------

    async def start(self) -> Any:
        try:
            bubble = self.resolve_bubble(dt.datetime.now(dt.UTC))
        except Exception as exc:
            refused = self._refused_event(exc)
            # JupyterHub saved the refused options as this server's defaults;
            # forget them so that the next start asks the server's name again.
            self.user_options = {}
            self.orm_spawner.user_options = {}
            self._bulle_refused = True
            await audit.record(refused)
            raise
        self.bubble = bubble
        await audit.record(events.requested(bubble, self._requested_by(), dt.datetime.now(dt.UTC)))
        self.log.info(
            "Starting bubble %s for %s (project %s, profile %s)",
            bubble.server_name,
            bubble.user,
            bubble.project_id,
            bubble.profile.name,
        )
        self.apply_bubble(bubble)
        try:
            url = await self.launch(bubble)
        except Exception as exc:
            await audit.record(
                events.failed(BubbleRef.of(self), str(exc) or type(exc).__name__, dt.datetime.now(dt.UTC))
            )
            raise
        await audit.record(events.started(bubble, dt.datetime.now(dt.UTC)))
        return url

    def resolve_bubble(self, now: dt.datetime) -> Bubble:
        """The bubble this start asks for, as the policy allows it; HTTP 403 otherwise."""
        project, profile = self.requested_bubble()
        try:
            bubble = make_bubble(
                self._require_policy(), self.layout, self.user.name, project, profile, now, self.running_bubbles()
            )
        except PolicyDenied as denied:
            self.log.warning("Spawn refused for %s: %s", self.user.name, denied)
            raise refusal(str(denied), denied.rule) from None
        # Persist the resolved choice: the quota of later starts counts this bubble.
        self.user_options = {"project": project, "profile": profile}
        self.orm_spawner.user_options = dict(self.user_options)
        return bubble

    def apply_bubble(self, bubble: Bubble) -> None:
        """Turn the bubble's values into spawner settings. Flavours extend this."""
        self.cpu_limit = bubble.cpu_limit
        self.cpu_guarantee = bubble.cpu_limit
        self.mem_limit = bubble.mem_limit
        self.mem_guarantee = bubble.mem_limit
        self.environment = {**self.environment, **bubble.environment, **self.data_environment(bubble)}

    def data_environment(self, bubble: Bubble) -> dict[str, str]:
        """Where the bubble reads its project's data: Trino when ``trino_url`` is set, else nothing here
        (the embedded flavour pins the project's extract when it launches)."""
        if not self.trino_url:
            return {}
        return trino_environment(self.trino_url, self.trino_catalog, bubble.user, bubble.project_id)

    async def launch(self, bubble: Bubble) -> Any:
        """Start the bubble's server; return its URL. Flavours must implement this."""
        raise NotImplementedError

    def _refuse(self, rule: str, reason: str) -> Exception:
        sentence = f"{self.user.name} may not start {self.name or 'the default server'!r}: {reason} (rule: {rule})."
        self.log.warning("Spawn refused: %s", sentence)
        return refusal(sentence, rule)

    # -- the audit trail ------------------------------------------------------

    _bulle_refused = False

    def _requested_by(self) -> str:
        handler = getattr(self, "handler", None)
        asker = getattr(handler, "current_user", None) if handler is not None else None
        return str(getattr(asker, "name", None) or self.user.name)

    def _refused_event(self, exc: Exception) -> audit.Event:
        sentence = getattr(exc, "jupyterhub_message", None) or str(exc) or type(exc).__name__
        rule = getattr(exc, "bulle_rule", None) or "error"
        ref = BubbleRef.of(self, self._require_policy())
        return events.refused(ref, sentence, rule, self._requested_by(), dt.datetime.now(dt.UTC))

    async def run_post_stop_hook(self) -> Any:
        """Record the stop (not after a refusal: nothing was started), then run the configured hook."""
        if not self._bulle_refused:
            await audit.record(events.stopped(BubbleRef.of(self, self._require_policy()), dt.datetime.now(dt.UTC)))
        self._bulle_refused = False
        return await maybe_future(super().run_post_stop_hook())


def _options_form(spawner: PolicySpawnerMixin) -> str:
    """The chooser, or nothing when the server's name already says which bubble it is."""
    policy = spawner._require_policy()
    if spawner.name and policy.bubble_for_server(spawner.name) is not None:
        return ""
    choices = startable_bubbles(policy, spawner.user.name, dt.datetime.now(dt.UTC))
    base = spawner.hub.base_url if spawner.hub else "/hub/"
    urls = {
        server_name(project.id, profile.name): url_path_join(
            base, "spawn", spawner.user.escaped_name, server_name(project.id, profile.name)
        )
        for project, profiles in choices
        for profile in profiles
    }
    return render_options_form(choices, urls)
