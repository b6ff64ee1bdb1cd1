"""`sensor-tui opcua cert`: make the OPC UA client certificate and say what the server must trust.

An edge like `cli`: it parses options, calls `sources.opcua_cert`, prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def opcua() -> None:
    """OPC UA helpers: the client certificate."""


@opcua.command()
@click.option(
    "--cert",
    "cert",
    default="sensor-tui.der",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Certificate file to write (.der, or .pem for PEM).",
)
@click.option(
    "--key",
    "key",
    default="sensor-tui-key.pem",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Private key file to write (PEM, readable by you only).",
)
@click.option(
    "--application-uri",
    help="URI the certificate carries [default: urn:<host>:sensor-tui].",
)
@click.option("--days", default=3650, show_default=True, type=click.IntRange(1), help="Validity.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def cert(cert: Path, key: Path, application_uri: str | None, days: int, force: bool) -> None:
    """Make a self-signed client certificate and key for [[sources]] cert / key."""
    from sensor_tui.sources.extras import require_extra

    require_extra("opcua")  # cryptography comes with asyncua
    from sensor_tui.sources.opcua_cert import default_application_uri, make_client_certificate

    existing = [str(p) for p in (cert, key) if p.exists()]
    if existing and not force:
        click.echo(f"sensor-tui: {', '.join(existing)} exist(s); --force overwrites", err=True)
        sys.exit(2)
    uri = application_uri or default_application_uri()
    made = make_client_certificate(cert, key, uri, days)
    click.echo(f"Wrote {made.cert} (certificate) and {made.key} (private key, mode 600).")
    click.echo(f"Application URI: {made.application_uri}")
    click.echo(f"SHA-1 thumbprint: {made.thumbprint}")
    click.echo("")
    click.echo("On the OPC UA server, trust this client certificate:")
    click.echo(f"  copy {made.cert} into the server's trusted client certificates")
    click.echo("  (often pki/trusted/certs/), or accept it where the server lists rejected")
    click.echo("  certificates, checking the thumbprint above.")
    click.echo("In the config file (a relative path there is relative to the config file):")
    click.echo(f'  cert = "{made.cert.resolve()}"')
    click.echo(f'  key = "{made.key.resolve()}"')
    if application_uri:
        click.echo(f'  application_uri = "{made.application_uri}"')
