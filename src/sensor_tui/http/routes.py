"""The HTTP endpoint's app: the token rule, the table of routes, dispatch and request counts.

Why a module: every request passes here before any route runs (authorize, find the route, turn
every failure into a JSON error), whatever transport carries it. The answers themselves are in
`reading_routes` (ingest and the reads of readings) and `alarm_routes` (the alarm life cycle).
Ingest answers only once the pipeline's future resolves (committed to SQLite or fsynced to the
dead-letter file).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sensor_tui.http import alarm_routes
from sensor_tui.http.api import (
    HttpError,
    Request,
    Response,
    answer,
    json_response,
)
from sensor_tui.http.reading_routes import (
    get_anomalies,
    get_data,
    get_health,
    get_metrics,
    get_stats,
    get_tags,
    ingest_batch,
    ingest_one,
)
from sensor_tui.pipeline import NotDurable, Pipeline, PipelineStopped
from sensor_tui.storage import Reader

Route = Callable[["HttpApp", Request], Response]


@dataclass(frozen=True, slots=True)
class Limits:
    """The endpoint's bounds; tests shrink the timeouts to watch them act."""

    max_body: int = 1 << 20
    """Largest request body in bytes (1 MiB); checked from Content-Length before reading."""
    max_connections: int = 64
    """Concurrent connections, hence handler threads; past it a new one gets 503 and is closed."""
    max_per_client: int = 16
    """Concurrent connections from one client address: one client cannot take every slot."""
    head_timeout: float = 3.0
    """Seconds a new connection has to send its first request's whole head: a client that
    connects and trickles (or never finishes) a head gives its slot back this fast."""
    idle_timeout: float = 15.0
    """Seconds a keep-alive connection, once it has been answered, may sit idle or take to
    send its next request's head."""
    request_timeout: float = 10.0
    """Seconds to receive a body, or to take an answer."""
    ack_timeout: float = 60.0
    """Seconds to wait for the pipeline before answering 503 (retrying is then safe)."""


class HttpApp:
    """The routes' shared state: the pipeline, the token, the request counters."""

    def __init__(self, pipeline: Pipeline, token: str | None, limits: Limits) -> None:
        self.pipeline = pipeline
        self.config = pipeline.config
        self.limits = limits
        self._token = token.encode() if token else None
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, int]] = Counter()

    @property
    def uptime(self) -> float:
        """Seconds since the endpoint started."""
        return time.monotonic() - self._started

    def requests(self) -> dict[tuple[str, int], int]:
        """Requests answered so far, by (route, status)."""
        with self._lock:
            return dict(self._requests)

    def handle(self, req: Request) -> Response:
        """Authorize, route, answer; every failure becomes a JSON error, never an HTML page."""
        label, methods = resolve(req.path)
        response = answer(req, lambda: self._dispatch(req, methods), "database")
        with self._lock:
            self._requests[(label, response.status)] += 1
        return response

    def _dispatch(self, req: Request, methods: dict[str, Route] | None) -> Response:
        if req.path != "/health" and not self.authorized(req):
            raise HttpError(
                401,
                "missing or wrong bearer token",
                (("WWW-Authenticate", 'Bearer realm="sensor-tui"'),),
            )
        if methods is None:
            raise HttpError(
                404, f"no route {req.path}; see GET /tags, /data, /alarms, /stats, /health"
            )
        route = methods.get("GET" if req.method == "HEAD" else req.method)
        if route is None:
            allowed = ", ".join(sorted({*methods, *(("HEAD",) if "GET" in methods else ())}))
            raise HttpError(405, f"{req.method} not allowed on {req.path}", (("Allow", allowed),))
        return route(self, req)

    def open_reader(self) -> Reader:
        """A read-only Reader for one connection's GETs (WAL lets it read while the writer
        writes); it never writes, so a GET leaves the file byte-identical."""
        return Reader(self.pipeline.db_path)

    def authorized(self, req: Request) -> bool:
        """True without a token, else when `Authorization: Bearer <token>` matches.

        Compared in constant time; header values arrive as latin-1 text, so encoding them back
        to latin-1 gives the client's bytes.
        """
        if self._token is None:
            return True
        scheme, _, credentials = (req.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credentials.strip().encode("latin-1"), self._token)

    def ingest(self, items: list[Any], single: bool) -> Response:
        """Submit, wait until durable, answer; 400 when a non-empty batch had nothing accepted."""
        try:
            result = self.pipeline.submit(items, "http").result(self.limits.ack_timeout)
        except NotDurable as exc:
            raise HttpError(503, f"not stored: {exc}") from None
        except PipelineStopped:
            raise HttpError(503, "shutting down; retry against the next instance") from None
        except TimeoutError:
            raise HttpError(503, "write not confirmed in time; retrying is safe") from None
        answer: dict[str, Any] = {
            "accepted": result.accepted,
            "rejected": [{"index": i, "reason": reason} for i, reason in result.rejected],
            "anomalies": result.anomalies,
            "dead_lettered": result.dead_lettered,
        }
        if items and not result.accepted:
            first = result.rejected[0][1]
            answer = {"error": first if single else "no measurement accepted", **answer}
            return json_response(400, answer)
        return json_response(200, answer)


def resolve(path: str) -> tuple[str, dict[str, Route] | None]:
    """The route's label for request counts and its methods; ("other", None) when unknown."""
    methods = ROUTES.get(path)
    if methods is not None:
        return path, methods
    found = alarm_routes.match(path)
    return found if found is not None else ("other", None)


ROUTES: dict[str, dict[str, Route]] = {
    "/ingest/batch": {"POST": ingest_batch},
    "/ingest": {"POST": ingest_one},
    "/data": {"GET": get_data},
    "/anomalies": {"GET": get_anomalies},
    "/tags": {"GET": get_tags},
    "/stats": {"GET": get_stats},
    "/health": {"GET": get_health},
    "/metrics": {"GET": get_metrics},
    "/alarms": {"GET": alarm_routes.get_alarms},
}
