"""Study plans: import, start on dates, tick tasks, progress, catching up.

A plan is a list of numbered days of tasks. Starting it (a "run") lays its days
out on real dates from a start date, skipping its rest weekday; each task of the
run gets a date, which catching up can move. A day's topics (card tags) make the
store introduce those new cards first on that day.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from cards import browse, ops
from cards.changes import Changes, OpResult
from cards.errors import FileFormatError, StudyPlannerError
from cards.stats import due_forecast
from cards.store import Store
from cards.timeutil import day_bounds, to_ms

from . import schema
from .planfile import PlanFile, parse_plan_bytes

COLORS = ("#3a6ff7", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0891b2")


class UnknownPlan(StudyPlannerError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no plan with key {key!r} (see 'studyplanner plan list')")


@dataclass(frozen=True)
class PlanInfo:
    id: int
    key: str
    name: str
    description: str
    days: int
    minutes: int
    rest_weekday: int | None


@dataclass(frozen=True)
class Run:
    id: int
    plan_key: str
    plan_name: str
    start: date
    exam: date | None
    color: str
    end: date  # the date of the plan's last day, as laid out now


@dataclass(frozen=True)
class TaskItem:
    id: int  # the run task's id: what `plan done` takes
    run_id: int
    plan_name: str
    color: str
    date: date
    day: int
    day_title: str
    kind: str
    text: str
    minutes: int
    done: bool


@dataclass(frozen=True)
class WeekProgress:
    start: date
    tasks_done: int
    tasks_planned: int
    cards_introduced: int
    cards_reviewed: int
    retention: float | None  # pass rate of review answers on the week's topics
    minutes_spent: int  # answer time on the week's topics plus the minutes of tasks done


# --------------------------------------------------------------------- opening


def open_store(path: str | Path | None = None, **kwargs) -> Store:
    """Open a store with the planner attached: its tables, built-in plans, topic priority."""
    store = Store.open(path, **kwargs)
    try:
        attach(store)
        try:
            ops.begin_day(store)
        except sqlite3.DatabaseError as exc:
            # Damage is not this function's to report: the window's first read finds it and offers a
            # backup (ui/app.open_window); the command line says so at its first read.
            if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                raise
    except BaseException:
        store.close()
        raise
    return store


def attach(store: Store) -> None:
    if schema.ensure(store):
        load_builtin_plans(store)
        store.undo_stack.clear()  # the built-in plans come with a new store: nothing the learner did
    store.new_card_priority = lambda day: topics_on(store, day)


def restore(store: Store, backup_path: Path) -> OpResult[Path]:
    """Put a backup in place of the store (the store as it was is backed up first: the value is that
    copy). Not undoable: the copy is the way back."""
    safety = store.restore_from(backup_path)
    attach(store)  # a backup from before plans existed gets their tables
    ops.begin_day(store)  # cards the backup had buried on an earlier day come back
    store.notify(Changes.ALL)
    return OpResult(safety, Changes.ALL)


def load_builtin_plans(store: Store) -> None:
    for item in sorted(resources.files("planner.builtin").iterdir(), key=lambda p: p.name):
        if item.name.endswith(".md"):
            import_plan(
                store,
                parse_plan_bytes(item.read_bytes(), f"planner/builtin/{item.name}"),
                f"builtin:{item.name}",
                check_topics=False,
            )


# --------------------------------------------------------------------- plans


def import_plan(
    store: Store, plan: PlanFile, source: str = "", path: str = "", check_topics: bool = True
) -> OpResult[int]:
    """Add a plan (or replace one with the same key that has never been started); the value is its id.

    A learner's plan must name topics their cards have. The built-in plans are
    checked against the built-in decks by the tests instead, and stay available
    in a store without those decks.
    """
    known_tags = set(browse.all_tags(store.db)) if check_topics else set()
    for topic, line in plan.topic_lines.items() if check_topics else ():
        if topic not in known_tags:
            raise FileFormatError(
                path or source or plan.key, line, f"unknown deck topic {topic!r}: no card has this tag"
            )
    label = f"import plan {plan.name}"
    with store.operation(Changes.PLANS, label) as db:
        row = db.execute("SELECT id FROM plan WHERE key = ?", (plan.key,)).fetchone()
        if row:
            if db.execute("SELECT 1 FROM plan_run WHERE plan_id = ?", (row[0],)).fetchone():
                raise StudyPlannerError(f"the plan {plan.key!r} has been started; it cannot be replaced")
            db.execute("DELETE FROM plan WHERE id = ?", (row[0],))
        plan_id = db.execute(
            "INSERT INTO plan (key, name, description, rest_weekday, source) VALUES (?, ?, ?, ?, ?)",
            (plan.key, plan.name, plan.description, plan.rest_weekday, source),
        ).lastrowid
        for day in plan.days:
            db.execute(
                "INSERT INTO plan_day (plan_id, number, title, topics) VALUES (?, ?, ?, ?)",
                (plan_id, day.number, day.title, " ".join(day.topics)),
            )
            for position, task in enumerate(day.tasks):
                db.execute(
                    "INSERT INTO plan_task (plan_id, day, position, kind, text, minutes) VALUES (?, ?, ?, ?, ?, ?)",
                    (plan_id, day.number, position, task.kind, task.text, task.minutes),
                )
    return OpResult(plan_id or 0, Changes.PLANS, label)


def plans(store: Store) -> list[PlanInfo]:
    return [
        PlanInfo(*row)
        for row in store.db.execute(
            "SELECT p.id, p.key, p.name, p.description, "
            "(SELECT count(*) FROM plan_day d WHERE d.plan_id = p.id), "
            "(SELECT coalesce(sum(minutes), 0) FROM plan_task t WHERE t.plan_id = p.id), p.rest_weekday "
            "FROM plan p ORDER BY p.id"
        )
    ]


def plan_by_key(store: Store, key: str) -> PlanInfo:
    for plan in plans(store):
        if plan.key == key:
            return plan
    raise UnknownPlan(key)


# --------------------------------------------------------------------- dates


def lay_out(start: date, days: int, rest_weekday: int | None) -> list[date]:
    """The dates of a plan's days from `start`, skipping the rest weekday."""
    dates: list[date] = []
    current = start
    while len(dates) < days:
        if current.weekday() != rest_weekday:
            dates.append(current)
        current += timedelta(days=1)
    return dates


def start_plan(store: Store, key: str, on: date | None = None, exam: date | None = None) -> OpResult[Run]:
    """Start a plan on a date (default: tomorrow), with an optional exam or interview date."""
    plan = plan_by_key(store, key)
    on = on or store.today().day + timedelta(days=1)
    if exam is not None and exam < on:
        raise StudyPlannerError(f"the exam date {exam} is before the plan's start {on}")
    dates = lay_out(on, plan.days, plan.rest_weekday)
    on = dates[0]  # a start on the rest day begins the day after
    label = f"start {plan.name}"
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE, label) as db:
        count = db.execute("SELECT count(*) FROM plan_run").fetchone()[0]
        run_id = db.execute(
            "INSERT INTO plan_run (plan_id, start, exam, color, created_ms) VALUES (?, ?, ?, ?, ?)",
            (plan.id, on.isoformat(), exam.isoformat() if exam else None, COLORS[count % len(COLORS)],
             to_ms(store.clock.now())),
        ).lastrowid  # fmt: skip
        for number, when in enumerate(dates, start=1):
            db.execute("INSERT INTO run_day (run_id, day, date) VALUES (?, ?, ?)", (run_id, number, when.isoformat()))
        db.execute(
            "INSERT INTO run_task (run_id, task_id, date) "
            "SELECT ?, t.id, d.date FROM plan_task t JOIN run_day d ON d.run_id = ? AND d.day = t.day "
            "WHERE t.plan_id = ? ORDER BY t.day, t.position",
            (run_id, run_id, plan.id),
        )
    return OpResult(run(store, run_id or 0), Changes.PLANS | Changes.STUDY_QUEUE, label)


def stop_run(store: Store, run_id: int) -> OpResult[Run]:
    """Stop a running plan: its tasks leave the calendar and its topics no longer pace the new cards."""
    stopped = run(store, run_id)
    label = f"stop {stopped.plan_name}"
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE, label) as db:
        db.execute("UPDATE plan_run SET stopped = 1 WHERE id = ?", (run_id,))
    return OpResult(stopped, Changes.PLANS | Changes.STUDY_QUEUE, label)


def runs(store: Store, include_stopped: bool = False) -> list[Run]:
    where = "" if include_stopped else "WHERE r.stopped = 0"
    return [
        _run(row)
        for row in store.db.execute(
            "SELECT r.id, p.key, p.name, r.start, r.exam, r.color, "
            "max((SELECT max(date) FROM run_day WHERE run_id = r.id), "
            "coalesce((SELECT max(date) FROM run_task WHERE run_id = r.id), '')) "
            f"FROM plan_run r JOIN plan p ON p.id = r.plan_id {where} ORDER BY r.id"
        )
    ]


def run(store: Store, run_id: int) -> Run:
    for r in runs(store, include_stopped=True):
        if r.id == run_id:
            return r
    raise StudyPlannerError(f"no running plan with id {run_id}")


def _run(row: tuple) -> Run:
    run_id, key, name, start, exam, color, end = row
    return Run(run_id, key, name, date.fromisoformat(start), date.fromisoformat(exam) if exam else None, color,
               date.fromisoformat(end))  # fmt: skip


# --------------------------------------------------------------------- tasks


def tasks_between(store: Store, first: date, last: date) -> dict[date, list[TaskItem]]:
    """Every task of the running plans dated first..last, by date."""
    result: dict[date, list[TaskItem]] = defaultdict(list)
    for row in store.db.execute(
        "SELECT rt.id, r.id, p.name, r.color, rt.date, t.day, d.title, t.kind, t.text, t.minutes, rt.done_ms "
        "FROM run_task rt JOIN plan_run r ON r.id = rt.run_id AND r.stopped = 0 "
        "JOIN plan p ON p.id = r.plan_id JOIN plan_task t ON t.id = rt.task_id "
        "JOIN plan_day d ON d.plan_id = t.plan_id AND d.number = t.day "
        "WHERE rt.date BETWEEN ? AND ? ORDER BY rt.date, r.id, t.day, t.position",
        (first.isoformat(), last.isoformat()),
    ):
        when = date.fromisoformat(row[4])
        task_id, run_id, plan_name, color, _, day, day_title, kind, text, minutes, done_ms = row
        result[when].append(
            TaskItem(task_id, run_id, plan_name, color, when, day, day_title, kind, text, minutes, done_ms is not None)
        )
    return dict(result)


def set_done(store: Store, task_ids: list[int], done: bool = True) -> OpResult[int]:
    """Tick tasks done (or not done again); undoable like any tick."""
    stamp = to_ms(store.clock.now()) if done else None
    label = f"{'tick' if done else 'untick'} {len(task_ids)} task{'s' if len(task_ids) != 1 else ''}"
    with store.operation(Changes.PLANS, label) as db:
        for task_id in task_ids:
            if db.execute("UPDATE run_task SET done_ms = ? WHERE id = ?", (stamp, task_id)).rowcount == 0:
                raise StudyPlannerError(f"no plan task with id {task_id} (see 'studyplanner plan show')")
    return OpResult(len(task_ids), Changes.PLANS, label)


def topics_on(store: Store, day: date) -> list[str]:
    """The deck topics the running plans schedule for a date."""
    topics: list[str] = []
    for (text,) in store.db.execute(
        "SELECT d.topics FROM run_day rd JOIN plan_run r ON r.id = rd.run_id AND r.stopped = 0 "
        "JOIN plan_day d ON d.plan_id = r.plan_id AND d.number = rd.day WHERE rd.date = ?",
        (day.isoformat(),),
    ):
        topics += [t for t in text.split() if t not in topics]
    return topics


def cards_due_on(store: Store, days: list[date]) -> dict[date, int]:
    """Cards due on each date: today counts the whole queue, later days the forecast."""
    today = store.today().day
    forecast = due_forecast(store, [d for d in days if d > today])
    return {d: store.queue_counts().total if d == today else forecast.get(d, 0) for d in days if d >= today}


# --------------------------------------------------------------------- catching up


def days_behind(store: Store, run_id: int) -> int:
    """Past dates of the plan that still have unfinished tasks."""
    today = store.today().day.isoformat()
    (count,) = store.db.execute(
        "SELECT count(DISTINCT date) FROM run_task WHERE run_id = ? AND done_ms IS NULL AND date < ?",
        (run_id, today),
    ).fetchone()
    return count


def _rest_weekday(store: Store, run_id: int) -> int | None:
    row = store.db.execute(
        "SELECT p.rest_weekday FROM plan_run r JOIN plan p ON p.id = r.plan_id WHERE r.id = ?", (run_id,)
    ).fetchone()
    if row is None:
        raise StudyPlannerError(f"no running plan with id {run_id}")
    return row[0]


def _shifted_days(store: Store, run_id: int) -> list[tuple[int, date]]:
    """The plan's days from the first unfinished past one, laid out again from today."""
    today = store.today().day
    rest = _rest_weekday(store, run_id)
    (first_open,) = store.db.execute(
        "SELECT min(d.day) FROM run_day d JOIN run_task t ON t.run_id = d.run_id AND t.date = d.date "
        "WHERE d.run_id = ? AND t.done_ms IS NULL AND d.date < ?",
        (run_id, today.isoformat()),
    ).fetchone()
    if first_open is None:
        return []
    days = [row[0] for row in store.db.execute(
        "SELECT day FROM run_day WHERE run_id = ? AND day >= ? ORDER BY day", (run_id, first_open)
    )]  # fmt: skip
    return list(zip(days, lay_out(today, len(days), rest)))


def shifted_end(store: Store, run_id: int) -> date:
    """Where the plan would end if shifted now (to warn about the exam date before shifting)."""
    moves = _shifted_days(store, run_id)
    return moves[-1][1] if moves else run(store, run_id).end


def shift_remaining(store: Store, run_id: int) -> OpResult[Run]:
    """Move the rest of the plan forward so its first unfinished day is today (undoable)."""
    moves = _shifted_days(store, run_id)
    label = "shift the plan"
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE, label) as db:
        for number, when in moves:
            old = db.execute("SELECT date FROM run_day WHERE run_id = ? AND day = ?", (run_id, number)).fetchone()[0]
            db.execute("UPDATE run_day SET date = ? WHERE run_id = ? AND day = ?", (when.isoformat(), run_id, number))
            db.execute(
                "UPDATE run_task SET date = ? WHERE run_id = ? AND date = ? AND done_ms IS NULL "
                "AND task_id IN (SELECT id FROM plan_task WHERE day = ?)",
                (when.isoformat(), run_id, old, number),
            )
    return OpResult(run(store, run_id), Changes.PLANS | Changes.STUDY_QUEUE, label)


def spread_missed(store: Store, run_id: int, over_days: int = 3) -> OpResult[int]:
    """Spread unfinished past tasks over the next study days (undoable); the value is how many moved."""
    if over_days < 1:
        raise StudyPlannerError("spread over at least one day")
    today = store.today().day
    rest = _rest_weekday(store, run_id)
    missed = [row[0] for row in store.db.execute(
        "SELECT id FROM run_task WHERE run_id = ? AND done_ms IS NULL AND date < ? ORDER BY date, id",
        (run_id, today.isoformat()),
    )]  # fmt: skip
    targets = lay_out(today, over_days, rest)
    label = f"spread {len(missed)} missed task{'s' if len(missed) != 1 else ''}"
    with store.operation(Changes.PLANS, label) as db:
        for index, task_id in enumerate(missed):
            db.execute("UPDATE run_task SET date = ? WHERE id = ?", (targets[index % over_days].isoformat(), task_id))
    return OpResult(len(missed), Changes.PLANS, label)


# --------------------------------------------------------------------- progress


def weekly_progress(store: Store, run_id: int) -> list[WeekProgress]:
    """For each week of a run up to the current one: tasks, cards and time on the week's topics."""
    current = run(store, run_id)
    today = store.today().day
    hour = store.settings().day_start_hour
    weeks = []
    week_start = current.start
    while week_start <= min(today, current.end):
        week_end = week_start + timedelta(days=6)
        done, planned, task_minutes = store.db.execute(
            "SELECT count(rt.done_ms), count(*), coalesce(sum(CASE WHEN rt.done_ms IS NOT NULL THEN t.minutes END), 0) "
            "FROM run_task rt JOIN plan_task t ON t.id = rt.task_id WHERE rt.run_id = ? AND rt.date BETWEEN ? AND ?",
            (run_id, week_start.isoformat(), week_end.isoformat()),
        ).fetchone()
        topics: set[str] = set()
        for offset in range(7):
            topics.update(topics_of_run_on(store, run_id, week_start + timedelta(days=offset)))
        introduced = reviewed = passed = answered = 0
        answer_ms = 0
        if topics:
            start_ms = to_ms(day_bounds(week_start, hour, store.tz)[0])
            end_ms = to_ms(day_bounds(week_end, hour, store.tz)[1])
            tag_filter = " OR ".join("c.tags LIKE ?" for _ in topics)
            introduced, reviewed, passed, answered, answer_ms = store.db.execute(
                "SELECT sum(r.state_before = 0), count(*), sum(r.state_before = 2 AND r.rating > 1), "
                "sum(r.state_before = 2), coalesce(sum(r.duration_ms), 0) "
                f"FROM review r JOIN card c ON c.id = r.card_id WHERE r.id >= ? AND r.id < ? AND ({tag_filter})",
                (start_ms, end_ms, *[f"% {t} %" for t in sorted(topics)]),
            ).fetchone()
        weeks.append(
            WeekProgress(
                start=week_start,
                tasks_done=done,
                tasks_planned=planned,
                cards_introduced=introduced or 0,
                cards_reviewed=reviewed or 0,
                retention=(passed / answered) if answered else None,
                minutes_spent=round((answer_ms or 0) / 60000) + task_minutes,
            )
        )
        week_start += timedelta(days=7)
    return weeks


def topics_of_run_on(store: Store, run_id: int, day: date) -> list[str]:
    row = store.db.execute(
        "SELECT d.topics FROM run_day rd JOIN plan_run r ON r.id = rd.run_id "
        "JOIN plan_day d ON d.plan_id = r.plan_id AND d.number = rd.day WHERE rd.run_id = ? AND rd.date = ?",
        (run_id, day.isoformat()),
    ).fetchone()
    return row[0].split() if row else []


def to_json(value) -> str:
    """JSON for the command line (dates as ISO strings)."""
    return json.dumps(value, indent=2, default=lambda v: v.isoformat() if isinstance(v, date) else v.__dict__)
