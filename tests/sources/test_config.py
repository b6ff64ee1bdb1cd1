"""Issue 13: `[[sources]]`, `--mqtt` URLs, topic maps and payloads, checked without a network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor_tui.model.counters import Snapshot, SourceState
from sensor_tui.model.readings import Rejected
from sensor_tui.model.tags import ConfigError, load_config
from sensor_tui.sources.config import (
    MQTT_PASSWORD_ENV,
    MqttSettings,
    OpcUaSettings,
    parse_mqtt_url,
    parse_sources,
)
from sensor_tui.sources.payloads import BAD_PAYLOAD, decode
from sensor_tui.sources.topics import TopicMap, topic_matches
from sensor_tui.tui.status import MonitorState, status_markup


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker", (False, None, "broker", 1883, "")),
        ("mqtts://broker", (True, None, "broker", 8883, "")),
        ("mqtt://10.0.0.5:1884/plant/#", (False, None, "10.0.0.5", 1884, "plant/#")),
        ("mqtts://mon@b.plant:8884/a/+/c", (True, "mon", "b.plant", 8884, "a/+/c")),
        ("mqtt://[::1]:1883/x", (False, None, "::1", 1883, "x")),
    ],
)
def test_mqtt_urls(url: str, expected: tuple) -> None:
    assert parse_mqtt_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://broker", "scheme must be"),
        ("broker:1883", "not a URL"),
        ("mqtt://:1883/x", "no host"),
        ("mqtt://broker:99999/x", "bad port"),
        ("mqtt://broker:１８８３/x", "bad port"),
        ("mqtt://user:secret@broker/x", "no password in the URL"),
    ],
)
def test_bad_mqtt_urls_say_why(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_mqtt_url(url)


def test_topic_map_template_table_and_last_level() -> None:
    last = TopicMap()
    assert last.tag_for("plant/hall/fermenter_temp") == "fermenter_temp"
    templ = TopicMap.build("plant/{area}/{tag}", None, None)
    assert templ.tag_for("plant/hall/fermenter_temp") == "fermenter_temp"
    assert templ.tag_for("plant/hall/fermenter_temp/x") is None
    assert templ.tag_for("other/hall/fermenter_temp") is None
    assert templ.filters() == ["plant/+/+"]
    fmt = TopicMap.build("site/+/{unit}/{q}/#", "{unit}_{q}", {"legacy/7": "fermenter_ph"})
    assert fmt.tag_for("site/a/agitator/rpm/raw/x") == "agitator_rpm"
    assert fmt.tag_for("legacy/7") == "fermenter_ph"
    assert fmt.filters() == ["legacy/7", "site/+/+/+/#"]
    table_only = TopicMap.build(None, None, {"a/b": "fermenter_temp"})
    assert table_only.tag_for("a/c") is None  # a table alone maps only what it lists


@pytest.mark.parametrize(
    ("template", "tag_format", "message"),
    [
        ("plant/{area}", None, "no {tag}"),
        ("plant/#/x", None, "'#' may only be the last"),
        ("plant/a{x}/{tag}", None, "a level is"),
        ("plant/{a}/{b}", "{a}_{c}", "no {c}"),
        (None, "{tag}", "tag_format needs a template"),
        ("plant/{a}/{b}", "{a.b}", "plain"),
    ],
)
def test_bad_templates_say_why(template, tag_format, message) -> None:
    with pytest.raises(ConfigError, match=message):
        TopicMap.build(template, tag_format, None)


def test_topic_filters_match() -> None:
    assert topic_matches("a/+/c", "a/b/c")
    assert topic_matches("a/#", "a/b/c")
    assert not topic_matches("a/+", "a/b/c")
    assert not topic_matches("a/b/c", "a/b")


def test_payload_shapes() -> None:
    assert decode(b"37.5") == [{"value": 37.5}]
    assert decode(b"-1e2") == [{"value": -100.0}]
    assert decode(b'{"value": 1, "tag": "x"}') == [{"value": 1, "tag": "x"}]
    assert decode(b'[{"value": 1}, 2]') == [{"value": 1}, 2]
    assert decode(b"[]") == []
    for bad in (b"", b"inf", b"NaN", b"abc", b'"1.0"', b"true", b"null", b"\xff", b"{"):
        with pytest.raises(Rejected) as caught:
            decode(bad)
        assert caught.value.reason == BAD_PAYLOAD


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plant.toml"
    path.write_text(text)
    return path


def test_sources_from_the_toml_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PLANT_MQTT_PW", "pw-from-env")
    monkeypatch.setenv("PLC_PW", "plc-pw")
    from sensor_tui.sources.opcua_cert import make_client_certificate

    (tmp_path / "ca.pem").write_text("a CA")
    make_client_certificate(tmp_path / "c.der", tmp_path / "k.pem", "urn:test:client")
    path = write(
        tmp_path,
        """
[[sources]]
type = "mqtt"
url = "mqtts://monitor@broker.plant:8884"
template = "plant/{area}/{tag}"
ca = "ca.pem"
password_env = "PLANT_MQTT_PW"
qos = 1
session_expiry = 600
[sources.topic_tags]
"legacy/ph7" = "fermenter_ph"

[[sources]]
type = "opcua"
url = "opc.tcp://plc1:4840/server"
nodes = { fermenter_temp = "ns=2;s=Fermenter.Temp" }
security_mode = "SignAndEncrypt"
security_policy = "Basic256Sha256"
cert = "c.der"
key = "k.pem"
username = "op"
password_env = "PLC_PW"
""",
    )
    config = load_config(path)
    mqtt, opcua = parse_sources(config.sources, anchor="/data/a.db", config_path=path)
    assert isinstance(mqtt, MqttSettings) and isinstance(opcua, OpcUaSettings)
    assert (mqtt.host, mqtt.port, mqtt.tls, mqtt.username) == (
        "broker.plant",
        8884,
        True,
        "monitor",
    )
    assert mqtt.password == "pw-from-env" and "pw-from-env" not in repr(mqtt)
    assert mqtt.topics == ("legacy/ph7", "plant/+/+")
    assert mqtt.mapping.tag_for("legacy/ph7") == "fermenter_ph"
    assert mqtt.session_expiry == 600
    again = parse_sources(config.sources, anchor="/data/a.db", config_path=path)[0]
    other = parse_sources(config.sources, anchor="/data/b.db", config_path=path)[0]
    assert mqtt.client_id == again.client_id != other.client_id  # stable per monitor
    assert opcua.nodes == {"fermenter_temp": "ns=2;s=Fermenter.Temp"}
    assert (opcua.username, opcua.password, opcua.security_mode) == (
        "op",
        "plc-pw",
        "SignAndEncrypt",
    )
    # Files named in the config are relative to the config file, not to where it was started.
    assert (mqtt.ca, opcua.cert, opcua.key) == tuple(
        str(tmp_path / name) for name in ("ca.pem", "c.der", "k.pem")
    )
    assert opcua.application_uri == "urn:test:client"  # the certificate's, when not given


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('type = "kafka"', "'type' must be"),
        ('type = "mqtt"', "'url' is required"),
        ('type = "mqtt"\nurl = "mqtt://b"\npasword_env = "X"', "unknown key"),
        ('type = "mqtt"\nurl = "mqtt://b/x"\npassword = "pw"', "no 'password' in the file"),
        ('type = "mqtt"\nurl = "mqtt://b/x"\npassword_env = "NOT_SET_13"', "NOT_SET_13 is not set"),
        ('type = "mqtt"\nurl = "mqtt://b/x"\nqos = 3', "qos must be"),
        ('type = "mqtt"\nurl = "mqtt://b/x"\nqos = true', "must be a int"),
        ('type = "mqtt"\nurl = "mqtt://b"', "give 'topics'"),
        ('type = "mqtt"\nurl = "mqtt://b/x"\nsession_expiry = 0', "positive"),
        ('type = "mqtt"\nurl = "mqtt://b"\ntopics = ["a/#/b"]', "'#' only as the whole last"),
        ('type = "mqtt"\nurl = "mqtt://b"\ntopics = ["a/b+"]', "'\\+' only as a whole level"),
        ('type = "mqtt"\nurl = "mqtt://b/plant#"', "'#' only as the whole last"),
        ('type = "opcua"\nurl = "opc.tcp://h:4840"', "'nodes' maps"),
        ('type = "opcua"\nurl = "http://h"\nnodes = {a = "i=1"}', "opc.tcp://"),
        (
            'type = "opcua"\nurl = "opc.tcp://h"\nnodes = {a = "i=1"}\nsecurity_mode = "Sign"',
            "needs",
        ),
    ],
)
def test_bad_sources_say_which_entry_and_why(tmp_path: Path, entry: str, message: str) -> None:
    config = load_config(write(tmp_path, f"[[sources]]\n{entry}\n"))
    with pytest.raises(ConfigError, match=message) as caught:
        parse_sources(config.sources)
    assert "sources[0]" in str(caught.value)


def test_sources_must_be_an_array_of_tables(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="array of tables"):
        load_config(write(tmp_path, 'sources = "mqtt://b"\n'))


def test_mqtt_flag_password_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(MQTT_PASSWORD_ENV, raising=False)
    with pytest.raises(ConfigError, match=MQTT_PASSWORD_ENV):
        parse_sources((), ("mqtt://mon@b/x",))
    monkeypatch.setenv(MQTT_PASSWORD_ENV, "pw")
    first, second = parse_sources((), ("mqtt://mon@b/x", "mqtt://b/y/#"))
    assert (first.username, first.password, first.topics) == ("mon", "pw", ("x",))
    assert (second.username, second.password, second.topics) == (None, None, ("y/#",))
    assert first.name != second.name and first.client_id != second.client_id
    with pytest.raises(ConfigError, match="'#' only as the whole last level"):
        parse_sources((), ("mqtt://b/plant/#/x",))


def test_status_line_shows_each_source_state() -> None:
    state = MonitorState(False, False, False, 0, 300, "x.db")
    sources = (
        SourceState("broker a", "mqtt", "connected"),
        SourceState("broker b", "mqtt", "reconnecting", "connection lost"),
        SourceState("plc 1", "opcua", "error", "BadUserAccessDenied"),
    )
    text = status_markup(state, Snapshot(sources=sources))
    assert "LIVE" in text and "HTTP ONLY" not in text
    assert "broker a ●" in text
    assert "broker b ⟳ reconnecting" in text
    assert "plc 1 ERROR" in text
    assert Snapshot(sources=sources).as_dict()["sources"][1]["error"] == "connection lost"


def test_config_json_roundtrip_of_source_state() -> None:
    state = SourceState("b", "mqtt", "connected", messages=3)
    assert json.loads(json.dumps(state.as_dict())) == {
        "name": "b",
        "kind": "mqtt",
        "state": "connected",
        "error": "",
        "messages": 3,
        "reason": "",
    }


def test_missing_broker_skips_locally_and_fails_under_ci(monkeypatch) -> None:
    from tests.sources import conftest

    monkeypatch.setattr(conftest, "find_mosquitto", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="mosquitto is not installed"):
        conftest.need_mosquitto()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the broker tests"):
        conftest.need_mosquitto()


class _Message:
    """What the batcher reads of a paho message: topic, payload."""

    def __init__(self, topic: str, payload: bytes) -> None:
        self.topic, self.payload, self.qos, self.mid = topic, payload, 1, 1


_json = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "tag": _json | st.sampled_from(["fermenter_temp", "agitator_rpm", " fermenter_ph "]),
        "value": _json,
        "timestamp": _json | st.sampled_from(["2026-01-01T00:00:00Z", "1700000000", ""]),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.binary(max_size=60)
    | _json.map(lambda v: json.dumps(v).encode())
    | st.lists(_fields, max_size=5).map(lambda v: json.dumps(v).encode())
    | _fields.map(lambda v: json.dumps(v).encode()),
    topic=st.sampled_from(["p/fermenter_temp", "p/unknown", "p/a/b"]),
)
def test_any_payload_becomes_readings_or_reasons_never_an_exception(
    payload: bytes, topic: str
) -> None:
    from sensor_tui.model.readings import Validator
    from sensor_tui.sources.mqtt_messages import SOURCE, MessageReader

    class _Pipeline:  # what the batcher's decoding uses of the pipeline: its validator
        validator = Validator(load_config(None))

    messages = MessageReader(MqttSettings("fuzz", "h", 1, ("p/#",)), _Pipeline(), SOURCE)  # type: ignore[arg-type]
    readings: list = []
    rejected: list = []
    offered = messages.read(_Message(topic, payload), readings, rejected, 0)
    assert offered == len(readings) + len(rejected) >= 0
    assert all(isinstance(reason, str) and reason for _, reason in rejected)
