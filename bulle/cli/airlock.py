"""``bulle airlock``: the automated disclosure checks from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bulle.airlock import Kind, Status, Verdict, check_output, load_output
from bulle.policies import DISCLOSURE_PROFILES

# 2 is click's usage error, so a failed check is told apart from a mistyped option.
EXIT_STATUS = {Status.PASS: 0, Status.REVIEW: 1, Status.FAIL: 3}


@click.group()
def airlock() -> None:
    """Check outputs before they leave a bubble."""


def _labels(labels: tuple[str, ...]) -> str:
    return " / ".join(labels) if labels else "-"


def format_verdict(verdict: Verdict) -> str:
    """The verdict as a few lines of text for a terminal."""
    rules = verdict.rules
    lines = [
        f"{verdict.status.value}: {verdict.file} ({verdict.kind}; safe_threshold {rules.safe_threshold}, "
        f"safe_dof_threshold {rules.safe_dof_threshold}, zeros_are_disclosive "
        f"{str(rules.zeros_are_disclosive).lower()})"
    ]
    for check in verdict.checks:
        lines.append(f"  {check.status.value:<7} {check.rule:<14} {check.message}")
        for cell in check.cells:
            lines.append(f"          row {_labels(cell.row)} · column {_labels(cell.column)}: {cell.reason}")
    return "\n".join(lines)


@airlock.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice([k.value for k in Kind]), required=True, help="What the file is.")
@click.option(
    "--counts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="For a statistics table: the records (and contributions) behind each cell.",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    help="Minimum cell count (safe_threshold); default 10, the default profile's.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def check(file: Path, kind: str, counts: Path | None, threshold: int | None, as_json: bool) -> None:
    """Run the disclosure checks on FILE declared as KIND and print the verdict.

    Exits with 0 when the file passes, 1 when it needs review, 3 when it fails.
    ACRO's results.json in the same folder is read as evidence.
    """
    if counts is not None and kind != Kind.STATISTICS:
        raise click.UsageError("--counts goes with --kind statistics: it gives the counts behind a table of values")
    rules = DISCLOSURE_PROFILES["default"]
    if threshold is not None:
        rules = rules.model_copy(update={"safe_threshold": threshold})
    output = load_output(file, kind, counts, max_bytes=rules.max_file_size)
    verdict = check_output(output, rules)
    if as_json:
        click.echo(json.dumps(verdict.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_verdict(verdict))
    raise SystemExit(EXIT_STATUS[verdict.status])
