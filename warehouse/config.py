"""The ``c.Warehouse`` configuration section: where the catalog, the data and the secrets are.

Embedded default (nothing configured): a SQLite catalog and a data folder
under ``<state>/warehouse/``. Production: a PostgreSQL catalog URL and an
``s3://`` location, with the endpoint, credentials and SSE-C customer key
given here. Configuration files are Python, as JupyterHub's are::

    c.Warehouse.catalog_url = "postgresql+psycopg://bulle@db/warehouse"
    c.Warehouse.location = "s3://health-warehouse/iceberg"
    c.Warehouse.s3_endpoint = "https://s3.example.org"
    c.Warehouse.s3_sse_customer_key_file = "/run/secrets/sse-c-key"
    c.Warehouse.pseudonym_key_file = "/run/secrets/pseudonym-key"

Secrets are only ever given as file paths or environment variable names,
so they are in no configuration file and no command line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from traitlets import Int, Unicode, default
from traitlets.config import Config, Configurable, PyFileConfigLoader

from bulle.state import StateLayout

from .pseudonym import KeyProblem, PseudonymKey


class Warehouse(Configurable):
    """Where the warehouse lives and which secrets it uses."""

    state_dir = Unicode(
        help="bulle's state folder; the embedded warehouse is its warehouse/ folder. Default: BULLE_STATE_DIR, "
        "else /var/lib/bulle.",
    ).tag(config=True)

    catalog_url = Unicode(
        help="""SQLAlchemy URL of the Iceberg SQL catalog. Default: a SQLite file
        <state>/warehouse/catalog.sqlite. Production: postgresql+psycopg://user@host/db.""",
    ).tag(config=True)

    location = Unicode(
        help="""Where table data and metadata are written: a local folder or an s3://bucket/prefix URL.
        Default: <state>/warehouse/data.""",
    ).tag(config=True)

    s3_endpoint = Unicode("", help="S3 endpoint URL, e.g. https://s3.example.org (empty: AWS).").tag(config=True)
    s3_region = Unicode("us-east-1", help="S3 region name.").tag(config=True)
    s3_access_key_id = Unicode(help="S3 access key id. Default: AWS_ACCESS_KEY_ID.").tag(config=True)
    s3_secret_access_key_env = Unicode(
        "AWS_SECRET_ACCESS_KEY", help="Name of the environment variable holding the S3 secret access key."
    ).tag(config=True)
    s3_sse_customer_key_file = Unicode(
        "",
        help="""File holding the 32-byte SSE-C customer key (raw, or base64 text). When set, every
        object is written and read with server-side encryption under this key (SSE-C), and the
        object store refuses to return data to anyone without it. Empty: no SSE-C.""",
    ).tag(config=True)

    pseudonym_key_file = Unicode(
        help="""File holding the pseudonymisation key (at least 32 bytes). Default:
        BULLE_PSEUDONYM_KEY_FILE; when neither is set, the key is read from the environment
        variable named by pseudonym_key_env.""",
    ).tag(config=True)
    pseudonym_key_env = Unicode(
        "BULLE_PSEUDONYM_KEY", help="Environment variable holding the pseudonymisation key, if no file is set."
    ).tag(config=True)

    commit_retries = Int(
        10, help="How many times a commit that lost a race with another ingest is retried (default 10)."
    ).tag(config=True)

    @default("state_dir")
    def _state_dir_default(self) -> str:
        return os.environ.get("BULLE_STATE_DIR", "/var/lib/bulle")

    @default("catalog_url")
    def _catalog_url_default(self) -> str:
        return f"sqlite:///{self.layout.warehouse_catalog}"

    @default("location")
    def _location_default(self) -> str:
        return str(self.layout.warehouse_data)

    @default("s3_access_key_id")
    def _s3_access_key_id_default(self) -> str:
        return os.environ.get("AWS_ACCESS_KEY_ID", "")

    @default("pseudonym_key_file")
    def _pseudonym_key_file_default(self) -> str:
        return os.environ.get("BULLE_PSEUDONYM_KEY_FILE", "")

    @property
    def layout(self) -> StateLayout:
        return StateLayout(Path(self.state_dir))

    @property
    def is_s3(self) -> bool:
        return self.location.startswith("s3://")

    def pseudonym_key(self) -> PseudonymKey:
        """The pseudonymisation key, from its file or environment variable; raises :class:`KeyProblem`."""
        if self.pseudonym_key_file:
            return PseudonymKey.from_file(self.pseudonym_key_file)
        if os.environ.get(self.pseudonym_key_env):
            return PseudonymKey.from_env(self.pseudonym_key_env)
        raise KeyProblem(
            "no pseudonymisation key: set c.Warehouse.pseudonym_key_file (or BULLE_PSEUDONYM_KEY_FILE) to a file "
            f"holding at least 32 random bytes, or put the key in the environment variable {self.pseudonym_key_env}"
        )


def load_warehouse_config(files: Sequence[Path], state_dir: Path | None = None) -> Warehouse:
    """Read Python configuration files (later files win) into a :class:`Warehouse`."""
    config = Config()
    for path in files:
        loader = PyFileConfigLoader(path.name, path=str(path.parent))
        config.merge(loader.load_config())
    if state_dir is not None:
        config.Warehouse.state_dir = str(state_dir)
    return Warehouse(config=config)
