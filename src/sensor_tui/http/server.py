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

import ipaddress
import logging
import socket
import socketserver
import sys
import threading
import time
from http.server import HTTPServer
from typing import Any

from sensor_tui.http.api import whole_number
from sensor_tui.http.connection import Connection
from sensor_tui.http.routes import HttpApp, Limits
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.pipeline import Pipeline

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
WATCH_INTERVAL = 0.1

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
        self._handlers: set[Connection] = set()
        super().__init__(address, Connection)

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

    def register(self, handler: Connection, alive: bool) -> None:
        """Track live connections, for the watchdog and for stop()."""
        with self._lock:
            if alive:
                self._handlers.add(handler)
            else:
                self._handlers.discard(handler)

    def handlers(self) -> list[Connection]:
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
