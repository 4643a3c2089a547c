"""Scheduling settings: global values, optionally overridden per deck.

Each setting is declared once, as a field of SchedulingSettings: its type and
default, and in its metadata (a Spec) its label, range, unit and help. The
validation below, the settings screen and `studyplanner settings` all read that
declaration; adding a setting is adding a field.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import SettingsError


@dataclass(frozen=True)
class Spec:
    """What the learner is told of a setting, and the values it may take."""

    label: str
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""  # shown after the value: " days", ":00"
    decimals: int = 0  # for a number: the digits shown and the step (0.01 for 2)
    help: str = ""
    per_deck: bool = False  # a deck may override it
    noun: str = ""  # how an error names it, when its label does not read as a noun
    choices: tuple[str, ...] = ()  # the values a text setting may take
    shown: bool = True  # on the settings screen and in `studyplanner settings`; False: set by the app itself

    @property
    def is_steps(self) -> bool:
        return self.unit == "steps"

    def range_text(self) -> str:
        """"0.70 to 0.99", "1 to 36500 days", "minutes, each over 0 and at most 10080"."""
        if self.choices:
            return " or ".join(self.choices)
        if self.minimum is None or self.maximum is None:
            return ""
        if self.is_steps:
            return f"minutes, each over {self.minimum:g} and at most {self.maximum:g}"
        unit = self.unit if self.unit.startswith(" ") else ""  # " days", not ":00"
        return f"{self.minimum:.{self.decimals}f} to {self.maximum:.{self.decimals}f}{unit}"


def _setting(default: Any, spec: Spec) -> Any:
    return field(default=default, metadata={"spec": spec})


@dataclass(frozen=True)
class SchedulingSettings:
    desired_retention: float = _setting(0.9, Spec(
        "Desired retention", 0.70, 0.99, decimals=2, per_deck=True,
        help="The share of reviews you want to recall. Higher means more reviews for fewer lapses: "
             "0.90 is a good balance; above 0.95 the workload climbs steeply."))  # fmt: skip
    new_per_day: int = _setting(20, Spec("New cards per day", 0, 9999, per_deck=True))
    reviews_per_day: int = _setting(200, Spec("Maximum reviews per day", 0, 99999, per_deck=True))
    day_start_hour: int = _setting(4, Spec("A new day starts at", 0, 23, unit=":00", noun="the hour a new day starts",
                                           help="Reviews before this hour count for the day before."))  # fmt: skip
    learning_steps: tuple[float, ...] = _setting((1.0, 10.0), Spec(
        "Learning steps", 0, 60 * 24 * 7, unit="steps", per_deck=True,
        help="Minutes between a new card's first answers, like '1m 10m'."))  # fmt: skip
    relearning_steps: tuple[float, ...] = _setting((10.0,), Spec(
        "Relearning steps", 0, 60 * 24 * 7, unit="steps", per_deck=True,
        help="Minutes between answers after a lapse, like '10m'."))  # fmt: skip
    maximum_interval: int = _setting(36500, Spec("Maximum interval", 1, 36500, unit=" days", per_deck=True))
    # 180: the longest day of the built-in plans is 165 minutes, so a plan day fits with room to catch up.
    daily_minutes: int = _setting(180, Spec(
        "Minutes a day for plan tasks", 15, 1440, unit=" min",
        help="Spreading missed plan tasks fills each day up to this, counting what is already planned."))  # fmt: skip
    # "after": a learner's own decks keep coming during a plan, behind its topics; "wait" holds them.
    new_outside_plan: str = _setting("after", Spec(
        "New cards outside the plan", choices=("after", "wait"),
        help="While a study plan runs, new cards of no plan's topic (your own decks) come after the plan's, "
             "or wait until it is over. Cards of another plan's topics wait for that plan."))  # fmt: skip
    # 1000 MB: a usual store (a few MB) keeps its whole schedule (some 40 backups) in a few hundred MB at most;
    # a store of 100,000 cards (about 90 MB a backup) keeps about 11, where the schedule alone took some 4 GB.
    backup_space_mb: int = _setting(1000, Spec(
        "Space for backups", 0, 1_000_000, unit=" MB",
        help="Backups are removed, oldest first, until they fit; the newest backup and one a day for the "
             "last 7 days are always kept, even over this."))  # fmt: skip
    fuzz: bool = _setting(True, Spec("Spread due dates a little (fuzz)", shown=False))
    # FSRS model weights (19 or 21 numbers); None means the fsrs package's defaults. Set by the optimizer.
    parameters: tuple[float, ...] | None = _setting(None, Spec("FSRS parameters", shown=False))

    def __post_init__(self) -> None:
        for name in _SPECS:
            check_range(name, getattr(self, name))
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
    result = _kept(SchedulingSettings(), row[0] if row else None)
    if deck_id is None:
        return result
    row = db.execute("SELECT options FROM deck WHERE id = ?", (deck_id,)).fetchone()
    if row is None:
        raise SettingsError(f"no deck with id {deck_id}")
    return _kept(result, row[0])


def _kept(base: SchedulingSettings, stored: str | None) -> SchedulingSettings:
    """base with the stored values over it, each that can be read: damaged JSON, or a value of the wrong
    type or out of range (another program's write, a bad disk), falls back to base's value instead of
    stopping every command and the window with a traceback. The next change writes them whole again."""
    try:
        values = json.loads(stored) if stored else {}
    except ValueError:
        return base
    if not isinstance(values, dict):
        return base
    for name, value in values.items():
        try:
            base = base.replace(**{name: value})
        except (SettingsError, TypeError, ValueError):
            continue
    return base


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


_SPECS: dict[str, Spec] = {f.name: f.metadata["spec"] for f in fields(SchedulingSettings)}


def spec(name: str) -> Spec:
    try:
        return _SPECS[name]
    except KeyError:
        raise SettingsError(f"unknown setting {name!r}") from None


SETTINGS = tuple(_SPECS)
SHOWN = tuple(name for name in SETTINGS if spec(name).shown)
DECK_OVERRIDABLE = tuple(name for name in SETTINGS if spec(name).per_deck)


def check_range(name: str, value: Any) -> None:
    """A SettingsError naming the setting and its range when the value is outside it."""
    s = _SPECS[name]
    if s.choices:
        if value not in s.choices:
            raise SettingsError(f"{s.noun or s.label.lower()} must be {' or '.join(s.choices)}, not {value!r}")
        return
    if s.minimum is None or s.maximum is None:
        return
    if s.is_steps:
        if not all(isinstance(v, (int, float)) and s.minimum < v <= s.maximum for v in value):
            raise SettingsError(f"{s.noun or s.label.lower()} must be {s.range_text()}")
    elif not s.minimum <= value <= s.maximum:
        raise SettingsError(f"{s.noun or s.label.lower()} must be from {s.range_text()}")


def parse_value(name: str, text: str) -> Any:
    """A setting's value from what a learner typed (the command line, a text field)."""
    s = spec(name)
    if s.is_steps:
        return parse_steps(text)
    if s.choices:
        return text.strip().lower()
    kind = type(getattr(SchedulingSettings(), name))
    try:
        return kind(text.strip().removesuffix(s.unit.strip()).strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{s.label.lower()} must be {what}, not {text!r}") from None


def format_value(name: str, value: Any) -> str:
    s = spec(name)
    if s.is_steps:
        return format_steps(value)
    return f"{value:.{s.decimals}f}" if isinstance(value, float) else str(value)


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
