"""The throwaway cluster itself: it answers SQL and survives a restart."""

from __future__ import annotations

import psycopg

from tests.support.postgres import Cluster


def test_cluster_answers_and_restarts(pg_cluster: Cluster, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
    pg_cluster.restart()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
