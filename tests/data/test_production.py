"""Production bubbles: what the spawner tells them about Trino, and what ``connect()`` would send.

No Trino server runs here, so the connection's parameters are checked, not a
session: the project principal, the project's schema in the catalog of views,
TLS by default, the JWT from the file the deployment mounts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from trino.auth import JWTAuthentication

from bulle.data import DataAccessProblem
from bulle.data.production import connection_parameters, trino_environment
from bulle.demo import write_demo_policy
from bulle.policies import load_policy
from bulle.spawner.bubble import make_bubble
from bulle.spawner.local import LocalBubbleSpawner
from bulle.state import StateLayout


def test_the_bubble_environment_names_the_project_principal_and_schema() -> None:
    assert trino_environment("https://trino.internal:8443", "projects", "alice", "psy-cohort") == {
        "BULLE_DATA_BACKEND": "trino",
        "BULLE_TRINO_HOST": "trino.internal",
        "BULLE_TRINO_PORT": "8443",
        "BULLE_TRINO_HTTP_SCHEME": "https",
        "BULLE_TRINO_CATALOG": "projects",
        "BULLE_TRINO_SCHEMA": "psy_cohort",
        "BULLE_TRINO_USER": "alice@psy-cohort",
    }
    assert trino_environment("https://trino.internal", "projects", "bob", "snds-cardio")["BULLE_TRINO_PORT"] == "443"


@pytest.mark.parametrize("url", ["trino.internal:8443", "ftp://trino.internal", "https://"])
def test_a_url_that_is_not_trinos_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="is not a Trino URL"):
        trino_environment(url, "projects", "alice", "psy-cohort")


def test_connection_parameters_from_the_environment(tmp_path: Path) -> None:
    env = trino_environment("https://trino.internal:8443", "projects", "alice", "psy-cohort")
    assert connection_parameters(env) == {
        "host": "trino.internal",
        "port": 8443,
        "http_scheme": "https",
        "user": "alice@psy-cohort",
        "catalog": "projects",
        "schema": "psy_cohort",
        "source": "bulle",
    }
    token = tmp_path / "jwt"
    token.write_text("header.payload.signature\n")
    authenticated = connection_parameters({**env, "BULLE_TRINO_JWT_FILE": str(token), "BULLE_TRINO_CA_FILE": "/ca.pem"})
    assert isinstance(authenticated["auth"], JWTAuthentication)
    assert authenticated["auth"].token == "header.payload.signature"
    assert authenticated["verify"] == "/ca.pem"


def test_a_bubble_missing_its_trino_settings_is_told_which() -> None:
    env = trino_environment("https://trino.internal:8443", "projects", "alice", "psy-cohort")
    del env["BULLE_TRINO_USER"], env["BULLE_TRINO_SCHEMA"]
    with pytest.raises(DataAccessProblem, match="BULLE_TRINO_SCHEMA, BULLE_TRINO_USER are not set"):
        connection_parameters(env)


def test_the_spawner_gives_bubbles_trino_only_when_configured(tmp_path: Path) -> None:
    write_demo_policy(tmp_path / "policy", dt.date(2026, 11, 25))
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    bubble = make_bubble(load_policy(tmp_path / "policy"), StateLayout(tmp_path), "bob", "snds-cardio", "notebook", now)
    assert LocalBubbleSpawner().data_environment(bubble) == {}, "embedded: the extract is pinned at launch"
    spawner = LocalBubbleSpawner(trino_url="https://trino.internal:8443")
    assert spawner.data_environment(bubble) == trino_environment(
        "https://trino.internal:8443", "projects", "bob", "snds-cardio"
    )
