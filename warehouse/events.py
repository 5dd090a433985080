"""Audit events of the warehouse: each ingest run (loaded, unchanged, refused) and each extraction.

Pure builders from the load report; the caller (``bulle ingest``, the demo)
records what they return in the audit trail. Problems that made a run fail
stay in the load report: they name source files, and a file name can
identify a person (``Jane_Doe_1234.json``); the record counts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bulle.audit import Event, make_event

from .report import LoadReport

if TYPE_CHECKING:
    from .extract import ExtractRun

MAX_POLICY_ERRORS = 20


def ingest_status(report: LoadReport) -> str:
    """``committed``, ``unchanged``, ``failed`` or ``dry-run``: what the run did."""
    if report.dry_run:
        return "dry-run"
    if report.failed:
        return "failed"
    return "committed" if report.committed else "unchanged"


def ingested(report: LoadReport, actor: str, now: dt.datetime) -> Event:
    """The record of one ingest run that read its source (whatever it then committed)."""
    status = ingest_status(report)
    problems = len(report.problems) + sum(len(t.problems) + t.over_budget for t in report.tables)
    problems += len(report.rejections) > report.budget
    return make_event(
        "warehouse.ingested",
        actor=actor,
        time=now,
        outcome="deny" if status == "failed" else "allow",
        object=report.source,
        details={
            "source": report.source,
            "run_id": report.run_id,
            "status": status,
            "dry_run": report.dry_run,
            "loader_version": report.loader_version,
            "key_id": report.key_id,
            "tables": [
                {
                    "table": table.table,
                    "snapshot_id": table.snapshot_id,
                    "files": len(table.files),
                    "rows_written": table.rows_written,
                    "rows_rejected": table.rows_rejected,
                    "failed": table.failed,
                }
                for table in report.tables
            ],
            "unchanged_files": report.unchanged_files,
            "problem_count": problems,
            "policy_errors": [],
        },
    )


def ingest_refused(source: str, errors: Sequence[str], actor: str, now: dt.datetime, *, dry_run: bool) -> Event:
    """The record of a run refused before reading anything: invalid policy, unknown source, no key."""
    return make_event(
        "warehouse.ingested",
        actor=actor,
        time=now,
        outcome="deny",
        object=source,
        details={
            "source": source,
            "run_id": None,
            "status": "invalid",
            "dry_run": dry_run,
            "loader_version": None,
            "key_id": None,
            "tables": [],
            "unchanged_files": 0,
            "problem_count": len(errors),
            "policy_errors": [e[:2000] for e in errors[:MAX_POLICY_ERRORS]],
        },
    )


def extracted(run: ExtractRun, actor: str, now: dt.datetime) -> Event:
    """The record of one extraction run that made a version, or found the current one unchanged."""
    return make_event(
        "data.extracted",
        actor=actor,
        time=now,
        project=run.project,
        object=run.version,
        details={
            "status": run.status,
            "version": run.version,
            "previous": run.previous,
            "plan_sha256": run.plan_sha256,
            "pseudonym_key_id": run.key_id,
            "tables": [
                {
                    "name": t.name,
                    "table": t.table,
                    "grant_sha256": t.grant_sha256,
                    "snapshot_id": t.snapshot_id,
                    "rows": t.rows,
                }
                for t in run.tables
            ],
            "removed": list(run.removed),
            "kept": list(run.kept),
        },
    )


def extract_failed(project_id: str, current: str | None, error: str, actor: str, now: dt.datetime) -> Event:
    """The record of an extraction that stopped on ``error``; the project's current version is unchanged."""
    return make_event(
        "data.extracted",
        actor=actor,
        time=now,
        outcome="deny",
        project=project_id,
        object=current,
        details={
            "status": "failed",
            "version": current,
            "previous": current,
            "error": error[:2000],
            "tables": [],
            "removed": [],
            "kept": [],
        },
    )
