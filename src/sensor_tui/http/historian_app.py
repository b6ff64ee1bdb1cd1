"""The HTTP GET routes over the central historian: `sensor-tui run --db postgresql://... --http`.

Read-only, on the same hardened transport as the monitor's endpoint (`server.HttpServer`):

    GET /sites                      the sites that forward to this historian
    GET /tags?site=NAME             a site's tags (without site: every site's, as site/tag)
    GET /data?site=&tag=&limit=&since=&until=
    GET /anomalies?site=&tag=&limit=&since=
    GET /alarms?site=&state=&tag=&limit=
    GET /alarms/{id}?site=          one alarm and its journal
    GET /health                     200 while the historian answers, else 503

Without `site=` tags and alarm ids are named `site/tag` and `site/id`; with it, plainly, as on
the edge. Anything but GET is a 405: alarms are acknowledged at the edge that raised them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import unquote

from sensor_tui.alarming import states
from sensor_tui.http.api import (
    HttpError,
    Request,
    Response,
    answer,
    json_response,
    whole_number,
)
from sensor_tui.http.params import query_params
from sensor_tui.model.readings import Rejected, normalize_ts
from sensor_tui.storage import StoreUnavailable
from sensor_tui.storage.historian.reader import PgReader

STATE_FILTERS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "open": states.OPEN_STATES,
    "active": states.ACTIVE_STATES,
    **{state: (state,) for state in states.STATES},
}


class HistorianApp:
    """The routes and their shared state (the URL, the token check, request counts)."""

    def __init__(self, url: str, token: str | None, limits: Any) -> None:
        from sensor_tui.http.routes import HttpApp  # its token check, reused as is

        self.url = url
        self.limits = limits
        self._auth = HttpApp.authorized
        self._token = token.encode() if token else None
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, int]] = Counter()

    def open_reader(self) -> PgReader:
        """One connection's reader (every site); routes narrow it with `site=`."""
        return PgReader(self.url)

    def handle(self, req: Request) -> Response:
        """Authorize, route, answer; failures become JSON errors."""
        response = answer(req, lambda: self._dispatch(req), "historian")
        with self._lock:
            self._requests[(req.path.split("/")[1] or "/", response.status)] += 1
        return response

    def _dispatch(self, req: Request) -> Response:
        if req.path != "/health" and not self._auth(self, req):  # type: ignore[arg-type]
            raise HttpError(401, "missing or wrong bearer token",
                            (("WWW-Authenticate", 'Bearer realm="sensor-tui"'),))  # fmt: skip
        if req.method not in ("GET", "HEAD"):
            raise HttpError(405, "this endpoint views a historian: GET only", (("Allow", "GET"),))
        if req.path.startswith("/alarms/"):
            return get_alarm(req, unquote(req.path[len("/alarms/") :]))
        route = ROUTES.get(req.path)
        if route is None:
            raise HttpError(404, f"no route {req.path}; see GET {', '.join(ROUTES)}")
        return route(req)


def _reader(req: Request, site: str | None) -> PgReader:
    """The connection's reader, narrowed to a site that exists (400 otherwise)."""
    base = req.store()
    assert isinstance(base, PgReader)
    if site is None:
        return base
    known = base.sites()
    if site not in known:
        raise HttpError(400, f"unknown site {site!r} (known: {', '.join(known)})")
    scoped = PgReader(base.url, site)
    scoped._conn = base.connection()  # the same connection, the same thread
    return scoped


def _tag(reader: PgReader, tag: str | None) -> str | None:
    if tag is not None and tag not in {row["name"] for row in reader.tag_rows()}:
        raise HttpError(400, f"unknown tag {tag!r}" + ("" if reader.site else " (use site/tag)"))
    return tag


def _limit(params: dict[str, str], default: int = 100) -> int:
    raw = params.get("limit")
    value = default if raw is None else whole_number(raw)
    if value is None or not 1 <= value <= 10_000:
        raise HttpError(400, "limit must be a whole number from 1 to 10000")
    return value


def _moment(params: dict[str, str], name: str) -> str | None:
    raw = params.get(name)
    try:
        return None if raw is None else normalize_ts(raw)
    except Rejected:
        raise HttpError(400, f"{name} must be ISO-8601 or epoch seconds, got {raw!r}") from None


def get_sites(req: Request) -> Response:
    query_params(req, ())
    return json_response(200, {"sites": req.store().sites()})  # type: ignore[attr-defined]


def get_tags(req: Request) -> Response:
    params = query_params(req, ("site",))
    return json_response(200, {"tags": _reader(req, params.get("site")).tag_rows()})


def get_data(req: Request) -> Response:
    params = query_params(req, ("site", "tag", "limit", "since", "until"))
    reader = _reader(req, params.get("site"))
    rows = reader.latest(_tag(reader, params.get("tag")), _limit(params),
                         _moment(params, "since"), _moment(params, "until"))  # fmt: skip
    for row in rows:
        row["is_anomaly"] = bool(row["is_anomaly"])
    return json_response(200, {"count": len(rows), "readings": rows})


def get_anomalies(req: Request) -> Response:
    params = query_params(req, ("site", "tag", "limit", "since"))
    reader = _reader(req, params.get("site"))
    rows = reader.anomalies(_tag(reader, params.get("tag")), _limit(params),
                            _moment(params, "since"))  # fmt: skip
    return json_response(200, {"count": len(rows), "anomalies": rows})


def get_alarms(req: Request) -> Response:
    params = query_params(req, ("site", "state", "tag", "limit"))
    reader = _reader(req, params.get("site"))
    state = params.get("state", "all")
    if state not in STATE_FILTERS:
        raise HttpError(400, f"unknown state {state!r} (known: {', '.join(STATE_FILTERS)})")
    rows = reader.list_alarms(STATE_FILTERS[state], _tag(reader, params.get("tag")),
                              _limit(params, 200))  # fmt: skip
    return json_response(200, {"count": len(rows), "alarms": rows})


def get_alarm(req: Request, alarm_id: str) -> Response:
    params = query_params(req, ("site",))
    reader = _reader(req, params.get("site"))
    row = reader.get_alarm(alarm_id)
    if row is None:
        raise HttpError(404, f"no alarm {alarm_id!r}")
    return json_response(200, {"alarm": row, "journal": reader.journal(alarm_id)})


def get_health(req: Request) -> Response:
    query_params(req, ())
    try:
        sites = req.store().sites()  # type: ignore[attr-defined]
    except StoreUnavailable as exc:
        return json_response(503, {"status": "unavailable", "error": str(exc)})
    return json_response(200, {"status": "ok", "sites": sites})


ROUTES = {
    "/sites": get_sites,
    "/tags": get_tags,
    "/data": get_data,
    "/anomalies": get_anomalies,
    "/alarms": get_alarms,
    "/health": get_health,
}


def start_historian_server(url: str, spec: str, token: str | None = None) -> Any:
    """Serve the historian's GET routes at `[HOST:]PORT` in background threads."""
    from sensor_tui.http.server import BindError, HttpServer, Limits, is_loopback, parse_bind

    host, port = parse_bind(spec)
    if not token and not is_loopback(host):
        raise BindError(f"refusing to bind {host} without a token: set --token, or bind 127.0.0.1")
    limits = Limits()
    server = HttpServer(None, host, port, token, limits, app=HistorianApp(url, token, limits))
    server.start()
    return server


def serve(url: str, spec: str, token: str | None, duration: float | None) -> int:
    """Serve the historian's GET routes until the duration ends, SIGTERM or Ctrl+C."""
    import signal

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    server = start_historian_server(url, spec, token)
    try:
        print(f"historian view on {server.url} (GET /sites, /tags, /data, /alarms)", flush=True)
        deadline = None if duration is None else time.monotonic() + duration
        while not stop.wait(1.0 if deadline is None else max(0.0, deadline - time.monotonic())):
            if deadline is not None and time.monotonic() >= deadline:
                break
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
