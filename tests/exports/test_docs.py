"""docs/airlock.md lists every rule the airlock refuses with, and every setting of the workflow."""

from __future__ import annotations

import re
from pathlib import Path

from bulle.exports import ExportWorkflow

REPO = Path(__file__).resolve().parents[2]
PATTERNS = [
    r'deny\(\s*"([a-z]+(?:-[a-z]+)*)"',  # deny("rule", ...)
    r'return\s*\(?\s*"([a-z]+(?:-[a-z]+)*)",',  # _reviewer_refusal's (rule, reason)
    r'ExportDenied\(\s*[\w.]+,\s*[\w.]+,\s*"([a-z]+(?:-[a-z]+)*)"',
    r'rule = "([a-z]+(?:-[a-z]+)*)"',
]


def rules_in_code() -> set[str]:
    found: set[str] = set()
    for path in [*(REPO / "bulle" / "exports").glob("*.py"), REPO / "policies" / "decisions.py"]:
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            found.update(re.findall(pattern, text))
    return found


def documented_rules() -> set[str]:
    """The rule names in the first column of the table under "## Rules"."""
    text = (REPO / "docs" / "airlock.md").read_text(encoding="utf-8")
    section = text.split("## Rules", 1)[1].split("\n## ", 1)[0]
    first_columns = re.findall(r"^\| ((?:`[a-z-]+`(?:, )?)+) \|", section, flags=re.MULTILINE)
    return {name for column in first_columns for name in re.findall(r"`([a-z-]+)`", column)}


def test_every_refusal_rule_is_documented() -> None:
    code = rules_in_code()
    assert {"self-review", "project-member", "outbox-path", "changed-since-request", "membership"} <= code
    quota_rules = {r for r in code if r.startswith("quota-")} | {"known-user", "profile"}  # starting a bubble
    missing = sorted(code - quota_rules - documented_rules())
    assert missing == [], f"rules missing from docs/airlock.md's table: {missing}"


def test_every_workflow_setting_is_documented() -> None:
    text = (REPO / "docs" / "airlock.md").read_text(encoding="utf-8")
    settings = {
        name
        for name, trait in ExportWorkflow.class_traits(config=True).items()
        if name not in ("policy", "state_dir", "db_url")
    }
    missing = sorted(name for name in settings if f"`{name}`" not in text)
    assert missing == [], f"settings missing from docs/airlock.md: {missing}"
