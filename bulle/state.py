"""Where bulle keeps its state on one machine (the embedded deployment).

::

    <state>/                      0711  root
      hub/                        0700  hub database, cookie secret, local accounts,
                                        audit signing key and checkpoint copies
      airlock/                    0700  root: the hub's copies of files asked for export
        blobs/<sha256>                    each file's bytes as they were when requested
      projects/                   0711
        <project>/                0750  root:bulleprj-<project>
          work/                   0750  root:bulleprj-<project>
            <user>/               0700  bulle-<user>: the member's workspace
              outbox/             0700  bulle-<user>: files the member may ask to export
          shared/                 2770  root:bulleprj-<project>: shared by members
          data/                   0750  root:bulleprj-<project>: the project's data extract, in
                                        versions v<N>/ and a link current -> v<N> (see
                                        bulle.data.versions); a bubble mounts, read-only,
                                        the version current when it started
          releases/               0700  root: released outputs, never mounted in bubbles
            <request>/                    the released files and release.json
      warehouse/                  0700  the Iceberg warehouse (data stewards only)
        catalog.sqlite                    the embedded Iceberg catalog
        data/                             table data and metadata
        reports/                          one load report per ingest run (JSON)

    <runtime>/                    0711  root: sockets, short-lived (default /run/bulle/<digest>,
                                        see :func:`default_runtime_dir`)
      hub/                        0755  hub.sock: the hub API, the only service bubbles reach
      bubbles/<token>/            0711  one per running bubble
        sock/                     0700  bulle-<user>: the bubble's server socket
        etc/                      0755  the passwd, group and hosts files the bubble sees

Only paths are computed here; creating and owning them is the job of the
component that needs them (the hub for ``hub/``, the spawner for a workspace).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

RUNTIME_BASE = Path("/run/bulle")
OUTBOX = "outbox"  # the folder of a member's workspace that export requests read from


@dataclass(frozen=True)
class StateLayout:
    root: Path

    @property
    def hub_dir(self) -> Path:
        return self.root / "hub"

    @property
    def hub_db(self) -> Path:
        return self.hub_dir / "jupyterhub.sqlite"

    @property
    def cookie_secret(self) -> Path:
        return self.hub_dir / "jupyterhub_cookie_secret"

    @property
    def accounts(self) -> Path:
        return self.hub_dir / "accounts.json"

    @property
    def audit_signing_key(self) -> Path:
        return self.hub_dir / "audit-signing-key.pem"

    @property
    def audit_checkpoints(self) -> Path:
        return self.hub_dir / "audit-checkpoints.jsonl"

    @property
    def projects_dir(self) -> Path:
        return self.root / "projects"

    def project_dir(self, project_id: str) -> Path:
        return self.projects_dir / project_id

    def work_root(self, project_id: str) -> Path:
        return self.project_dir(project_id) / "work"

    def work_dir(self, project_id: str, user: str) -> Path:
        return self.work_root(project_id) / user

    def outbox_dir(self, project_id: str, user: str) -> Path:
        """The member's export outbox, inside their workspace."""
        return self.work_dir(project_id, user) / OUTBOX

    def shared_dir(self, project_id: str) -> Path:
        return self.project_dir(project_id) / "shared"

    def data_dir(self, project_id: str) -> Path:
        """The project's data extract, read-only in its bubbles."""
        return self.project_dir(project_id) / "data"

    def releases_dir(self, project_id: str) -> Path:
        """Released outputs of the project: the hub's, never shown in a bubble."""
        return self.project_dir(project_id) / "releases"

    def release_dir(self, project_id: str, request_id: str) -> Path:
        return self.releases_dir(project_id) / request_id

    @property
    def airlock_dir(self) -> Path:
        """The hub's private copies of requested files (root only)."""
        return self.root / "airlock"

    @property
    def airlock_blobs(self) -> Path:
        return self.airlock_dir / "blobs"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse_catalog(self) -> Path:
        return self.warehouse_dir / "catalog.sqlite"

    @property
    def warehouse_data(self) -> Path:
        return self.warehouse_dir / "data"

    @property
    def warehouse_reports(self) -> Path:
        return self.warehouse_dir / "reports"

    def prepare_root(self) -> None:
        """Create the state root and the hub's private folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o711)
        self.hub_dir.mkdir(mode=0o700, exist_ok=True)
        self.hub_dir.chmod(0o700)
        self.projects_dir.mkdir(mode=0o711, exist_ok=True)


def default_runtime_dir(state_root: Path, uid: int, temp_dir: Path) -> Path:
    """Where the hub of ``state_root`` keeps its sockets.

    Unix socket paths must stay under 108 bytes and, because JupyterHub
    lowercases a server's host, in lowercase: so a short digest of the state
    folder under ``/run/bulle`` for root, under ``<temp_dir>/bulle-<uid>``
    otherwise.
    """
    digest = hashlib.sha256(str(state_root).encode()).hexdigest()[:12]
    base = RUNTIME_BASE if uid == 0 else temp_dir / f"bulle-{uid}"
    return base / digest


@dataclass(frozen=True)
class RuntimeLayout:
    """The hub's socket folder (see the module docstring); paths only."""

    root: Path

    @property
    def hub_dir(self) -> Path:
        return self.root / "hub"

    @property
    def hub_socket(self) -> Path:
        return self.hub_dir / "hub.sock"

    @property
    def bubbles_dir(self) -> Path:
        return self.root / "bubbles"

    def bubble_dir(self, token: str) -> Path:
        return self.bubbles_dir / token

    def bubble_socket_dir(self, token: str) -> Path:
        return self.bubble_dir(token) / "sock"

    def bubble_socket(self, token: str) -> Path:
        return self.bubble_socket_dir(token) / "server.sock"

    def bubble_etc_dir(self, token: str) -> Path:
        return self.bubble_dir(token) / "etc"
