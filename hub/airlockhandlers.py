"""The airlock in the hub: the bubbles' endpoint, the JSON API, the review pages and downloads.

=================================================================  ==================================
``POST /hub/api/bulle/airlock/bubbles/<user>/<server>/requests``    a bubble asks for an export
``GET  /hub/api/bulle/airlock/bubbles/<user>/<server>/requests``    the bubble's user's requests in its project
``GET  /hub/api/bulle/airlock/bubbles/<user>/<server>/rules``       the project's disclosure rules
``GET  /hub/api/bulle/airlock/requests?for=review|mine``            requests to review, or one's own
``GET  /hub/api/bulle/airlock/requests/<id>``                       one request
``POST /hub/api/bulle/airlock/requests/<id>/decisions``             a checker's decision on one file
``POST /hub/api/bulle/airlock/requests/<id>/status``                release, return, reject, withdraw
``GET  /hub/airlock``                                               the page: to review, and one's own
``GET  /hub/airlock/requests/<id>``                                 a request, with the review forms
``POST /hub/airlock/requests/<id>``                                 the forms' actions
``GET  /hub/airlock/requests/<id>/files/<path>``                    a requested file as pinned (to look at)
``GET  /hub/airlock/requests/<id>/released/<path>``                 a released file (the requester downloads)
=================================================================  ==================================

The bubbles' endpoints take only a token with ``custom:bulle:request-export``
for that very server (the bubble's own token); the requester is the token's
user and the project is the server's, from the policy. What checkers do
(decisions, release, return, reject) needs ``custom:bulle:review-outputs``,
which the ``bulle-output-checker`` role holds and bubbles' tokens never do
(rule ``scope``, checked after the policy's rules); :mod:`bulle.exports.decisions`
decides the rest. Every refusal answers 403 with the rule's sentence and is
recorded as ``airlock.refused``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import quote

from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers.base import BaseHandler
from jupyterhub.scopes import has_scope
from tornado import web

from bulle.exports import (
    ExportConflict,
    ExportDenied,
    ExportRequest,
    ExportWorkflow,
    FileAsk,
    FileDecision,
    RequestNotFound,
    RequestStatus,
)
from bulle.exports.decisions import user_can_change_status, user_can_download, user_can_review
from bulle.exports.lifecycle import STATUS_OWNERS
from bulle.exports.summary import request_summary
from bulle.policies.jupyterhub import REQUEST_EXPORT_SCOPE, REVIEW_OUTPUTS_SCOPE

T = TypeVar("T")

#: Requested files are shown as text or as the picture they are, never rendered as HTML.
SHOWN_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def airlock_handlers(workflow: ExportWorkflow) -> list[tuple[str, type, dict[str, Any]]]:
    """``JupyterHub.extra_handlers`` entries (the hub adds its prefix)."""
    options = {"workflow": workflow}
    bubble = r"/api/bulle/airlock/bubbles/([^/]+)/([^/]+)"
    request = r"/api/bulle/airlock/requests/([^/]+)"
    return [
        (rf"{bubble}/requests", BubbleRequestsHandler, options),
        (rf"{bubble}/rules", BubbleRulesHandler, options),
        (r"/api/bulle/airlock/requests", RequestsAPIHandler, options),
        (rf"{request}", RequestAPIHandler, options),
        (rf"{request}/decisions", DecisionsAPIHandler, options),
        (rf"{request}/status", StatusAPIHandler, options),
        (r"/airlock", AirlockPageHandler, options),
        (r"/airlock/requests/([^/]+)", RequestPageHandler, options),
        (r"/airlock/requests/([^/]+)/files/(.+)", RequestedFileHandler, options),
        (r"/airlock/requests/([^/]+)/released/(.+)", ReleasedFileHandler, options),
    ]


def http_error(exc: Exception) -> web.HTTPError:
    """The HTTP answer to an airlock exception: the sentence, with 403, 404 or 409."""
    status = 409 if isinstance(exc, ExportConflict) else 404 if isinstance(exc, RequestNotFound) else 403
    error = web.HTTPError(status, "%s", str(exc))
    error.jupyterhub_message = str(exc)  # type: ignore[attr-defined]
    return error


async def answering(action: Awaitable[T]) -> T:
    """Await ``action``, turning the workflow's refusals into HTTP errors."""
    try:
        return await action
    except (ExportDenied, RequestNotFound) as exc:
        raise http_error(exc) from None


def _text(body: dict[str, Any], key: str, default: str = "") -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise web.HTTPError(400, f"{key!r} must be a string")
    return value


class _Airlock:
    """What every airlock handler shares: the workflow, and who is asking."""

    workflow: ExportWorkflow

    def initialize(self, workflow: ExportWorkflow) -> None:
        self.workflow = workflow

    @property
    def username(self) -> str:
        user = getattr(self, "current_user", None)
        if user is None:
            raise web.HTTPError(403, "Missing or invalid credentials.")
        return str(user.name)

    def scoped(self, scope: str) -> bool:
        handler: Any = self
        return bool(has_scope(scope, handler.parsed_scopes, db=handler.db))

    async def refuse(self, action: str, rule: str, sentence: str, bubble: str | None = None) -> web.HTTPError:
        """A refusal the handler decides (the credentials), recorded like the workflow's."""
        denied = ExportDenied(self.username, "airlock", rule, sentence)
        await self.workflow.refused(self.username, action, denied, bubble=bubble)
        return http_error(denied)

    def decide(
        self, request_id: str, path: str, decision: str, comment: str, override_reason: str
    ) -> Awaitable[ExportRequest]:
        """A checker's decision on one file (the API's and the page's)."""
        try:
            chosen = FileDecision(decision)
        except ValueError:
            raise web.HTTPError(400, "decision must be approve, reject or return") from None
        return self.workflow.decide(
            self.username,
            request_id,
            path,
            chosen,
            comment,
            override_reason or None,
            review_scope=self.scoped(REVIEW_OUTPUTS_SCOPE),
        )

    def move(self, request_id: str, status: str, comment: str) -> Awaitable[ExportRequest]:
        """Release, return, reject or withdraw (the API's and the page's)."""
        try:
            target = RequestStatus(status)
        except ValueError:
            raise web.HTTPError(400, "status must be released, returned, rejected or withdrawn") from None
        return self.workflow.change_status(
            self.username, request_id, target, comment, review_scope=self.scoped(REVIEW_OUTPUTS_SCOPE)
        )


# -- the bubbles' endpoints --------------------------------------------------------


class _BubbleEndpoint(_Airlock):
    async def _check_bubble_token(self, user_name: str, server_name: str) -> str:
        """The requester, if the token is the bubble's own; 403 (recorded) otherwise."""
        username = self.username
        bubble = f"{user_name}/{server_name}"
        if username != user_name or not self.scoped(f"{REQUEST_EXPORT_SCOPE}!server={bubble}"):
            sentence = (
                f"{username} may not ask for exports from bubble {bubble} with this token: "
                "only that bubble's own token may (rule: bubble-token)."
            )
            raise await self.refuse("request", "bubble-token", sentence, bubble=bubble)
        return username


class BubbleRequestsHandler(_BubbleEndpoint, APIHandler):  # type: ignore[misc]
    async def get(self, user_name: str, server_name: str) -> None:
        user = await self._check_bubble_token(user_name, server_name)
        found = self.workflow.disclosure_rules(server_name)
        project = found[0] if found else None
        requests = self.workflow.requests_of(user, project) if project else []
        self.write({"requests": [request_summary(r) for r in requests]})

    async def post(self, user_name: str, server_name: str) -> None:
        user = await self._check_bubble_token(user_name, server_name)
        body = self.get_json_body()
        if not isinstance(body, dict) or not isinstance(body.get("files"), list):
            raise web.HTTPError(400, 'send {"justification": "...", "files": [{"path", "kind", "counts"?, "sha256"?}]}')
        asks, claimed = [], {}
        for item in body["files"]:
            if not isinstance(item, dict):
                raise web.HTTPError(400, "each file must be a JSON object")
            path = _text(item, "path")
            asks.append(FileAsk(path, _text(item, "kind"), _text(item, "counts") or None))
            if item.get("sha256"):
                claimed[path] = _text(item, "sha256")
        justification = _text(body, "justification")
        action = self.workflow.request_export(
            user, server_name, justification, asks, claimed, data_version=self._data_version(server_name)
        )
        request = await answering(action)
        self.set_status(201)
        self.write(request_summary(request))

    def _data_version(self, server_name: str) -> str | None:
        """The extract version the bubble mounted when it started, as its spawner noted it."""
        user = self.current_user
        if server_name not in user.orm_spawners:
            return None
        return getattr(user.spawners[server_name], "data_version", "") or None


class BubbleRulesHandler(_BubbleEndpoint, APIHandler):  # type: ignore[misc]
    async def get(self, user_name: str, server_name: str) -> None:
        await self._check_bubble_token(user_name, server_name)
        found = self.workflow.disclosure_rules(server_name)
        if found is None:
            raise web.HTTPError(404, f"{server_name!r} is not a bubble of the policy")
        project, rules = found
        self.write({"project": project, "rules": rules.model_dump()})


# -- the JSON API -----------------------------------------------------------------------


class RequestsAPIHandler(_Airlock, APIHandler):  # type: ignore[misc]
    async def get(self) -> None:
        wanted = self.get_argument("for", "mine")
        if wanted == "review":
            if not self.scoped(REVIEW_OUTPUTS_SCOPE):
                sentence = (
                    f"{self.username} may not list the requests to review with these credentials: "
                    f"they lack {REVIEW_OUTPUTS_SCOPE} (rule: scope)."
                )
                raise await self.refuse("list", "scope", sentence)
            requests = self.workflow.requests_to_review(self.username)
        elif wanted == "mine":
            requests = self.workflow.requests_of(self.username)
        else:
            raise web.HTTPError(400, "for= must be review or mine")
        self.write({"requests": [request_summary(r) for r in requests]})


class RequestAPIHandler(_Airlock, APIHandler):  # type: ignore[misc]
    async def get(self, request_id: str) -> None:
        request = await answering(self.workflow.view(self.username, request_id))
        self.write(request_summary(request))


class DecisionsAPIHandler(_Airlock, APIHandler):  # type: ignore[misc]
    async def post(self, request_id: str) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise web.HTTPError(400, 'send {"file", "decision", "comment", "override_reason"?}')
        action = self.decide(
            request_id,
            _text(body, "file"),
            _text(body, "decision"),
            _text(body, "comment"),
            _text(body, "override_reason"),
        )
        self.write(request_summary(await answering(action)))


class StatusAPIHandler(_Airlock, APIHandler):  # type: ignore[misc]
    async def post(self, request_id: str) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise web.HTTPError(400, 'send {"status": "released" | "returned" | "rejected" | "withdrawn", "comment"}')
        action = self.move(request_id, _text(body, "status"), _text(body, "comment"))
        self.write(request_summary(await answering(action)))


# -- the pages ----------------------------------------------------------------------


class AirlockPageHandler(_Airlock, BaseHandler):  # type: ignore[misc]
    @web.authenticated
    async def get(self) -> None:
        user = self.username
        reviewer = self.scoped(REVIEW_OUTPUTS_SCOPE)
        html = await self.render_template(
            "airlock.html",
            reviewer=reviewer,
            to_review=[request_summary(r) for r in self.workflow.requests_to_review(user)] if reviewer else [],
            mine=[request_summary(r) for r in self.workflow.requests_of(user)],
        )
        self.finish(html)


class RequestPageHandler(_Airlock, BaseHandler):  # type: ignore[misc]
    @web.authenticated
    async def get(self, request_id: str) -> None:
        await self._show(request_id)

    @web.authenticated
    async def post(self, request_id: str) -> None:
        form = {name: self.get_body_argument(name, "") for name in ("file", "decision", "comment", "override_reason")}
        chosen = self.get_body_argument("action", "")
        if chosen == "decide":
            action = self.decide(request_id, form["file"], form["decision"], form["comment"], form["override_reason"])
        elif chosen == "status":
            action = self.move(request_id, self.get_body_argument("status", ""), form["comment"])
        else:
            raise web.HTTPError(400, "action must be decide or status")
        try:
            await action
        except (ExportDenied, RequestNotFound) as exc:
            self.set_status(http_error(exc).status_code)
            await self._show(request_id, refusal=str(exc))
            return
        self.redirect(f"{self.hub.base_url}airlock/requests/{quote(request_id)}")

    async def _show(self, request_id: str, refusal: str | None = None) -> None:
        user = self.username
        request = await answering(self.workflow.view(user, request_id))
        policy = self.workflow.policy
        assert policy is not None  # noqa: S101  (the hub always sets it)
        reviewer = self.scoped(REVIEW_OUTPUTS_SCOPE)
        html = await self.render_template(
            "airlock-request.html",
            request=request_summary(request),
            refusal=refusal,
            may_review=reviewer and user_can_review(policy, user, request),
            may_move={s.value: user_can_change_status(policy, user, request, s) for s in RequestStatus},
            may_download=lambda path: user_can_download(policy, user, request, path),
            waiting_for=STATUS_OWNERS[request.status].value,
        )
        self.finish(html)


class _FileSender(_Airlock, BaseHandler):  # type: ignore[misc]
    def _send(self, path: str, content: bytes, attachment: bool) -> None:
        name = path.rsplit("/", 1)[-1]
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        kind = SHOWN_TYPES.get(suffix) or ("application/octet-stream" if attachment else "text/plain; charset=utf-8")
        self.set_header("Content-Type", kind)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox")
        disposition = "attachment" if attachment else "inline"
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(name)}")
        self.finish(content)


class RequestedFileHandler(_FileSender):
    @web.authenticated
    async def get(self, request_id: str, path: str) -> None:
        requested, content = await answering(self.workflow.read_requested_file(self.username, request_id, path))
        self._send(requested.path, content, attachment=False)


class ReleasedFileHandler(_FileSender):
    @web.authenticated
    async def get(self, request_id: str, path: str) -> None:
        requested, content = await answering(self.workflow.download(self.username, request_id, path))
        self._send(requested.path, content, attachment=True)
