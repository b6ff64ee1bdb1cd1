"""Requests, responses and errors of the HTTP edge, independent of the socket machinery.

The routes (`routes.py`) see only these types, so they read like plain functions from a request to
an answer; the transport (`server.py`) turns sockets into a `Request` and a `Response` into bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs

from sensor_tui.storage import Reader, StoreUnavailable

JSON = "application/json"
MAX_QUERY_FIELDS = 20


class ClientGone(Exception):
    """The client closed, stalled past its deadline, or sent a short body: no answer is owed."""


class HttpError(Exception):
    """An answer other than success, raised anywhere a route or the transport gives up."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: tuple[tuple[str, str], ...] = (),
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        self.extra = extra

    def response(self) -> Response:
        """The JSON error answer: `{"error": message, ...extra}`."""
        return json_response(self.status, {"error": self.message, **self.extra}, self.headers)


@dataclass(frozen=True, slots=True)
class Response:
    """A complete answer: status, body bytes and the headers that are not about framing."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """A JSON answer. NaN or infinity can never leave as invalid JSON: that would raise."""
    body = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
    return Response(status, body, JSON, headers)


@dataclass(slots=True)
class Request:
    """One parsed request; the body is read only when a route asks for it (after auth)."""

    method: str
    target: str
    headers: Message
    read_body: Callable[[], bytes]
    store: Callable[[], Reader]
    path: str = field(init=False)
    query_string: str = field(init=False)

    def __post_init__(self) -> None:
        self.path, _, self.query_string = self.target.partition("?")
        self.path = self.path or "/"

    def query(self) -> dict[str, list[str]]:
        """The query parameters; a malformed or oversized query string is a 400."""
        try:
            return parse_qs(
                self.query_string, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS
            )
        except ValueError as exc:
            raise HttpError(400, f"bad query string: {exc}") from None

    def json(self) -> Any:
        """The body parsed as JSON; 415 unless the client says it is JSON, 400 if it is not."""
        kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind != JSON and not (kind.startswith("application/") and kind.endswith("+json")):
            raise HttpError(415, f"Content-Type must be {JSON}, got {kind or 'none'!r}")
        body = self.read_body()
        try:
            return json.loads(body)
        except RecursionError:
            raise HttpError(400, "malformed JSON: nested too deeply") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digit limits
            raise HttpError(400, f"malformed JSON: {exc}") from None


def whole_number(text: str) -> int | None:
    """The value of plain ASCII digits, else None.

    `str.isdigit` alone also accepts superscripts such as "²", on which `int` then raises: a
    hostile `?limit=%C2%B2` was a 500 (found by the fuzz test).
    """
    return int(text) if text.isascii() and text.isdigit() else None


_log = logging.getLogger("sensor_tui.http")


def answer(req: Request, dispatch: Callable[[], Response], store: str) -> Response:
    """Run one route for both apps (edge and historian view): an expected failure becomes its
    JSON error, a failed read a 503 naming `store`, and a bug a logged 500, never an HTML page.
    A client that hung up (`ClientGone`) is not answered at all, so it propagates."""
    try:
        return dispatch()
    except HttpError as exc:
        return exc.response()
    except ClientGone:
        raise
    except StoreUnavailable as exc:  # every failed read, named by the storage layer
        _log.warning("%s read failed on %s: %s", store, req.path, exc)
        return HttpError(503, f"{store} unavailable: {exc}").response()
    except Exception:
        _log.exception("bug answering %s %s", req.method, req.target)
        return HttpError(500, "internal error (logged)").response()
