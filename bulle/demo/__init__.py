"""The demo: a policy with two live projects, one expired, and five users.

The policy files are templates whose dates are set relative to the day the demo
is created, so a fresh clone never starts with expired projects.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from string import Template

DEMO_USERS: dict[str, str] = {
    "alice": "researcher in psy-cohort (and lead of the expired pilot-2024)",
    "bob": "researcher in snds-cardio",
    "chloe": "data scientist in psy-cohort and snds-cardio",
    "oscar": "output checker",
    "ada": "administrator and data steward",
}


def demo_dates(today: dt.date) -> dict[str, str]:
    return {
        "valid_from": (today - dt.timedelta(days=30)).isoformat(),
        "valid_until": (today + dt.timedelta(days=365)).isoformat(),
        "expired_from": (today - dt.timedelta(days=400)).isoformat(),
        "expired_until": (today - dt.timedelta(days=35)).isoformat(),
    }


def write_demo_policy(directory: Path, today: dt.date) -> list[Path]:
    """Write the demo policy into ``directory`` (which must not hold one yet)."""
    dates = demo_dates(today)
    written = []
    source = resources.files(__name__).joinpath("policy")
    sources = (f"sources/{p}" for p in _yaml_files(source, "sources"))
    for relative in ("platform.yaml", *(f"projects/{p}" for p in _yaml_files(source, "projects")), *sources):
        text = source.joinpath(relative).read_text(encoding="utf-8")
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(text).substitute(dates), encoding="utf-8")
        written.append(target)
    return written


def _yaml_files(source: resources.abc.Traversable, folder: str) -> list[str]:
    return sorted(p.name for p in source.joinpath(folder).iterdir() if p.name.endswith(".yaml"))
