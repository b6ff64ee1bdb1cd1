"""A value is a plain decimal number: Python's float() also reads "3_7" as 37 (digit grouping),
which from a sensor or a spreadsheet is a typo or a mixed-up field, never thirty-seven."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensor_tui.model.readings import NOT_A_NUMBER, Rejected, Validator
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.csv_import import import_csv
from sensor_tui.storage import Reader


@pytest.mark.parametrize("value", ["3_7", "3_7.5", "1_000", "_37", "37_"])
def test_underscored_numbers_are_rejected(config: Config, value: str) -> None:
    validator = Validator(config)
    with pytest.raises(Rejected) as caught:
        validator.validate("fermenter_temp", value, "2026-01-01T00:00:00Z", "http")
    assert caught.value.reason == NOT_A_NUMBER
    with pytest.raises(Rejected):
        validator.validate_mapping({"tag": "fermenter_temp", "value": value}, "http")


def test_an_imported_3_7_is_rejected_not_stored_as_37(
    config: Config, db_path: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "readings.csv"
    csv.write_text(
        "timestamp,tag,value\n"
        "2026-01-01T00:00:00Z,fermenter_temp,3_7\n"
        "2026-01-01T00:00:01Z,fermenter_temp,37\n"
    )
    pipeline = Pipeline(config, db_path)
    pipeline.start()
    try:
        summary = import_csv(pipeline, csv)
    finally:
        pipeline.stop()
    assert summary.rejected == {NOT_A_NUMBER: 1}
    reader = Reader(db_path)
    try:
        assert [row[2] for row in reader.export(None, None, None)] == [37.0]
    finally:
        reader.close()
