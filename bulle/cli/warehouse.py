"""``bulle ingest`` and ``bulle warehouse``: load sources, read the warehouse's history."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.csv as pa_csv
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from bulle.audit import AuditTrail
from bulle.policies import PolicyInvalid

from .account import state_option
from .options import echo_policy_errors, policy_option
from .trail import db_option, tool_actor, tool_trail

EXIT_FAILED = 1
EXIT_INVALID = 2

config_option = click.option(
    "--config",
    "configs",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Python configuration file setting c.Warehouse (catalog URL, S3, keys); repeatable.",
)


def _settings(configs: tuple[Path, ...], state_dir: Path):  # type: ignore[no-untyped-def]
    from bulle.warehouse.config import load_warehouse_config

    return load_warehouse_config(configs, state_dir)


def _fail(message: str, status: int = EXIT_FAILED) -> None:
    click.echo(f"bulle: {message}", err=True)
    raise SystemExit(status)


@click.command()
@policy_option("holding sources/<name>.yaml")
@state_option
@config_option
@db_option
@click.option("--dry-run", is_flag=True, help="Read and check everything, write nothing.")
@click.argument("source")
def ingest(
    policy_dir: Path, state_dir: Path, configs: tuple[Path, ...], db_url: str | None, dry_run: bool, source: str
) -> None:
    """Load SOURCE's new and changed files into the warehouse.

    Each table is committed in one Iceberg snapshot, or not at all: a table
    with an unreadable file, an untreated identifier, or more rejected rows
    than the source's error budget makes the run commit nothing (exit 1). A
    policy with errors exits 2. The load report is written to
    <state>/warehouse/reports/. Every run, refused ones too, is recorded in
    the audit trail (warehouse.ingested); without a trail nothing is read.
    """
    from bulle.audit.store import AuditStoreError

    try:
        with tool_trail(state_dir, db_url, create=True) as trail:
            _ingest(trail, policy_dir, state_dir, configs, dry_run, source)
    except AuditStoreError as exc:
        _fail(f"cannot open the audit trail, so nothing was loaded: {exc}")


def _ingest(
    trail: AuditTrail, policy_dir: Path, state_dir: Path, configs: tuple[Path, ...], dry_run: bool, source: str
) -> None:
    from bulle.warehouse.events import ingest_refused, ingested
    from bulle.warehouse.ingest import SourceNotFound
    from bulle.warehouse.ingest import ingest as run_ingest
    from bulle.warehouse.pseudonym import KeyProblem
    from bulle.warehouse.report import format_report

    def refused(errors: list[str]) -> None:
        event = ingest_refused(_printable(source), errors, tool_actor(), _now(), dry_run=dry_run)
        trail.record(event).wait(timeout=60)

    settings = _settings(configs, state_dir)
    console = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    try:
        with progress:
            report = run_ingest(settings, policy_dir, source, dry_run=dry_run, progress=progress)
    except PolicyInvalid as invalid:
        refused([str(error) for error in invalid.errors])
        echo_policy_errors(policy_dir, invalid.errors)
        _fail("the policy has errors; nothing was loaded", EXIT_INVALID)
        return
    except (SourceNotFound, KeyProblem) as exc:
        refused([str(exc)])
        _fail(str(exc))
        return
    trail.record(ingested(report, tool_actor(), _now())).wait(timeout=60)
    click.echo(format_report(report))
    if not dry_run:
        click.echo(f"Load report: {settings.layout.warehouse_reports / (report.run_id + '.json')}")
    if report.failed:
        raise SystemExit(EXIT_FAILED)


def _printable(text: str) -> str:
    """``text`` as it may appear in a record: no control characters, at most 200 characters."""
    return text.encode("unicode_escape").decode("ascii")[:200] or "(empty)"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.group()
def warehouse() -> None:
    """Look at the warehouse: tables, their history, their past contents."""


@warehouse.command("history")
@state_option
@config_option
@click.argument("table")
def history_command(state_dir: Path, configs: tuple[Path, ...], table: str) -> None:
    """List the snapshots of TABLE (namespace.table), oldest first."""
    from bulle.warehouse.catalog import open_catalog
    from bulle.warehouse.history import HistoryProblem, open_table, table_history

    try:
        with open_catalog(_settings(configs, state_dir)) as catalog:
            entries = table_history(open_table(catalog, table))
    except HistoryProblem as exc:
        _fail(str(exc))
        return
    view = RichTable("snapshot", "committed (UTC)", "operation", "source", "run", "files", "+rows", "-rows", "rows")
    for e in entries:
        view.add_row(
            str(e.snapshot_id),
            e.committed_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.operation,
            e.source,
            e.run_id,
            e.files,
            str(e.rows_added),
            str(e.rows_deleted),
            str(e.total_rows),
        )
    Console(width=200).print(view)


@warehouse.command("shapes")
@policy_option("whose sources say which columns hold pseudonyms")
@state_option
@config_option
@click.argument("tables", nargs=-1)
def shapes_command(policy_dir: Path, state_dir: Path, configs: tuple[Path, ...], tables: tuple[str, ...]) -> None:
    """Print the shapes of TABLES (default: every table the policy grants) as YAML.

    Columns and Trino types come from the catalog, pseudonym columns from the
    sources that loaded the tables. `bulle policy compile --target trino
    --tables FILE` reads this document.
    """
    from bulle.policies import load_policy
    from bulle.warehouse.catalog import open_catalog
    from bulle.warehouse.shapes import ShapeProblem, shapes_yaml, warehouse_shapes

    try:
        loaded = load_policy(policy_dir)
    except PolicyInvalid as invalid:
        echo_policy_errors(policy_dir, invalid.errors)
        _fail("the policy has errors", EXIT_INVALID)
        return
    names = tables or tuple(g.table for p in loaded.projects.values() for g in p.grants)
    try:
        with open_catalog(_settings(configs, state_dir)) as catalog:
            shapes = warehouse_shapes(catalog, loaded, names)
    except ShapeProblem as exc:
        _fail(str(exc))
        return
    click.echo(shapes_yaml(shapes, "Shapes of warehouse tables, written by `bulle warehouse shapes`."), nl=False)


@warehouse.command("show")
@state_option
@config_option
@click.option("--as-of", "as_of", required=True, help="A snapshot id, or an ISO date or time (UTC unless zoned).")
@click.option("--limit", default=20, show_default=True, help="At most this many rows (printed as CSV).")
@click.argument("table")
def show_command(state_dir: Path, configs: tuple[Path, ...], as_of: str, limit: int, table: str) -> None:
    """Print TABLE (namespace.table) as it was at --as-of."""
    from bulle.warehouse.catalog import open_catalog
    from bulle.warehouse.history import HistoryProblem, open_table, read_as_of, resolve_as_of

    try:
        with open_catalog(_settings(configs, state_dir)) as catalog:
            iceberg_table = open_table(catalog, table)
            snapshot_id = resolve_as_of(iceberg_table, as_of)
            rows = read_as_of(iceberg_table, snapshot_id)
    except HistoryProblem as exc:
        _fail(str(exc))
        return
    click.echo(f"# {table} at snapshot {snapshot_id}: {rows.num_rows} rows", err=True)
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(rows.slice(0, limit), sink)
    sys.stdout.write(sink.getvalue().to_pybytes().decode())


@click.command()
@click.argument("shape", type=click.Choice(["snds", "omop", "demo"]))
@click.option("--patients", default=1000, show_default=True, help="How many patients.")
@click.option("--seed", default=2026, show_default=True, help="Random seed: the same seed gives the same files.")
@click.option(
    "--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write into."
)
@click.option("--care-per-patient", default=8, show_default=True, help="SNDS: ER_PRS_F rows per patient.")
@click.option("--files", default=4, show_default=True, help="SNDS: files ER_PRS_F is split into (deliveries).")
@click.option("--narrow", is_flag=True, help="SNDS: write ER_PRS_F with 18 key columns instead of all 122.")
def synth(shape: str, patients: int, seed: int, out: Path, care_per_patient: int, files: int, narrow: bool) -> None:
    """Write synthetic, linked SHAPE files for N patients into --out.

    snds: ;-delimited SNDS tables (IR_BEN_R, ER_PRS_F, ER_PHA_F, PMSI MCO, causes of death);
    omop: OMOP CDM 5.4 CSV tables; demo: both, plus the FHIR, VCF, DICOM and BIDS samples
    of the demo, in sub-folders. Patient i is the same person in every shape for one seed.
    """
    from bulle.warehouse.demo import write_demo_data
    from bulle.warehouse.synth import write_omop, write_snds

    if shape == "snds":
        written = write_snds(out, patients, seed, care_per_patient=care_per_patient, files=files, narrow=narrow)
    elif shape == "omop":
        written = write_omop(out, patients, seed)
    else:
        write_demo_data(out, patients, seed)
        written = [p for p in out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in written)
    click.echo(f"Wrote {len(written)} files ({size / 1e6:.1f} MB) into {out}")
