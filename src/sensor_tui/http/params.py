"""Query parameters as every read route checks them (shared by `routes` and `alarm_routes`)."""

from __future__ import annotations

from typing import Protocol

from sensor_tui.http.api import HttpError, Request
from sensor_tui.model.tags import Config


class HasConfig(Protocol):
    """Anything with the configuration (the routes' `HttpApp`)."""

    @property
    def config(self) -> Config: ...


def query_params(req: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """Single-valued known parameters; empty ones count as absent, unknown ones are a 400."""
    out: dict[str, str] = {}
    for name, values in req.query().items():
        if name not in allowed:
            raise HttpError(400, f"unknown parameter {name!r} (known: {', '.join(allowed)})")
        if len(values) != 1:
            raise HttpError(400, f"parameter {name!r} given more than once")
        if values[0] != "":
            out[name] = values[0]
    return out


def known_tag(app: HasConfig, params: dict[str, str]) -> str | None:
    """The `tag` parameter, which must name a configured tag (400 otherwise)."""
    tag = params.get("tag")
    config = app.config
    if tag is not None and config.tag(tag) is None:
        raise HttpError(400, f"unknown tag {tag!r} (known: {', '.join(config.tag_names)})")
    return tag
