"""From a kernel inside a running bubble: what the sandbox refuses, and the allowed neighbour of each refusal.

Every probe runs as notebook code in alice's psy-cohort bubble, sent through
the hub's proxy over the Jupyter kernel protocol. Each refusal is checked for
its reason (no route, no such file, read-only...) and beside an allowed
action of the same kind, so that a sandbox that denied everything would fail.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import textwrap

import psycopg
import pytest
import requests

from bulle.state import RuntimeLayout, StateLayout
from tests.hub.conftest import POSTGRES_ADMIN_URL
from tests.hub.hubprocess import HubClient, HubProcess, page_text

from .kernel import KernelSession

pytestmark = pytest.mark.integration

CONNECT = """
import errno, json, socket
def connect(family, address):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(address)
        return "connected"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))
    finally:
        s.close()
"""

OPEN = """
import errno, json, os
def try_read(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(1)
        return "read"
    except OSError as exc:
        return errno.errorcode[exc.errno]
def try_write(path):
    try:
        with open(path, "w") as f:
            f.write("probe")
        return "written"
    except OSError as exc:
        return errno.errorcode[exc.errno]
"""


def run(kernel: KernelSession, helpers: str, body: str) -> object:
    return kernel.probe(helpers + "\n" + textwrap.dedent(body))


# -- identity ---------------------------------------------------------------


def test_bubble_runs_as_the_members_own_account_without_privileges(kernel: KernelSession) -> None:
    seen = kernel.probe(
        textwrap.dedent(
            """
            import json, os, subprocess
            lines = open("/proc/self/status").read().splitlines()
            status = dict(line.split(":\\t", 1) for line in lines if ":\\t" in line)
            try:
                os.setuid(0)
                setuid = "allowed"
            except PermissionError:
                setuid = "EPERM"
            print(json.dumps({
                "id": subprocess.run(["id"], capture_output=True, text=True).stdout.strip(),
                "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
                "cap_eff": status["CapEff"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
                "setuid": setuid, "home": os.environ["HOME"], "umask": os.umask(0o007),
            }))
            """
        )
    )
    account, project = pwd.getpwnam("bulle-alice"), grp.getgrnam("bulleprj-psy-cohort")
    assert seen["uid"] == account.pw_uid != 0
    assert seen["gid"] == account.pw_gid
    assert seen["groups"] == [project.gr_gid]  # the project's group, and no other
    assert seen["id"] == (
        f"uid={account.pw_uid}(bulle-alice) gid={account.pw_gid}(bulle-alice) "
        f"groups={account.pw_gid}(bulle-alice),{project.gr_gid}(bulleprj-psy-cohort)"
    )
    assert seen["cap_eff"] == "0000000000000000"
    assert seen["no_new_privs"] == "1"
    assert seen["setuid"] == "EPERM"
    assert seen["umask"] == 0o007
    assert seen["home"].endswith("/projects/psy-cohort/work/alice")


def test_bubble_sees_only_its_own_account_and_groups(kernel: KernelSession) -> None:
    seen = kernel.probe(
        "import json, grp, pwd; "
        "print(json.dumps([[p.pw_name for p in pwd.getpwall()], [g.gr_name for g in grp.getgrall()]]))"
    )
    users, groups = seen
    assert users == ["root", "bulle-alice", "nobody"]
    assert groups == ["root", "bulle-alice", "bulleprj-psy-cohort", "nogroup"]
    # the host knows more: the accounts of alice's fellow members, made at her start
    assert "bulle-chloe" in {p.pw_name for p in pwd.getpwall()}


# -- network ----------------------------------------------------------------


def test_outside_address_is_unreachable_but_the_bubbles_own_loopback_works(kernel: KernelSession) -> None:
    seen = run(
        kernel,
        CONNECT,
        """
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
        print(json.dumps({
            "outside": connect(socket.AF_INET, ("1.1.1.1", 443)),
            "outside6": connect(socket.AF_INET6, ("2606:4700:4700::1111", 443)),
            "own_loopback": connect(socket.AF_INET, server.getsockname()),
        }))
        """,
    )
    assert seen == {"outside": "ENETUNREACH", "outside6": "ENETUNREACH", "own_loopback": "connected"}


def test_host_services_are_unreachable(kernel: KernelSession, sandbox_hub: HubProcess) -> None:
    port = sandbox_hub.port
    seen = run(
        kernel,
        CONNECT,
        f"""
        import os
        print(json.dumps({{
            "postgresql_tcp": connect(socket.AF_INET, ("127.0.0.1", 5432)),
            "postgresql_socket": os.path.exists("/run/postgresql/.s.PGSQL.5432"),
            "hub_proxy": connect(socket.AF_INET, ("127.0.0.1", {port})),
        }}))
        """,
    )
    assert seen == {"postgresql_tcp": "ECONNREFUSED", "postgresql_socket": False, "hub_proxy": "ECONNREFUSED"}
    # Neighbour: both are up, seen from the host.
    with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5) as connection:
        assert connection.execute("select 1").fetchone() == (1,)
    assert requests.get(f"{sandbox_hub.url}/hub/health", timeout=10).status_code == 200


def test_dns_lookups_fail_but_localhost_resolves(kernel: KernelSession) -> None:
    seen = kernel.probe(
        textwrap.dedent(
            """
            import json, os, socket
            def lookup(name):
                try:
                    return sorted({a[4][0] for a in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)})
                except socket.gaierror as exc:
                    return "gaierror"
            print(json.dumps({
                "example": lookup("example.org"), "pypi": lookup("pypi.org"),
                "localhost": lookup("localhost"), "resolv_conf": os.path.exists("/etc/resolv.conf"),
            }))
            """
        )
    )
    assert seen["example"] == seen["pypi"] == "gaierror"
    assert "127.0.0.1" in seen["localhost"]
    assert seen["resolv_conf"] is False


def test_hub_api_is_reachable_through_its_socket(kernel: KernelSession) -> None:
    seen = kernel.probe(
        textwrap.dedent(
            """
            import http.client, json, os, socket
            from urllib.parse import unquote, urlparse
            api = urlparse(os.environ["JUPYTERHUB_API_URL"])
            class UnixConnection(http.client.HTTPConnection):
                def connect(self):
                    self.sock = socket.socket(socket.AF_UNIX)
                    self.sock.connect(unquote(api.netloc))
            def get(path, token=None):
                conn = UnixConnection("localhost")
                headers = {"Authorization": f"token {token}"} if token else {}
                conn.request("GET", api.path.rstrip("/") + path, headers=headers)
                response = conn.getresponse()
                return response.status, json.loads(response.read() or b"null")
            status, root = get("/")
            me_status, me = get("/user", os.environ["JUPYTERHUB_API_TOKEN"])
            print(json.dumps({"scheme": api.scheme, "status": status, "version": "version" in root,
                              "me_status": me_status, "me": me.get("name")}))
            """
        )
    )
    assert seen == {"scheme": "http+unix", "status": 200, "version": True, "me_status": 200, "me": "alice"}


def test_another_bubble_is_unreachable(kernel: KernelSession, bob_bubble: str, runtime: RuntimeLayout) -> None:
    sockets = sorted(runtime.bubbles_dir.glob("*/sock/server.sock"))
    assert len(sockets) == 2  # alice's and bob's, seen from the host
    seen = run(
        kernel,
        CONNECT,
        f"""
        import glob, os
        sockets = {[str(s) for s in sockets]!r}
        print(json.dumps({{
            "listing": sorted(glob.glob({str(runtime.bubbles_dir)!r} + "/*/sock/server.sock")),
            "connect": {{path: connect(socket.AF_UNIX, path) for path in sockets}},
        }}))
        """,
    )
    [own] = seen["listing"]  # alice sees her own socket only
    assert seen["connect"][own] == "connected"
    [other] = [str(s) for s in sockets if str(s) != own]
    assert seen["connect"][other] == "ENOENT"


# -- files ------------------------------------------------------------------


@pytest.fixture(scope="module")
def host_files(layout: StateLayout, bob_bubble: str) -> dict[str, str]:
    """Paths the bubble must not read, each made to exist on the host first."""
    layout.warehouse_dir.mkdir(mode=0o700, exist_ok=True)
    (layout.warehouse_dir / "patients.parquet").write_bytes(b"PAR1")
    paths = {
        "other project's workspace": layout.work_dir("snds-cardio", "bob"),
        "other project's shared folder": layout.shared_dir("snds-cardio"),
        "warehouse": layout.warehouse_dir / "patients.parquet",
        "hub database": layout.hub_db,
        "local accounts": layout.accounts,
        "root's home": "/root",
        "homes": "/home",
        "the host's PostgreSQL sockets": "/run/postgresql",
    }
    for path in paths.values():
        assert os.path.exists(path), path
    return {name: str(path) for name, path in paths.items()}


def test_other_projects_warehouse_hub_state_and_homes_are_unreadable(
    kernel: KernelSession, host_files: dict[str, str], layout: StateLayout
) -> None:
    data_file = layout.data_dir("psy-cohort") / "v1" / "extract.csv"
    data_file.write_text("id\n1\n")
    (layout.data_dir("psy-cohort") / "v0").mkdir(exist_ok=True)
    hidden = {
        **host_files,
        "another extract version": str(layout.data_dir("psy-cohort") / "v0"),
        "the current extract pointer": str(layout.data_dir("psy-cohort") / "current"),
    }
    allowed = {
        "own workspace": str(layout.work_dir("psy-cohort", "alice")),
        "project's shared folder": str(layout.shared_dir("psy-cohort")),
        "project's data extract": str(data_file),
        "software": "/usr/lib/os-release",
    }
    seen = run(
        kernel,
        OPEN,
        f"""
        print(json.dumps({{name: try_read(path) for name, path in { ({**hidden, **allowed})!r}.items()}}))
        """,
    )
    for name in hidden:
        assert seen[name] == "ENOENT", name
    for name in allowed:
        assert seen[name] == "read", name


def test_writes_outside_the_workspace_and_outbox_fail(
    kernel: KernelSession, layout: StateLayout, runtime: RuntimeLayout
) -> None:
    work = layout.work_dir("psy-cohort", "alice")
    refused = {
        "system": "/usr/local/bulle-probe",
        "software": os.path.join(os.path.dirname(os.path.dirname(os.__file__)), "bulle-probe"),
        "root of the view": "/bulle-probe",
        "etc": "/etc/passwd",
        "project folder": str(layout.project_dir("psy-cohort") / "bulle-probe"),
        "data extract": str(layout.data_dir("psy-cohort") / "v1" / "bulle-probe"),
        "hub socket folder": str(runtime.hub_dir / "bulle-probe"),
    }
    allowed = {
        "workspace": str(work / "probe.txt"),
        "outbox": str(work / "outbox" / "result.csv"),
        "shared": str(layout.shared_dir("psy-cohort") / "alice-probe.txt"),
    }
    seen = run(
        kernel,
        OPEN,
        f"""
        os.makedirs({str(work / "outbox")!r}, exist_ok=True)
        print(json.dumps({{name: try_write(path) for name, path in { ({**refused, **allowed})!r}.items()}}))
        """,
    )
    for name in refused:
        assert seen[name] in ("EROFS", "EACCES"), (name, seen[name])
        assert not os.path.exists(refused[name]) or name == "etc", name
    for name in allowed:
        assert seen[name] == "written", name
    # umask 007: the project's members may read what a member writes, nobody else
    written = os.stat(allowed["shared"])
    assert written.st_mode & 0o777 == 0o660
    assert grp.getgrgid(written.st_gid).gr_name == "bulleprj-psy-cohort"


# -- limits -----------------------------------------------------------------


def test_cpu_affinity_is_the_profiles_and_cannot_be_widened(kernel: KernelSession) -> None:
    seen = kernel.probe(
        textwrap.dedent(
            """
            import json, os
            mine = sorted(os.sched_getaffinity(0))
            try:
                os.sched_setaffinity(0, set(range(os.cpu_count())))
                widened = "allowed"
            except PermissionError:
                widened = "EPERM"
            print(json.dumps({"mode": os.environ["BULLE_LIMITS"], "cpus": mine, "widen": widened}))
            """
        )
    )
    if seen["mode"] == "rlimits":
        assert len(seen["cpus"]) == 1  # the notebook profile grants 1 CPU
        assert seen["widen"] == "EPERM"
    else:
        assert seen["mode"] == "cgroup"


def test_new_user_namespaces_are_refused_but_processes_start(kernel: KernelSession) -> None:
    seen = kernel.probe(
        textwrap.dedent(
            """
            import ctypes, json, subprocess
            libc = ctypes.CDLL(None, use_errno=True)
            result = libc.unshare(0x10000000)  # CLONE_NEWUSER
            print(json.dumps({
                "unshare": result, "errno": ctypes.get_errno(),
                "child": subprocess.run(["true"]).returncode,
                "unshare_cmd": subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode,
            }))
            """
        )
    )
    assert seen["unshare"] == -1
    assert seen["errno"] == errno.EPERM
    assert seen["unshare_cmd"] != 0
    assert seen["child"] == 0


def test_memory_over_the_limit_kills_the_kernel_not_the_hub(
    alice: HubClient, alice_bubble: str, kernel: KernelSession, sandbox_hub: HubProcess
) -> None:
    hungry = KernelSession(alice, "alice", alice_bubble)
    try:
        within = hungry.probe("import json; block = b'x' * (200 << 20); print(json.dumps(len(block) >> 20))")
        assert within == 200  # a fifth of the profile's 1 GiB is fine
        over = hungry.execute("blocks = [b'x' * (256 << 20) for _ in range(12)]", timeout=120)
        assert over.statuses, over
        assert over.statuses[-1] in ("restarting", "dead"), over
    finally:
        hungry.close()
    assert "over its limit of 1024 MiB: killed process" in sandbox_hub.log_text()
    # The hub, the bubble's server and its other kernel are unharmed.
    assert requests.get(f"{sandbox_hub.url}/hub/health", timeout=10).status_code == 200
    assert alice.get(f"/user/alice/{alice_bubble}/api/status").status_code == 200
    assert kernel.probe("print(1 + 1)") == 2


def test_sandboxed_hub_does_not_warn_on_its_home_page(alice: HubClient) -> None:
    home = alice.get("/hub/home")
    assert "bulle-not-isolated" not in home.text
    assert "Each bubble is an isolated workspace" in page_text(home)
