"""configurable-http-proxy, with bubbles behind Unix sockets.

A sandboxed bubble listens on a Unix socket. JupyterHub records such a server
as ``http+unix://<quoted path>`` with port 80 and hands the proxy the target
``http+unix://<quoted path>:80``; configurable-http-proxy then dials the path
``<path>:80``, which does not exist. :class:`UnixSocketProxy` drops that port
on the way to the proxy and puts it back on the way from it, so JupyterHub's
route check still sees the targets it expects.
"""

from __future__ import annotations

from typing import Any

from jupyterhub.proxy import ConfigurableHTTPProxy

UNIX_SCHEME = "http+unix://"
DEFAULT_PORT = ":80"


def proxy_target(target: str) -> str:
    """The target as configurable-http-proxy must see it."""
    if target.startswith(UNIX_SCHEME) and target.endswith(DEFAULT_PORT):
        return target[: -len(DEFAULT_PORT)]
    return target


def hub_target(target: str, known: set[str]) -> str:
    """The target as JupyterHub registered it (one of ``known``, or unchanged)."""
    with_port = target + DEFAULT_PORT
    if target.startswith(UNIX_SCHEME) and with_port in known:
        return with_port
    return target


class UnixSocketProxy(ConfigurableHTTPProxy):  # type: ignore[misc]
    """configurable-http-proxy that reaches servers on Unix sockets."""

    _registered: set[str]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._registered = set()

    async def add_route(self, routespec: str, target: str, data: dict[str, Any]) -> None:
        self._registered.add(target)
        await super().add_route(routespec, proxy_target(target), data)

    async def get_all_routes(self) -> dict[str, dict[str, Any]]:
        routes: dict[str, dict[str, Any]] = await super().get_all_routes()
        for route in routes.values():
            route["target"] = hub_target(route["target"], self._registered)
        # Forget the targets of deleted routes (a route added meanwhile and
        # forgotten here is re-added with its port by the hub's next check).
        self._registered &= {route["target"] for route in routes.values()}
        return routes
