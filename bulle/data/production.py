"""Trino as the project's principal (the production deployment).

In production a bubble reads its project's views in Trino
(:mod:`bulle.policies.trino`): catalog ``projects``, the project's schema,
as the *project principal* ``<user>@<project>``. The spawner says where
Trino is in the bubble's environment (:func:`trino_environment`), and
:func:`connection_parameters` turns that environment into the arguments of
``trino.dbapi.connect``. Both are pure; only :func:`connect_trino` talks to
a server. Trino's file-based access control, compiled from the same policy,
lets that principal read its project's views and nothing else.

============================  ===============================================
``BULLE_TRINO_HOST``          the coordinator's host name
``BULLE_TRINO_PORT``          its port (default 443 for https, 8080 for http)
``BULLE_TRINO_HTTP_SCHEME``   ``https`` (default) or ``http``
``BULLE_TRINO_CATALOG``       the catalog of project views (``projects``)
``BULLE_TRINO_SCHEMA``        the project's schema (``psy_cohort``)
``BULLE_TRINO_USER``          the project principal (``alice@psy-cohort``)
``BULLE_TRINO_JWT_FILE``      optional: a file holding a JWT that authenticates
                              the principal (mounted by the deployment)
``BULLE_TRINO_CA_FILE``       optional: CA bundle that signs Trino's certificate
============================  ===============================================
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bulle.policies.grants import project_schema
from bulle.policies.trino import project_principal

DEFAULT_PORTS = {"https": 443, "http": 8080}


class DataAccessProblem(Exception):
    """The bubble's environment does not say how to reach its project's data."""


def trino_environment(url: str, catalog: str, user: str, project_id: str) -> dict[str, str]:
    """The bubble's variables for Trino at ``url`` (``https://trino.example.org:8443``)."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{url!r} is not a Trino URL; write https://host:port (or http:// on a trusted network)")
    return {
        "BULLE_DATA_BACKEND": "trino",
        "BULLE_TRINO_HOST": parts.hostname,
        "BULLE_TRINO_PORT": str(parts.port or DEFAULT_PORTS[parts.scheme]),
        "BULLE_TRINO_HTTP_SCHEME": parts.scheme,
        "BULLE_TRINO_CATALOG": catalog,
        "BULLE_TRINO_SCHEMA": project_schema(project_id),
        "BULLE_TRINO_USER": project_principal(user, project_id),
    }


def connection_parameters(env: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments of ``trino.dbapi.connect`` from the bubble's environment."""
    missing = [f"BULLE_TRINO_{k}" for k in ("HOST", "CATALOG", "SCHEMA", "USER") if not env.get(f"BULLE_TRINO_{k}")]
    if missing:
        raise DataAccessProblem(
            f"this bubble reads its data through Trino but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set; ask the platform's administrators"
        )
    scheme = env.get("BULLE_TRINO_HTTP_SCHEME", "https")
    parameters: dict[str, Any] = {
        "host": env["BULLE_TRINO_HOST"],
        "port": int(env.get("BULLE_TRINO_PORT") or DEFAULT_PORTS.get(scheme, 443)),
        "http_scheme": scheme,
        "user": env["BULLE_TRINO_USER"],
        "catalog": env["BULLE_TRINO_CATALOG"],
        "schema": env["BULLE_TRINO_SCHEMA"],
        "source": "bulle",
    }
    if env.get("BULLE_TRINO_CA_FILE"):
        parameters["verify"] = env["BULLE_TRINO_CA_FILE"]
    if env.get("BULLE_TRINO_JWT_FILE"):
        from trino.auth import JWTAuthentication

        token = Path(env["BULLE_TRINO_JWT_FILE"]).read_text(encoding="utf-8").strip()
        parameters["auth"] = JWTAuthentication(token)
    return parameters


def connect_trino(env: Mapping[str, str]) -> Any:
    """A Trino DB-API connection as the project principal (a ``trino.dbapi.Connection``)."""
    import trino.dbapi

    return trino.dbapi.connect(**connection_parameters(env))
