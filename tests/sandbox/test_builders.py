"""The pure halves of the sandbox: command line, generated files, seccomp filter, limits, lifetime, proxy targets."""

from __future__ import annotations

import datetime as dt
import errno
import resource
import struct
from pathlib import Path

import pytest

from bulle.hub.proxy import hub_target, proxy_target
from bulle.hub.sandbox import isolation_warning
from bulle.spawner.cgroups import cgroup2_mount, missing_controllers, own_cgroup
from bulle.spawner.host import outermost
from bulle.spawner.identity import Identity
from bulle.spawner.lifetime import Lifetime, StopReason, describe, next_check, stop_reason
from bulle.spawner.limits import ResourceLimits, cgroup_settings, cpu_count_for, pick_cpus, process_rlimits
from bulle.spawner.memguard import ProcessUsage, process_to_kill
from bulle.spawner.sandbox import NetworkMode, SandboxSpec, make_etc_files, make_sandbox_command, system_view
from bulle.spawner.seccomp import CLONE_NEWUSER, SYSCALLS, make_seccomp_filter
from bulle.state import RuntimeLayout, default_runtime_dir

ALICE = Identity("bulle-alice", 999, 995, (994,))
STATE = Path("/var/lib/bulle")
WORK = STATE / "projects/psy-cohort/work/alice"


def alice_spec(**changes: object) -> SandboxSpec:
    values: dict[str, object] = {
        "bwrap": ["/usr/bin/bwrap"],
        "setpriv": "/usr/bin/setpriv",
        "identity": ALICE,
        "hostname": "psy-cohort-notebook",
        "work_dir": WORK,
        "command": ["/opt/bulle/bin/jupyterhub-singleuser", "--ServerApp.sock=/run/bulle/x/sock/server.sock"],
        "system_dirs": [Path("/usr")],
        "system_links": {"/bin": "usr/bin", "/lib": "usr/lib"},
        "optional_read_only": [Path("/etc/ssl")],
        "read_only": [Path("/opt/bulle"), STATE / "projects/psy-cohort/data", Path("/run/bulle/x/hub")],
        "read_write": [WORK, STATE / "projects/psy-cohort/shared", Path("/run/bulle/x/bubbles/t/sock")],
        "files": {Path("/run/bulle/x/bubbles/t/etc/passwd"): Path("/etc/passwd")},
        "tmpfs": {Path("/tmp"): 1 << 30},
        "seccomp_fd": 7,
    }
    values.update(changes)
    return SandboxSpec(**values)  # type: ignore[arg-type]


def test_sandbox_command_for_an_isolated_bubble() -> None:
    assert make_sandbox_command(alice_spec()) == [
        "/usr/bin/bwrap",
        *("--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"),
        "--unshare-net",
        *("--hostname", "psy-cohort-notebook"),
        *("--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib"),
        *("--proc", "/proc", "--dev", "/dev"),
        *("--perms", "1777", "--size", str(1 << 30), "--tmpfs", "/tmp"),
        # mount points' parents, made traversable (not /usr, not inside a bound folder)
        *("--perms", "0755", "--dir", "/etc"),
        *("--perms", "0755", "--dir", "/opt"),
        *("--perms", "0755", "--dir", "/run"),
        *("--perms", "0755", "--dir", "/var"),
        *("--perms", "0755", "--dir", "/run/bulle"),
        *("--perms", "0755", "--dir", "/var/lib"),
        *("--perms", "0755", "--dir", "/run/bulle/x"),
        *("--perms", "0755", "--dir", "/var/lib/bulle"),
        *("--perms", "0755", "--dir", "/run/bulle/x/bubbles"),
        *("--perms", "0755", "--dir", "/var/lib/bulle/projects"),
        *("--perms", "0755", "--dir", "/run/bulle/x/bubbles/t"),
        *("--perms", "0755", "--dir", "/var/lib/bulle/projects/psy-cohort"),
        *("--perms", "0755", "--dir", "/var/lib/bulle/projects/psy-cohort/work"),
        # parents before children
        *("--ro-bind", "/usr", "/usr"),
        *("--ro-bind-try", "/etc/ssl", "/etc/ssl"),
        *("--ro-bind", "/opt/bulle", "/opt/bulle"),
        *("--ro-bind", "/run/bulle/x/hub", "/run/bulle/x/hub"),
        *("--bind", "/run/bulle/x/bubbles/t/sock", "/run/bulle/x/bubbles/t/sock"),
        *("--ro-bind", str(STATE / "projects/psy-cohort/data"), str(STATE / "projects/psy-cohort/data")),
        *("--bind", str(STATE / "projects/psy-cohort/shared"), str(STATE / "projects/psy-cohort/shared")),
        *("--bind", str(WORK), str(WORK)),
        *("--ro-bind", "/run/bulle/x/bubbles/t/etc/passwd", "/etc/passwd"),
        *("--chdir", str(WORK)),
        *("--seccomp", "7"),
        "--",
        "/usr/bin/setpriv",
        *("--reuid=999", "--regid=995", "--groups=994"),
        *("--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs"),
        "--",
        *("/bin/sh", "-c", 'umask 007 && exec "$0" "$@"'),
        "/opt/bulle/bin/jupyterhub-singleuser",
        "--ServerApp.sock=/run/bulle/x/sock/server.sock",
    ]


def test_host_network_keeps_every_other_namespace() -> None:
    command = make_sandbox_command(alice_spec(network=NetworkMode.HOST))
    assert "--unshare-net" not in command
    assert {"--unshare-pid", "--unshare-ipc", "--unshare-uts"} <= set(command)


def test_account_without_groups_clears_them() -> None:
    command = make_sandbox_command(alice_spec(identity=Identity("bulle-x", 5, 5, ())))
    assert "--clear-groups" in command
    assert not any(arg.startswith("--groups=") for arg in command)


def test_workspace_inside_a_read_only_tree_is_mounted_after_it() -> None:
    command = make_sandbox_command(alice_spec(read_only=[STATE]))
    assert command.index(str(STATE)) < command.index(str(WORK))
    assert "/var/lib/bulle/projects" not in command  # inside a bound folder: not made


def test_etc_files_name_only_the_bubbles_account_and_groups() -> None:
    files = make_etc_files(ALICE, {995: "bulle-alice", 994: "bulleprj-psy-cohort"}, WORK, "psy-cohort-notebook")
    assert files == {
        "passwd": "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
        f"bulle-alice:x:999:995:bulle bubble account:{WORK}:/bin/bash\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        "group": "root:x:0:\nbulle-alice:x:995:\nbulleprj-psy-cohort:x:994:bulle-alice\nnogroup:x:65534:\n",
        "hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tpsy-cohort-notebook\n",
    }


def test_system_view_keeps_links_as_links() -> None:
    assert system_view([("/usr", None), ("/bin", "usr/bin")]) == ([Path("/usr")], {"/bin": "usr/bin"})


def test_outermost_drops_nested_paths() -> None:
    paths = [Path("/opt/venv/lib"), Path("/opt/venv"), Path("/srv/bulle"), Path("/opt/venv")]
    assert outermost(paths) == [Path("/opt/venv"), Path("/srv/bulle")]


# -- seccomp ----------------------------------------------------------------


def run_filter(program: bytes, arch: int, nr: int, arg0: int = 0) -> int:
    """A classic-BPF interpreter for the few instructions the filter uses."""
    data = struct.pack("<iIQ6Q", nr, arch, 0, arg0, 0, 0, 0, 0, 0)
    code = [struct.unpack_from("<HBBI", program, 8 * i) for i in range(len(program) // 8)]
    pc, accumulator = 0, 0
    while True:
        op, jt, jf, k = code[pc]
        if op == 0x20:
            accumulator = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif op == 0x06:
            return k
        else:
            taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[op]
            pc += 1 + (jt if taken else jf)


ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS


@pytest.mark.parametrize("machine", sorted(SYSCALLS))
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("read", ALLOW),
        ("clone-thread", ALLOW),
        ("unshare-mount", ALLOW),
        ("sched_setaffinity", EPERM),
        ("clone-newuser", EPERM),
        ("unshare-newuser", EPERM),
        ("clone3", ENOSYS),
        ("other-arch", ENOSYS),
    ],
)
def test_seccomp_filter_decisions(machine: str, case: str, expected: int) -> None:
    table = SYSCALLS[machine]
    program = make_seccomp_filter(table)
    calls = {
        "read": (table.audit_arch, 0 if machine == "x86_64" else 63, 0),
        "clone-thread": (table.audit_arch, table.clone, 0x3D0F00),
        "unshare-mount": (table.audit_arch, table.unshare, 0x20000),
        "sched_setaffinity": (table.audit_arch, table.sched_setaffinity, 0),
        "clone-newuser": (table.audit_arch, table.clone, CLONE_NEWUSER | 0x11),
        "unshare-newuser": (table.audit_arch, table.unshare, CLONE_NEWUSER),
        "clone3": (table.audit_arch, table.clone3, 0),
        "other-arch": (0x40000003, 0, 0),  # i386
    }
    assert run_filter(program, *calls[case]) == expected


def test_seccomp_filter_refuses_the_x32_abi() -> None:
    table = SYSCALLS["x86_64"]
    assert run_filter(make_seccomp_filter(table), table.audit_arch, 0x40000000 | 203) == ENOSYS


# -- limits -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpu", "offset", "expected"),
    [(1, 0, (0,)), (1, 1, (1,)), (0.5, 3, (3,)), (2, 3, (0, 3)), (1.5, 0, (0, 1)), (64, 0, (0, 1, 2, 3))],
)
def test_cpus_are_picked_round_robin(cpu: float, offset: int, expected: tuple[int, ...]) -> None:
    assert pick_cpus([3, 1, 0, 2], cpu, offset) == expected


def test_cpu_count_rounds_up_and_is_at_least_one() -> None:
    assert [cpu_count_for(c) for c in (0.1, 1, 1.0000000001, 2.5)] == [1, 1, 1, 3]


def test_cgroup_settings() -> None:
    assert cgroup_settings(ResourceLimits(cpu=1.5, memory=4 << 30, max_processes=512)) == {
        "cpu.max": "150000 100000",
        "memory.max": str(4 << 30),
        "memory.swap.max": "0",
        "pids.max": "512",
    }


def test_process_rlimits() -> None:
    assert process_rlimits(ResourceLimits(cpu=1, memory=1 << 30, max_processes=256)) == {
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NPROC: (256, 256),
    }


def test_cgroup_mount_and_own_cgroup_are_read_from_proc() -> None:
    mountinfo = [
        "35 24 0:30 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory\n",
        "40 24 0:35 / /sys/fs/cgroup/unified rw,relatime shared:18 - cgroup2 cgroup2 rw\n",
    ]
    assert cgroup2_mount(mountinfo) == Path("/sys/fs/cgroup/unified")
    assert cgroup2_mount(mountinfo[:1]) is None
    assert own_cgroup(["4:memory:/x\n", "0::/system.slice/bulle.service\n"]) == "/system.slice/bulle.service"
    assert own_cgroup(["0::/\n"]) == "/"
    assert own_cgroup(["4:memory:/x\n"]) is None


def test_missing_controllers() -> None:
    assert missing_controllers("cpuset cpu io memory pids") == []
    assert missing_controllers("hugetlb") == ["cpu", "memory", "pids"]


def test_memory_guard_kills_the_largest_process_not_root_s() -> None:
    usage = [
        ProcessUsage(10, 0, 5 << 20),  # bwrap
        ProcessUsage(12, 999, 150 << 20),  # the server
        ProcessUsage(13, 999, 900 << 20),  # a kernel
    ]
    assert process_to_kill(usage, limit=1 << 30) == usage[2]
    assert process_to_kill(usage, limit=2 << 30) is None
    assert process_to_kill(usage[:1], limit=1 << 20) is None  # only root's: nothing to kill


# -- lifetime ---------------------------------------------------------------

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
CLOCK = Lifetime(started=T0, max_lifetime=3600, idle_timeout=600)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("ready", "last_activity", "now", "expected"),
    [
        (None, None, at(0), None),
        (None, None, at(900), None),  # still starting: not idle yet
        (at(10), None, at(609), None),
        (at(10), None, at(610), StopReason.IDLE),
        (at(10), at(500), at(1099), None),
        (at(10), at(500), at(1100), StopReason.IDLE),
        (at(10), at(3500), at(3599), None),
        (at(10), at(3500), at(3600), StopReason.LIFETIME),
        (None, None, at(3600), StopReason.LIFETIME),
        (at(10), at(-50), at(609), None),  # activity before readiness counts from readiness
    ],
    ids=[
        "just-started",
        "slow-start",
        "ready-not-yet-idle",
        "ready-then-idle",
        "active-not-yet-idle",
        "active-then-idle",
        "active-before-lifetime",
        "active-at-lifetime",
        "starting-at-lifetime",
        "activity-before-ready",
    ],
)
def test_stop_reason(
    ready: dt.datetime | None, last_activity: dt.datetime | None, now: dt.datetime, expected: StopReason | None
) -> None:
    assert stop_reason(CLOCK, ready, last_activity, now) == expected


def test_next_check_wakes_at_the_soonest_deadline() -> None:
    assert next_check(CLOCK, at(10), None, at(100), at_most=3600) == 510
    assert next_check(CLOCK, None, None, at(100), at_most=3600) == 3500
    assert next_check(CLOCK, at(10), None, at(100), at_most=60) == 60
    assert next_check(CLOCK, at(10), None, at(700), at_most=60) == 0


def test_stop_reasons_are_described() -> None:
    assert describe(StopReason.LIFETIME, CLOCK) == "it reached its maximum lifetime of 1h"
    assert describe(StopReason.IDLE, CLOCK) == "it was idle for 10m"
    closing = Lifetime(started=T0, max_lifetime=3600, idle_timeout=600, closes=at(1800))
    assert describe(StopReason.EXPIRED, closing) == "its project's authorisation ended at 2026-03-01 09:30 UTC"
    assert [str(r) for r in StopReason] == ["expired", "lifetime", "idle", "policy"]
    assert [r.rule for r in StopReason] == ["project-expired", "max-lifetime", "idle-timeout", "policy"]


CLOSING = Lifetime(started=T0, max_lifetime=3600, idle_timeout=600, closes=at(1800))


@pytest.mark.parametrize(
    ("ready", "last_activity", "now", "expected"),
    [
        (at(10), at(1700), at(1799), None),
        (at(10), at(1700), at(1800), StopReason.EXPIRED),
        (None, None, at(1800), StopReason.EXPIRED),
        (at(10), None, at(1800), StopReason.EXPIRED),  # also idle: the project's end is the reason given
    ],
    ids=["active-before-project-end", "active-at-project-end", "starting-at-project-end", "idle-at-project-end"],
)
def test_bubble_stops_when_its_project_ends(
    ready: dt.datetime | None, last_activity: dt.datetime | None, now: dt.datetime, expected: StopReason | None
) -> None:
    assert stop_reason(CLOSING, ready, last_activity, now) == expected


def test_next_check_wakes_at_the_project_end() -> None:
    assert next_check(CLOSING, at(10), at(1700), at(1750), at_most=3600) == 50


# -- hub side ---------------------------------------------------------------

SOCKET = "http+unix://%2Frun%2Fbulle%2Fx%2Fbubbles%2Ft%2Fsock%2Fserver.sock"


def test_unix_targets_lose_their_port_on_the_way_to_the_proxy_and_get_it_back() -> None:
    assert proxy_target(SOCKET + ":80") == SOCKET
    assert proxy_target("http://127.0.0.1:8888") == "http://127.0.0.1:8888"
    assert hub_target(SOCKET, {SOCKET + ":80"}) == SOCKET + ":80"
    assert hub_target(SOCKET, {SOCKET}) == SOCKET  # the hub's own route has no port
    assert hub_target("http://127.0.0.1:8888", set()) == "http://127.0.0.1:8888"


def test_isolation_warning() -> None:
    assert isolation_warning(insecure=False, network_mode="isolated") is None
    insecure = isolation_warning(insecure=True, network_mode="isolated")
    assert insecure is not None
    assert insecure.startswith("Bubbles on this hub are NOT isolated")
    shared = isolation_warning(insecure=False, network_mode="host")
    assert shared is not None
    assert "share the host's network" in shared


def test_runtime_folder_is_short_lowercase_and_per_state_folder() -> None:
    root = default_runtime_dir(Path("/srv/Bulle/State"), 0, Path("/tmp"))
    assert root.parent == Path("/run/bulle")
    assert root.name == root.name.lower()
    assert root != default_runtime_dir(Path("/srv/Bulle/Other"), 0, Path("/tmp"))
    assert default_runtime_dir(Path("/srv/x"), 1000, Path("/tmp")).parent == Path("/tmp/bulle-1000")
    socket = RuntimeLayout(root).bubble_socket("0123456789abcdef")
    assert len(str(socket).encode()) < 108  # sun_path
