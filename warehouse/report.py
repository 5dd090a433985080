"""The load report of one ingest run: per table and per file, rows read, written and rejected.

The report is written as JSON to ``<state>/warehouse/reports/<run>.json``
(through a temporary name, then renamed) and summarised on the terminal. It
names source files and rejected lines, so it stays outside the warehouse,
readable by data stewards only.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .loads import Rejection


@dataclass
class FileReport:
    file: str
    sha256: str
    rows_written: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejections)

    @property
    def rows_read(self) -> int:
        return self.rows_written + self.rows_rejected


@dataclass
class TableReport:
    table: str
    files: list[FileReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    budget: int = 0
    snapshot_id: int | None = None

    @property
    def rows_written(self) -> int:
        return sum(f.rows_written for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_read(self) -> int:
        return self.rows_written + self.rows_rejected

    @property
    def over_budget(self) -> bool:
        return self.rows_rejected > self.budget

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.over_budget


@dataclass
class LoadReport:
    run_id: str
    source: str
    loader_version: str
    key_id: str
    started: str
    dry_run: bool
    tables: list[TableReport] = field(default_factory=list)
    unchanged_files: int = 0
    skipped_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    budget: int = 0
    committed: bool = False
    finished: str = ""

    @property
    def failed(self) -> bool:
        over = len(self.rejections) > self.budget
        return bool(self.problems) or over or any(t.failed for t in self.tables)

    @property
    def status(self) -> str:
        if self.dry_run:
            return "dry run, nothing written"
        if self.committed:
            return "committed"
        if not self.failed and not self.tables:
            return "nothing new to load"
        return "NOT committed: nothing was written"

    def to_json(self) -> str:
        document = asdict(self)
        for table, table_report in zip(document["tables"], self.tables, strict=True):
            table.update(
                rows_read=table_report.rows_read,
                rows_written=table_report.rows_written,
                rows_rejected=table_report.rows_rejected,
            )
            for file, file_report in zip(table["files"], table_report.files, strict=True):
                file.update(
                    rows_read=file_report.rows_read,
                    rows_rejected=file_report.rows_rejected,
                    rejections=[str(r) for r in file_report.rejections],
                )
        document["rejections"] = [str(r) for r in self.rejections]
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_report(report: LoadReport, folder: Path) -> Path:
    """Write ``report`` into ``folder`` atomically; returns its path."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{report.run_id}.json"
    temporary = folder / f".{report.run_id}.json.tmp"
    temporary.write_text(report.to_json(), encoding="utf-8")
    os.replace(temporary, path)
    return path


MAX_SHOWN_REJECTIONS = 20


def format_report(report: LoadReport) -> str:
    """A terminal summary: one line per table, then every problem and the first rejections."""
    lines = []
    lines.append(f"Source {report.source}, run {report.run_id} ({report.status}); key id {report.key_id}.")
    if report.unchanged_files:
        lines.append(f"{report.unchanged_files} file(s) unchanged since their last load were skipped.")
    lines.extend(f"skipped {entry}" for entry in report.skipped_files)
    width = max([len(t.table) for t in report.tables] + [5])
    if report.tables:
        lines.append(f"  {'table':<{width}} {'files':>6} {'read':>10} {'written':>10} {'rejected':>9}  snapshot")
    for table in report.tables:
        snapshot = str(table.snapshot_id) if table.snapshot_id is not None else "-"
        lines.append(
            f"  {table.table:<{width}} {len(table.files):>6} {table.rows_read:>10} {table.rows_written:>10} "
            f"{table.rows_rejected:>9}  {snapshot}"
        )
    for problem in report.problems:
        lines.append(f"error: {problem}")
    lines.extend(f"rejected: {rejection}" for rejection in report.rejections[:MAX_SHOWN_REJECTIONS])
    if len(report.rejections) > report.budget:
        lines.append(f"error: {len(report.rejections)} rejected records exceed the error budget of {report.budget}")
    for table in report.tables:
        for problem in table.problems:
            lines.append(f"error: {table.table}: {problem}")
        if table.over_budget:
            lines.append(
                f"error: {table.table}: {table.rows_rejected} rejected rows exceed the error budget of {table.budget}"
            )
        shown = [r for f in table.files for r in f.rejections][:MAX_SHOWN_REJECTIONS]
        lines.extend(f"rejected: {table.table}: {rejection}" for rejection in shown)
        if table.rows_rejected > len(shown):
            lines.append(f"rejected: {table.table}: ... {table.rows_rejected - len(shown)} more in the report")
    return "\n".join(lines)
