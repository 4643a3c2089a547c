"""Time: UTC instants stored as integer milliseconds, and the learner's local study day.

A study day starts at a configurable local hour (default 04:00, as in Anki), so a
late-night session counts for the day before. Everything that needs "now" gets it
from a Clock, so tests can fix time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

from .errors import StudyPlannerError

UTC = UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(moment: datetime) -> int:
    """UTC milliseconds since the epoch (exact: no float rounding)."""
    return (moment - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


SANE_YEARS = range(2000, 2100)  # what a computer's clock may read; anything else is a clock set wrong


def check_clock(now: datetime) -> None:
    """Refuse a clock set far wrong (1969, 9999): answers dated by it would spoil their cards' schedules,
    and dates beyond a few centuries overflow the calendar and the zip format."""
    if now.year not in SANE_YEARS:
        raise StudyPlannerError(
            f"the computer's clock reads {now:%Y-%m-%d %H:%M} UTC: set it to the right date, then start again "
            "(answers dated by it would spoil their cards' schedules)"
        )


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, benchmarks)."""

    def __init__(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def study_day(moment: datetime, day_start_hour: int, tz: tzinfo | None = None) -> date:
    """The local study day an instant belongs to (tz None: the system's local zone)."""
    local = moment.astimezone(tz) if tz is not None else moment.astimezone()
    return (local - timedelta(hours=day_start_hour)).date()


def day_start(day: date, day_start_hour: int, tz: tzinfo | None = None) -> datetime:
    """The UTC instant at which a study day begins."""
    naive = datetime.combine(day, time(day_start_hour))
    local = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    return local.astimezone(UTC)


def day_bounds(day: date, day_start_hour: int, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a study day in UTC; DST-safe because each end is computed on its own."""
    return day_start(day, day_start_hour, tz), day_start(day + timedelta(days=1), day_start_hour, tz)
