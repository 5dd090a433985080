from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bulle.cli import main
from bulle.hub.accounts import read_accounts, verify_password


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", all_commands(main), ids=lambda c: " ".join(c) or "bulle")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"], prog_name="bulle")
    assert result.exit_code == 0, result.output
    assert "Usage: bulle" in result.output


def test_set_password_creates_a_hashed_account(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["account", "set-password", "--state", str(tmp_path), "--password-stdin", "alice"],
        input="a long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    accounts_file = tmp_path / "hub" / "accounts.json"
    assert stat.S_IMODE(accounts_file.stat().st_mode) == 0o600
    stored = read_accounts(accounts_file)["alice"]
    assert "a long passphrase" not in accounts_file.read_text()
    assert verify_password("a long passphrase", stored)
    assert not verify_password("a long passphrasE", stored)
    assert json.loads(accounts_file.read_text())["version"] == 1
    listed = runner.invoke(main, ["account", "list", "--state", str(tmp_path)])
    assert listed.output == "alice\n"


def test_short_password_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["account", "set-password", "--state", str(tmp_path), "--password-stdin", "alice"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert not (tmp_path / "hub" / "accounts.json").exists()


def test_invalid_username_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["account", "set-password", "--state", str(tmp_path), "--password-stdin", "Jean.Dupont"], input="x" * 20
    )
    assert result.exit_code == 2
    assert "not DNS-safe" in result.output


def test_removing_an_unknown_account_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["account", "remove", "--state", str(tmp_path), "nobody"])
    assert result.exit_code == 1
    assert "there is no account 'nobody'" in result.output


@pytest.mark.parametrize("stored", ["", "md5$abc", "scrypt$1$2$3$!!$!!", "scrypt$x$8$1$AAAA$AAAA"])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not verify_password("anything", stored)
