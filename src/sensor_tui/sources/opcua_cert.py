"""The OPC UA client certificate: make one (`sensor-tui opcua cert`) and read the URI it carries.

An OPC UA server accepts a client only if its certificate (1) names the client's application URI
in its subjectAltName, the same URI the client announces when it opens a session, (2) allows
digital signature, key and data encipherment (the key usages Sign and SignAndEncrypt need), and
(3) has been put in the server's trusted folder by someone on the server side. asyncua's default
URI (`urn:example.org:FreeOpcUa:...`) fails (1) on strict servers, hence `application_uri`.
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sensor_tui.model.tags import ConfigError


def default_application_uri(host: str | None = None) -> str:
    """`urn:<host>:sensor-tui`: unique per machine, stable across restarts."""
    return f"urn:{host or socket.gethostname()}:sensor-tui"


def load_certificate(path: str | Path) -> x509.Certificate:
    """A certificate from a DER or PEM file (OPC UA servers use both)."""
    data = Path(path).read_bytes()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ConfigError(f"{path} is not a DER or PEM certificate: {exc}") from exc


def certificate_uris(path: str | Path) -> list[str]:
    """The URIs in the certificate's subjectAltName (the application URI is one of them)."""
    cert = load_certificate(path)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(uri) for uri in san.value.get_values_for_type(x509.UniformResourceIdentifier)]


@dataclass(frozen=True, slots=True)
class MadeCertificate:
    """What `make_client_certificate` wrote, and what the server side must know."""

    cert: Path
    key: Path
    application_uri: str
    thumbprint: str
    """SHA-1 of the DER certificate, as server UIs list trusted certificates."""


def make_client_certificate(
    cert: Path, key: Path, application_uri: str, days: int = 3650, host: str | None = None
) -> MadeCertificate:
    """A self-signed RSA 2048 client certificate (DER) and its key (PEM, unencrypted, mode 600).

    The format follows the file name: `.pem` gives PEM, anything else DER (what most OPC UA
    servers' trust folders expect).
    """
    host = host or socket.gethostname()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _self_signed(private, application_uri, host, days)
    encoding = serialization.Encoding.PEM if cert.suffix == ".pem" else serialization.Encoding.DER
    cert.parent.mkdir(parents=True, exist_ok=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    cert.write_bytes(certificate.public_bytes(encoding))
    key.touch(mode=0o600)
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    thumb = certificate.fingerprint(hashes.SHA1()).hex(":").upper()  # display, not security
    return MadeCertificate(cert, key, application_uri, thumb)


_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=True,
    data_encipherment=True,
    key_agreement=False,
    key_cert_sign=True,  # self-signed: it signs itself
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
"""The key usages Sign and SignAndEncrypt need (point 2 of the module docstring)."""


def _self_signed(
    private: rsa.RSAPrivateKey, application_uri: str, host: str, days: int
) -> x509.Certificate:
    """The certificate itself: the application URI in subjectAltName, the usages a server
    checks, valid from five minutes ago (clocks differ) for `days` days."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"sensor-tui@{host}"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sensor-tui"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(application_uri), x509.DNSName(host)]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_USAGE, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False
        )
    )
    return builder.sign(private, hashes.SHA256())
