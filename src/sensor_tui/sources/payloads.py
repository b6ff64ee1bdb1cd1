"""What a message's payload may hold: a bare number, a JSON object, or a JSON list of objects.

Gateways disagree on payloads; these three shapes cover the common ones:

    37.5                                                   value only: tag from the topic, time now
    {"value": 37.5, "timestamp": "2026-11-27T08:00:00Z"}   optional "timestamp" and "tag"
    [{"tag": "fermenter_ph", "value": 7.1}, ...]           many readings in one message

Decoding yields measurement mappings for the validator (the same one HTTP and CSV use); a payload
that is none of these raises `Rejected(BAD_PAYLOAD)` with the detail, so it is counted like any
rejected reading and never stops the source.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from sensor_tui.model.readings import Rejected

BAD_PAYLOAD = "bad payload"
"""Rejection reason: the payload is not a number, a JSON object, or a JSON list of objects."""

UNMAPPED_TOPIC = "topic not mapped to a tag"
"""Rejection reason: neither the payload nor the topic map names a tag."""

MISSING_TIMESTAMP = "missing timestamp"
"""Rejection reason when a source requires timestamps (exactly-once across redeliveries)."""

BAD_STATUS = "bad OPC UA status"
"""Rejection reason: the OPC UA server marked the value as not Good."""

MAX_READINGS = 10_000
"""Readings one message may carry, as one HTTP batch may: a bigger list is refused whole."""

REASONS = (BAD_PAYLOAD, UNMAPPED_TOPIC, MISSING_TIMESTAMP, BAD_STATUS)
"""The sources' rejection reasons, beside the validator's (exposed at 0 on /metrics)."""


def decode(payload: bytes | bytearray) -> list[Any]:
    """The payload's measurements (mappings, or bare values); raises Rejected(BAD_PAYLOAD)."""
    try:
        number = float(payload)  # the commonest one-reading payload, without the JSON parser
    except ValueError:
        pass
    else:
        if b"_" in payload:  # float() reads b"3_7" as 37: a typo, not a value
            raise Rejected(BAD_PAYLOAD, f"not a number: {bytes(payload[:40])!r}")
        if not math.isfinite(number):
            raise Rejected(BAD_PAYLOAD, f"not a finite number: {payload[:40]!r}")
        return [{"value": number}]
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected(BAD_PAYLOAD, f"not a number or JSON: {str(exc)[:60]}") from None
    except RecursionError:  # the parser's own bound on nesting: a rejection, not a bug
        raise Rejected(BAD_PAYLOAD, "JSON nested too deeply") from None
    if isinstance(data, list):
        if len(data) > MAX_READINGS:
            raise Rejected(BAD_PAYLOAD, f"at most {MAX_READINGS:,} readings a message")
        return data  # items are checked one by one: a bad item costs only itself
    if isinstance(data, Mapping):
        return [data]
    if isinstance(data, int | float) and not isinstance(data, bool):
        return [{"value": data}]
    raise Rejected(BAD_PAYLOAD, f"a JSON {type(data).__name__} is not a measurement")
