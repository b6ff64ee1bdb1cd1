"""The optional HTTP endpoint (`sensor-tui run --http [HOST:]PORT`): a thin client of the pipeline.

`server.py` is the transport (sockets, limits, timeouts), `routes.py` what each route answers,
`api.py` the request and response types between them, `metrics.py` the Prometheus exposition.
"""

from sensor_tui.http.routes import Limits
from sensor_tui.http.server import HttpServer, is_loopback, parse_bind, start_server

__all__ = ["HttpServer", "Limits", "is_loopback", "parse_bind", "start_server"]
