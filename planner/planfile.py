"""The Markdown plan format (docs/plan-format.md): parse and check, never half-succeed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cards.deckfile import KEY_RE, decode_utf8
from cards.errors import FileFormatError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TASK_KINDS = ("read", "watch", "implement", "practice", "review", "write")
DEFAULT_MINUTES = 30
DAY_RE = re.compile(r"^## Day (\d+)\s*:\s*(.+)$")
TASK_RE = re.compile(r"^- (\w+)\s*:\s*(.+?)\s*(?:\((\d+)\s*min\))?\s*$")


@dataclass
class PlanTask:
    kind: str
    text: str
    minutes: int = DEFAULT_MINUTES


@dataclass
class PlanDay:
    number: int
    title: str
    topics: list[str] = field(default_factory=list)
    tasks: list[PlanTask] = field(default_factory=list)
    line: int = 0


@dataclass
class PlanFile:
    name: str
    key: str
    description: str = ""
    rest_weekday: int | None = None  # 0 Monday ... 6 Sunday
    days: list[PlanDay] = field(default_factory=list)

    @property
    def topic_lines(self) -> dict[str, int]:
        """Each topic and the line of the first day that names it."""
        found: dict[str, int] = {}
        for day in self.days:
            for topic in day.topics:
                found.setdefault(topic, day.line + 1)
        return found


def parse_plan_bytes(data: bytes, path: str) -> PlanFile:
    return parse_plan(decode_utf8(data, path), path)


def parse_plan(text: str, path: str) -> PlanFile:
    name = key = None
    description, rest = "", None
    days: list[PlanDay] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if name is None:
            if not line.startswith("# "):
                raise FileFormatError(path, number, "a plan file starts with '# Plan name'")
            name = line[2:].strip()
            continue
        if line.startswith("## "):
            match = DAY_RE.match(line)
            if not match:
                raise FileFormatError(path, number, "a day heading reads '## Day N: Title'")
            expected = len(days) + 1
            if int(match.group(1)) != expected:
                raise FileFormatError(path, number, f"day {match.group(1)} is out of order: expected day {expected}")
            days.append(PlanDay(number=expected, title=match.group(2).strip(), line=number))
            continue
        if not days:
            if line.startswith("key:"):
                key = line[4:].strip()
                if not KEY_RE.match(key):
                    raise FileFormatError(path, number, f"bad plan key {key!r}")
            elif line.startswith("description:"):
                description = line[12:].strip()
            elif line.startswith("rest:"):
                value = line[5:].strip().lower()
                if value not in (*WEEKDAYS, "none"):
                    raise FileFormatError(path, number, f"rest must be a weekday or 'none', not {value!r}")
                rest = None if value == "none" else WEEKDAYS.index(value)
            else:
                raise FileFormatError(path, number, f"unexpected line in the plan header: {line.strip()[:60]!r}")
            continue
        day = days[-1]
        if line.startswith("topics:"):
            day.topics = line[7:].replace(",", " ").split()
        elif line.startswith("- "):
            match = TASK_RE.match(line)
            if not match:
                raise FileFormatError(path, number, "a task reads '- kind: what to do (N min)'")
            kind = match.group(1).lower()
            if kind not in TASK_KINDS:
                raise FileFormatError(path, number, f"unknown task kind {kind!r}: use one of {', '.join(TASK_KINDS)}")
            minutes = int(match.group(3)) if match.group(3) else DEFAULT_MINUTES
            if not 1 <= minutes <= 600:
                raise FileFormatError(path, number, "a task takes 1 to 600 minutes")
            day.tasks.append(PlanTask(kind, match.group(2).strip(), minutes))
        else:
            raise FileFormatError(path, number, f"unexpected line in day {day.number}: {line.strip()[:60]!r}")
    if name is None:
        raise FileFormatError(path, 1, "the plan has no '# Plan name' line")
    if key is None:
        raise FileFormatError(path, 1, "the plan header has no 'key:' line")
    if not days:
        raise FileFormatError(path, 1, "the plan has no days ('## Day 1: Title')")
    for day in days:
        if not day.tasks:
            raise FileFormatError(path, day.line, f"day {day.number} has no task")
    return PlanFile(name=name, key=key, description=description, rest_weekday=rest, days=days)
