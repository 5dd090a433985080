"""The airlock's workflow against a real hub database (SQLite, PostgreSQL) and real files.

Each action is checked, recorded in the audit trail, then done; refusals are
recorded too. The hub reads files from the outbox itself, without following
links, and refuses at release a file that changed since it was requested.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bulle import audit
from bulle.audit.store import RecordFilter, find_records
from bulle.data.manifest import ExtractTable, Manifest
from bulle.exports import ExportDenied, ExportWorkflow, FileAsk, FileDecision, FileOutcome, RequestStatus
from bulle.exports.lifecycle import file_outcome
from bulle.exports.release import RECORD_NAME, released_file
from bulle.state import StateLayout

PASSING = "age_band,F,M\n18-39,120,95\n40-64,210,180\n65+,60,45\n"
SMALL_CELL = "age_band,F,M\n18-39,120,95\n40-64,210,8\n65+,60,45\n"
MEANS = "region,mean\nnorth,12.5\nsouth,13.1\n"


def records(trail: audit.AuditTrail, *types: str) -> list[dict[str, Any]]:
    with trail.reading() as conn:
        return [r.event for r in find_records(conn, trail.tables, RecordFilter(types=types))]


def write(outbox: Path, name: str, text: str) -> Path:
    path = outbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


async def ask(workflow: ExportWorkflow, *asks: FileAsk, user: str = "alice") -> Any:
    return await workflow.request_export(user, "alpha-notebook", "Table 2 of the paper", list(asks))


async def test_request_review_release_download(
    workflow: ExportWorkflow, outbox: Path, layout: StateLayout, trail: audit.AuditTrail
) -> None:
    write(outbox, "tables/ages.csv", PASSING)
    request = await ask(workflow, FileAsk("tables/ages.csv", "frequency"))
    [pinned] = request.files
    assert (request.status, pinned.verdict.value) == (RequestStatus.SUBMITTED, "pass")
    assert pinned.sha256 == hashlib.sha256(PASSING.encode()).hexdigest()
    assert pinned.report["file"] == "tables/ages.csv"
    assert pinned.report["parameters"]["safe_threshold"] == 10

    after = await workflow.decide("oscar", request.id, "tables/ages.csv", FileDecision.APPROVE, "fine")
    assert file_outcome(pinned, after.decisions) is FileOutcome.APPROVED
    released = await workflow.change_status("oscar", request.id, RequestStatus.RELEASED, "ok to publish")
    assert released.status is RequestStatus.RELEASED

    release_dir = layout.release_dir("alpha", request.id)
    assert released_file(release_dir, "tables/ages.csv").read_text(encoding="utf-8") == PASSING
    assert (outbox / "tables" / "ages.csv").exists(), "the outbox keeps its file: a release copies, never moves"
    assert oct(release_dir.stat().st_mode & 0o777) == "0o700"
    record = json.loads((release_dir / RECORD_NAME).read_text(encoding="utf-8"))
    assert record["request"] == request.id
    assert record["released_by"] == "oscar"
    assert record["reviewers"] == ["oscar"]
    [described] = record["files"]
    assert (described["path"], described["sha256"], described["released"]) == (
        "tables/ages.csv",
        pinned.sha256,
        True,
    )
    assert described["checks"]["status"] == "pass"
    assert [d["decision"] for d in described["decisions"]] == ["approve"]
    assert record["data"]["snapshots"] is None
    assert record["data"]["reason"] == "the bubble ran without a data extract"
    assert [step["to"] for step in record["history"]] == ["submitted", "released"]

    _requested, content = await workflow.download("alice", request.id, "tables/ages.csv")
    assert content == PASSING.encode()

    kinds = [
        r["type"]
        for r in records(trail, "airlock.requested", "airlock.reviewed", "airlock.released", "airlock.downloaded")
    ]
    assert kinds == ["airlock.requested", "airlock.reviewed", "airlock.released", "airlock.downloaded"]
    [made] = records(trail, "airlock.requested")
    assert (made["actor"], made["project"], made["bubble"], made["object"]) == (
        "alice",
        "alpha",
        "alice/alpha-notebook",
        request.id,
    )
    [release] = records(trail, "airlock.released")
    assert release["details"]["record_sha256"] == hashlib.sha256((release_dir / RECORD_NAME).read_bytes()).hexdigest()


async def test_reviewers_who_may_not_review_are_refused_and_recorded(
    workflow: ExportWorkflow, outbox: Path, trail: audit.AuditTrail
) -> None:
    write(outbox, "ages.csv", PASSING)
    request = await ask(workflow, FileAsk("ages.csv", "frequency"))
    for user, rule in (("alice", "self-review"), ("carl", "project-member"), ("bob", "output-checker")):
        with pytest.raises(ExportDenied) as refused:
            await workflow.decide(user, request.id, "ages.csv", FileDecision.APPROVE, "")
        assert refused.value.rule == rule
    refusals = records(trail, "airlock.refused")
    assert [(r["actor"], r["details"]["rule"], r["outcome"]) for r in refusals] == [
        ("alice", "self-review", "deny"),
        ("carl", "project-member", "deny"),
        ("bob", "output-checker", "deny"),
    ]
    assert workflow.get(request.id).decisions == (), "nothing was recorded for a refused decision"
    with pytest.raises(ExportDenied) as refused:
        await workflow.decide("oscar", request.id, "ages.csv", FileDecision.APPROVE, "", review_scope=False)
    assert refused.value.rule == "scope", "a checker's narrow token cannot review"
    withdrawn = await workflow.change_status("alice", request.id, RequestStatus.WITHDRAWN, review_scope=False)
    assert withdrawn.status is RequestStatus.WITHDRAWN, "the requester's own move needs no review scope"


async def test_a_flagged_file_needs_two_checkers(workflow: ExportWorkflow, outbox: Path) -> None:
    write(outbox, "means.csv", MEANS)
    request = await ask(workflow, FileAsk("means.csv", "statistics"))
    assert request.files[0].verdict.value == "review"
    await workflow.decide("oscar", request.id, "means.csv", FileDecision.APPROVE, "")
    with pytest.raises(ExportDenied) as refused:
        await workflow.change_status("oscar", request.id, RequestStatus.RELEASED)
    assert refused.value.rule == "undecided"
    await workflow.decide("olga", request.id, "means.csv", FileDecision.APPROVE, "")
    released = await workflow.change_status("olga", request.id, RequestStatus.RELEASED)
    assert released.status is RequestStatus.RELEASED


async def test_a_failed_file_needs_an_override_reason(workflow: ExportWorkflow, outbox: Path) -> None:
    write(outbox, "ages.csv", SMALL_CELL)
    request = await ask(workflow, FileAsk("ages.csv", "frequency"))
    assert request.files[0].verdict.value == "fail"
    with pytest.raises(ExportDenied) as refused:
        await workflow.decide("oscar", request.id, "ages.csv", FileDecision.APPROVE, "looks fine")
    assert refused.value.rule == "override-reason"
    after = await workflow.decide("oscar", request.id, "ages.csv", FileDecision.APPROVE, "", "cell is public")
    assert after.decisions[0].override_reason == "cell is public"


@pytest.mark.parametrize(
    ("path", "setup"),
    [
        ("../notes.txt", None),
        ("/etc/passwd", None),
        ("tables/../../notes.txt", None),
        ("link.csv", "file-link"),
        ("inside/ages.csv", "folder-link"),
        ("ages.csv", "outbox-link"),
        ("pipe.csv", "fifo"),
        ("missing.csv", None),
    ],
    ids=[
        "dotdot",
        "absolute",
        "dotdot-in-the-middle",
        "link-to-a-file",
        "link-to-a-folder",
        "outbox-is-a-link",
        "fifo",
        "missing",
    ],
)
async def test_paths_that_leave_the_outbox_are_refused(
    workflow: ExportWorkflow,
    outbox: Path,
    layout: StateLayout,
    tmp_path: Path,
    trail: audit.AuditTrail,
    path: str,
    setup: str | None,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere, "ages.csv", PASSING)
    write(layout.work_dir("alpha", "alice"), "notes.txt", "secret notes\n")
    if setup == "file-link":
        (outbox / "link.csv").symlink_to(elsewhere / "ages.csv")
    elif setup == "folder-link":
        (outbox / "inside").symlink_to(elsewhere)
    elif setup == "outbox-link":
        outbox.rmdir()
        outbox.symlink_to(elsewhere)
    elif setup == "fifo":
        os.mkfifo(outbox / "pipe.csv")
    with pytest.raises(ExportDenied) as refused:
        await ask(workflow, FileAsk(path, "frequency"))
    assert refused.value.rule == "outbox-path", str(refused.value)
    [recorded] = records(trail, "airlock.refused")
    assert (recorded["details"]["action"], recorded["details"]["rule"]) == ("request", "outbox-path")
    assert records(trail, "airlock.requested") == []


async def test_a_file_edited_after_the_request_is_refused_at_release(
    workflow: ExportWorkflow, outbox: Path, layout: StateLayout, trail: audit.AuditTrail
) -> None:
    table = write(outbox, "ages.csv", PASSING)
    request = await ask(workflow, FileAsk("ages.csv", "frequency"))
    await workflow.decide("oscar", request.id, "ages.csv", FileDecision.APPROVE, "")
    table.write_text(SMALL_CELL, encoding="utf-8")
    with pytest.raises(ExportDenied) as refused:
        await workflow.change_status("oscar", request.id, RequestStatus.RELEASED)
    assert refused.value.rule == "changed-since-request"
    assert workflow.get(request.id).status is RequestStatus.SUBMITTED
    assert not layout.releases_dir("alpha").exists() or list(layout.releases_dir("alpha").iterdir()) == []
    [recorded] = records(trail, "airlock.refused")
    assert recorded["details"]["action"] == "release"
    # The review still shows exactly what was requested.
    _, pinned = await workflow.read_requested_file("oscar", request.id, "ages.csv")
    assert pinned == PASSING.encode()
    # Putting the same bytes back makes it releasable again.
    table.write_text(PASSING, encoding="utf-8")
    assert (await workflow.change_status("oscar", request.id, RequestStatus.RELEASED)).status is RequestStatus.RELEASED


async def test_a_file_replaced_by_a_link_after_the_request_is_refused_at_release(
    workflow: ExportWorkflow, outbox: Path, tmp_path: Path
) -> None:
    table = write(outbox, "ages.csv", PASSING)
    request = await ask(workflow, FileAsk("ages.csv", "frequency"))
    await workflow.decide("oscar", request.id, "ages.csv", FileDecision.APPROVE, "")
    copy = write(tmp_path, "same.csv", PASSING)
    table.unlink()
    table.symlink_to(copy)
    with pytest.raises(ExportDenied) as refused:
        await workflow.change_status("oscar", request.id, RequestStatus.RELEASED)
    assert refused.value.rule == "changed-since-request"


async def test_the_bubble_and_the_hub_must_read_the_same_bytes(workflow: ExportWorkflow, outbox: Path) -> None:
    write(outbox, "ages.csv", PASSING)
    with pytest.raises(ExportDenied) as refused:
        await workflow.request_export(
            "alice", "alpha-notebook", "why", [FileAsk("ages.csv", "frequency")], claimed={"ages.csv": "0" * 64}
        )
    assert refused.value.rule == "changed-during-request"


async def test_returned_rejected_and_withdrawn_requests_keep_their_history(
    workflow: ExportWorkflow, outbox: Path, trail: audit.AuditTrail
) -> None:
    write(outbox, "ages.csv", PASSING)
    returned = await ask(workflow, FileAsk("ages.csv", "frequency"))
    await workflow.decide("oscar", returned.id, "ages.csv", FileDecision.RETURN, "round to 5")
    await workflow.change_status("oscar", returned.id, RequestStatus.RETURNED, "see the comment")
    rejected = await ask(workflow, FileAsk("ages.csv", "frequency"))
    await workflow.decide("olga", rejected.id, "ages.csv", FileDecision.REJECT, "not in the protocol")
    await workflow.change_status("olga", rejected.id, RequestStatus.REJECTED)
    withdrawn = await ask(workflow, FileAsk("ages.csv", "frequency"))
    await workflow.change_status("alice", withdrawn.id, RequestStatus.WITHDRAWN, "wrong file")

    kept = {r.id: r for r in workflow.requests_of("alice")}
    assert kept[returned.id].status is RequestStatus.RETURNED
    assert [(c.source, c.target, c.actor) for c in kept[returned.id].history] == [
        (None, RequestStatus.SUBMITTED, "alice"),
        (RequestStatus.SUBMITTED, RequestStatus.RETURNED, "oscar"),
    ]
    assert kept[returned.id].decisions[0].comment == "round to 5"
    assert kept[rejected.id].status is RequestStatus.REJECTED
    assert kept[withdrawn.id].history[-1].comment == "wrong file"
    assert [r["type"] for r in records(trail, "airlock.returned", "airlock.rejected", "airlock.withdrawn")] == [
        "airlock.returned",
        "airlock.rejected",
        "airlock.withdrawn",
    ]
    with pytest.raises(ExportDenied) as refused:
        await workflow.decide("oscar", returned.id, "ages.csv", FileDecision.APPROVE, "")
    assert refused.value.rule == "state"


async def test_checkers_see_only_requests_they_may_review(workflow: ExportWorkflow, outbox: Path) -> None:
    write(outbox, "ages.csv", PASSING)
    request = await ask(workflow, FileAsk("ages.csv", "frequency"))
    assert [r.id for r in workflow.requests_to_review("oscar")] == [request.id]
    assert workflow.requests_to_review("carl") == [], "carl is a member of alpha"
    assert workflow.requests_to_review("alice") == []
    with pytest.raises(ExportDenied) as refused:
        await workflow.view("bob", request.id)
    assert refused.value.rule == "not-involved"


async def test_the_release_record_names_the_snapshots_of_the_extract_the_bubble_read(
    workflow: ExportWorkflow, outbox: Path, layout: StateLayout
) -> None:
    version_dir = layout.data_dir("alpha") / "v2"
    version_dir.mkdir(parents=True)
    person = ExtractTable("omop_person", "omop.person", 0, "0" * 64, 4242, 200, "omop_person.parquet", ())
    manifest = Manifest("alpha", "v2", "2026-05-01T12:00:00Z", "1" * 64, "key-1", (person,))
    (version_dir / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    write(outbox, "ages.csv", PASSING)
    request = await workflow.request_export(
        "alice", "alpha-notebook", "why", [FileAsk("ages.csv", "frequency")], data_version="v2"
    )
    (version_dir / "manifest.json").unlink()  # the version may be collected once the bubble stops
    await workflow.decide("oscar", request.id, "ages.csv", FileDecision.APPROVE, "")
    await workflow.change_status("oscar", request.id, RequestStatus.RELEASED)
    record = json.loads((layout.release_dir("alpha", request.id) / RECORD_NAME).read_text(encoding="utf-8"))
    assert record["data"]["version"] == "v2"
    assert record["data"]["snapshots"] == [{"table": "omop.person", "view": "omop_person", "snapshot_id": 4242}]
    assert record["data"]["manifest_sha256"] == hashlib.sha256(manifest.to_json().encode()).hexdigest()


async def test_a_missing_manifest_is_named_in_the_record(workflow: ExportWorkflow, outbox: Path) -> None:
    write(outbox, "ages.csv", PASSING)
    request = await workflow.request_export(
        "alice", "alpha-notebook", "why", [FileAsk("ages.csv", "frequency")], data_version="v9"
    )
    assert request.data["snapshots"] is None
    assert "manifest.json is missing" in request.data["reason"]


async def test_a_statistics_table_is_checked_with_its_counts_file_which_is_never_released(
    workflow: ExportWorkflow, outbox: Path, layout: StateLayout
) -> None:
    import pandas as pd

    from bulle.airlock import contributor_table

    frame = pd.DataFrame(
        {
            "region": ["north", "south"] * 40,
            "sex": ["F"] * 40 + ["M"] * 40,
            "cost": [100.0 + i % 7 for i in range(80)],
        }
    )
    frame.pivot_table(index="region", columns="sex", values="cost", aggfunc="mean").to_csv(outbox / "means.csv")
    contributor_table(frame, ["region", "sex"], "cost").to_csv(outbox / "means.counts.csv")
    request = await ask(workflow, FileAsk("means.csv", "statistics", "means.counts.csv"))
    [pinned] = request.files
    assert pinned.verdict.value == "pass", pinned.report
    assert pinned.counts_sha256 == hashlib.sha256((outbox / "means.counts.csv").read_bytes()).hexdigest()
    assert workflow.blobs.get(pinned.counts_sha256) == (outbox / "means.counts.csv").read_bytes()
    await workflow.decide("oscar", request.id, "means.csv", FileDecision.APPROVE, "")
    await workflow.change_status("oscar", request.id, RequestStatus.RELEASED)
    release_dir = layout.release_dir("alpha", request.id)
    assert sorted(p.name for p in (release_dir / "files").iterdir()) == ["means.csv"]
    record = json.loads((release_dir / RECORD_NAME).read_text(encoding="utf-8"))
    assert record["files"][0]["counts"] == {"path": "means.counts.csv", "sha256": pinned.counts_sha256}


@pytest.mark.parametrize(
    ("size", "refused"), [(1024**2, False), (1024**2 + 1, True)], ids=["at-the-cap", "over-the-cap"]
)
async def test_a_file_over_the_projects_size_cap_is_not_taken(
    workflow: ExportWorkflow, outbox: Path, size: int, refused: bool
) -> None:
    (outbox / "notes.txt").write_bytes(b"a" * size)
    if not refused:
        request = await ask(workflow, FileAsk("notes.txt", "text"))
        assert request.files[0].size == size
        return
    with pytest.raises(ExportDenied) as denied:
        await ask(workflow, FileAsk("notes.txt", "text"))
    assert denied.value.rule == "file-size"
    assert "over the project's cap of 1M" in str(denied.value)
