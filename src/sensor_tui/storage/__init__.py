"""Storage: the schema and its migrations, the one writer's `Store`, read-only `Reader`s.

Every SQL statement of the project lives in this package.
"""

from sensor_tui.storage.reader import Reader, open_read_only
from sensor_tui.storage.schema import SCHEMA_VERSION, SchemaTooNew, migrate, user_version
from sensor_tui.storage.store import (
    OutageSwitch,
    Store,
    StoreUnavailable,
    connect,
    create_schema,
)

__all__ = [
    "SCHEMA_VERSION",
    "OutageSwitch",
    "Reader",
    "SchemaTooNew",
    "Store",
    "StoreUnavailable",
    "connect",
    "create_schema",
    "migrate",
    "open_read_only",
    "user_version",
]
