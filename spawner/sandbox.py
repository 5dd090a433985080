"""The sandbox a bubble runs in, as a bubblewrap command line.

:func:`make_sandbox_command` is pure: from a :class:`SandboxSpec` (plain
values the spawner resolved) it returns the ``argv`` that starts the bubble's
server inside `bubblewrap <https://github.com/containers/bubblewrap>`_,
then drops to the bubble's account with ``setpriv``. Nothing here touches the
file system; the spawner writes the few files the sandbox shows (``passwd``,
``group``, ``hosts`` from :func:`make_etc_files`) and runs the command.

Vocabulary:

- the *view* is the file tree the bubble sees: a fresh root holding only
  what the spec names, at the same paths as on the host, so that paths in
  the environment and in notebooks mean the same inside and out;
- *read-only* paths are bound read-only (software, system files, the
  project's data extract, the hub's socket folder); *read-write* paths are
  the member's workspace, the project's shared folder and the bubble's own
  socket folder; everything else (other projects, the warehouse, the hub's
  state, ``/root``, ``/home``, ``/run``) is simply absent;
- the *network* is either ``isolated`` (a network namespace of its own with
  only a loopback interface: no route out, no DNS, no other bubble, no host
  service; the hub is reached through its Unix socket) or ``host`` (shared
  with the host, for deployments that filter egress themselves).

Inside, the server is not root: ``setpriv`` switches to the bubble's uid, gid
and project group, clears every capability and sets ``no_new_privs`` before
it executes the server.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .identity import Identity


class NetworkMode(enum.StrEnum):
    ISOLATED = "isolated"
    HOST = "host"


@dataclass(frozen=True)
class SandboxSpec:
    """Everything the sandbox command depends on, resolved by the caller."""

    bwrap: Sequence[str]
    setpriv: str
    identity: Identity
    hostname: str
    work_dir: Path
    command: Sequence[str]
    system_dirs: Sequence[Path] = ()
    system_links: Mapping[str, str] = field(default_factory=dict)
    optional_read_only: Sequence[Path] = ()
    read_only: Sequence[Path] = ()
    read_write: Sequence[Path] = ()
    files: Mapping[Path, Path] = field(default_factory=dict)
    tmpfs: Mapping[Path, int] = field(default_factory=dict)
    network: NetworkMode = NetworkMode.ISOLATED
    seccomp_fd: int | None = None
    umask: int = 0o007
    die_with_parent: bool = True


def make_sandbox_command(spec: SandboxSpec) -> list[str]:
    """``argv`` of bwrap, then setpriv, then the bubble's own command."""
    return [
        *spec.bwrap,
        *_namespace_args(spec),
        *_view_args(spec),
        "--chdir",
        str(spec.work_dir),
        *(["--seccomp", str(spec.seccomp_fd)] if spec.seccomp_fd is not None else []),
        "--",
        *_identity_args(spec.setpriv, spec.identity),
        "--",
        # bwrap runs with the default umask, so that the folders it makes for
        # mount points are traversable; the bubble's own files get its umask.
        "/bin/sh",
        "-c",
        f'umask {spec.umask:03o} && exec "$0" "$@"',
        *spec.command,
    ]


def _namespace_args(spec: SandboxSpec) -> list[str]:
    # --die-with-parent: a bubble whose hub is gone has nobody enforcing its
    # lifetime, so it dies with the hub, unless the deployer asked bubbles to
    # outlive the hub, which then re-adopts them when it starts again.
    # Every namespace is new except the user namespace (the account switch is
    # done by setpriv, with real ids).
    args = ["--die-with-parent"] if spec.die_with_parent else []
    args += ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
    if spec.network is NetworkMode.ISOLATED:
        args.append("--unshare-net")  # bwrap brings the new namespace's loopback up
    return [*args, "--hostname", spec.hostname]


def _view_args(spec: SandboxSpec) -> list[str]:
    args: list[str] = []
    for link, target in sorted(spec.system_links.items()):
        args += ["--symlink", target, link]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for path, size in sorted(spec.tmpfs.items()):
        args += ["--perms", "1777", "--size", str(size), "--tmpfs", str(path)]
    binds = [("--ro-bind", p) for p in spec.system_dirs]
    binds += [("--ro-bind", p) for p in spec.read_only]
    binds += [("--ro-bind-try", p) for p in spec.optional_read_only]
    binds += [("--bind", p) for p in spec.read_write]
    for folder in _mount_point_parents([p for _, p in binds] + list(spec.files.values()), spec):
        args += ["--perms", "0755", "--dir", str(folder)]
    # Parents before children, so that a deeper mount (the workspace) lands on
    # top of a shallower one (a read-only software tree holding it).
    for option, path in sorted(binds, key=lambda item: _depth_first(item[1])):
        args += [option, str(path), str(path)]
    for source, shown_as in sorted(spec.files.items(), key=lambda item: str(item[1])):
        args += ["--ro-bind", str(source), str(shown_as)]
    return args


def _depth_first(path: Path) -> tuple[int, str]:
    return (len(path.parts), str(path))


def _mount_point_parents(targets: list[Path], spec: SandboxSpec) -> list[Path]:
    """Folders to make (mode 0755) so that every mount point's parents can be traversed.

    bwrap would make them itself, but without read and search rights for
    others. Folders that are mounts themselves, or inside a bound folder, are
    left alone.
    """
    mounts = {
        Path("/"),
        Path("/proc"),
        Path("/dev"),
        *spec.tmpfs,
        *(Path(link) for link in spec.system_links),
        *targets,
    }
    bound = [*spec.system_dirs, *spec.read_only, *spec.optional_read_only, *spec.read_write]
    parents = {parent for target in targets for parent in target.parents}
    wanted = [p for p in parents if p not in mounts and not any(p.is_relative_to(b) for b in bound)]
    return sorted(wanted, key=_depth_first)


def _identity_args(setpriv: str, identity: Identity) -> list[str]:
    groups = ",".join(str(g) for g in identity.groups)
    return [
        setpriv,
        f"--reuid={identity.uid}",
        f"--regid={identity.gid}",
        f"--groups={groups}" if groups else "--clear-groups",
        "--inh-caps=-all",
        "--ambient-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]


def make_etc_files(identity: Identity, group_names: Mapping[int, str], home: Path, hostname: str) -> dict[str, str]:
    """The ``passwd``, ``group`` and ``hosts`` files a bubble sees.

    They name only the bubble's own account and groups, so that a bubble
    cannot list the host's accounts or the project groups of other projects.
    """
    passwd = [
        "root:x:0:0:root:/nonexistent:/usr/sbin/nologin",
        f"{identity.name}:x:{identity.uid}:{identity.gid}:bulle bubble account:{home}:/bin/bash",
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    ]
    groups = ["root:x:0:", f"{group_names.get(identity.gid, identity.name)}:x:{identity.gid}:"]
    groups += [f"{group_names[gid]}:x:{gid}:{identity.name}" for gid in identity.groups if gid in group_names]
    groups.append("nogroup:x:65534:")
    hosts = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", f"127.0.1.1\t{hostname}"]
    return {name: "\n".join(lines) + "\n" for name, lines in (("passwd", passwd), ("group", groups), ("hosts", hosts))}


def system_view(entries: Iterable[tuple[str, str | None]]) -> tuple[list[Path], dict[str, str]]:
    """Split top-level system folders into bound folders and symbolic links.

    ``entries`` are ``(path, link target or None)``, for example
    ``("/bin", "usr/bin")`` on a merged-/usr system or ``("/usr", None)``.
    """
    dirs, links = [], {}
    for path, target in entries:
        if target is None:
            dirs.append(Path(path))
        else:
            links[path] = target
    return dirs, links
