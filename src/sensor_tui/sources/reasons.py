"""Short reasons for a source's state, the words an operator reads on the status line.

A full error text (`ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] ...`) stays
in the log and `/health`'s `error`; the screen has room for two or three words that say which
person to call: `auth refused` (the password), `CA not trusted` (the certificate files),
`server down 12 s` (the network or the PLC), `node unknown (1 of 4 tags)` (the PLC program).

OPC UA status codes are shown by their names (`BadNodeIdUnknown`), never as the number asyncua
prints, so they can be looked up in the specification or the server's manual.
"""

from __future__ import annotations

import ssl
from typing import Any

AUTH_REFUSED = "auth refused"
CA_NOT_TRUSTED = "CA not trusted"
CERT_REFUSED = "certificate refused"
SERVER_DOWN = "server down"
NO_ANSWER = "no answer"
MODE_NOT_OFFERED = "security mode not offered"
FILE_MISSING = "file missing"
SERVER_CERT_MISMATCH = "server_cert mismatch?"

_AUTH_WORDS = ("Identity", "UserAccess", "NotAuthorized", "not authorized", "Bad user name")
_CERT_WORDS = ("Certificate", "Security", "SecureChannel")


def status_name(code: Any) -> str:
    """`BadNodeIdUnknown` for a StatusCode, its number, or a subscribe result."""
    from asyncua import ua

    value = getattr(code, "value", code)
    try:
        return str(ua.status_codes.get_name_and_doc(int(value))[0])
    except (KeyError, TypeError, ValueError):
        return f"status 0x{int(value):08X}" if isinstance(value, int) else str(code)


def opcua_reason(exc: BaseException) -> str:
    """The short reason for a failed OPC UA connection attempt or a lost session."""
    text = str(exc)
    if isinstance(exc, ConnectionRefusedError | ConnectionResetError | EOFError):
        return SERVER_DOWN
    if isinstance(exc, TimeoutError):  # asyncio's too, since Python 3.11
        return NO_ANSWER
    if any(word in text for word in ("No matching endpoints", "SecurityModeRejected")):
        return MODE_NOT_OFFERED
    if isinstance(exc, FileNotFoundError):
        return FILE_MISSING
    if any(word in text for word in _AUTH_WORDS):
        return AUTH_REFUSED
    if any(word in text for word in _CERT_WORDS):
        return CERT_REFUSED
    if isinstance(exc, OSError | ConnectionError):
        return SERVER_DOWN
    return type(exc).__name__


def mqtt_reason(exc: BaseException | None = None, refusal: str = "") -> str:
    """The short reason for a failed MQTT connection: TLS, a refusal by the broker, the network."""
    if refusal:
        lowered = refusal.lower()
        if "not authorized" in lowered or "password" in lowered or "bad user" in lowered:
            return AUTH_REFUSED
        return f"refused: {refusal}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CA_NOT_TRUSTED
    if isinstance(exc, ssl.SSLError):
        return "TLS refused"
    if isinstance(exc, FileNotFoundError | PermissionError):
        return FILE_MISSING
    if isinstance(exc, TimeoutError):
        return NO_ANSWER
    if isinstance(exc, OSError):
        return SERVER_DOWN
    return type(exc).__name__ if exc is not None else ""


def node_reason(failed: dict[str, str], total: int) -> str:
    """`node unknown (1 of 4 tags)`: the first failure's kind, how many tags are out."""
    if not failed:
        return ""
    names = set(failed.values())
    kind = "node unknown" if names <= {"BadNodeIdUnknown", "BadNodeIdInvalid"} else "node refused"
    return f"{kind} ({len(failed)} of {total} tags)"
