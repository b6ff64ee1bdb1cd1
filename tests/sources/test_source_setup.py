"""Config mistakes stop the start at once with the file named; the client certificate command;
a security mode the server does not offer is not retried as if it were an outage."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from sensor_tui.model.tags import ConfigError, load_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.config import parse_sources
from sensor_tui.sources.opcua import OpcUaSource
from sensor_tui.sources.opcua_cert import load_certificate, make_client_certificate
from sensor_tui.sources.preflight import check_security_modes
from tests.support.mosquitto_harness import free_port
from tests.support.waiting import wait_until

from .opcua_server import OpcServer, make_pki
from .test_opcua import begin, canonical, settings, stored

CLI = [sys.executable, "-m", "sensor_tui"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def running(pipeline: Pipeline) -> Iterator[list[OpcUaSource]]:
    started: list[OpcUaSource] = []
    yield started
    for source in started:
        source.stop()


def opcua_entry(extra: str = "", url: str = "opc.tcp://plc1:4840") -> str:
    return f'[[sources]]\ntype = "opcua"\nurl = "{url}"\nnodes = {{ a = "i=1" }}\n{extra}'


def secure(cert: str = "pki/client.der", key: str = "pki/client.pem") -> str:
    return (
        'security_mode = "SignAndEncrypt"\nsecurity_policy = "Basic256Sha256"\n'
        f'cert = "{cert}"\nkey = "{key}"\n'
    )


def test_file_names_are_relative_to_the_config_file_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plant = tmp_path / "plant"
    make_client_certificate(plant / "pki/client.der", plant / "pki/client.pem", "urn:x:y")
    path = plant / "plant.toml"
    path.write_text(opcua_entry(secure()))
    monkeypatch.chdir(tmp_path)  # started from elsewhere
    (found,) = parse_sources(load_config(path).sources, config_path=path)
    assert found.cert == str(plant / "pki/client.der")


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        (secure(cert="pki/nope.der"), "cert file"),
        (secure(key="pki/nope.pem"), "key file"),
        (secure() + 'server_cert = "pki/server.der"\n', "server_cert file"),
    ],
)
def test_a_missing_certificate_or_key_stops_the_start_naming_file_and_config(
    tmp_path: Path, extra: str, missing: str
) -> None:
    make_client_certificate(tmp_path / "pki/client.der", tmp_path / "pki/client.pem", "urn:x:y")
    path = tmp_path / "plant.toml"
    path.write_text(opcua_entry(extra))
    with pytest.raises(ConfigError, match=missing) as caught:
        parse_sources(load_config(path).sources, config_path=path)
    assert str(path) in str(caught.value) and "not found" in str(caught.value)
    assert str(tmp_path / "pki") in str(caught.value)  # the full path of the missing file


def test_a_missing_mqtt_ca_stops_the_command_at_once(tmp_path: Path) -> None:
    done = cli(
        "run", "--headless", "--no-sim", "--duration", "30", "--db", "m.db",
        "--mqtt", "mqtts://127.0.0.1:1/plant/#", "--mqtt-ca", "no-such-ca.pem",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode != 0
    assert "--mqtt-ca" in done.stderr and "no-such-ca.pem" in done.stderr


def test_a_missing_ca_in_the_file_stops_the_command_naming_the_config(tmp_path: Path) -> None:
    (tmp_path / "plant.toml").write_text(
        '[[sources]]\ntype = "mqtt"\nurl = "mqtts://127.0.0.1:1/p/#"\nca = "certs/ca.pem"\n'
    )
    done = cli("run", "--headless", "--no-sim", "--config", "plant.toml", cwd=tmp_path)
    assert done.returncode != 0
    assert "plant.toml" in done.stderr and str(tmp_path / "certs/ca.pem") in done.stderr


def test_application_uri_defaults_to_the_host_and_must_match_the_certificate(
    tmp_path: Path,
) -> None:
    import socket

    path = tmp_path / "plant.toml"
    path.write_text(opcua_entry())
    (plain,) = parse_sources(load_config(path).sources, config_path=path)
    assert plain.application_uri == f"urn:{socket.gethostname()}:sensor-tui"
    make_client_certificate(tmp_path / "pki/client.der", tmp_path / "pki/client.pem", "urn:a:b")
    path.write_text(opcua_entry(secure() + 'application_uri = "urn:other:uri"\n'))
    with pytest.raises(ConfigError, match="urn:other:uri is not in the certificate"):
        parse_sources(load_config(path).sources, config_path=path)


def test_two_servers_on_one_host_get_names_with_their_ports(tmp_path: Path) -> None:
    path = tmp_path / "plant.toml"
    path.write_text(
        opcua_entry(url="opc.tcp://plc:4840") + opcua_entry(url="opc.tcp://plc:4841") + "\n"
    )
    names = [s.name for s in parse_sources(load_config(path).sources, config_path=path)]
    assert names == ["opcua plc:4840", "opcua plc:4841"]


def test_the_cert_command_makes_a_certificate_a_server_accepts(
    tmp_path: Path, pipeline: Pipeline, db_path: Path, running: list[OpcUaSource]
) -> None:
    done = cli(
        "opcua", "cert", "--cert", "pki/me.der", "--key", "pki/me.pem",
        "--application-uri", "urn:plant:sensor-tui", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "urn:plant:sensor-tui" in done.stdout and "trust" in done.stdout
    cert = load_certificate(tmp_path / "pki/me.der")
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "urn:plant:sensor-tui" in san.get_values_for_type(x509.UniformResourceIdentifier)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and usage.data_encipherment
    extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in extended
    assert (tmp_path / "pki/me.pem").stat().st_mode & 0o077 == 0  # the key is ours alone
    again = cli("opcua", "cert", "--cert", "pki/me.der", "--key", "pki/me.pem", cwd=tmp_path)
    assert again.returncode != 0 and "--force" in again.stderr  # never overwritten silently

    server = OpcServer(free_port(), secure_dir=tmp_path / "server-pki").start()
    try:
        path = tmp_path / "plant.toml"
        path.write_text(opcua_entry(secure("pki/me.der", "pki/me.pem"), url=server.url))
        (parsed,) = parse_sources(load_config(path).sources, config_path=path)
        assert parsed.application_uri == "urn:plant:sensor-tui"
        cfg = settings(
            server, ("fermenter_temp",), **{
                k: getattr(parsed, k)
                for k in ("security_mode", "security_policy", "cert", "key", "application_uri")
            },
        )  # fmt: skip
        source = begin(pipeline, cfg, running)
        wait_until(
            lambda: [s.state for s in pipeline.snapshot().sources] == ["connected"], timeout=30
        )
        from datetime import UTC, datetime

        when = datetime.now(UTC)
        server.write("fermenter_temp", 36.5, when)
        wait_until(lambda: ("fermenter_temp", canonical(when), 36.5, "opcua") in stored(db_path))
        source.stop()
    finally:
        for source in running:
            source.stop()
        server.stop()


def test_a_security_mode_the_server_does_not_offer_stops_the_start_and_is_not_retried(
    tmp_path: Path, pipeline: Pipeline, running: list[OpcUaSource]
) -> None:
    server = OpcServer(free_port()).start()  # offers None only
    try:
        cert, key = asyncio.run(make_pki(tmp_path / "client-pki", "client"))
        cfg = settings(
            server, ("fermenter_temp",), security_mode="SignAndEncrypt",
            security_policy="Basic256Sha256", cert=str(cert), key=str(key),
        )  # fmt: skip
        with pytest.raises(ConfigError, match=r"does not offer .* Basic256Sha256 .*offers: None"):
            check_security_modes([cfg], "plant.toml")
        check_security_modes([settings(server)], "plant.toml")  # what it offers passes
        source = begin(pipeline, cfg, running)
        wait_until(lambda: [s.reason for s in pipeline.snapshot().sources] == [
            "security mode not offered"
        ])  # fmt: skip
        source._thread.join(5)
        assert not source._thread.is_alive()  # given up: not retried as an outage
    finally:
        for source in running:
            source.stop()
        server.stop()
