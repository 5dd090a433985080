"""The embedded flavour: each bubble is a sandboxed local JupyterLab process.

Built on JupyterHub's ``LocalProcessSpawner``. A bubble runs

- as its user's system account ``bulle-<user>`` with the project's group as
  its only supplementary group (:mod:`bulle.spawner.identity`), never root;
- inside a bubblewrap sandbox (:mod:`bulle.spawner.sandbox`): a network
  namespace with no route out, a mount view of only the software, the
  member's workspace, the project's shared and data folders and its own
  socket folder; its server listens on a Unix socket that the proxy reaches,
  and it reaches the hub's API through the hub's socket;
- within its profile's CPU and memory (:mod:`bulle.spawner.limits`) and for
  at most its profile's lifetime and idle timeout (:mod:`bulle.spawner.lifetime`).

With ``sandbox = False`` (``bulle hub --insecure-no-sandbox``) the server runs
as the same account, with the same limits and lifetime, but without
namespaces; the hub's home page then says that bubbles are not isolated.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import psutil
from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.traitlets import Command
from traitlets import Bool, Enum, Float, Integer, List, Unicode, default

from bulle import audit
from bulle.data.versions import ExtractVersions, Pinned
from bulle.extensions import bubble_config_dir
from bulle.policies import PolicyDenied, check_bubble_may_continue
from bulle.state import RuntimeLayout

from . import events
from .bubble import Bubble
from .cgroups import create_bubble_cgroup, find_cgroup_parent, join_cgroup, remove_bubble_cgroup
from .events import BubbleRef
from .host import outermost, seccomp_fd, software_paths, system_entries
from .identity import Identity, can_switch_users, ensure_bubble_identity, group_names
from .lifetime import Lifetime, StopReason, describe, next_check, stop_reason
from .limits import ResourceLimits, apply_process_limits, cgroup_settings, pick_cpus, process_rlimits
from .memguard import MemoryGuard
from .mixin import PolicySpawnerMixin
from .runtime import new_token, prepare_bubble_runtime, remove_bubble_runtime
from .sandbox import NetworkMode, SandboxSpec, make_etc_files, make_sandbox_command, system_view
from .workspace import prepare_workspace

BUBBLE_UMASK = 0o007
# jupyterhub-singleuser takes its port from JUPYTERHUB_SERVICE_URL and refuses
# --sock with any port but jupyter-server's default one.
SOCKET_SERVICE_HOST = "http://127.0.0.1:8888"
STARTING_CHECK_INTERVAL = 1.0  # seconds between looks at a starting bubble, for the idle clock


def _process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), or None if there is none."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def locked_jupyter_environment(home: Path) -> dict[str, str]:
    """Where a bubble's Jupyter server reads its configuration: out of the member's reach.

    A bubble's home is the member's workspace, which code in the bubble can
    write. Jupyter reads ``JUPYTER_CONFIG_DIR`` (``~/.jupyter`` by default)
    with top priority and Python runs ``usercustomize`` and ``.pth`` files of
    ``~/.local/lib/python3.X/site-packages``: files planted there could switch
    the session recorder or the airlock's refusal of downloads off at the
    bubble's next start. So the config folder is bulle's own
    (:func:`bulle.extensions.bubble_config_dir`), read-only in the bubble (it
    also enables the extensions, which an editable install would not place as
    wheel data), user site-packages are off, and only JupyterLab's settings
    and workspaces, which cannot load server extensions, stay in the workspace.
    """
    config = bubble_config_dir()
    return {
        "JUPYTER_CONFIG_DIR": config,
        "PYTHONNOUSERSITE": "1",
        "JUPYTERLAB_SETTINGS_DIR": str(home / ".jupyter" / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / ".jupyter" / "lab" / "workspaces"),
    }


class LocalBubbleSpawner(PolicySpawnerMixin, LocalProcessSpawner):  # type: ignore[misc]
    """A policy-checked JupyterLab bubble running as a sandboxed local process."""

    sandbox = Bool(
        True,
        help="""Run each bubble in a bubblewrap sandbox (own network, mount,
        PID, IPC and UTS namespaces). bulle's hub configuration sets it to
        False only for `bulle hub --insecure-no-sandbox`, and then says on the
        home page that bubbles are not isolated.""",
    ).tag(config=True)

    sandbox_command = Command(
        ["bwrap"],
        help="""The bubblewrap command (a path or a name on PATH, and any
        options to put first). Default: `bwrap`, from the Debian package
        bubblewrap.""",
    ).tag(config=True)

    setpriv_command = Unicode(
        "/usr/bin/setpriv",
        help="""setpriv (util-linux), run inside the sandbox to switch to the
        bubble's account, drop every capability and set no_new_privs. It must
        lie under one of `system_paths`.""",
    ).tag(config=True)

    network_mode = Enum(
        [m.value for m in NetworkMode],
        default_value=NetworkMode.ISOLATED.value,
        help="""`isolated` (default): each bubble has a network namespace of
        its own with only a loopback interface, so no internet, no DNS, no
        other bubble and no host service; the hub is reached through its Unix
        socket. `host`: bubbles share the host's network; use it only where
        the network itself stops egress.""",
    ).tag(config=True)

    system_paths = List(
        Unicode(),
        default_value=["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"],
        help="""Top-level system folders shown read-only in every bubble
        (symbolic links among them, as on merged-/usr systems, are recreated
        as links). Those absent on this machine are skipped.""",
    ).tag(config=True)

    etc_paths = List(
        Unicode(),
        default_value=[
            "/etc/alternatives",
            "/etc/ca-certificates",
            "/etc/fonts",
            "/etc/jupyter",
            "/etc/ld.so.cache",
            "/etc/ld.so.conf",
            "/etc/ld.so.conf.d",
            "/etc/locale.alias",
            "/etc/localtime",
            "/etc/mime.types",
            "/etc/nsswitch.conf",
            "/etc/papersize",
            "/etc/python3",
            "/etc/python3.11",
            "/etc/R",
            "/etc/ssl",
            "/etc/timezone",
        ],
        help="""Files and folders of /etc shown read-only in every bubble if
        they exist. /etc/passwd, /etc/group and /etc/hosts are always
        generated per bubble and name only the bubble's own account and
        groups.""",
    ).tag(config=True)

    extra_read_only_paths = List(
        Unicode(),
        help="""More host folders or files shown read-only in every bubble, at
        the same path (for example a shared software tree such as /opt/conda).
        Each must exist.""",
    ).tag(config=True)

    runtime_dir = Unicode(
        help="""Folder of the hub's sockets and of each running bubble's
        socket folder. Set by bulle's hub configuration (see
        `bulle.state.default_runtime_dir`); do not set it by hand.""",
    ).tag(config=True)

    limits_mode = Enum(
        ["auto", "cgroup", "rlimits"],
        default_value="auto",
        help="""How CPU and memory limits are enforced. `cgroup`: a cgroup v2
        per bubble (cpu.max, memory.max, pids.max); a start fails if none can
        be made. `rlimits`: CPU affinity to ceil(cpu) cores, the hub's memory
        guard, and RLIMIT_NPROC. `auto` (default): cgroup where a writable
        cgroup v2 with the cpu, memory and pids controllers exists, rlimits
        otherwise (said once in the hub's log).""",
    ).tag(config=True)

    cgroup_parent = Unicode(
        "",
        help="""cgroup v2 folder under which each bubble gets its own cgroup,
        for example a folder delegated to the hub's service by systemd
        (Delegate=yes). Default: a folder `bulle` beside the hub's own cgroup.""",
    ).tag(config=True)

    max_processes = Integer(
        1024,
        help="""Most processes and threads one bubble account may have at once
        (pids.max of the bubble's cgroup, and RLIMIT_NPROC of its account).""",
    ).tag(config=True)

    memory_guard_interval = Float(
        0.2,
        help="""Seconds between two looks of the memory guard at a bubble's
        processes, in rlimits mode. A smaller value lets a fast allocation
        overshoot the limit less, at some CPU cost in the hub.""",
    ).tag(config=True)

    cull_check_interval = Float(
        60.0,
        help="""Most seconds between two checks of a bubble's lifetime and idle
        timeout. The check also runs at the moment each deadline falls due.""",
    ).tag(config=True)

    outlive_hub = Bool(
        False,
        help="""Keep bubbles running when the hub stops, and re-adopt them when
        it starts again: set it with `JupyterHub.cleanup_servers = False`
        (bulle's configuration does so when that is in a configuration file).
        A re-adopted bubble is stopped at once if the policy the hub loaded no
        longer allows it (member removed, project suspended, closed or
        expired, profile withdrawn); otherwise its limits, lifetime and idle
        timeout are enforced again. Default False: a bubble dies with the hub
        that started it, so that none runs unwatched.""",
    ).tag(config=True)

    identity: Identity | None = None
    token: str = ""
    data_version: str = ""
    cgroup_path: Path | None = None
    culled_for: StopReason | None = None
    _memory_guard: MemoryGuard | None = None
    _supervisor: asyncio.Task[None] | None = None
    _lifetime: Lifetime | None = None
    _saved_lifetime: Lifetime | None = None
    _process_started: float | None = None
    _memory_limit: int = 0
    _supervised = False  # this hub started the bubble, or decided about it after a restart
    _ready_since: dt.datetime | None = None
    _cpu_rotation: ClassVar[itertools.count[int]] = itertools.count()
    _cgroup_parent: ClassVar[tuple[Path | None, str] | None] = None

    @default("default_url")
    def _default_url_default(self) -> str:
        return "/lab"

    # -- settings from the bubble --------------------------------------------

    def apply_bubble(self, bubble: Bubble) -> None:
        super().apply_bubble(bubble)
        self.notebook_dir = str(bubble.work_dir)
        self.environment = {**self.environment, **locked_jupyter_environment(bubble.work_dir)}

    @property
    def runtime(self) -> RuntimeLayout:
        if not self.runtime_dir:
            raise RuntimeError("Spawner.runtime_dir is not set; start the hub with `bulle hub`")
        return RuntimeLayout(Path(self.runtime_dir))

    @property
    def socket_path(self) -> Path:
        return self.runtime.bubble_socket(self.token)

    def get_args(self) -> list[str]:
        return [*super().get_args(), f"--ServerApp.sock={self.socket_path}", "--ServerApp.sock_mode=0600"]

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        base_url = self.server.base_url if self.server else "/"
        env["JUPYTERHUB_SERVICE_URL"] = f"{SOCKET_SERVICE_HOST}{base_url}"
        return env

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.identity.name if self.identity else env.get("USER", self.user.name)
        env["SHELL"] = "/bin/bash"
        env["PATH"] = os.pathsep.join([str(Path(sys.prefix) / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
        env["BULLE_SANDBOX"] = "bubblewrap" if self.sandbox else "none"
        if self.bubble is not None:
            env["HOME"] = str(self.bubble.work_dir)
        return env

    # -- launching ------------------------------------------------------------
    async def launch(self, bubble: Bubble) -> Any:
        self._check_hub_is_reachable()
        self.identity = self._resolve_identity(bubble)
        prepare_workspace(self.layout, bubble, self.identity)
        self.token = new_token()
        hostname = bubble.server_name
        etc_files = (
            make_etc_files(self.identity, group_names(self.identity), bubble.work_dir, hostname)
            if self.identity
            else {}
        )
        prepare_bubble_runtime(self.runtime, self.token, self.identity, etc_files)
        limits = ResourceLimits(bubble.cpu_limit, bubble.mem_limit, self.max_processes)
        cpus = self._apply_limits_mode(limits)
        command = [*self.cmd, *self.get_args()]
        data = self._pin_data(bubble)
        fd = seccomp_fd() if self.sandbox else None
        try:
            if self.sandbox and self.identity is not None:  # _resolve_identity refuses sandboxes without root
                spec = self._sandbox_spec(bubble, self.identity, command, fd, hostname, data)
                command = make_sandbox_command(spec)
            self.log.info("Spawning bubble %s: %s", bubble.server_name, " ".join(command))
            self.proc = subprocess.Popen(
                command,
                env=self.get_env(),
                stdin=subprocess.DEVNULL,  # never the hub's terminal
                preexec_fn=self._child_setup(process_rlimits(limits), cpus),
                start_new_session=True,
                # The pinned extract's lock goes with the bubble: it is held while the bubble runs.
                pass_fds=tuple(f for f in (fd, data.fd if data else None) if f is not None),
            )
        finally:
            if fd is not None:
                os.close(fd)
            if data is not None:
                data.release()
        self.pid = self.proc.pid
        self._supervised = True
        self._start_guards(bubble, limits)
        return "http+unix://" + quote(str(self.socket_path), safe="")

    def _pin_data(self, bubble: Bubble) -> Pinned | None:
        """Hold the project's current extract version for this bubble and say so in its environment.

        With ``trino_url`` set the bubble reads Trino instead (:meth:`data_environment`). Without an
        extract the bubble starts with no data, and ``bulle.data.connect()`` says why.
        """
        if self.trino_url:
            return None
        pinned = ExtractVersions(self.layout.data_dir(bubble.project_id)).pin()
        self.data_version = pinned.name if pinned else ""
        data_env = {"BULLE_DATA_BACKEND": "duckdb"}
        if pinned is not None:
            data_env["BULLE_DATA_DIR"] = str(pinned.path)
            self.log.info("Bubble %s reads extract %s of %s", bubble.server_name, pinned.name, bubble.project_id)
        else:
            self.log.warning(
                "Project %s has no data extract yet; bubble %s starts without data",
                bubble.project_id,
                bubble.server_name,
            )
        self.environment = {**self.environment, **data_env}
        return pinned

    def _check_hub_is_reachable(self) -> None:
        hub_url = self.hub.url if self.hub else ""
        if self.sandbox and self.network_mode == NetworkMode.ISOLATED and not hub_url.startswith("http+unix://"):
            raise RuntimeError(
                f"the hub's API listens on {hub_url}, which isolated bubbles cannot reach; "
                "leave JupyterHub.hub_bind_url unset so that bulle puts it on a Unix socket"
            )

    def _resolve_identity(self, bubble: Bubble) -> Identity | None:
        if can_switch_users():
            return ensure_bubble_identity(bubble.user, bubble.project_id, bubble.project_members)
        if self.sandbox:
            raise RuntimeError(
                "bubbles are sandboxed but the hub does not run as root; run the hub as root, "
                "or start it with --insecure-no-sandbox"
            )
        self.log.warning("The hub does not run as root: bubble %s runs as the hub's own user", bubble.server_name)
        return None

    def _sandbox_spec(
        self,
        bubble: Bubble,
        identity: Identity,
        command: list[str],
        fd: int | None,
        hostname: str,
        data: Pinned | None = None,
    ) -> SandboxSpec:
        system_dirs, system_links = system_view(system_entries(self.system_paths))
        etc_dir = self.runtime.bubble_etc_dir(self.token)
        read_write = [bubble.work_dir, bubble.shared_dir, self.runtime.bubble_socket_dir(self.token)]
        return SandboxSpec(
            bwrap=[shutil.which(self.sandbox_command[0]) or self.sandbox_command[0], *self.sandbox_command[1:]],
            setpriv=self.setpriv_command,
            identity=identity,
            hostname=hostname,
            work_dir=bubble.work_dir,
            command=command,
            system_dirs=system_dirs,
            system_links=system_links,
            optional_read_only=[Path(p) for p in self.etc_paths],
            read_only=outermost(
                [
                    *software_paths(system_dirs),
                    *(Path(p) for p in self.extra_read_only_paths),
                    *([data.path] if data else []),  # the pinned extract version only
                    self.runtime.hub_dir,
                ]
            ),
            read_write=read_write,
            files={etc_dir / name: Path("/etc") / name for name in ("passwd", "group", "hosts")},
            tmpfs={Path("/tmp"): bubble.mem_limit, Path("/dev/shm"): bubble.mem_limit},  # noqa: S108
            network=NetworkMode(self.network_mode),
            seccomp_fd=fd,
            umask=BUBBLE_UMASK,
            die_with_parent=not self.outlive_hub,
        )

    def _apply_limits_mode(self, limits: ResourceLimits) -> tuple[int, ...] | None:
        """Create the bubble's cgroup (cgroup mode) or pick its CPUs (rlimits mode)."""
        parent = self._cgroup_parent_for_mode()
        if parent is not None:
            self.cgroup_path = create_bubble_cgroup(parent, self.token, cgroup_settings(limits))
            self.environment = {**self.environment, "BULLE_LIMITS": "cgroup"}
            return None
        self.environment = {**self.environment, "BULLE_LIMITS": "rlimits"}
        return pick_cpus(sorted(os.sched_getaffinity(0)), limits.cpu, next(self._cpu_rotation))

    def _cgroup_parent_for_mode(self) -> Path | None:
        if self.limits_mode == "rlimits":
            return None
        cls = type(self)
        if cls._cgroup_parent is None:
            cls._cgroup_parent = find_cgroup_parent(self.cgroup_parent)
            parent, why = cls._cgroup_parent
            if parent is None:
                self.log.warning("Bubble limits: rlimits, CPU affinity and the memory guard (no cgroup: %s)", why)
            else:
                self.log.info("Bubble limits: %s", why)
        parent, why = cls._cgroup_parent
        if parent is None and self.limits_mode == "cgroup":
            raise RuntimeError(f"limits_mode is 'cgroup' but no cgroup can be made: {why}")
        return parent

    def _child_setup(self, rlimits: dict[int, tuple[int, int]], cpus: tuple[int, ...] | None) -> Callable[[], None]:
        """What the child runs before it executes the sandbox (or, unsandboxed, the server)."""
        identity = None if self.sandbox else self.identity
        # bwrap must make traversable mount points; the sandbox sets the bubble's umask inside.
        umask = 0o022 if self.sandbox else BUBBLE_UMASK
        cgroup = self.cgroup_path
        work_dir = str(self.bubble.work_dir) if self.bubble else None

        def setup() -> None:
            os.umask(umask)
            if cgroup is not None:
                join_cgroup(cgroup)
            apply_process_limits(rlimits, cpus)
            if identity is not None:  # unsandboxed: setpriv does this in the sandbox
                os.setgid(identity.gid)
                os.setgroups(list(identity.groups))
                os.setuid(identity.uid)
            if work_dir:
                os.chdir(work_dir)

        return setup

    # -- guards: memory, lifetime ---------------------------------------------

    def _start_guards(self, bubble: Bubble, limits: ResourceLimits) -> None:
        lifetime = Lifetime(
            dt.datetime.now(dt.UTC), bubble.profile.max_lifetime, bubble.profile.idle_timeout, bubble.project_closes
        )
        self._memory_limit = limits.memory
        self._process_started = _process_start_time(self.pid)
        self._guard(lifetime, ready_since=None)

    def _guard(self, lifetime: Lifetime, ready_since: dt.datetime | None) -> None:
        """Start the memory guard (without a cgroup) and the lifetime supervisor of a running bubble."""
        if self.cgroup_path is None and self._memory_limit:
            self._memory_guard = MemoryGuard(
                self.pid, self._memory_limit, self.memory_guard_interval, self.log, self._log_name
            ).start()
        self._lifetime = lifetime
        self.culled_for = None
        self._ready_since = ready_since
        self._supervisor = asyncio.ensure_future(self._supervise(lifetime))

    def stop_reason(self, now: dt.datetime) -> StopReason | None:
        """Why the hub must stop this bubble at ``now`` (lifetime, idle), or None."""
        if self._lifetime is None:
            return None
        return stop_reason(self._lifetime, self._ready_since, self._last_activity(), now)

    def _last_activity(self) -> dt.datetime | None:
        last = self.orm_spawner.last_activity if self.orm_spawner else None
        return last.replace(tzinfo=dt.UTC) if last and last.tzinfo is None else last

    async def _supervise(self, lifetime: Lifetime) -> None:
        while True:
            now = dt.datetime.now(dt.UTC)
            if self._ready_since is None and self.ready:
                self._ready_since = now
            reason = self.stop_reason(now)
            if reason is not None:
                break
            at_most = self.cull_check_interval if self._ready_since else STARTING_CHECK_INTERVAL
            await asyncio.sleep(next_check(lifetime, self._ready_since, self._last_activity(), now, at_most) + 0.05)
        await self.cull(reason, describe(reason, lifetime))

    async def cull(self, reason: StopReason, why: str) -> None:
        """Stop the bubble for ``reason`` and let the hub notice, as if it had exited."""
        await self._record_cull(reason, why)
        await self.stop()
        await self.poll_and_notify()

    async def _record_cull(self, reason: StopReason, why: str) -> None:
        self.culled_for = reason
        self.log.warning("Stopping bubble %s (reason: %s): %s", self._log_name, reason, why)
        ref = BubbleRef.of(self, self.policy)
        await audit.record(events.culled(ref, why, reason.rule, dt.datetime.now(dt.UTC)))

    # -- stopping -------------------------------------------------------------

    async def poll(self) -> int | None:
        if self.pid and not self._supervised:
            # Resumed from the database after a hub restart: decided once.
            self._supervised = True
            return await self._poll_resumed()
        status: int | None = await super().poll()
        return status

    async def _poll_resumed(self) -> int | None:
        """Re-adopt a bubble that outlived the hub, or say it is gone (0).

        Without ``outlive_hub`` a sandboxed bubble died with its hub and its pid
        may belong to another process by now. With it, the process must be the
        very one this spawner started (same pid and start time), and the
        policy the hub loaded must still allow the bubble.
        """
        alive = self.outlive_hub and self._process_started is not None
        if not alive or _process_start_time(self.pid) != self._process_started:
            self.clear_state()
            return 0
        options = dict(self.orm_spawner.user_options or {}) if self.orm_spawner else {}
        project, profile = str(options.get("project", "")), str(options.get("profile", ""))
        now = dt.datetime.now(dt.UTC)
        try:
            check_bubble_may_continue(self._require_policy(), self.user.name, project, profile, now)
        except PolicyDenied as denied:
            await self._record_cull(StopReason.POLICY, str(denied))
            await self.stop()
            return 0
        lifetime = self._saved_lifetime or Lifetime(now, 0, 0)
        self.log.info("Re-adopted bubble %s (pid %s) that outlived the hub", self._log_name, self.pid)
        self._guard(lifetime, ready_since=now)
        return None

    async def _signal(self, sig: int) -> bool:
        """Signals other than SIGKILL go to the server inside the sandbox, so it can shut down cleanly.

        Signalling bubblewrap itself would make it kill everything at once.
        """
        if not self.sandbox or sig in (0, signal.SIGKILL):
            return bool(await super()._signal(sig))
        server = self._server_pid()
        if server is None:
            return bool(await super()._signal(sig))
        with contextlib.suppress(ProcessLookupError):
            os.kill(server, sig)
        return bool(await super()._signal(0))

    def _server_pid(self) -> int | None:
        """The bubble's server: the first process below bubblewrap that is not root's."""
        try:
            for child in psutil.Process(self.pid).children(recursive=True):
                if child.uids().real != 0:
                    return int(child.pid)
        except psutil.NoSuchProcess:
            return None
        return None

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state()
        if self.token:
            state["token"] = self.token
        if self.data_version:
            state["data_version"] = self.data_version
        if self.pid and self._lifetime is not None and self._process_started is not None:
            # What a hub needs to re-adopt this bubble if it outlives it.
            lifetime = self._lifetime
            state["process_started"] = self._process_started
            state["memory_limit"] = self._memory_limit
            state["cgroup"] = str(self.cgroup_path) if self.cgroup_path else None
            state["lifetime"] = {
                "started": lifetime.started.isoformat(),
                "max_lifetime": lifetime.max_lifetime,
                "idle_timeout": lifetime.idle_timeout,
                "closes": lifetime.closes.isoformat() if lifetime.closes else None,
            }
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.token = state.get("token", "")
        self.data_version = state.get("data_version", "")
        self._process_started = state.get("process_started")
        self._memory_limit = int(state.get("memory_limit") or 0)
        self.cgroup_path = Path(state["cgroup"]) if state.get("cgroup") else None
        saved = state.get("lifetime")
        self._saved_lifetime = (
            Lifetime(
                dt.datetime.fromisoformat(saved["started"]),
                int(saved["max_lifetime"]),
                int(saved["idle_timeout"]),
                dt.datetime.fromisoformat(saved["closes"]) if saved.get("closes") else None,
            )
            if saved
            else None
        )

    def clear_state(self) -> None:
        """The bubble is gone: stop its guards, remove its sockets folder and cgroup."""
        super().clear_state()
        if self._memory_guard is not None:
            self._memory_guard.stop()
            self._memory_guard = None
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None and self.culled_for is None:  # a culling supervisor finishes by itself
            supervisor.cancel()
        if self.cgroup_path is not None:
            remove_bubble_cgroup(self.cgroup_path)
            self.cgroup_path = None
        if self.token and self.runtime_dir:
            remove_bubble_runtime(self.runtime, self.token)
        self.token = ""
        self.data_version = ""
        self._lifetime = None
        self._saved_lifetime = None
        self._process_started = None
        self._supervised = False
