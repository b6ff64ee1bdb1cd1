"""A real Mosquitto broker on free loopback ports, for the tests and `mqtt_load.py`.

One broker process with three listeners: plain and anonymous, password-only (a file made with
`mosquitto_passwd`), and TLS requiring a client certificate (a CA, a server certificate for
127.0.0.1 and a client certificate, made here with the `cryptography` package). Persistence is
on, so a restart keeps sessions and queued messages, and the per-client queue is unbounded:
Mosquitto's default (`max_queued_messages 1000`) silently drops QoS 1 messages it already
acknowledged to the publisher once a subscriber is away long enough, which no subscriber can
make up for.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER, PASSWORD = "plant", "s3cret-Passw0rd"


def find_mosquitto() -> str | None:
    """The broker binary (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(p)),
        None,
    )


def free_port() -> int:
    """A port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _key_and_cert(
    subject: str, issuer: tuple[Any, Any] | None, san: bool = False
) -> tuple[Any, Any]:
    """An RSA key and a certificate for `subject`, signed by `issuer` (key, cert) or itself."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    signer_key, signer_cert = issuer if issuer else (key, None)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(signer_cert.subject if signer_cert else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if san:
        alt = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return key, builder.sign(signer_key, hashes.SHA256())


def _write(folder: Path, stem: str, key: Any, cert: Any) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization

    key_path, cert_path = folder / f"{stem}.key", folder / f"{stem}.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


@dataclass(frozen=True, slots=True)
class Certs:
    """Paths of the generated PKI."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_certs(folder: Path) -> Certs:
    """A throw-away CA, a server certificate for 127.0.0.1/localhost, and a client certificate
    (made with the `cryptography` package, so no openssl binary is needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = _key_and_cert("sensor-tui test CA", None)
    ca_path, _ = _write(folder, "ca", *ca)
    server = _write(folder, "server", *_key_and_cert("127.0.0.1", ca, san=True))
    client = _write(folder, "client", *_key_and_cert("sensor-tui", ca))
    return Certs(ca_path, server[0], server[1], client[0], client[1])


class Broker:
    """A mosquitto process: `start()`, `stop()` (SIGTERM, state saved), `kill()`, `restart()`."""

    def __init__(self, folder: Path, certs: Certs | None = None) -> None:
        binary = find_mosquitto()
        if binary is None:
            raise FileNotFoundError("mosquitto is not installed")
        self.binary = binary
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port, self.auth_port, self.tls_port = free_port(), free_port(), free_port()
        self.certs = certs
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "mosquitto.log"
        self._write_config()

    def _write_config(self) -> None:
        passwords = self.folder / "passwords"
        passwords.write_text("")
        passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        subprocess.run([passwd, "-b", str(passwords), USER, PASSWORD], check=True)
        lines = [
            "per_listener_settings true",
            "persistence true",
            f"persistence_location {self.folder}/",
            "max_queued_messages 0",
            "max_queued_bytes 0",
            "log_dest stderr",
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            f"listener {self.auth_port} 127.0.0.1",
            "allow_anonymous false",
            f"password_file {passwords}",
        ]
        if os.geteuid() == 0:
            lines.insert(0, "user root")  # else it drops to 'mosquitto' and cannot read our files
        if self.certs is not None:
            lines += [
                f"listener {self.tls_port} 127.0.0.1",
                "allow_anonymous true",
                f"cafile {self.certs.ca}",
                f"certfile {self.certs.server_cert}",
                f"keyfile {self.certs.server_key}",
                "require_certificate true",
            ]
        self.config = self.folder / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10.0) -> Broker:
        """Start and wait until the plain listener accepts connections."""
        out = open(self.log, "ab")  # noqa: SIM115 (the child holds it; closed when it exits)
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.config)], stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-1500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not start listening in time")

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its sessions and queues to disk, then exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: the broker dies at once (state since the last save is lost)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        """Stop cleanly and start again on the same ports."""
        self.stop()
        self.start()


class Publisher:
    """A QoS 1 publisher that remembers which messages the broker acknowledged (PUBACK)."""

    def __init__(self, port: int, client_id: str = "", inflight: int = 1000) -> None:
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
        )
        self.client.max_inflight_messages_set(inflight)
        self.client.on_publish = self._on_publish
        self.sent: list[tuple[object, paho.MQTTMessageInfo]] = []
        self.refused: list[str] = []
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if reason.value != 0:  # 16 = no matching subscribers: nobody would ever get it
            self.refused.append(str(reason))

    def publish(self, topic: str, payload: bytes | str, key: object = None, qos: int = 1) -> None:
        """Send one message; `key` names it in `acked()`."""
        info = self.client.publish(topic, payload, qos=qos)
        self.sent.append((key, info))

    def acked(self) -> list[object]:
        """Keys of the messages the broker acknowledged so far."""
        return [key for key, info in self.sent if info.is_published()]

    def wait_all(self, timeout: float = 30.0) -> bool:
        """Wait until every message sent is acknowledged; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(info.is_published() for _, info in self.sent):
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()
