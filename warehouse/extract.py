"""``bulle extract PROJECT``: materialise a project's grants into a new version of its extract.

One run goes through fixed steps:

1. *plan*: load the project's grants; for each, the table's shape from the
   catalog (:mod:`.shapes`), the snapshot it reads (the grant's ``snapshot``
   pin, else the table's current one), its canonical view rendered for DuckDB
   (:mod:`bulle.policies.views`) and the *grant digest* (SHA-256 of the
   canonical grant and that SQL); the *plan digest* covers them all with the
   project and the key id (:func:`bulle.data.manifest.plan_digest`);
2. under the project's extraction lock, remove unused versions; if the
   current version has the same plan, stop: the run is a no-op;
3. build the project's *pseudonym map*: the distinct warehouse pseudonyms of
   every re-keyed column of every grant, at the pinned snapshots, re-keyed in
   memory with the project key derived from the warehouse secret
   (:mod:`bulle.policies.pseudonyms`). It is handed to DuckDB as an Arrow
   table: the key is in no SQL text, and the map is written nowhere;
4. write each view into ``v<N>/<view>.parquet`` (DuckDB ``COPY`` of the view
   over the pinned Iceberg scan), then ``extract.duckdb`` (one view per file),
   then ``manifest.json``, last;
5. publish ``v<N>`` (the ``current`` link switches atomically) and remove the
   previous version unless a running bubble holds it (:mod:`bulle.data.versions`).

A run killed at any point leaves ``current`` where it was; the half-written
folder is not current and no bubble holds it, so the next run removes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table
from sqlglot import exp

from bulle import audit
from bulle.data.manifest import (
    DATABASE_NAME,
    MANIFEST_NAME,
    ExtractColumn,
    ExtractTable,
    Manifest,
    ManifestProblem,
    plan_digest,
    read_manifest,
)
from bulle.data.versions import ExtractVersions
from bulle.policies import Grant, Policy, Project, load_policy
from bulle.policies.grants import view_name
from bulle.policies.model import AllColumnsBut
from bulle.policies.pseudonyms import MAP_PROJECT_COLUMN, MAP_WAREHOUSE_COLUMN, project_key_label, project_pseudonyms
from bulle.policies.views import SOURCE_ALIAS, GrantsNotCompilable, GrantView, compile_grant, render

from .catalog import open_catalog
from .commit import KEY_ID_PROPERTY
from .config import Warehouse
from .duck import connect
from .events import extract_failed, extracted
from .pseudonym import PseudonymKey
from .shapes import ShapeProblem, load_table, warehouse_shapes

MAP_RELATION = "bulle_pseudonym_map"
THREADS = 4


class ExtractProblem(Exception):
    """The project's grants cannot be extracted; the message says why and what to do."""


@dataclass(frozen=True)
class PlannedGrant:
    """One grant, compiled against its table at a pinned snapshot."""

    index: int
    grant: Grant
    name: str
    table: Table
    snapshot_id: int
    view: GrantView
    sql: str
    sha256: str
    source_fields: tuple[str, ...]  # the Iceberg columns the view reads, as the table spells them
    rekeyed_fields: tuple[str, ...]

    @property
    def relation(self) -> str:
        return source_relation(self.name)


@dataclass
class ExtractRun:
    """What one run did (see :func:`extract_project`)."""

    project: str
    status: str  # created | unchanged
    version: str | None
    previous: str | None
    plan_sha256: str
    key_id: str
    tables: list[ExtractTable] = field(default_factory=list)
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


def source_relation(name: str) -> str:
    return f"bulle_source_{name}"


def canonical_grant(grant: Grant) -> dict[str, object]:
    """The grant as plain JSON values, every key present (the digest's input)."""
    columns: object = grant.columns
    if isinstance(grant.columns, AllColumnsBut):
        columns = {"all_but": list(grant.columns.all_but)}
    elif not isinstance(grant.columns, str):
        columns = list(grant.columns)
    snapshot = grant.snapshot.isoformat() if isinstance(grant.snapshot, dt.datetime) else grant.snapshot
    return {
        "table": grant.table,
        "columns": columns,
        "row_filter": grant.row_filter,
        "masks": dict(grant.masks),
        "pseudonym_scope": grant.pseudonym_scope.value,
        "snapshot": snapshot,
    }


def grant_digest(grant: Grant, sql: str) -> str:
    """SHA-256 of the canonical grant (JSON, sorted keys) and its rendered SQL."""
    canonical = json.dumps(canonical_grant(grant), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{canonical}\n{sql}".encode()).hexdigest()


def resolve_snapshot(table: Table, pin: int | dt.datetime | None) -> int:
    """The snapshot a grant reads: its pin (an id, or the snapshot current at a time), else the current one."""
    name = ".".join(table.name()[-2:])
    if pin is None:
        snapshot = table.current_snapshot()
        if snapshot is None:
            raise ExtractProblem(f"{name} has no data yet; load it with bulle ingest first")
        return snapshot.snapshot_id
    if isinstance(pin, dt.datetime):
        entry = table.snapshot_as_of_timestamp(int(pin.timestamp() * 1000))
        if entry is None:
            raise ExtractProblem(f"{name} did not exist yet at {pin.isoformat()}, the snapshot the grant pins")
        return entry.snapshot_id
    if table.snapshot_by_id(pin) is None:
        raise ExtractProblem(f"{name} has no snapshot {pin}, the one the grant pins; see `bulle warehouse history`")
    return pin


def plan_grants(catalog: Catalog, policy: Policy, project: Project, key_id: str) -> list[PlannedGrant]:
    """Compile every grant of ``project`` against the warehouse (step 1); :class:`ExtractProblem` otherwise."""
    try:
        shapes = warehouse_shapes(catalog, policy, [g.table for g in project.grants])
    except ShapeProblem as problem:
        raise ExtractProblem(str(problem)) from None
    planned, problems = [], []
    for index, grant in enumerate(project.grants):
        name = view_name(grant.table)
        try:
            view = compile_grant(
                project.id, index, grant, shapes, exp.to_table(source_relation(name)), exp.to_table(MAP_RELATION)
            )
        except GrantsNotCompilable as error:
            problems.extend(str(p) for p in error.problems)
            continue
        table = load_table(catalog, grant.table)
        _check_key(table, key_id)
        sql = render(view.select, "duckdb")
        fields = {f.name.lower(): f.name for f in table.schema().fields}
        used = sorted({c.name for c in view.select.find_all(exp.Column) if c.table == SOURCE_ALIAS})
        planned.append(
            PlannedGrant(
                index=index,
                grant=grant,
                name=name,
                table=table,
                snapshot_id=resolve_snapshot(table, grant.snapshot),
                view=view,
                sql=sql,
                sha256=grant_digest(grant, sql),
                source_fields=tuple(fields[c] for c in used),
                rekeyed_fields=tuple(fields[c] for c in view.rekeyed),
            )
        )
    if problems:
        raise ExtractProblem("; ".join(problems))
    return planned


def _check_key(table: Table, key_id: str) -> None:
    existing = table.properties.get(KEY_ID_PROPERTY)
    if existing != key_id:
        name = ".".join(table.name()[-2:])
        raise ExtractProblem(
            f"{name} holds pseudonyms made with key id {existing}, but the configured key has id {key_id}; "
            "extract with the key the table was loaded with"
        )


def extract_project(settings: Warehouse, policy_dir: Path, project_id: str, now: dt.datetime) -> ExtractRun:
    """Run the steps of the module docstring for ``project_id``; :class:`ExtractProblem` when it cannot."""
    policy = load_policy(policy_dir)
    project = policy.projects.get(project_id)
    if project is None:
        known = ", ".join(sorted(policy.projects)) or "none"
        raise ExtractProblem(f"the policy has no project {project_id!r} (projects/{project_id}.yaml); it has: {known}")
    key = settings.pseudonym_key()
    versions = ExtractVersions(settings.layout.data_dir(project_id))
    with open_catalog(settings) as catalog:
        planned = plan_grants(catalog, policy, project, key.key_id)
        digest = plan_digest(
            project_id, key.key_id, [(p.name, p.grant.table, p.sha256, p.snapshot_id) for p in planned]
        )
        with versions.extraction_lock():
            earlier = versions.collect()
            previous = versions.current()
            run = ExtractRun(project_id, "unchanged", previous, previous, digest, key.key_id)
            current = _current_manifest(versions)
            if current is not None and current.plan_sha256 == digest:
                run.tables = list(current.tables)
            else:
                name = versions.next_name()
                manifest = _materialise(settings, versions.version_dir(name), project_id, planned, key, digest, now)
                versions.publish(name)
                run.status, run.version, run.tables = "created", name, list(manifest.tables)
            collected = versions.collect()
            run.removed, run.kept = earlier.removed + collected.removed, collected.in_use
    return run


def _current_manifest(versions: ExtractVersions) -> Manifest | None:
    folder = versions.current_dir()
    if folder is None:
        return None
    try:
        return read_manifest(folder)
    except ManifestProblem:
        return None


def _materialise(
    settings: Warehouse,
    folder: Path,
    project_id: str,
    planned: Sequence[PlannedGrant],
    key: PseudonymKey,
    digest: str,
    now: dt.datetime,
) -> Manifest:
    """Write version ``folder`` (steps 3 and 4): the Parquet files, the database, then the manifest."""
    folder.mkdir(mode=0o755)
    with _extraction_connection(settings) as con:
        con.register(MAP_RELATION, pseudonym_map(planned, key.derive_key(project_key_label(project_id))))
        rows = {}
        for grant in planned:
            reader = grant.table.scan(snapshot_id=grant.snapshot_id, selected_fields=grant.source_fields)
            con.register(grant.relation, reader.to_arrow_batch_reader())
            target = folder / f"{grant.name}.parquet"
            result = con.execute(f"COPY ({grant.sql}) TO {_quote(str(target))} (FORMAT parquet, COMPRESSION zstd)")
            rows[grant.name] = int(result.fetchall()[0][0])
            con.unregister(grant.relation)
        con.unregister(MAP_RELATION)
    columns = _write_database(folder, [g.name for g in planned])
    manifest = Manifest(
        project=project_id,
        version=folder.name,
        created=now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        plan_sha256=digest,
        pseudonym_key_id=key.key_id,
        tables=tuple(
            ExtractTable(
                name=g.name,
                table=g.grant.table,
                grant=g.index,
                grant_sha256=g.sha256,
                snapshot_id=g.snapshot_id,
                rows=rows[g.name],
                file=f"{g.name}.parquet",
                columns=tuple(ExtractColumn(c.name, columns[g.name][c.name], c.how) for c in g.view.columns),
            )
            for g in planned
        ),
    )
    _write_file(folder / MANIFEST_NAME, manifest.to_json())
    for path in folder.iterdir():
        path.chmod(0o644)
    return manifest


@contextmanager
def _extraction_connection(settings: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection whose spilled data stays in a private folder of the warehouse, removed after."""
    settings.layout.warehouse_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    spill = Path(tempfile.mkdtemp(prefix=".extract-", dir=settings.layout.warehouse_dir))
    con = connect(THREADS)
    try:
        con.execute(f"SET temp_directory = {_quote(str(spill))}")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def pseudonym_map(planned: Sequence[PlannedGrant], project_key: bytes) -> pa.Table:
    """The project's map from warehouse to project pseudonyms, over the values the grants read (step 3)."""
    chunks: list[pa.Array] = []
    for grant in planned:
        if not grant.rekeyed_fields:
            continue
        scan = grant.table.scan(snapshot_id=grant.snapshot_id, selected_fields=grant.rekeyed_fields)
        for batch in scan.to_arrow_batch_reader():
            for column in batch.columns:
                chunks.append(pc.unique(column.drop_null()).cast(pa.string()))
    values = pc.unique(pa.chunked_array(chunks, pa.string())) if chunks else pa.array([], pa.string())
    mapped = pa.array(project_pseudonyms(project_key, values.to_pylist()), pa.string())
    return pa.table({MAP_WAREHOUSE_COLUMN: values, MAP_PROJECT_COLUMN: mapped})


def _write_database(folder: Path, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """``extract.duckdb``: one view per Parquet file, by absolute path; the views' column types."""
    columns: dict[str, dict[str, str]] = {}
    con = duckdb.connect(str(folder / DATABASE_NAME))
    try:
        for name in names:
            source = _quote(str(folder / f"{name}.parquet"))
            # Names are plain SQL names (checked policy identifiers); the path is quoted.
            con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({source})')  # noqa: S608
            columns[name] = {row[0]: row[1] for row in con.execute(f'DESCRIBE "{name}"').fetchall()}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return columns


def _write_file(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def recorded_extract(
    settings: Warehouse,
    policy_dir: Path,
    project_id: str,
    trail: audit.AuditTrail,
    actor: str,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> ExtractRun:
    """:func:`extract_project`, with the run (or its failure) recorded in ``trail`` before returning."""
    try:
        run = extract_project(settings, policy_dir, project_id, clock())
    except Exception as exc:
        current = ExtractVersions(settings.layout.data_dir(project_id)).current()
        trail.record(extract_failed(project_id, current, str(exc) or type(exc).__name__, actor, clock())).wait(60)
        raise
    trail.record(extracted(run, actor, clock())).wait(60)
    return run


def describe(run: ExtractRun) -> str:
    """A few lines for the terminal."""
    if run.status == "unchanged":
        head = f"{run.project}: unchanged, {run.version} already holds these grants and snapshots (no-op)"
    else:
        head = f"{run.project}: extracted {run.version}" + (f" (was {run.previous})" if run.previous else "")
    lines = [head]
    lines += [f"  {t.name:<32} {t.rows:>12,} rows  from {t.table} at snapshot {t.snapshot_id}" for t in run.tables]
    if run.removed:
        lines.append(f"  removed unused versions: {', '.join(run.removed)}")
    if run.kept:
        lines.append(f"  kept versions still used by running bubbles: {', '.join(run.kept)}")
    return "\n".join(lines)
