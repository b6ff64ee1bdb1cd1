"""HTTP routes of the readings: ingest (`POST /ingest`, `/ingest/batch`) and the reads of what
is stored and how the monitor is doing (`GET /data`, `/anomalies`, `/tags`, `/stats`,
`/health`, `/metrics`).

Why a module apart from `routes`: `routes` is the app (token, dispatch, counters); these are
the answers. Ingest hands measurements to `Pipeline.submit` through `HttpApp.ingest` and
answers once they are durable; per-item validation is the pipeline's, so HTTP, the simulator
and CSV import reject the same readings for the same reasons. Reads use the connection's own
read-only `Reader`, with bound parameters only.
"""

from __future__ import annotations

from typing import Any, Protocol

from sensor_tui.http import metrics
from sensor_tui.http.api import HttpError, Request, Response, json_response, whole_number
from sensor_tui.http.params import known_tag as _tag
from sensor_tui.http.params import query_params as _params
from sensor_tui.model.readings import Rejected, normalize_ts
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline
from sensor_tui.storage.alarm_reads import state_counts

MAX_BATCH = 10_000
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


class HttpApp(Protocol):
    """What these routes use of `routes.HttpApp` (named here, so the modules import one way)."""

    @property
    def pipeline(self) -> Pipeline: ...

    @property
    def config(self) -> Config: ...

    @property
    def uptime(self) -> float: ...

    def requests(self) -> dict[tuple[str, int], int]: ...

    def ingest(self, items: list[Any], single: bool) -> Response: ...


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
