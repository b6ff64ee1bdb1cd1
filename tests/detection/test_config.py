"""Per-tag alarm thresholds in the config, recorded in the tags table (schema v2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from sensor_tui.detection import DEFAULT_THRESHOLD, AdaptiveDetector, make_detector
from sensor_tui.model.tags import ConfigError, parse_config
from sensor_tui.storage import Store, user_version
from sensor_tui.storage.schema import MIGRATIONS


def _config(**top):
    return parse_config(
        {
            **top,
            "default_tags": False,
            "tags": [
                {"name": "a", "normal": [0, 1], "valid": [-5, 5], "threshold": 0.99},
                {"name": "b", "normal": [0, 1], "valid": [-5, 5]},
            ],
        }
    )


def test_threshold_per_tag_and_top_level_default() -> None:
    config = _config()
    assert [t.threshold for t in config.tags] == [0.99, None]
    detectors = [make_detector(t) for t in config.tags]
    assert all(isinstance(d, AdaptiveDetector) for d in detectors)
    assert [d.threshold for d in detectors] == [0.99, DEFAULT_THRESHOLD]
    config = _config(threshold=0.9)
    assert [t.threshold for t in config.tags] == [0.99, 0.9]


@pytest.mark.parametrize("bad", [0, 1.5, -0.1, "high", True, float("nan")])
def test_a_threshold_outside_the_unit_interval_is_refused(bad) -> None:
    with pytest.raises(ConfigError, match="threshold"):
        parse_config(
            {"tags": [{"name": "a", "normal": [0, 1], "valid": [-5, 5], "threshold": bad}]}
        )
    with pytest.raises(ConfigError, match="threshold"):
        parse_config({"threshold": bad})


def test_the_threshold_decides_what_is_flagged() -> None:
    """The same reading, two thresholds: flagged iff its score reaches the tag's threshold."""
    strict, lax = AdaptiveDetector(threshold=0.999), AdaptiveDetector(threshold=0.5)
    values = [10.0 + 0.1 * ((i * 7919) % 13 - 6) for i in range(600)] + [11.5]
    verdicts = [(strict.update(v, ""), lax.update(v, "")) for v in values]
    (f1, s1, _), (f2, s2, _) = verdicts[-1]
    assert s1 == pytest.approx(s2)
    assert f2 and not f1 and 0.5 <= s1 < 0.999


def test_tags_table_records_the_threshold(tmp_path: Path) -> None:
    Store(tmp_path / "t.db", _config()).open()
    rows = {r["name"]: r["threshold"] for r in Database(tmp_path / "t.db")["tags"].rows}
    assert rows == {"a": 0.99, "b": None}


def test_a_version_1_database_gains_the_threshold_column(tmp_path: Path) -> None:
    """A file made before migration 2 opens, gains tags.threshold and keeps its rows."""
    path = tmp_path / "v1.db"
    db = Database(sqlite3.connect(path))
    MIGRATIONS[1](db)
    db["tags"].insert(
        {
            "name": "old",
            "unit": "",
            "normal_low": 0,
            "normal_high": 1,
            "valid_low": -1,
            "valid_high": 2,
            "detector": "zscore",
        }
    )
    db.execute(
        "INSERT INTO measurements (timestamp, tag, value, is_anomaly, score, kind, source) "
        "VALUES ('2026-01-01T00:00:00.000000Z', 'old', 0.5, 1, 4.2, 'spike', 'sim')"
    )
    db.execute("PRAGMA user_version = 1")
    db.conn.commit()
    db.conn.close()
    assert "threshold" not in Database(path)["tags"].columns_dict

    Store(path, _config()).open()
    db = Database(path)
    assert user_version(db.conn) >= 2
    assert "threshold" in db["tags"].columns_dict
    assert {r["name"]: r["threshold"] for r in db["tags"].rows} == {
        "old": None,
        "a": 0.99,
        "b": None,
    }
    assert [r["score"] for r in db["measurements"].rows] == [4.2]
