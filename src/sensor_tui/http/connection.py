"""One HTTP connection: read its requests while keep-alive lasts, answer each through the app.

Why a module apart from the server: the server decides *whether* a connection is served (slots,
the watchdog, stopping); this module is what happens on one served connection, phase by phase
(head, body, answer, idle), each with its deadline, and the body limits checked from
Content-Length before a byte is read. `Acceptor` names the little it needs from the server.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from sensor_tui import __version__
from sensor_tui.http.api import ClientGone, HttpError, Request, Response, whole_number
from sensor_tui.http.routes import HttpApp, Limits
from sensor_tui.storage import Reader

log = logging.getLogger("sensor_tui.http.server")  # the transport's one logger, as before

LINGER_SECONDS = 1.0
LINGER_BYTES = 4 << 20


class Acceptor(Protocol):
    """What a connection reads from the server that accepted it."""

    app: HttpApp
    limits: Limits
    stopping: bool

    def register(self, handler: Connection, alive: bool) -> None:
        """Track a live connection (alive=True) or forget it."""


class Connection(BaseHTTPRequestHandler):
    """One connection: read requests while keep-alive lasts, answer each through the app."""

    server: Acceptor  # type: ignore[assignment]  # the server that accepted it
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # so even an answer to garbage carries a status line
    server_version = f"sensor-tui/{__version__}"
    sys_version = ""
    wbufsize = -1  # buffered: head and body leave in one send (flushed after each answer)
    disable_nagle_algorithm = True

    def setup(self) -> None:
        """Socket options, and the per-connection state the watchdog reads."""
        limits = self.server.limits
        self.deadline: float | None = None
        self.answering = False
        self._store: Reader | None = None
        self._body_pending = False
        self._expect_continue = False
        self._linger = False
        self._answered = False
        """True once a request on this connection was answered: its keep-alive then waits
        `idle_timeout` for the next head; a fresh connection gets `head_timeout`."""
        super().setup()
        # the watchdog's backstop (StreamRequestHandler's class-wide `timeout`, per connection)
        self.connection.settimeout(max(limits.idle_timeout, limits.request_timeout))
        self.server.register(self, True)

    def finish(self) -> None:
        """Close the reader connection and forget this connection."""
        self.server.register(self, False)
        if self._store is not None:
            self._store.close()
        try:
            super().finish()
            if self._linger:
                self._drain_before_close()
        except OSError:
            pass

    def _drain_before_close(self) -> None:
        """Read (briefly, boundedly) what the client still sends before closing.

        Closing a socket with unread input makes the kernel send a reset, which can destroy
        the 413 or 411 just written before the client reads it.
        """
        self.connection.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        while drained < LINGER_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.connection.settimeout(left)
            chunk = self.connection.recv(65536)
            if not chunk:
                return
            drained += len(chunk)

    def _phase(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def abort(self) -> None:
        """Shut the socket so a blocked read or write returns now (called by the watchdog)."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- one request -------------------------------------------------------------------------

    def handle_one_request(self) -> None:
        """Wait for a request (head or idle deadline), parse its head, answer it; close on any
        failure."""
        limits = self.server.limits
        self._phase(limits.idle_timeout if self._answered else limits.head_timeout)
        if self.server.stopping:
            self.close_connection = True
            return
        try:
            self._read_and_answer()
        except (ClientGone, OSError):  # includes timeouts and resets
            self.close_connection = True

    def _read_and_answer(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            raise ClientGone
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414, "request line too long")
            return
        self._expect_continue = False
        if not self.parse_request():  # it answered the error through send_error
            return
        self.answering = True
        self._body_pending = self._declares_body()
        self._phase(None)
        response = self.server.app.handle(
            Request(self.command, self.path, self.headers, self._read_body, self._reader)
        )
        if self._body_pending:
            self._skip_body()
        if response.status == 401:  # not authorized: no keep-alive slot to sit in
            self.close_connection = True
        self._send(response)
        self._answered = True
        self.answering = False

    def handle_expect_100(self) -> bool:
        """Defer `100 Continue` until a route reads the body, so a 401/413/415 comes first."""
        self._expect_continue = True
        return True

    def _declares_body(self) -> bool:
        return bool(self.headers.get("Transfer-Encoding")) or (
            self.headers.get("Content-Length", "0").strip() not in ("", "0")
        )

    def _content_length(self) -> int:
        if self.headers.get("Transfer-Encoding"):
            raise HttpError(411, "chunked bodies are not accepted; send Content-Length")
        values = {v.strip() for v in self.headers.get_all("Content-Length") or ()}
        if not values:
            raise HttpError(411, "Content-Length required")
        raw = values.pop()
        length = whole_number(raw)
        if values or length is None:
            raise HttpError(400, "bad Content-Length")
        if length > self.server.limits.max_body:
            raise HttpError(413, f"body larger than {self.server.limits.max_body} bytes")
        return length

    def _read_body(self) -> bytes:
        """The body, read within the request deadline; the limits are checked before reading."""
        length = self._content_length()
        self._phase(self.server.limits.request_timeout)
        try:
            if self._expect_continue:
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.wfile.flush()
                self._expect_continue = False
            body = self.rfile.read(length)
        except OSError as exc:  # reset, or the watchdog shut a stalled upload
            raise ClientGone from exc
        self._phase(None)
        if len(body) < length:
            raise ClientGone
        self._body_pending = False
        return body

    def _skip_body(self) -> None:
        """A route answered without reading the body: discard it if small, else close."""
        if self._expect_continue:  # the client waits for our word before sending it
            self.close_connection = True
            return
        try:
            self._read_body()
        except HttpError:
            self.close_connection = self._linger = True

    def _reader(self) -> Reader:
        if self._store is None:
            self._store = self.server.app.open_reader()
        return self._store

    # -- answers -----------------------------------------------------------------------------

    def _send(self, response: Response) -> None:
        """Write the answer in one buffered send, within the request deadline."""
        self._phase(self.server.limits.request_timeout)
        if self.server.stopping:
            self.close_connection = True
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        self.wfile.flush()
        self._phase(self.server.limits.idle_timeout)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The parser's own errors (bad request line, too many headers) as JSON, then close."""
        self.close_connection = True
        phrase = message or self.responses.get(code, ("error",))[0]
        self._send(HttpError(code, phrase).response())

    def log_message(self, format: str, *args: Any) -> None:
        """Access log at debug level: the terminal belongs to the UI or the headless console."""
        log.debug("%s %s", self.address_string(), format % args)
