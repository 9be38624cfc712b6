"""Prometheus metrics of the web app: GET /metrics, and the middleware that times every request.

/metrics is for the scraper on the host: the app binds loopback and the edge proxy routes only the paths it
lists (deploy/nginx/edge.conf.template), so /metrics is never reached from outside. Requests are labelled by
their route template (`/proposals/{token}`, never the token itself), method and status; a path no route
matches counts as `unmatched`, so a scan of random URLs cannot grow the label set.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wecom import metrics

router = APIRouter(tags=["health"])
UNMATCHED = "unmatched"


@router.get("/metrics", include_in_schema=False)
def scrape() -> Response:
    """This process's metrics in Prometheus's text format."""
    body, content_type = metrics.exposition()
    return Response(content=body, media_type=content_type)


def route_template(scope: Scope) -> str:
    """The template of the route that served `scope` (set by the router), or `unmatched`.

    >>> class Route: path = "/proposals/{token}"
    >>> route_template({"route": Route()}), route_template({})
    ('/proposals/{token}', 'unmatched')
    """
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestMetrics:
    """ASGI middleware: observe each HTTP request's seconds by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        elapsed = metrics.timer()
        status = 500  # an exception before the response started ends as Starlette's 500
        observed = False

        def observe() -> None:
            nonlocal observed
            if not observed:
                observed = True
                metrics.HTTP_REQUEST_SECONDS.labels(scope["method"], route_template(scope), str(status)).observe(
                    elapsed())

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                observe()  # before the last byte leaves: the client never sees a response not yet counted
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            observe()
