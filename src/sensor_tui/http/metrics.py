"""GET /metrics: the pipeline's counters in the Prometheus text exposition format 0.0.4.

Written by hand rather than through prometheus_client: the counters already live in one
thread-safe object (`Counters`), so a registry would only duplicate them; the format is a few
lines per metric. Every rejection reason the validator knows is exposed from the start (at 0), so
`rate()` and alerts work before the first bad reading arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sensor_tui.model import readings
from sensor_tui.model.counters import SOURCE_STATES, Snapshot
from sensor_tui.sources.payloads import REASONS as SOURCE_REASONS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "sensor_tui_"

KNOWN_REASONS = (
    readings.UNKNOWN_TAG,
    readings.MISSING_TAG,
    readings.MISSING_VALUE,
    readings.NOT_A_NUMBER,
    readings.NOT_FINITE,
    readings.OUT_OF_RANGE,
    readings.BAD_TIMESTAMP,
    readings.FUTURE_TIMESTAMP,
    readings.NOT_AN_OBJECT,
    *SOURCE_REASONS,
)

Labels = tuple[tuple[str, str], ...]


def escape(value: str) -> str:
    """A label value as the format requires: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[Labels, float]]
) -> list[str]:
    """The HELP and TYPE lines of one metric and its samples."""
    full = PREFIX + name
    lines = [f"# HELP {full} {help_text}", f"# TYPE {full} {kind}"]
    for labels, value in samples:
        label_text = ",".join(f'{key}="{escape(val)}"' for key, val in labels)
        selector = f"{full}{{{label_text}}}" if labels else full
        lines.append(f"{selector} {_number(value)}")
    return lines


SIMPLE: tuple[tuple[str, str, str, str], ...] = (
    # (metric name, type, Snapshot attribute, help)
    ("readings_received_total", "counter", "received", "Readings offered (before validation)."),
    ("readings_stored_total", "counter", "stored", "Readings committed to SQLite."),
    ("readings_duplicate_total", "counter", "duplicates", "Readings already stored, ignored."),
    (
        "readings_dead_lettered_total",
        "counter",
        "dead_lettered",
        "Readings fsynced to the dead-letter file.",
    ),
    (
        "readings_replayed_total",
        "counter",
        "replayed",
        "Readings replayed from the dead-letter file.",
    ),
    (
        "readings_not_durable_total",
        "counter",
        "not_durable",
        "Readings neither stored nor dead-lettered.",
    ),
    ("write_failures_total", "counter", "write_failures", "Failed database write attempts."),
    ("retry_queue_depth", "gauge", "retry_depth", "Readings waiting for a write retry."),
    ("outage", "gauge", "outage", "1 while database writes fail, else 0."),
    ("dead_letter_pending", "gauge", "dead_letter_pending", "Readings in the dead-letter file."),
    (
        "dead_letter_bad_lines",
        "gauge",
        "dead_letter_bad",
        "Unreadable dead-letter lines set aside.",
    ),
    ("readings_per_second", "gauge", "rate", "Readings committed per second (last 10 s)."),
    (
        "source_errors_total",
        "counter",
        "source_errors",
        "Unexpected failures of a source thread (the simulator), each logged with its traceback.",
    ),
)


def render(snap: Snapshot, http_requests: Mapping[tuple[str, int], int], uptime: float) -> str:
    """The whole exposition, one family after another, ending with a newline."""
    lines: list[str] = []
    for name, kind, attribute, help_text in SIMPLE:
        value = float(getattr(snap, attribute))
        lines += family(name, kind, help_text, [((), round(value, 3))])
    rejected = {reason: 0 for reason in KNOWN_REASONS} | snap.rejected
    lines += family(
        "readings_rejected_total",
        "counter",
        "Readings rejected by validation, by reason.",
        [((("reason", reason),), n) for reason, n in sorted(rejected.items())],
    )
    lines += family(
        "anomalies_total",
        "counter",
        "Anomalous readings stored, by tag and kind.",
        [((("tag", t), ("kind", k)), n) for (t, k), n in sorted(snap.anomalies.items())],
    )
    lines += _sources(snap)
    if snap.forwarding:
        lines += _forward(snap)
    lines += family(
        "http_requests_total",
        "counter",
        "HTTP requests answered, by route and status.",
        [((("route", r), ("status", str(s))), n) for (r, s), n in sorted(http_requests.items())],
    )
    lines += family(
        "uptime_seconds",
        "gauge",
        "Seconds since the HTTP endpoint started.",
        [((), round(uptime, 3))],
    )
    return "\n".join(lines) + "\n"


def _forward(snap: Snapshot) -> list[str]:
    """The historian forwarder: up, backlog, readings it stored (`pipeline.forward`)."""
    lines = family(
        "forward_up",
        "gauge",
        "1 while the historian is reachable, else 0.",
        [((), int(snap.forward_up))],
    )
    lines += family(
        "forward_backlog_readings",
        "gauge",
        "Readings stored locally and not yet committed by the historian.",
        [((), snap.forward_backlog)],
    )
    lines += family(
        "forward_readings_total",
        "counter",
        "Readings the historian stored from this monitor.",
        [((), snap.forward_forwarded)],
    )
    return lines


def _sources(snap: Snapshot) -> list[str]:
    """Per network source: up (0/1), its state as a one-hot gauge, messages received."""
    lines = family(
        "source_up",
        "gauge",
        "1 while a network source (MQTT broker, OPC UA server) is connected, else 0.",
        [((("source", s.name), ("kind", s.kind)), int(s.up)) for s in snap.sources],
    )
    lines += family(
        "source_state",
        "gauge",
        "1 for the state a network source is in, 0 for the others.",
        [
            ((("source", s.name), ("state", state)), int(s.state == state))
            for s in snap.sources
            for state in SOURCE_STATES
        ],
    )
    lines += family(
        "source_messages_total",
        "counter",
        "Messages (MQTT) or data changes (OPC UA) a network source received.",
        [((("source", s.name), ("kind", s.kind)), s.messages) for s in snap.sources],
    )
    return lines


ALARM_GAUGES = (
    # (metric name, help, states counted)
    ("alarms_active", "Alarms whose episode is still active (shelved ones included).", ("active",)),
    (
        "alarms_unacknowledged",
        "Alarms waiting for acknowledgement (active or returned to normal).",
        ("unack", "rtn_unack"),
    ),
    ("alarms_shelved", "Alarms shelved by an operator.", ("shelved",)),
)


def alarm_gauges(counts: Mapping[str, int]) -> str:
    """The alarm gauges from `storage.alarm_reads.state_counts`."""
    lines: list[str] = []
    for name, help_text, keys in ALARM_GAUGES:
        lines += family(name, "gauge", help_text, [((), sum(counts.get(k, 0) for k in keys))])
    return "\n".join(lines) + "\n"
