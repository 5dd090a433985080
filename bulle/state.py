"""Where bulle keeps its state on one machine (the embedded deployment).

::

    <state>/                      0711  root
      hub/                        0700  hub database, cookie secret, local accounts,
                                        audit signing key and checkpoint copies
      projects/                   0711
        <project>/                0750  root:bulleprj-<project>
          work/                   0750  root:bulleprj-<project>
            <user>/               0700  bulle-<user>: the member's workspace
          shared/                 2770  root:bulleprj-<project>: shared by members
      warehouse/                  0700  the Iceberg warehouse (data stewards only)

Only paths are computed here; creating and owning them is the job of the
component that needs them (the hub for ``hub/``, the spawner for a workspace).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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

    def shared_dir(self, project_id: str) -> Path:
        return self.project_dir(project_id) / "shared"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    def prepare_root(self) -> None:
        """Create the state root and the hub's private folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o711)
        self.hub_dir.mkdir(mode=0o700, exist_ok=True)
        self.hub_dir.chmod(0o700)
        self.projects_dir.mkdir(mode=0o711, exist_ok=True)
