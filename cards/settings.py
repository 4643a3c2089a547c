"""Scheduling settings: global values, optionally overridden per deck."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
from dataclasses import dataclass, fields
from typing import Any

from .errors import SettingsError

# Settings a deck may override; the rest (day start hour) only exist globally.
DECK_OVERRIDABLE = (
    "desired_retention",
    "learning_steps",
    "relearning_steps",
    "maximum_interval",
    "new_per_day",
    "reviews_per_day",
)


@dataclass(frozen=True)
class SchedulingSettings:
    desired_retention: float = 0.9
    learning_steps: tuple[float, ...] = (1.0, 10.0)  # minutes
    relearning_steps: tuple[float, ...] = (10.0,)  # minutes
    maximum_interval: int = 36500  # days
    new_per_day: int = 20
    reviews_per_day: int = 200
    day_start_hour: int = 4
    fuzz: bool = True
    # FSRS model weights; None means the fsrs package's defaults.
    parameters: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        _check(0.7 <= self.desired_retention <= 0.99, "desired retention must be between 0.70 and 0.99")
        for name in ("learning_steps", "relearning_steps"):
            steps = getattr(self, name)
            _check(
                all(isinstance(s, (int, float)) and 0 < s <= 60 * 24 * 7 for s in steps),
                f"{name.replace('_', ' ')} must be minutes between 0 and 10080",
            )
        _check(1 <= self.maximum_interval <= 36500, "maximum interval must be 1 to 36500 days")
        _check(0 <= self.new_per_day <= 9999, "new cards per day must be 0 to 9999")
        _check(0 <= self.reviews_per_day <= 99999, "reviews per day must be 0 to 99999")
        _check(0 <= self.day_start_hour <= 23, "the day must start at an hour from 0 to 23")
        _check(self.parameters is None or len(self.parameters) in (19, 21), "FSRS parameters must be 21 numbers")

    def replace(self, **changes: Any) -> SchedulingSettings:
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise SettingsError(f"unknown setting {sorted(unknown)[0]!r}")
        for name, value in changes.items():
            changes[name] = _checked_type(name, value, type(getattr(self, name)))
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> SchedulingSettings:
        return cls().replace(**json.loads(text)) if text else cls()


def stored_settings(db: sqlite3.Connection, deck_id: int | None = None) -> SchedulingSettings:
    """The settings a store holds for a deck (its overrides over the global ones); None: the global ones."""
    row = db.execute("SELECT value FROM setting WHERE key = 'scheduling'").fetchone()
    result = SchedulingSettings.from_json(row[0] if row else None)
    if deck_id is None:
        return result
    row = db.execute("SELECT options FROM deck WHERE id = ?", (deck_id,)).fetchone()
    if row is None:
        raise SettingsError(f"no deck with id {deck_id}")
    return result.replace(**json.loads(row[0] or "{}"))


def _checked_type(name: str, value: Any, kind: type) -> Any:
    """The value in the setting's own type, or a SettingsError saying what is expected."""
    label = name.replace("_", " ")
    if kind is tuple or name == "parameters":
        if value is None and name == "parameters":
            return None
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise SettingsError(f"{label} must be a list of numbers")
        items = list(value)
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in items):
            raise SettingsError(f"{label} must be a list of numbers")
        return tuple(float(x) for x in items)
    if kind is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{label} must be true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{label} must be a whole number")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SettingsError(f"{label} must be a number")
        return float(value)
    return value


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SettingsError(message)


_UNITS = {"s": 1 / 60, "m": 1.0, "h": 60.0, "d": 1440.0}


def parse_steps(text: str) -> tuple[float, ...]:
    """'1m 10m 1h' -> minutes (1.0, 10.0, 60.0); a bare number means minutes."""
    steps = []
    for part in text.replace(",", " ").split():
        unit = part[-1].lower() if part[-1].lower() in _UNITS else "m"
        number = part[:-1] if part[-1].lower() in _UNITS else part
        try:
            value = float(number) * _UNITS[unit]
        except ValueError:
            raise SettingsError(f"{part!r} is not a step: write steps like '1m 10m 1h'") from None
        steps.append(value)
    return tuple(steps)


def format_steps(steps: tuple[float, ...]) -> str:
    out = []
    for minutes in steps:
        if minutes >= 1440 and minutes % 1440 == 0:
            out.append(f"{minutes / 1440:g}d")
        elif minutes >= 60 and minutes % 60 == 0:
            out.append(f"{minutes / 60:g}h")
        else:
            out.append(f"{minutes:g}m")
    return " ".join(out)
