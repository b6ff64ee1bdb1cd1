"""HTTP routes of the alarm life cycle, under the endpoint's token rule.

    GET  /alarms                   ?state=open|active|all|unack|acked|rtn_unack|shelved|normal
                                   &tag=...&limit=...
    GET  /alarms/{id}              one alarm and its journal (a unit alarm's `contributions`:
                                   {tag: share of the statistic}, largest first)
    POST /alarms/{id}/ack          optional body {"by": "name"}
    POST /alarms/{id}/shelve       body {"duration": seconds, "by": "name"}
    POST /alarms/{id}/unshelve     optional body {"by": "name"}

Commands go through `Pipeline.alarm_command`, like the TUI's keys: the answer comes after the
writer committed the change. Ids contain `@` and `:`; clients percent-encode them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import unquote

from sensor_tui.alarming import states
from sensor_tui.alarming.commands import AlarmCommand, shelve_until
from sensor_tui.alarming.states import AlarmCommandError, UnknownAlarm
from sensor_tui.http.api import HttpError, Request, Response, json_response, whole_number
from sensor_tui.http.params import known_tag, query_params
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline, PipelineStopped
from sensor_tui.storage.alarm_reads import get_alarm, journal, list_alarms


class _Limits(Protocol):
    @property
    def ack_timeout(self) -> float: ...


class HttpApp(Protocol):
    """What these routes use of `routes.HttpApp` (named here, so the modules import one way)."""

    @property
    def pipeline(self) -> Pipeline: ...

    @property
    def limits(self) -> _Limits: ...

    @property
    def config(self) -> Config: ...


Route = Callable[[Any, Request], Response]

STATE_FILTERS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "open": states.OPEN_STATES,
    "active": states.ACTIVE_STATES,
    **{state: (state,) for state in states.STATES},
}
MAX_LIMIT = 10_000


def get_alarms(app: HttpApp, req: Request) -> Response:
    """GET /alarms: alarms newest first, filtered by state and tag."""
    params = query_params(req, ("state", "tag", "limit"))
    state = params.get("state", "all")
    if state not in STATE_FILTERS:
        raise HttpError(400, f"state must be one of {', '.join(STATE_FILTERS)}, got {state!r}")
    raw = params.get("limit", "200")
    limit = whole_number(raw)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, got {raw!r}")
    tag = params.get("tag")
    if tag is None or app.config.unit(tag) is None:  # a unit's name lists its alarms too
        tag = known_tag(app, params)
    rows = list_alarms(req.store(), STATE_FILTERS[state], tag, limit)
    return json_response(200, {"count": len(rows), "alarms": rows})


def _alarm_id(req: Request) -> str:
    return unquote(req.path.split("/")[2])


def get_one(app: HttpApp, req: Request) -> Response:
    """GET /alarms/{id}: the alarm and every transition it went through."""
    alarm_id = _alarm_id(req)
    row = get_alarm(req.store(), alarm_id)
    if row is None:
        raise HttpError(404, f"no alarm {alarm_id!r}")
    return json_response(200, {"alarm": row, "journal": journal(req.store(), alarm_id)})


def _body(req: Request) -> dict[str, Any]:
    if (req.headers.get("Content-Length") or "0").strip() in ("", "0"):
        return {}
    body = req.json()
    if not isinstance(body, dict):
        raise HttpError(400, "body must be a JSON object")
    by = body.get("by", "http")
    if not isinstance(by, str) or not by.strip() or len(by) > 100:
        raise HttpError(400, "'by' must be a name of 1 to 100 characters")
    if not by.isprintable() or not _encodable(by):  # a lone surrogate cannot be stored
        raise HttpError(400, "'by' must be printable text (no control characters or surrogates)")
    return body


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _command(app: HttpApp, req: Request, action: str, until: str | None = None) -> Response:
    body = _body(req)
    if action == "shelve":
        until = _until(body)
    alarm_id = _alarm_id(req)
    command = AlarmCommand(action, (alarm_id,), body.get("by", "http"), "http", until)
    try:
        (change,) = app.pipeline.alarm_command(command).result(app.limits.ack_timeout)
    except UnknownAlarm:
        raise HttpError(404, f"no alarm {alarm_id!r}") from None
    except AlarmCommandError as exc:
        raise HttpError(409, str(exc)) from None
    except PipelineStopped:
        raise HttpError(503, "shutting down; retry against the next instance") from None
    except TimeoutError:
        raise HttpError(503, "change not confirmed in time; retrying is safe") from None
    return json_response(200, {"alarm": change.row, "from_state": change.from_state})


def _until(body: dict[str, Any]) -> str:
    duration = body.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise HttpError(400, 'shelve needs {"duration": seconds}')
    try:
        return shelve_until(duration)
    except AlarmCommandError as exc:
        raise HttpError(400, str(exc)) from None


def post_ack(app: HttpApp, req: Request) -> Response:
    """POST /alarms/{id}/ack."""
    return _command(app, req, "ack")


def post_shelve(app: HttpApp, req: Request) -> Response:
    """POST /alarms/{id}/shelve with {"duration": seconds}."""
    return _command(app, req, "shelve")


def post_unshelve(app: HttpApp, req: Request) -> Response:
    """POST /alarms/{id}/unshelve."""
    return _command(app, req, "unshelve")


ACTIONS: dict[str, Route] = {
    "ack": post_ack,
    "shelve": post_shelve,
    "unshelve": post_unshelve,
}


def match(path: str) -> tuple[str, dict[str, Route]] | None:
    """The route label (for request counts: never the id itself) and methods of an alarm path."""
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "alarms" and parts[2]:
        return "/alarms/{id}", {"GET": get_one}
    if len(parts) == 4 and parts[1] == "alarms" and parts[2] and parts[3] in ACTIONS:
        return f"/alarms/{{id}}/{parts[3]}", {"POST": ACTIONS[parts[3]]}
    return None
