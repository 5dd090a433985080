"""JupyterHub configured from the bulle policy.

:func:`configure_hub` is called by ``jupyterhub_config.py``. It reads the
``Bulle`` section of the configuration (:class:`Bulle`), loads the
policy once, and derives everything else from that one object: who may log
in, roles, spawner limits, pages. If the policy has any error the hub does not
start: the errors are printed as ``file:line: key: message`` and the process
exits with status 2, so a broken policy is never half-applied.

Deployer configuration is loaded before this runs; values bulle merely
prefers are set only where the deployer set nothing, and values that would
weaken access control are refused with a message that says what to do.
"""

from __future__ import annotations

import os
import shutil
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from traitlets import Bool, Unicode, default
from traitlets.config import Config, Configurable

from bulle.policies import Policy, PolicyInvalid, load_policy
from bulle.policies.jupyterhub import CUSTOM_SCOPES, compile_hub_roles
from bulle.state import StateLayout

from .airlock import configure_airlock
from .auditlog import configure_audit
from .pages import home_template_vars
from .sandbox import SandboxUnavailable, configure_sandbox

DEFAULT_BIND_URL = "http://127.0.0.1:8000"


class Bulle(Configurable):
    """The ``c.Bulle`` section: where the policy and the state live."""

    policy_dir = Unicode(
        help="""Folder of the policy (platform.yaml, projects/). Default: the
        BULLE_POLICY_DIR environment variable.""",
    ).tag(config=True)

    state_dir = Unicode(
        help="""Folder of bulle's state: hub database and secrets, project
        workspaces, warehouse. Default: BULLE_STATE_DIR, else /var/lib/bulle.""",
    ).tag(config=True)

    db_url = Unicode(
        help="""SQLAlchemy URL of the hub database. Default: BULLE_DB_URL, else
        a SQLite file in the state folder. Use postgresql+psycopg://... in
        production.""",
    ).tag(config=True)

    insecure_no_sandbox = Bool(
        help="""Run bubbles without a sandbox (no network, mount or PID
        isolation), where this machine cannot make one. Every page of the hub
        then says that bubbles are not isolated. Default: the
        BULLE_INSECURE_NO_SANDBOX environment variable (1 for true), set by
        `bulle hub --insecure-no-sandbox`; otherwise False, and the hub
        refuses to start where bubbles cannot be sandboxed.""",
    ).tag(config=True)

    @default("insecure_no_sandbox")
    def _insecure_no_sandbox_default(self) -> bool:
        return os.environ.get("BULLE_INSECURE_NO_SANDBOX", "") == "1"

    @default("policy_dir")
    def _policy_dir_default(self) -> str:
        return os.environ.get("BULLE_POLICY_DIR", "")

    @default("state_dir")
    def _state_dir_default(self) -> str:
        return os.environ.get("BULLE_STATE_DIR", "/var/lib/bulle")

    @default("db_url")
    def _db_url_default(self) -> str:
        return os.environ.get("BULLE_DB_URL", "")


class MisplacedConfig(Exception):
    """Deployer configuration that would weaken bulle's access control."""


def load_policy_or_exit(policy_dir: str) -> Policy:
    if not policy_dir:
        print("bulle: no policy folder; set c.Bulle.policy_dir or BULLE_POLICY_DIR", file=sys.stderr)
        raise SystemExit(2)
    try:
        return load_policy(policy_dir)
    except PolicyInvalid as invalid:
        for error in invalid.errors:
            print(f"{Path(policy_dir) / error.file}:{error.line}: {error.key}: {error.message}", file=sys.stderr)
        print(f"bulle: the hub did not start: the policy in {policy_dir} has errors", file=sys.stderr)
        raise SystemExit(2) from None


def configure_hub(c: Config) -> Policy:
    """Apply bulle's configuration to ``c``; return the policy it loaded."""
    settings = Bulle(config=c)
    try:
        _refuse_weakening(c)
    except MisplacedConfig as exc:
        print(f"bulle: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    policy = load_policy_or_exit(settings.policy_dir)
    layout = StateLayout(Path(settings.state_dir).resolve())
    layout.prepare_root()
    try:
        isolation_warning = configure_sandbox(c, layout, settings.insecure_no_sandbox)
    except SandboxUnavailable as exc:
        print(f"bulle: the hub did not start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    _prefer(c.JupyterHub, "authenticator_class", "bulle-local")
    _prefer(c.JupyterHub, "spawner_class", "bulle-local")
    _prefer(c.JupyterHub, "bind_url", DEFAULT_BIND_URL)
    _prefer(c.JupyterHub, "db_url", settings.db_url or f"sqlite:///{layout.hub_db}")
    _prefer(c.JupyterHub, "cookie_secret_file", str(layout.cookie_secret))
    _prefer(c.JupyterHub, "default_url", "/hub/home")
    _prefer(c.ConfigurableHTTPProxy, "command", [find_proxy_command()])
    _prefer(c.ConfigurableHTTPProxy, "pid_file", str(layout.hub_dir / "jupyterhub-proxy.pid"))
    _prefer(c.LocalPasswordAuthenticator, "accounts_file", str(layout.accounts))
    _prefer(c.Spawner, "start_timeout", 120)
    _prefer(c.Spawner, "http_timeout", 60)
    # Bubbles outlive the hub exactly when JupyterHub is told not to stop them.
    # (Given on the command line, cleanup_servers is not visible here: pass
    # --LocalBubbleSpawner.outlive_hub=True with it.)
    _prefer(c.LocalBubbleSpawner, "outlive_hub", c.JupyterHub.get("cleanup_servers", True) is False)

    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = 0
    c.JupyterHub.template_paths = [_templates_dir(), *c.JupyterHub.get("template_paths", [])]
    c.JupyterHub.template_vars = {
        **c.JupyterHub.get("template_vars", {}),
        **home_template_vars(policy, isolation_warning),
    }
    c.JupyterHub.custom_scopes = {**c.JupyterHub.get("custom_scopes", {}), **CUSTOM_SCOPES}
    c.JupyterHub.load_roles = compile_hub_roles(policy)
    c.Authenticator.allow_all = False
    c.Authenticator.allow_existing_users = False
    c.Authenticator.policy = policy
    c.Spawner.policy = policy
    c.Spawner.state_dir = str(layout.root)
    c.Spawner.cmd = [_singleuser_command()]
    configure_audit(c, policy, str(Path(settings.policy_dir).resolve()), layout)
    configure_airlock(c, policy, layout)
    return policy


def _prefer(section: Any, key: str, value: Any) -> None:
    if key not in section:
        section[key] = value


def _refuse_weakening(c: Config) -> None:
    problems = []
    if c.Authenticator.get("allow_all") is True:
        problems.append("c.Authenticator.allow_all = True would let anyone who can log in use bulle")
    if c.JupyterHub.get("load_roles"):
        problems.append("c.JupyterHub.load_roles is compiled from the policy; declare roles in platform.yaml")
    if c.Authenticator.get("allowed_users") or c.Authenticator.get("admin_users"):
        problems.append("allowed_users/admin_users come from the policy; add users to projects or platform roles")
    if problems:
        details = "\n  - ".join(problems)
        raise MisplacedConfig(f"bulle refuses configuration that bypasses the policy:\n  - {details}")


def find_proxy_command() -> str:
    """configurable-http-proxy on PATH, else in the source tree's node_modules."""
    found = shutil.which("configurable-http-proxy")
    if found:
        return found
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "node_modules" / ".bin" / "configurable-http-proxy"
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(
        "configurable-http-proxy was not found on PATH or in node_modules; "
        "run `make demo` (or `npm install` in the bulle source folder)"
    )


def _singleuser_command() -> str:
    beside_python = Path(sys.executable).parent / "jupyterhub-singleuser"
    return str(beside_python) if beside_python.exists() else "jupyterhub-singleuser"


def _templates_dir() -> str:
    return str(resources.files("bulle.hub").joinpath("templates"))
