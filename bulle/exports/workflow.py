"""The airlock's workflow in the hub: every action checked, recorded, then done.

:class:`ExportWorkflow` is the one object the hub's handlers call. Each
action follows the same order (OpenSAFELY airlock's ``check_status`` then
``set_status``): the decisions of :mod:`.decisions` first, and a refusal is
recorded (``airlock.refused``) before it is answered; then the audit event of
the action, waited for; then the change (the database, the hub's copies, the
release folder). Nothing the bubble says is trusted: the hub reads every
requested file from the member's outbox itself, as root, without following
links, pins its SHA-256, keeps its bytes, and runs the automated checks with
the project's rules from the policy.

Actions that change a request hold one lock, so that two checkers acting at
once see each other's decisions; the database refuses a status change from
a status that is no longer current as a second guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import MappingProxyType

from sqlalchemy.engine import Engine
from traitlets import Instance, Integer, Unicode
from traitlets.config import LoggingConfigurable

from bulle import audit
from bulle.airlock import Kind, Verdict, check_output
from bulle.audit.store import open_engine
from bulle.policies import DisclosureRules, Policy, PolicyDenied, check_user_can_export
from bulle.policies.units import format_memory
from bulle.state import StateLayout

from . import events, store
from .blobs import BlobStore
from .decisions import (
    ExportDenied,
    FileAsk,
    check_credentials_can_review,
    check_request_contents,
    check_user_can_change_status,
    check_user_can_decide,
    check_user_can_download,
    check_user_can_view,
    user_can_review,
)
from .lifecycle import CHECKER_TARGETS, REVIEWABLE, STATUS_AUDIT_EVENT, STATUS_VERB, file_outcome
from .model import Decision, ExportRequest, FileDecision, FileOutcome, RequestedFile, RequestStatus, StatusChange
from .outbox import OutboxFile, OutboxPathRefused, read_outbox_file
from .reading import MAX_COUNTS_BYTES, read_output
from .release import (
    discard_release,
    extract_snapshots,
    publish_release,
    record_bytes,
    release_record,
    released_file,
    stage_release,
)


class RequestNotFound(LookupError):
    """No request, or no such file in it (HTTP 404)."""


class ExportConflict(ExportDenied):
    """Someone else changed the request meanwhile (HTTP 409)."""


def new_request_id(now: dt.datetime) -> str:
    """``<day>-<8 hex>``: sortable by day, unguessable, safe as a folder name."""
    return f"{now.astimezone(dt.UTC):%Y%m%d}-{secrets.token_hex(4)}"


@dataclasses.dataclass(frozen=True)
class _Read:
    """A file as the hub read it for a new request: what it asked, the file, its counts, its verdict."""

    ask: FileAsk
    file: OutboxFile
    counts: OutboxFile | None
    verdict: Verdict


class ExportWorkflow(LoggingConfigurable):
    """Export requests in the hub: make, review, release, download."""

    policy = Instance(Policy, allow_none=True, help="The loaded policy; set by bulle's hub configuration.").tag(
        config=True
    )
    state_dir = Unicode(help="bulle's state folder; set by bulle's hub configuration.").tag(config=True)
    db_url = Unicode(help="SQLAlchemy URL of the hub database; set by bulle's hub configuration.").tag(config=True)
    max_files_per_request = Integer(
        20, help="Most files one export request may hold (each is read, checked and kept by the hub)."
    ).tag(config=True)

    _engine: Engine | None = None
    _tables: store.Tables | None = None
    _lock: asyncio.Lock | None = None

    def __deepcopy__(self, memo: dict[int, object]) -> ExportWorkflow:
        # One per hub; handlers receive it through configuration, which deep-copies values.
        return self

    def open(self) -> ExportWorkflow:
        """Create the tables and the hub's private folder if needed."""
        if not self.db_url or not self.state_dir or self.policy is None:
            raise RuntimeError("ExportWorkflow needs db_url, state_dir and policy; bulle's hub configuration sets them")
        self._engine = open_engine(self.db_url)
        self._tables = store.create_tables(self._engine)
        self.blobs.prepare()
        return self

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    # -- plumbing ---------------------------------------------------------------

    @property
    def layout(self) -> StateLayout:
        return StateLayout(Path(self.state_dir))

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(self.layout.airlock_blobs)

    @property
    def tables(self) -> store.Tables:
        if self._tables is None:
            raise RuntimeError("the export workflow is not open")
        return self._tables

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the export workflow is not open")
        return self._engine

    def _policy(self) -> Policy:
        if self.policy is None:
            raise RuntimeError("no policy")
        return self.policy

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def refused(
        self,
        actor: str,
        action: str,
        denied: PolicyDenied,
        *,
        request: ExportRequest | None = None,
        project: str | None = None,
        bubble: str | None = None,
        file: str | None = None,
    ) -> PolicyDenied:
        """Record ``denied`` as ``airlock.refused``; return it for the caller to raise."""
        known = request.project if request else project
        await audit.record(
            events.refused(
                actor,
                action,
                denied.rule,
                str(denied),
                dt.datetime.now(dt.UTC),
                project=known if known in self._policy().projects else None,
                bubble=request.bubble if request else bubble,
                request_id=request.id if request else None,
                file=file,
            )
        )
        return denied

    @contextlib.asynccontextmanager
    async def _refusals(
        self,
        actor: str,
        action: str,
        *,
        request: ExportRequest | None = None,
        project: str | None = None,
        bubble: str | None = None,
        file: str | None = None,
    ) -> AsyncIterator[None]:
        """Record any refusal raised inside as ``airlock.refused``, then let it through."""
        try:
            yield
        except PolicyDenied as denied:
            await self.refused(actor, action, denied, request=request, project=project, bubble=bubble, file=file)
            raise

    # -- reading ------------------------------------------------------------------

    def get(self, request_id: str) -> ExportRequest:
        with self.engine.connect() as conn:
            found = store.load_request(conn, self.tables, request_id)
        if found is None:
            raise RequestNotFound(f"there is no export request {request_id!r}")
        return found

    def requests_of(self, user: str, project: str | None = None) -> list[ExportRequest]:
        """Requests ``user`` made (in ``project``, when given), newest first."""
        with self.engine.connect() as conn:
            return store.find_requests(
                conn, self.tables, requester=user, projects=[project] if project is not None else None
            )

    def requests_to_review(self, user: str) -> list[ExportRequest]:
        """Requests under review that ``user`` may review, newest first."""
        with self.engine.connect() as conn:
            pending = store.find_requests(conn, self.tables, statuses=REVIEWABLE, limit=1000)
        return [r for r in pending if user_can_review(self._policy(), user, r)]

    async def view(self, user: str, request_id: str) -> ExportRequest:
        """The request, if ``user`` may see it (refusals recorded)."""
        request = self.get(request_id)
        async with self._refusals(user, "view", request=request):
            check_user_can_view(self._policy(), user, request)
        return request

    async def read_requested_file(self, user: str, request_id: str, path: str) -> tuple[RequestedFile, bytes]:
        """The bytes of a requested file as the hub pinned them (recorded as ``airlock.viewed``)."""
        request = await self.view(user, request_id)
        requested = request.file(path)
        if requested is None:
            raise RequestNotFound(f"request {request_id} has no file {path!r}")
        content = self.blobs.get(requested.sha256)
        await audit.record(events.viewed(request, user, requested, dt.datetime.now(dt.UTC)))
        return requested, content

    def disclosure_rules(self, server: str) -> tuple[str, DisclosureRules] | None:
        """(project, its disclosure rules) for the bubble ``server``, or None if it is no bubble."""
        found = self._policy().bubble_for_server(server)
        return None if found is None else (found[0], self._policy().disclosure_rules(found[0]))

    # -- making a request -------------------------------------------------------------

    async def request_export(
        self,
        user: str,
        server: str,
        justification: str,
        asks: Sequence[FileAsk],
        claimed: dict[str, str] | None = None,
        now: dt.datetime | None = None,
        data_version: str | None = None,
    ) -> ExportRequest:
        """Make a request from ``user``'s bubble ``server`` for the files ``asks`` of their outbox.

        ``claimed`` maps paths to the SHA-256 the bubble computed: a file that
        changed between the bubble's reading and the hub's is refused
        (``changed-during-request``), so the requester knows what was pinned.
        ``data_version`` is the extract version the bubble mounted (the
        spawner knows it), whose snapshots the request and its release note.
        """
        now = now or dt.datetime.now(dt.UTC)
        policy = self._policy()
        found = policy.bubble_for_server(server)
        project = found[0] if found else None
        async with self._refusals(user, "request", project=project, bubble=f"{user}/{server}"):
            if project is None:
                raise ExportDenied(
                    user,
                    server,
                    "bubble",
                    f"{user} may not ask to export from {server!r}: it is not a bubble of the policy (rule: bubble).",
                )
            check_user_can_export(policy, user, project, now)
            check_request_contents(user, project, justification, asks, self.max_files_per_request)
            rules = policy.disclosure_rules(project)
            work_dir = self.layout.work_dir(project, user)
            reads = await asyncio.to_thread(self._read_and_check, user, project, work_dir, asks, rules, claimed or {})
        request = ExportRequest(
            id=new_request_id(now),
            project=project,
            requester=user,
            server=server,
            justification=justification,
            status=RequestStatus.SUBMITTED,
            created=audit.format_time(now),
            files=tuple(self._pin(read) for read in reads),
            history=(StatusChange(None, RequestStatus.SUBMITTED, user, audit.format_time(now)),),
            data=MappingProxyType(extract_snapshots(self.layout.data_dir(project), data_version)),
        )
        await audit.record(events.requested(request, rules.model_dump(), now))
        with self.engine.begin() as conn:
            store.insert_request(conn, self.tables, request)
        self.log.info("Export request %s by %s in %s: %d file(s)", request.id, user, project, len(request.files))
        return request

    def _read_and_check(
        self,
        user: str,
        project: str,
        work_dir: Path,
        asks: Sequence[FileAsk],
        rules: DisclosureRules,
        claimed: dict[str, str],
    ) -> list[_Read]:
        reads = []
        for ask in asks:

            def deny(rule: str, reason: str, ask: FileAsk = ask) -> ExportDenied:
                sentence = f"{user} may not ask to export {ask.path!r} from project {project}: {reason} (rule: {rule})."
                return ExportDenied(user, project, rule, sentence)

            try:
                read = read_output(work_dir, ask, rules.max_file_size)
            except OutboxPathRefused as refused:
                raise deny(refused.rule, str(refused)) from None
            if read.file.size > rules.max_file_size:
                raise deny(
                    "file-size",
                    f"the file is {read.file.size:,} bytes, over the project's cap of "
                    f"{format_memory(rules.max_file_size)} on exports (max_file_size)",
                )
            if read.counts is not None and read.counts.size > MAX_COUNTS_BYTES:
                raise deny("file-size", f"the counts file is over {MAX_COUNTS_BYTES:,} bytes")
            if ask.path in claimed and claimed[ask.path] != read.file.sha256:
                raise deny(
                    "changed-during-request",
                    "the file changed while the request was made (the bubble and the hub read different bytes); "
                    "ask again once it is written",
                )
            reads.append(_Read(ask, read.file, read.counts, check_output(read.output, rules)))
        return reads

    def _pin(self, read: _Read) -> RequestedFile:
        """Keep the bytes the hub read, and describe the file as pinned."""
        self.blobs.put(read.file.content)
        counts_sha256 = self.blobs.put(read.counts.content) if read.counts is not None else None
        report = read.verdict.to_json()
        report["file"] = read.ask.path
        return RequestedFile(
            path=read.ask.path,
            kind=Kind(read.ask.kind),
            sha256=read.file.sha256,
            size=read.file.size,
            verdict=read.verdict.status,
            report=report,
            counts_path=read.ask.counts,
            counts_sha256=counts_sha256,
        )

    # -- reviewing ------------------------------------------------------------------------

    async def decide(
        self,
        user: str,
        request_id: str,
        path: str,
        decision: FileDecision,
        comment: str,
        override_reason: str | None = None,
        now: dt.datetime | None = None,
        review_scope: bool = True,
    ) -> ExportRequest:
        """Record ``user``'s decision on one file of a request under review.

        ``review_scope``: whether the caller's credentials hold the review
        scope (the hub says; a bubble's token never does).
        """
        now = now or dt.datetime.now(dt.UTC)
        async with self.lock:
            request = self.get(request_id)
            async with self._refusals(user, "review", request=request, file=path):
                check_user_can_decide(self._policy(), user, request, path, decision, comment, override_reason)
                check_credentials_can_review(user, request, review_scope)
            made = Decision(path, user, decision, comment.strip(), audit.format_time(now), override_reason or None)
            after = dataclasses.replace(request, decisions=(*request.decisions, made))
            outcome = file_outcome(after.require_file(path), after.decisions)
            await audit.record(events.reviewed(request, made, outcome, now))
            with self.engine.begin() as conn:
                store.add_decision(conn, self.tables, request.id, made)
            return after

    async def change_status(
        self,
        user: str,
        request_id: str,
        target: RequestStatus,
        comment: str = "",
        now: dt.datetime | None = None,
        review_scope: bool = True,
    ) -> ExportRequest:
        """Release, return, reject or withdraw a request, as the lifecycle table allows.

        ``review_scope`` as for :meth:`decide`, needed for the checkers' moves.
        """
        now = now or dt.datetime.now(dt.UTC)
        async with self.lock:
            request = self.get(request_id)
            async with self._refusals(user, STATUS_VERB[target], request=request):
                check_user_can_change_status(self._policy(), user, request, target)
                if target in CHECKER_TARGETS:
                    check_credentials_can_review(user, request, review_scope)
            change = StatusChange(request.status, target, user, audit.format_time(now), comment.strip())
            if target is RequestStatus.RELEASED:
                await self._release(user, request, change, now)
            else:
                await audit.record(events.closed(STATUS_AUDIT_EVENT[target], request, user, change.comment, now))
                self._store_change(request, change)
            return self.get(request_id)

    def _store_change(self, request: ExportRequest, change: StatusChange) -> None:
        with self.engine.begin() as conn:
            if not store.change_status(conn, self.tables, request.id, change):
                raise ExportConflict(
                    change.actor,
                    request.id,
                    "state",
                    f"{change.actor} may not change request {request.id}: someone changed it meanwhile (rule: state).",
                )

    async def _release(self, user: str, request: ExportRequest, change: StatusChange, now: dt.datetime) -> None:
        approved = [f for f in request.files if file_outcome(f, request.decisions) is FileOutcome.APPROVED]
        work_dir = self.layout.work_dir(request.project, request.requester)
        async with self._refusals(user, "release", request=request):
            contents = await asyncio.to_thread(self._reread, user, request, work_dir, approved)
        released = dataclasses.replace(request, history=(*request.history, change))
        record = record_bytes(release_record(released, user, change.time, change.comment))
        staging = stage_release(self.layout.releases_dir(request.project), request.id, contents, record)
        try:
            await audit.record(
                events.released(
                    request,
                    user,
                    change.comment,
                    approved,
                    hashlib.sha256(record).hexdigest(),
                    request.data.get("snapshots"),
                    now,
                )
            )
            self._store_change(request, change)
        except BaseException:
            discard_release(staging)
            raise
        publish_release(staging, self.layout.release_dir(request.project, request.id))
        self.log.info("Export request %s released by %s: %d file(s)", request.id, user, len(approved))

    @staticmethod
    def _reread(
        user: str, request: ExportRequest, work_dir: Path, files: Sequence[RequestedFile]
    ) -> list[tuple[str, bytes]]:
        """The approved files, read again from the outbox; refused if one is not exactly as pinned."""
        contents = []
        for requested in files:

            def deny(rule: str, reason: str, path: str = requested.path) -> ExportDenied:
                sentence = (
                    f"{user} may not release request {request.id} of project {request.project}: "
                    f"{path!r} {reason} (rule: {rule})."
                )
                return ExportDenied(user, request.id, rule, sentence)

            try:
                read = read_outbox_file(work_dir, requested.path, requested.size)
            except OutboxPathRefused as refused:
                raise deny("changed-since-request", f"can no longer be read from the outbox: {refused}") from None
            if read.sha256 != requested.sha256:
                raise deny(
                    "changed-since-request",
                    "changed in the outbox after it was requested (its SHA-256 differs from the pinned one); "
                    "return the request so that the requester asks again",
                )
            contents.append((requested.path, read.content))
        return contents

    # -- downloading ------------------------------------------------------------------

    async def download(self, user: str, request_id: str, path: str) -> tuple[RequestedFile, bytes]:
        """A released file, for its requester (recorded as ``airlock.downloaded``)."""
        request = self.get(request_id)
        async with self._refusals(user, "download", request=request, file=path):
            check_user_can_download(self._policy(), user, request, path)
        requested = request.require_file(path)
        content = released_file(self.layout.release_dir(request.project, request.id), path).read_bytes()
        if hashlib.sha256(content).hexdigest() != requested.sha256:
            raise RuntimeError(f"the released copy of {path} in request {request.id} no longer matches its SHA-256")
        await audit.record(events.downloaded(request, user, requested, dt.datetime.now(dt.UTC)))
        return requested, content
