"""``bulle ingest``: load a source's new and changed files into the warehouse.

One run goes through fixed steps:

1. find the source's files and their digests; compare them with what each
   table of the source already holds (:mod:`.registry`); unchanged files are
   skipped, so running twice is a no-op;
2. read the new and changed files (:mod:`.readers`), checking that no direct
   identifier reaches a table untreated, and pseudonymise on the way;
3. stage every table (write its data files, :mod:`.commit`); count rejected
   rows against the source's error budget;
4. if any table has a problem or is over its budget, delete everything staged
   and commit nothing; otherwise commit each table in one transaction whose
   snapshot summary names the source, the run, the loader version and the
   files' digests;
5. write the load report.

``dry_run`` stops after step 2: it reads and validates everything and
writes nothing, not even the report's data files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchNamespaceError
from pyiceberg.table import Table
from rich.progress import Progress

from bulle import __version__
from bulle.policies import Source, load_policy
from bulle.policies.sources import FLAT_KINDS

from .catalog import open_catalog
from .commit import (
    CommitRefused,
    StagedTable,
    commit_table,
    discard_staged,
    load_or_none,
    stage_table,
    table_properties,
)
from .config import Warehouse
from .loads import FILE_COLUMN, InputFile, TableRead, input_file
from .pseudonym import PseudonymKey
from .readers import discover_files, reader_for
from .registry import (
    MANIFEST_PROPERTY,
    SOURCE_SUMMARY,
    ManifestEntry,
    manifest_location,
    path_keys,
    recorded_files,
    write_manifest,
)
from .report import FileReport, LoadReport, TableReport, write_report
from .treatments import IdentifierNotHandled, check_identifiers_handled

MAX_DIGESTS_IN_SUMMARY = 50


class SourceNotFound(Exception):
    """The policy has no such source, or its location is missing."""


def resolve_location(source: Source, policy_dir: Path) -> Path:
    location = Path(source.location)
    root = location if location.is_absolute() else policy_dir / location
    if not root.is_dir():
        raise SourceNotFound(
            f"the location of source {source.name}, {root}, is not a folder; fix location in sources/{source.name}.yaml"
        )
    return root.resolve()


def load_source(policy_dir: Path, name: str) -> Source:
    """The descriptor ``name`` of the policy in ``policy_dir`` (raises PolicyInvalid or SourceNotFound)."""
    policy = load_policy(policy_dir)
    source = policy.source(name)
    if source is None:
        known = ", ".join(policy.sources) or "none"
        raise SourceNotFound(f"the policy has no source {name!r} (sources/{name}.yaml); it has: {known}")
    return source


def ingest(
    settings: Warehouse,
    policy_dir: Path,
    name: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Run one ingest of source ``name``; returns the load report (also written to the reports folder)."""
    source = load_source(policy_dir, name)
    key = settings.pseudonym_key()
    root = resolve_location(source, policy_dir)
    report = LoadReport(
        run_id=_run_id(),
        source=source.name,
        loader_version=__version__,
        key_id=key.key_id,
        started=_now(),
        dry_run=dry_run,
    )
    with open_catalog(settings) as catalog:
        run = _Run(catalog, source, key, report, progress, settings.commit_retries)
        run.execute(root, policy_dir)
    report.finished = _now()
    if not dry_run:
        write_report(report, settings.layout.warehouse_reports)
    return report


class _Run:
    """The state of one ingest run; :meth:`execute` is the fixed sequence of the module docstring."""

    def __init__(
        self,
        catalog: Catalog,
        source: Source,
        key: PseudonymKey,
        report: LoadReport,
        progress: Progress | None,
        attempts: int,
    ) -> None:
        self.catalog = catalog
        self.source = source
        self.key = key
        self.report = report
        self.progress = progress
        self.attempts = attempts
        self.properties = table_properties(source.name, key.key_id)
        self.existing = self._existing_tables()
        self.recorded = {name: recorded_files(table, source.name) for name, table in self.existing.items()}

    def execute(self, root: Path, policy_dir: Path) -> None:
        files = self._changed_files(root)
        if not files:
            return
        reads = reader_for(self.source.kind)(self.source, files, self.key, policy_dir)
        self.report.skipped_files = reads.skipped
        self.report.problems.extend(reads.problems)
        self.report.rejections = sorted(reads.rejections)
        if self.source.kind not in FLAT_KINDS:
            reads.tables.extend(self._empty_reads(files, {r.table for r in reads.tables}))
        pending: list[StagedTable] = []
        try:
            staged = []
            for read in reads.tables:
                table = self._stage(read)
                staged.append((read, table))
                if table is not None:
                    pending.append(table)
            rows_read = sum(t.rows_read for t in self.report.tables) + len(reads.rejections)
            self.report.budget = self.source.budget_for(rows_read)
            if self.report.failed or self.report.dry_run:
                return
            for read, table in staged:
                assert table is not None  # noqa: S101 - every table was staged, or the run failed above
                self._commit(read, table)
                pending.remove(table)
            self.report.committed = True
        except CommitRefused as exc:
            self.report.problems.append(str(exc))
        finally:
            for table in pending:
                discard_staged(table)

    def _existing_tables(self) -> dict[str, Table]:
        try:
            identifiers = self.catalog.list_tables(self.source.namespace)
        except NoSuchNamespaceError:
            return {}
        tables = {}
        for identifier in identifiers:
            table = load_or_none(self.catalog, (identifier[0], identifier[-1]))
            if table is not None and table.properties.get(SOURCE_SUMMARY) == self.source.name:
                tables[identifier[-1]] = table
        return tables

    def _changed_files(self, root: Path) -> list[InputFile]:
        paths = discover_files(self.source, root)
        with ThreadPoolExecutor(max_workers=4) as pool:
            files = list(pool.map(lambda p: input_file(p, root), paths))
        keys = path_keys(self.key, files)
        files = [dataclasses.replace(f, key=keys[f.relative]) for f in files]
        changed = [f for f in files if self._needs_reading(f)]
        self.report.unchanged_files = len(files) - len(changed)
        return changed

    def _needs_reading(self, file: InputFile) -> bool:
        path_key = file.key
        if self.source.kind in FLAT_KINDS:
            # A flat file feeds one table; a table that never saw it has no entry, and reads it.
            holders = [r for r in self.recorded.values() if path_key in r]
            return not holders or any(r[path_key] != file.sha256 for r in holders)
        if not self.recorded:
            return True
        return any(r.get(path_key) != file.sha256 for r in self.recorded.values())

    def _empty_reads(self, files: Sequence[InputFile], produced: set[str]) -> list[TableRead]:
        """Reads with no rows for the source's tables this run produced nothing for, so they record the files."""
        reads = []
        for name, table in self.existing.items():
            if name not in produced:
                schema = table.schema().as_arrow()
                reads.append(TableRead(name, list(files), schema, _no_rows))
        return reads

    def _stage(self, read: TableRead) -> StagedTable | None:
        table_report = TableReport(read.table)
        self.report.tables.append(table_report)
        try:
            check_identifiers_handled(self.source, read.table, read.schema.names, from_dictionary=read.from_dictionary)
        except IdentifierNotHandled as exc:
            table_report.problems.append(str(exc))
            return None
        if read.problems:
            table_report.problems.extend(read.problems)
            return None
        batches = self._skip_loaded(read, self._with_progress(read))
        staged = None
        identifier = (self.source.namespace, read.table)
        try:
            if self.report.dry_run:
                for _ in batches:
                    pass
            else:
                staged = stage_table(self.catalog, identifier, read.schema, batches, self.properties)
        except CommitRefused as exc:
            table_report.problems.append(str(exc))
        self._fill_report(table_report, read)
        if staged is not None and table_report.failed:
            discard_staged(staged)
            return None
        return staged

    def _skip_loaded(self, read: TableRead, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Drop rows of files this table already holds (a multi-table run that stopped half-way)."""
        recorded = self.recorded.get(read.table, {})
        done = [f.key for f in read.files if recorded.get(f.key) == f.sha256]
        if not done:
            yield from batches
            return
        done_array = pa.array(done, pa.string())
        for batch in batches:
            yield batch.filter(pc.invert(pc.is_in(batch.column(FILE_COLUMN), value_set=done_array)))

    def _with_progress(self, read: TableRead) -> Iterator[pa.RecordBatch]:
        if self.progress is None:
            yield from read.batches()
            return
        task = self.progress.add_task(f"{self.source.namespace}.{read.table}", total=None)
        for batch in read.batches():
            self.progress.advance(task, batch.num_rows)
            yield batch
        self.progress.update(task, total=self.progress.tasks[task].completed)

    def _fill_report(self, table_report: TableReport, read: TableRead) -> None:
        rejections: dict[str, list] = {}
        for rejection in read.rejections:
            rejections.setdefault(rejection.file, []).append(rejection)
        for file in read.files:
            table_report.files.append(
                FileReport(
                    file.relative,
                    file.sha256,
                    read.rows_by_file.get(file.key, 0),
                    sorted(rejections.get(file.relative, [])),
                )
            )
        table_report.problems.extend(p for p in read.problems if p not in table_report.problems)
        table_report.budget = self.source.budget_for(table_report.rows_read)

    def _commit(self, read: TableRead, staged: StagedTable) -> None:
        table_report = next(t for t in self.report.tables if t.table == read.table)
        recorded = self.recorded.get(read.table, {})
        entries = [ManifestEntry(f.key, f.sha256, read.rows_by_file.get(f.key, 0)) for f in read.files]
        # A changed file's earlier rows go: they are the rows carrying its key.
        replaced = [e.path_key for e in entries if e.path_key in recorded and recorded[e.path_key] != e.sha256]
        summary = self._summary(read.files, table_report)
        location = self._write_manifest(staged, summary, entries)
        summary[MANIFEST_PROPERTY] = location

        def already_loaded(table: Table) -> set[str]:
            now = recorded_files(table, self.source.name)
            return {e.path_key for e in entries if now.get(e.path_key) == e.sha256 != recorded.get(e.path_key)}

        table_report.snapshot_id = commit_table(
            self.catalog, staged, self.properties, summary, replaced, already_loaded, self.attempts
        )

    def _summary(self, files: Sequence[InputFile], table_report: TableReport) -> dict[str, str]:
        digests = sorted(f.sha256 for f in files)
        summary = {
            SOURCE_SUMMARY: self.source.name,
            "bulle.run-id": self.report.run_id,
            "bulle.loader-version": self.report.loader_version,
            "bulle.pseudonym-key-id": self.key.key_id,
            "bulle.files": str(len(files)),
            "bulle.files-sha256": hashlib.sha256("\n".join(digests).encode()).hexdigest(),
            "bulle.rows-rejected": str(table_report.rows_rejected),
        }
        if len(digests) <= MAX_DIGESTS_IN_SUMMARY:
            summary["bulle.file-digests"] = ",".join(digests)
        return summary

    def _write_manifest(self, staged: StagedTable, summary: dict[str, str], entries: list[ManifestEntry]) -> str:
        location = manifest_location(staged.location, self.report.run_id)
        write_manifest(staged.io, location, summary, entries)
        return location


def _no_rows(read: TableRead) -> Iterator[pa.RecordBatch]:
    return iter(())


def _run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
