"""Real hubs for the integration tests.

``hub`` is parametrized over the hub database: SQLite in the state folder,
and a throwaway PostgreSQL database on 127.0.0.1:5432 (created and dropped
here). The test policy is written with dates relative to today. ``db_url``
(imported as ``empty_db_url``) is an empty hub database of either kind, for
tests of the tables bulle keeps there.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from bulle.hub.accounts import set_password
from bulle.state import StateLayout

from .hubprocess import HubProcess

PASSWORDS = {
    user: f"{user}-password-{secrets.token_hex(4)}"
    for user in ("alice", "bob", "chloe", "oscar", "olga", "ada", "mallory")
}
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def write_test_policy(directory: Path, today: dt.date) -> None:
    """Two open projects, one expired, one suspended; alice may run one bubble per project."""
    opened, closes = today - dt.timedelta(days=10), today + dt.timedelta(days=100)
    (directory / "projects").mkdir(parents=True)
    (directory / "platform.yaml").write_text(
        """timezone: Europe/Paris
profiles:
  - {name: notebook, kind: notebook, cpu: 1, memory: 1G, image: example.org/nb:1, idle_timeout: 1h, max_lifetime: 12h}
  - {name: large, kind: notebook, cpu: 2, memory: 2G, image: example.org/nb:1, idle_timeout: 1h, max_lifetime: 12h}
roles:
  admins: [ada]
  output_checkers: [oscar]
  data_stewards: [ada]
""",
        encoding="utf-8",
    )
    projects = {
        "psy-cohort": ("approved", opened, closes, "alice: researcher, chloe: data_scientist", "[notebook, large]"),
        "snds-cardio": ("approved", opened, closes, "bob: researcher, chloe: data_scientist", "[notebook]"),
        "pilot-2024": (
            "approved",
            today - dt.timedelta(days=400),
            today - dt.timedelta(days=1),
            "alice: project_lead",
            "[notebook]",
        ),
        "paused-study": ("suspended", opened, closes, "alice: researcher", "[notebook]"),
    }
    for project_id, (status, start, end, members, profiles) in projects.items():
        member_lines = "\n".join(
            f"  - user: {m.split(':')[0].strip()}\n    role: {m.split(':')[1].strip()}" for m in members.split(",")
        )
        (directory / "projects" / f"{project_id}.yaml").write_text(
            f"""id: {project_id}
title: Test project {project_id}
status: {status}
valid_from: {start.isoformat()}
valid_until: {end.isoformat()}
members:
{member_lines}
profiles: {profiles}
quotas:
  bubbles_per_member: 1
  bubbles_per_project: 3
  cpu: 4
  memory: 4G
""",
            encoding="utf-8",
        )


@pytest.fixture(scope="session")
def traversable_tmp() -> Iterator[Path]:
    """A temporary folder bubble accounts can traverse (pytest's own is 0700 root)."""
    path = Path(tempfile.mkdtemp(prefix="bulle-tests-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_state(
    base: Path, name: str, write_policy: Callable[[Path, dt.date], None] = write_test_policy
) -> tuple[Path, Path]:
    root = base / name
    policy_dir = root / "policy"
    write_policy(policy_dir, dt.datetime.now(dt.UTC).date())
    root.chmod(0o711)
    layout = StateLayout(root / "state")
    layout.prepare_root()
    for user, password in PASSWORDS.items():
        set_password(layout.accounts, user, password)
    return policy_dir, layout.root


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    name = f"bulle_test_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(name="db_url", params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty hub database: SQLite (a new file), or PostgreSQL (the module's throwaway database, emptied after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.sqlite'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub(request: pytest.FixtureRequest, traversable_tmp: Path) -> Iterator[HubProcess]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    policy_dir, state_dir = make_state(traversable_tmp, f"{request.module.__name__.rsplit('.', 1)[-1]}-{request.param}")
    running = HubProcess(policy_dir, state_dir, db_url).start()
    yield running
    running.stop()
