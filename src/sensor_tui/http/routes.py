"""What each route of the HTTP endpoint answers (PRODUCT.md, "HTTP endpoint").

A thin client of the pipeline: ingest routes hand measurements to `Pipeline.submit` and answer
only once the returned future resolves (committed to SQLite or fsynced to the dead-letter file);
per-item validation is the pipeline's, so HTTP, the simulator and CSV import reject the same
readings for the same reasons. Read routes query the database through the connection's own
read-only `Reader`, with bound parameters only.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sensor_tui.http import alarm_routes, metrics
from sensor_tui.http.api import (
    HttpError,
    Request,
    Response,
    answer,
    json_response,
    whole_number,
)
from sensor_tui.http.params import known_tag as _tag
from sensor_tui.http.params import query_params as _params
from sensor_tui.model.readings import Rejected, normalize_ts
from sensor_tui.pipeline import NotDurable, Pipeline, PipelineStopped
from sensor_tui.storage import Reader
from sensor_tui.storage.alarm_reads import state_counts

MAX_BATCH = 10_000
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

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


# -- ingest ----------------------------------------------------------------------------------


def ingest_batch(app: HttpApp, req: Request) -> Response:
    """POST /ingest/batch: `{"measurements": [...]}`, each item validated on its own."""
    payload = req.json()
    if not isinstance(payload, dict):
        raise HttpError(400, 'body must be an object: {"measurements": [...]}')
    items = payload.get("measurements")
    if not isinstance(items, list):
        raise HttpError(400, "'measurements' must be a list of measurement objects")
    if len(items) > MAX_BATCH:
        raise HttpError(413, f"at most {MAX_BATCH} measurements a batch, got {len(items)}")
    return app.ingest(items, single=False)


def ingest_one(app: HttpApp, req: Request) -> Response:
    """POST /ingest: one measurement object, answered like a batch of one."""
    payload = req.json()
    if not isinstance(payload, dict):
        raise HttpError(400, 'body must be one measurement object: {"tag", "value", "timestamp"}')
    return app.ingest([payload], single=True)


# -- reads -----------------------------------------------------------------------------------


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    limit = whole_number(raw)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, got {raw!r}")
    return limit


def _timestamp(params: dict[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return normalize_ts(raw)
    except Rejected:
        raise HttpError(
            400, f"{name} must be ISO-8601 (Z, offset or UTC) or epoch seconds, got {raw!r}"
        ) from None


def _row(row: dict[str, Any]) -> dict[str, Any]:
    if "is_anomaly" in row:
        row["is_anomaly"] = bool(row["is_anomaly"])
    return row


def get_data(app: HttpApp, req: Request) -> Response:
    """GET /data: the latest `limit` readings (of a tag, in a time range) in time order."""
    params = _params(req, ("tag", "limit", "since", "until"))
    tag, limit = _tag(app, params), _limit(params)
    since, until = _timestamp(params, "since"), _timestamp(params, "until")
    if since and until and since > until:
        raise HttpError(400, "since is after until")
    rows = req.store().latest(tag, limit, since, until)
    return json_response(200, {"count": len(rows), "readings": [_row(r) for r in rows]})


def get_anomalies(app: HttpApp, req: Request) -> Response:
    """GET /anomalies: the latest `limit` anomalous readings, newest last."""
    params = _params(req, ("tag", "limit", "since"))
    tag, limit, since = _tag(app, params), _limit(params), _timestamp(params, "since")
    rows = req.store().anomalies(tag, limit, since)
    return json_response(200, {"count": len(rows), "anomalies": rows})


def get_tags(app: HttpApp, req: Request) -> Response:
    """GET /tags: the configured tags with unit, normal band, valid range and detector."""
    _params(req, ())
    tags = [
        {
            "name": t.name,
            "unit": t.unit,
            "normal": list(t.normal),
            "valid": list(t.valid),
            "detector": t.detector,
        }
        for t in app.config.tags
    ]
    return json_response(200, {"tags": tags})


def get_stats(app: HttpApp, req: Request) -> Response:
    """GET /stats: the pipeline's counters, queue depth, dead-letter size and rate."""
    _params(req, ())
    pipeline = app.pipeline
    stats = pipeline.snapshot().as_dict()
    stats.update(
        database=str(pipeline.db_path),
        dead_letter_path=str(pipeline.dead_letter.path),
        uptime_seconds=round(app.uptime, 3),
        http_requests=sum(app.requests().values()),
    )
    return json_response(200, stats)


def get_health(app: HttpApp, req: Request) -> Response:
    """GET /health: 200 while writes succeed, 503 during a database outage; open without token.

    Network sources are listed with their state; one that is not connected makes the status
    "degraded" but keeps 200, since restarting the monitor would not bring the broker back.
    """
    snap = app.pipeline.snapshot()
    body: dict[str, Any] = {
        "status": "outage" if snap.outage else "ok",
        "outage": snap.outage,
        "outage_reason": snap.outage_reason,
        "retry_queue_depth": snap.retry_depth,
        "dead_letter_pending": snap.dead_letter_pending,
        "stored": snap.stored,
        "uptime_seconds": round(app.uptime, 3),
        "sources": [source.as_dict() for source in snap.sources],
    }
    if snap.forwarding:  # the historian away is reported like a source away: degraded, 200
        body["forward"] = snap.forward_dict()
    if not snap.outage and (
        any(not source.up for source in snap.sources) or (snap.forwarding and snap.forward_since)
    ):
        # A broker or server away is reported, not a reason to restart the monitor: 200.
        body["status"] = "degraded"
    if snap.outage:
        return json_response(503, {"error": f"database outage: {snap.outage_reason}", **body})
    return json_response(200, body)


def get_metrics(app: HttpApp, req: Request) -> Response:
    """GET /metrics: Prometheus text exposition of the counters and gauges."""
    text = metrics.render(app.pipeline.snapshot(), app.requests(), app.uptime)
    text += metrics.alarm_gauges(state_counts(req.store()))
    return Response(200, text.encode(), metrics.CONTENT_TYPE)


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
