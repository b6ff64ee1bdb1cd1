"""A configured source whose library is not installed stops the start and names the extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The library is hidden from the child by a None entry in sys.modules, which is how Python marks
# a module that must not be imported: the program then sees it as not installed.
PROGRAM = """
import sys
sys.modules[{module!r}] = None
from sensor_tui.cli import main
sys.argv = ["sensor-tui", "run", "--headless", "--no-sim", "--duration", "0.1",
            "--db", {db!r}, *{args!r}]
main()
"""


@pytest.mark.parametrize(
    ("module", "extra", "args", "config"),
    [
        ("paho", "mqtt", ["--mqtt", "mqtt://127.0.0.1:1/plant/#"], None),
        (
            "asyncua",
            "opcua",
            [],
            '[[sources]]\ntype = "opcua"\nurl = "opc.tcp://127.0.0.1:4840"\n'
            'nodes = { fermenter_temp = "ns=2;i=2" }\n',
        ),
    ],
)
def test_a_source_without_its_extra_stops_the_start_naming_the_extra(
    tmp_path: Path, module: str, extra: str, args: list[str], config: str | None
) -> None:
    if config is not None:
        (tmp_path / "plant.toml").write_text(config, encoding="utf-8")
        args = [*args, "--config", str(tmp_path / "plant.toml")]
    code = PROGRAM.format(module=module, db=str(tmp_path / "db.sqlite"), args=args)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert f"'{extra}' extra" in done.stderr
    assert f"sensor-tui[{extra}]" in done.stderr
    assert "Traceback" not in done.stderr
