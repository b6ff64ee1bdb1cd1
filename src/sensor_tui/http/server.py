"""The HTTP endpoint's transport, on the standard library's `http.server`.

Why the standard library rather than aiohttp or an ASGI server: it adds no dependency; a thread
per keep-alive connection fits the pipeline's blocking durability rule (a handler waits on the
batch's Future, then answers) without bridging an event loop; and the work per request is JSON
and validation and the SQLite commit, not HTTP parsing, so the parser is not the bottleneck
(see docs/http.md for measured figures). What `ThreadingHTTPServer` lacks is added here, small:

- bounded threads: at most `Limits.max_connections` connections, and `Limits.max_per_client`
  from one client address; one more gets a 503 and is closed, so one client (an attacker's
  half-sent heads) cannot take the slots `/health` and the plant's clients need;
- a short head deadline (`Limits.head_timeout`) for a new connection's first request, and no
  keep-alive after a 401: a client that has not sent a whole, authorized request holds its slot
  seconds, not the idle timeout;
- a watchdog that shuts a connection whose current phase overran its deadline (idle keep-alive,
  a request head sent byte by byte, a body that stalls, a client that does not read its answer),
  because a socket timeout alone restarts on every byte a slow client trickles in;
- body limits checked from Content-Length before a byte of the body is read; chunked bodies are
  refused (411) rather than streamed, so 1 MiB really is the bound;
- JSON errors everywhere, including the parser's own (bad request line, oversized headers).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from sensor_tui import __version__
from sensor_tui.http.api import ClientGone, HttpError, Request, Response, whole_number
from sensor_tui.http.routes import HttpApp, Limits
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.pipeline import Pipeline
from sensor_tui.storage import Reader

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
WATCH_INTERVAL = 0.1
LINGER_SECONDS = 1.0
LINGER_BYTES = 4 << 20

_BUSY_BODY = b'{"error":"too many connections; retry shortly"}'
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


class BindError(SensorTuiError, ValueError):
    """`--http` names an address the server must not or cannot use; the message says why.

    A ValueError too: it is a bad value, and callers that parse a spec may treat it as one.
    """


def parse_bind(spec: str) -> tuple[str, int]:
    """`[HOST:]PORT` (IPv6 in brackets) to (host, port); BindError with the reason."""
    host, sep, port_text = spec.strip().rpartition(":")
    host = host.strip("[]") if sep else ""
    port = whole_number(port_text)
    if port is None or port > 65535:
        raise BindError(f"--http {spec!r}: expected [HOST:]PORT with PORT from 0 to 65535")
    return host or DEFAULT_HOST, port


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses; names other than localhost count as not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_reader(pipeline: Pipeline) -> Reader:
    """A read-only Reader for one connection's GETs (WAL lets it read while the writer writes);
    it never writes, so a GET leaves the file byte-identical."""
    return Reader(pipeline.db_path)


class _Server(HTTPServer):
    """Accepts connections, runs each in its own thread up to a bound, and watches deadlines."""

    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: HttpApp) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.limits = app.limits
        self.stopping = False
        self._slots = threading.BoundedSemaphore(app.limits.max_connections)
        self._lock = threading.Lock()
        self._per_client: dict[str, int] = {}
        self._handlers: set[_Handler] = set()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (`getfqdn`), which can hang."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection while a slot is free; otherwise a quick 503 and close."""
        if self.stopping or not self._take_client_slot(client_address[0]):
            self._refuse(request)
            return
        if not self._slots.acquire(blocking=False):
            self._give_client_slot(client_address[0])
            self._refuse(request)
            return
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True
        )
        thread.start()

    def _take_client_slot(self, address: str) -> bool:
        """One more connection from `address`, unless it already holds its share."""
        with self._lock:
            held = self._per_client.get(address, 0)
            if held >= self.limits.max_per_client:
                return False
            self._per_client[address] = held + 1
            return True

    def _give_client_slot(self, address: str) -> None:
        with self._lock:
            held = self._per_client.get(address, 1) - 1
            if held > 0:
                self._per_client[address] = held
            else:
                self._per_client.pop(address, None)

    def _refuse(self, request: socket.socket) -> None:
        try:
            request.settimeout(1.0)
            request.sendall(BUSY)
        except OSError:
            pass
        self.shutdown_request(request)

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()
            self._give_client_slot(client_address[0])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A socket error is the client's business (debug log); anything else is a bug."""
        if isinstance(sys.exc_info()[1], OSError):
            log.debug("HTTP connection from %s dropped", client_address, exc_info=True)
        else:
            log.exception("HTTP connection from %s failed", client_address)

    def register(self, handler: _Handler, alive: bool) -> None:
        """Track live connections, for the watchdog and for stop()."""
        with self._lock:
            if alive:
                self._handlers.add(handler)
            else:
                self._handlers.discard(handler)

    def handlers(self) -> list[_Handler]:
        """The live connections now."""
        with self._lock:
            return list(self._handlers)

    def watch(self, stop: threading.Event) -> None:
        """Close connections that overran their phase's deadline, until `stop` is set."""
        while not stop.wait(WATCH_INTERVAL):
            now = time.monotonic()
            for handler in self.handlers():
                deadline = handler.deadline
                if deadline is not None and now > deadline:
                    handler.abort()


class _Handler(BaseHTTPRequestHandler):
    """One connection: read requests while keep-alive lasts, answer each through the app."""

    server: _Server
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


class HttpServer:
    """The running endpoint: `url`, and `stop()` which lets answers in progress finish."""

    def __init__(
        self,
        pipeline: Pipeline | None,
        host: str,
        port: int,
        token: str | None,
        limits: Limits,
        app: Any = None,
    ) -> None:
        # `app`: another set of routes on the same transport (the historian's read-only view)
        self.app = app if app is not None else HttpApp(_required(pipeline), token, limits)
        self._server = _Server((host, port), self.app)
        bound_port = self._server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{bound_port}"
        self.port = bound_port
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._server.serve_forever, args=(0.1,), name="http-accept"),
            threading.Thread(target=self._server.watch, args=(self._stop,), name="http-watchdog"),
        ]
        for thread in self._threads:
            thread.daemon = True

    @property
    def stopping(self) -> bool:
        """True once `stop()` has begun: no new connection is served."""
        return self._server.stopping

    def start(self) -> None:
        """Start accepting."""
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, close idle connections, wait for answers in progress (bounded)."""
        self._server.stopping = True
        self._server.shutdown()
        self._server.server_close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = self._server.handlers()
            if not live:
                break
            for handler in live:
                if not handler.answering:  # waiting for a request: nothing is owed
                    handler.abort()
            time.sleep(0.02)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=1.0)


def _required(pipeline: Pipeline | None) -> Pipeline:
    if pipeline is None:
        raise ValueError("an HTTP endpoint without a pipeline needs its own app")
    return pipeline


def start_server(
    pipeline: Pipeline, spec: str, token: str | None = None, limits: Limits | None = None
) -> HttpServer:
    """Bind `[HOST:]PORT` (port 0 picks a free one) and serve in background threads.

    Raises BindError for a bad spec or a non-loopback host without a token, OSError when the
    address cannot be bound.
    """
    host, port = parse_bind(spec)
    if token and not token.strip():
        raise BindError("the token is only whitespace; choose a real secret")
    token = token or None
    if token is None and not is_loopback(host):
        raise BindError(
            f"refusing to bind {host} without a token: set --token or SENSOR_TUI_TOKEN, "
            "or bind 127.0.0.1"
        )
    server = HttpServer(pipeline, host, port, token, limits or Limits())
    server.start()
    return server
