"""``bulle account``: local accounts of the embedded deployment."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bulle.hub.accounts import read_accounts, remove_account, set_password
from bulle.policies.names import MAX_USERNAME, slug_problem
from bulle.state import StateLayout

state_option = click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BULLE_STATE_DIR",
    default=Path("/var/lib/bulle"),
    show_default=True,
    help="bulle's state folder (env BULLE_STATE_DIR).",
)


@click.group()
def account() -> None:
    """Manage local accounts (username and password) of the embedded hub."""


@account.command("set-password")
@state_option
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.argument("username")
def set_password_command(state_dir: Path, password_stdin: bool, username: str) -> None:
    """Create USERNAME's account, or change its password."""
    problem = slug_problem(username, "username", MAX_USERNAME)
    if problem:
        raise click.BadParameter(problem, param_hint="USERNAME")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    layout = StateLayout(state_dir)
    layout.prepare_root()
    try:
        set_password(layout.accounts, username, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Password set for {username}.")


@account.command("remove")
@state_option
@click.argument("username")
def remove_command(state_dir: Path, username: str) -> None:
    """Remove USERNAME's local account."""
    if not remove_account(StateLayout(state_dir).accounts, username):
        raise click.ClickException(f"there is no account {username!r}")
    click.echo(f"Removed the account of {username}.")


@account.command("list")
@state_option
def list_command(state_dir: Path) -> None:
    """List local accounts (never their passwords)."""
    for name in sorted(read_accounts(StateLayout(state_dir).accounts)):
        click.echo(name)
