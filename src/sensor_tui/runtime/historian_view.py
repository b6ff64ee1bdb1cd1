"""The monitor's face over the central historian: what the Textual app needs of a `Monitor`,
read-only, with no pipeline, simulator or source behind it.

Why a stand-in rather than a flag on `Monitor`: the app reads only a few things of its monitor
(the tags, a reader of stored readings and alarms, counters for the status line, the alarm
command path). Giving it an object with those, answered from the historian through the
`HistoryReader` protocol, leaves every chart, navigation and alarm path unchanged, and
anything that would write (acknowledge, shelve, fault injection, the outage switch) finds
nothing to write to and says so.

One site is shown at a time, its tags named plainly, as an edge shows its own;
`switch_site` changes it (the app is reopened on it). Started, the view follows the edges:
what they forward reaches the app's subscribers as an edge's commits do
(`runtime.historian_follow`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.model.counters import Counters, Snapshot
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.tags import Config, Tag
from sensor_tui.pipeline.batches import StoredBatch
from sensor_tui.storage import StoreUnavailable
from sensor_tui.storage.readers import HistoryReader, open_reader

if TYPE_CHECKING:
    from sensor_tui.runtime.historian_follow import Follower

READ_ONLY = (
    "the historian view is read-only: alarms are acknowledged and shelved at the edge that "
    "raised them (the historian shows their state as forwarded)"
)


class ReadOnlyView(SensorTuiError):
    """Something asked the historian view to change stored data."""


class NoSites(SensorTuiError):
    """The historian holds no site's tags yet (nothing has been forwarded)."""


@dataclass(slots=True)
class ViewOptions:
    """What the status line names as the database: the historian and the site, no password."""

    db_path: str


class ReadOnlyPipeline:
    """The parts of `Pipeline` the app touches, answered for a viewer: no subscriptions (nothing
    is ingested here), empty counters, and a refused alarm command."""

    def __init__(self, url: str) -> None:
        self.db_path = url
        self.detectors: dict[str, Any] = {}
        self.counters = Counters()
        self.stored: list[Callable[[StoredBatch], None]] = []
        self.alarms: list[Callable[[list[AlarmChange]], None]] = []

    def subscribe(self, callback: Callable[[StoredBatch], None]) -> None:
        """Told of the readings the edges forwarded since (`runtime.historian_follow`)."""
        self.stored.append(callback)

    def subscribe_accepted(self, callback: Any) -> None:
        """Nothing is accepted by a viewer: readings arrive stored."""

    def subscribe_alarms(self, callback: Callable[[list[AlarmChange]], None]) -> None:
        """Told of the alarm rows the edges changed since."""
        self.alarms.append(callback)

    def tell_stored(self, batch: StoredBatch) -> None:
        """Hand forwarded readings to every subscriber (from the follower's thread)."""
        for callback in self.stored:
            callback(batch)

    def tell_alarms(self, changes: list[AlarmChange]) -> None:
        """Hand changed alarm rows to every subscriber (from the follower's thread)."""
        for callback in self.alarms:
            callback(changes)

    def snapshot(self) -> Snapshot:
        """Counters that stay at zero (the status line's stored/rejected of this run)."""
        return self.counters.snapshot()

    def alarm_command(self, command: Any) -> Any:
        """Refused: the historian is changed only by the edges' forwarders."""
        raise ReadOnlyView(READ_ONLY)


class HistorianView:
    """A `Monitor` look-alike over the historian at `url`, showing one site at a time."""

    simulator = None
    sources: tuple[()] = ()
    http_url: str | None = None
    read_only: str | None = READ_ONLY
    """Why nothing can be changed here (the alarm pane refuses its write keys with it)."""

    def __init__(self, url: str, site: str | None = None, follow_every: float = 2.0) -> None:
        self.url = url
        self.follow_every = follow_every
        """Seconds between the follower's polls for what the edges forwarded since."""
        self.where = url.split("@")[-1]  # for the status line: never the password
        from sensor_tui.storage.historian.pool import ReaderPool

        self.pipeline: Any = ReadOnlyPipeline(url)  # Any: the app reaches for edge-only parts
        self._pool = ReaderPool(url)
        self._follower: Follower | None = None
        self.sites = self._read_sites()
        if not self.sites:
            raise NoSites(f"the historian {self.where} holds no site yet (nothing forwarded)")
        if site is not None and site not in self.sites:
            raise NoSites(f"no site {site!r} in the historian; it holds {', '.join(self.sites)}")
        self.site = site or self.sites[0]
        self.config = self._config_of(self.site)
        self.options = ViewOptions(self._label())

    def open_reader(self) -> HistoryReader:
        """A reader of the shown site (one per worker thread, closed by the caller); its
        connection is kept open for the next one (`storage.historian.pool`)."""
        return self._pool.reader(self.site)

    def switch_site(self, site: str) -> None:
        """Show another site's tags (the caller reopens the app, whose charts come from
        `config`)."""
        if site not in self.sites:
            raise NoSites(f"no site {site!r} in the historian")
        self.config = self._config_of(site)
        self.site = site
        self.options = ViewOptions(self._label())

    def refresh_sites(self) -> list[str]:
        """Read the list of sites again (a new edge may have started forwarding); the list
        known so far when the historian cannot be read now."""
        with contextlib.suppress(StoreUnavailable):
            self.sites = self._read_sites() or self.sites
        return self.sites

    def start(self) -> None:
        """Follow the edges: what they forward from now on reaches the app's subscribers."""
        from sensor_tui.runtime.historian_follow import Follower

        pipe = self.pipeline
        self._follower = Follower(
            self.open_reader,
            list(self.config.tag_names),
            pipe.tell_stored,
            pipe.tell_alarms,
            self.follow_every,
        )
        self._follower.start()

    def stop(self) -> None:
        """Stop following; close the idle connections (a later reader opens new ones)."""
        if self._follower is not None:
            self._follower.stop()
            self._follower = None
        self._pool.close()

    # -- helpers ------------------------------------------------------------------------------

    def _label(self) -> str:
        return f"historian {self.where} · site {self.site} · read-only"

    def _read_sites(self) -> list[str]:
        from sensor_tui.storage.historian.reader import PgReader

        reader = PgReader(self.url)
        try:
            return reader.sites()
        finally:
            reader.close()

    def _config_of(self, site: str) -> Config:
        reader = open_reader(self.url, site)
        try:
            rows = reader.tag_rows()
        finally:
            reader.close()
        if not rows:
            raise StoreUnavailable(f"site {site!r} has no tags in the historian")
        tags = tuple(_tag(row) for row in rows)
        return replace(Config(), tags=tags, units=(), site=site, sources=())


def _tag(row: dict[str, Any]) -> Tag:
    """A tag as the edge configured it (bands as forwarded; a missing band: the unit range)."""
    normal = (_num(row["normal_low"], 0.0), _num(row["normal_high"], 1.0))
    valid = (_num(row["valid_low"], normal[0]), _num(row["valid_high"], normal[1]))
    return Tag(row["name"], row["unit"] or "", normal, valid)


def _num(value: Any, default: float) -> float:
    return default if value is None else float(value)
