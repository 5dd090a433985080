"""The ``bulle`` command.

Each subcommand group lives in its own module and is added to :data:`main`
here; run ``bulle --help`` for the list.
"""

from __future__ import annotations

import click

from bulle import __version__

from .access import access
from .account import account
from .airlock import airlock
from .audit import audit_group
from .extract import extract
from .hub import demo, hub
from .policy import policy
from .trino import trino
from .warehouse import ingest, synth, warehouse


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="bulle")
def main() -> None:
    """bulle: a trusted research environment for health data, built on JupyterHub."""


main.add_command(policy)
main.add_command(hub)
main.add_command(demo)
main.add_command(account)
main.add_command(trino)
main.add_command(access)
main.add_command(airlock)
main.add_command(ingest)
main.add_command(extract)
main.add_command(warehouse)
main.add_command(synth)
main.add_command(audit_group, name="audit")
