"""A real bulle hub in a subprocess, for integration tests.

:class:`HubProcess` runs ``python -m bulle hub`` with a real
configurable-http-proxy on random 127.0.0.1 ports and its own state folder,
waits for ``/hub/health``, and stops it with SIGTERM (which stops its bubbles).
:class:`HubClient` is a logged-in browser-like session with helpers that check
on every call what must always hold (no traceback leaks in error pages).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class HubProcess:
    policy_dir: Path
    state_dir: Path
    db_url: str | None = None
    extra_args: Sequence[str] = ()
    hub_options: Sequence[str] = ()
    port: int = field(default_factory=free_port)
    # Fixed for the object's life, so that a hub started again is where its bubbles expect it.
    hub_port: int = field(default_factory=free_port)
    proxy_api_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "bulle",
            "hub",
            "--policy",
            str(self.policy_dir),
            "--state",
            str(self.state_dir),
        ]
        if self.db_url:
            command += ["--db-url", self.db_url]
        # The hub's API listens on a Unix socket bulle chooses (sandboxed bubbles reach it only so).
        return [
            *command,
            *self.hub_options,
            "--",
            f"--JupyterHub.bind_url={self.url}",
            f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{self.proxy_api_port}",
            *self.extra_args,
        ]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BULLE_", "JUPYTERHUB_"))}
        env["PATH"] = f"{REPO / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
        return env

    def start(self, timeout: float = 60) -> HubProcess:
        self.log_path = self.state_dir.parent / f"hub-{self.port}.log"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.environment(), start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/hub/health", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the hub did not answer within {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 60) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return self.proc.returncode

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def client(self) -> HubClient:
        return HubClient(self)


class HubClient:
    """A browser-like session against one hub."""

    def __init__(self, hub: HubProcess) -> None:
        self.hub = hub
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return f"{self.hub.url}{path}"

    @property
    def xsrf(self) -> str:
        return self.session.cookies.get("_xsrf", path="/hub/") or ""

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self._checked(self.session.get(self.url(path), timeout=30, **kwargs))  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: object) -> requests.Response:
        form = {"_xsrf": self.xsrf, **(data or {})}
        return self._checked(self.session.post(self.url(path), data=form, timeout=30, **kwargs))  # type: ignore[arg-type]

    def api(self, method: str, path: str, json: object = None) -> requests.Response:
        headers = {"X-XSRFToken": self.xsrf, "Referer": self.url("/hub/home")}
        response = self.session.request(method, self.url(f"/hub/api{path}"), json=json, headers=headers, timeout=30)
        return self._checked(response)

    def login(self, username: str, password: str) -> requests.Response:
        self.get("/hub/login")
        return self.post("/hub/login?next=", {"username": username, "password": password})

    def wait_ready(self, user: str, server: str, timeout: float = 90) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{user}").json()
            state = model["servers"].get(server)
            if state and state.get("ready"):
                return dict(state)
            if state is None and time.monotonic() > deadline - timeout + 5:
                break
            time.sleep(0.5)
        raise AssertionError(f"{user}/{server} did not become ready:\n{self.hub.log_tail()}")

    def stop_server(self, user: str, server: str, timeout: float = 60) -> None:
        response = self.api("DELETE", f"/users/{user}/servers/{server}")
        assert response.status_code in (202, 204), response.text
        self.wait_stopped(user, server, timeout)

    def wait_stopped(self, user: str, server: str, timeout: float = 60) -> None:
        """Wait until the hub no longer lists ``server`` (stopped by anyone, the hub included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server not in self.api("GET", f"/users/{user}").json()["servers"]:
                return
            time.sleep(0.5)
        raise AssertionError(f"{user}/{server} did not stop:\n{self.hub.log_tail()}")

    @staticmethod
    def _checked(response: requests.Response) -> requests.Response:
        if "text/html" in response.headers.get("Content-Type", ""):
            assert "Traceback (most recent call last)" not in response.text, "an error page leaked a traceback"
        return response


def page_text(response: requests.Response) -> str:
    """The visible text of an HTML page, entities decoded and whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.text)
    return re.sub(r"\s+", " ", unescape(text))
