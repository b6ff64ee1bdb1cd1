"""The short variant of the no-loss check (`benchmarks/forward.py` runs 20 and 5): edges killed
with SIGKILL and PostgreSQL restarted while forwarding; afterwards the historian holds exactly
what the edges' files hold, per (site, tag), by count and hash."""

from __future__ import annotations

from pathlib import Path

from tests.support.forward_chaos import chaos
from tests.support.postgres import Cluster


def test_kills_and_restarts_lose_and_duplicate_nothing(
    pg_cluster: Cluster, pg_url: str, tmp_path: Path
) -> None:
    result = chaos(pg_cluster, pg_url, tmp_path, edges=2, kills=3, pg_restarts=1,
                   pause=(0.8, 1.5))  # fmt: skip
    assert result["readings_local"] > 200, result
    assert (result["lost"], result["duplicated"], result["mismatched_tags"]) == (0, 0, [])
