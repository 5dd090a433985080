"""``bulle hub`` and ``bulle demo``: run the hub, or the demo hub."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import click

from bulle.demo import DEMO_USERS, write_demo_policy
from bulle.hub.accounts import set_password
from bulle.state import StateLayout

from .options import policy_option
from .trail import tool_trail

DEMO_BIND_URL = "http://127.0.0.1:8000"
DEMO_ACTOR = "system:demo"  # who the demo's ingests and extracts are recorded as


INSECURE_HELP = (
    "Run bubbles without a sandbox (no network, mount or PID isolation) where this machine cannot make one. "
    "Every page of the hub then says that bubbles are not isolated. Never use it with real data."
)


def run_hub(
    policy_dir: Path,
    state_dir: Path,
    db_url: str | None,
    configs: Sequence[Path],
    args: Sequence[str],
    insecure_no_sandbox: bool = False,
) -> None:
    """Run JupyterHub in this process with bulle's configuration file."""
    from jupyterhub.app import JupyterHub

    if insecure_no_sandbox:
        os.environ["BULLE_INSECURE_NO_SANDBOX"] = "1"
        click.secho("bulle: WARNING: bubbles will NOT be isolated (--insecure-no-sandbox).", fg="red", err=True)
    os.environ["BULLE_POLICY_DIR"] = str(policy_dir.resolve())
    os.environ["BULLE_STATE_DIR"] = str(state_dir.resolve())
    if db_url:
        os.environ["BULLE_DB_URL"] = db_url
    if configs:
        os.environ["BULLE_CONFIG"] = os.pathsep.join(str(c.resolve()) for c in configs)
    config_file = str(resources.files("bulle.hub").joinpath("jupyterhub_config.py"))
    JupyterHub.launch_instance(["-f", config_file, *args])


@click.command(context_settings={"ignore_unknown_options": True})
@policy_option()
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BULLE_STATE_DIR",
    default=Path("/var/lib/bulle"),
    show_default=True,
    help="State folder (env BULLE_STATE_DIR).",
)
@click.option(
    "--db-url", envvar="BULLE_DB_URL", help="Hub database URL (env BULLE_DB_URL); default SQLite in the state folder."
)
@click.option(
    "--config",
    "configs",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Extra JupyterHub configuration file, loaded before bulle's (repeatable).",
)
@click.option("--insecure-no-sandbox", is_flag=True, help=INSECURE_HELP)
@click.argument("jupyterhub_args", nargs=-1, type=click.UNPROCESSED)
def hub(
    policy_dir: Path,
    state_dir: Path,
    db_url: str | None,
    configs: tuple[Path, ...],
    insecure_no_sandbox: bool,
    jupyterhub_args: tuple[str, ...],
) -> None:
    """Run the hub: JupyterHub configured from the policy.

    Arguments after the options go to JupyterHub, for example
    `bulle hub --policy p/ -- --JupyterHub.bind_url=http://127.0.0.1:9000`.
    The hub refuses to start (exit status 2) when the policy has errors, and
    when this machine cannot sandbox bubbles (bubblewrap missing, not root, no
    namespaces) unless --insecure-no-sandbox is given.
    """
    run_hub(policy_dir, state_dir, db_url, configs, jupyterhub_args, insecure_no_sandbox)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".demo"),
    show_default=True,
    help="State folder of the demo; created with a demo policy if absent.",
)
@click.option("--bind-url", default=DEMO_BIND_URL, show_default=True, help="Public URL of the demo hub.")
@click.option("--insecure-no-sandbox", is_flag=True, help=INSECURE_HELP)
@click.argument("jupyterhub_args", nargs=-1, type=click.UNPROCESSED)
def demo(state_dir: Path, bind_url: str, insecure_no_sandbox: bool, jupyterhub_args: tuple[str, ...]) -> None:
    """Start the demo hub with two projects and five users.

    Writes a demo policy and accounts into the state folder the first time,
    prints who is who and their passwords, and runs the hub until Ctrl-C,
    which stops every bubble it started. Bubbles are sandboxed; where this
    machine cannot do that, the demo refuses to start unless given
    --insecure-no-sandbox. Arguments after the options go to JupyterHub, as
    for `bulle hub`.
    """
    layout = StateLayout(state_dir.resolve())
    layout.prepare_root()
    policy_dir = layout.root / "policies"
    if not (policy_dir / "platform.yaml").exists():
        write_demo_policy(policy_dir, dt.datetime.now(dt.UTC).date())
        click.echo(f"Wrote the demo policy to {policy_dir}")
    prepare_demo_warehouse(layout, policy_dir)
    passwords = ensure_demo_accounts(layout)
    click.echo(demo_banner(bind_url, policy_dir, passwords))
    run_hub(
        policy_dir, layout.root, None, (), [f"--JupyterHub.bind_url={bind_url}", *jupyterhub_args], insecure_no_sandbox
    )


def prepare_demo_warehouse(layout: StateLayout, policy_dir: Path) -> None:
    """Generate the demo's synthetic sources and load them into the warehouse (first start only), then
    extract each project's grants for its bubbles (a no-op when neither the grants nor the data changed)."""
    from bulle.policies import load_policy
    from bulle.warehouse.demo import demo_settings
    from bulle.warehouse.demo import prepare_demo_warehouse as prepare
    from bulle.warehouse.events import ingested

    from .extract import run_extracts

    with tool_trail(layout.root, None, create=True) as trail:
        for report in prepare(layout, policy_dir, echo=click.echo):
            trail.record(ingested(report, DEMO_ACTOR, dt.datetime.now(dt.UTC))).wait(timeout=60)
        projects = [p.id for p in load_policy(policy_dir).projects.values() if p.grants]
        if not run_extracts(demo_settings(layout), policy_dir, projects, trail, DEMO_ACTOR):
            raise click.ClickException("the demo's projects could not be extracted; see above")


def ensure_demo_accounts(layout: StateLayout) -> dict[str, str]:
    """Demo passwords, created once per state folder and kept there (mode 0600)."""
    path = layout.hub_dir / "demo-passwords.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    passwords = {user: secrets.token_urlsafe(12) for user in DEMO_USERS}
    for user, password in passwords.items():
        set_password(layout.accounts, user, password)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, indent=2)
    return passwords


def demo_banner(bind_url: str, policy_dir: Path, passwords: dict[str, str]) -> str:
    lines = [
        "",
        f"bulle demo: open {bind_url} and log in as one of these users.",
        "",
        f"  {'user':<8} {'password':<18} who",
    ]
    for user, who in DEMO_USERS.items():
        lines.append(f"  {user:<8} {passwords[user]:<18} {who}")
    lines += [
        "",
        f"The policy is in {policy_dir}; edit it, check it with `bulle policy validate {policy_dir}`,",
        "and restart the demo to apply it. Press Ctrl-C to stop the hub and every bubble.",
        "",
    ]
    return "\n".join(lines)
