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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from cards import browse, ops
from cards import schema as cards_schema
from cards.changes import Changes, OpResult
from cards.errors import FileFormatError, StudyPlannerError
from cards.queue import Pacing
from cards.stats import due_forecast
from cards.store import Store
from cards.timeutil import day_bounds, to_ms
from cards.wording import plural

from . import schema, synced
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

    @property
    def day_subject(self) -> str:
        """The day's own subject: its title without the phase it shares with its neighbours
        ("Foundations — vectors, matrices and shapes" -> "vectors, matrices and shapes")."""
        return self.day_title.split(" — ", 1)[-1]

    @property
    def label(self) -> str:
        """"Practice: Timed mock round (45 min)"; a text that starts with its kind ("Read the paper") is not
        prefixed with it again ("Read: Read the paper")."""
        starts_with_kind = self.text.split(maxsplit=1)[:1] == [self.kind.capitalize()]
        return f"{self.text if starts_with_kind else f'{self.kind.capitalize()}: {self.text}'} ({self.minutes} min)"


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
            if not cards_schema.is_damage(exc):
                raise
    except BaseException:
        store.close()
        raise
    return store


def attach(store: Store) -> None:
    if schema.ensure(store):
        load_builtin_plans(store)
        store.undo_stack.clear()  # the built-in plans come with a new store: nothing the learner did
    cache: dict[tuple, Pacing | None] = {}

    def pacing(day: date) -> Pacing | None:
        # Asked on every next card: kept until an edit, or another connection's commit, may change it.
        key = (day, store._edits, store.db.execute("PRAGMA data_version").fetchone()[0])
        if key not in cache:
            cache.clear()
            cache[key] = pacing_on(store, day)
        return cache[key]

    store.new_card_pacing = pacing
    windows: dict[tuple, list[tuple[set[str], tuple[date, date]]]] = {}

    def review_window(card) -> tuple[date, date] | None:
        key = (store.today().day, store._edits, store.db.execute("PRAGMA data_version").fetchone()[0])
        if key not in windows:
            windows.clear()
            windows[key] = exam_windows(store)
        tags = set(card.tags.split())
        for topics, window in windows[key]:
            if tags & topics:
                return window
        return None

    store.review_window = review_window
    store.synced_state = lambda: synced.outgoing(store)
    store.merge_synced_state = lambda data: synced.incoming(store, data)


def restore(
    store: Store, backup_path: Path, run: Callable[[Callable[[], Path]], Path] | None = None
) -> OpResult[Path]:
    """Put a backup in place of the store (the store as it was is backed up first: the value is that
    copy). Not undoable: the copy is the way back. run(fn) runs the file work (seconds for a large
    store: a backup of it, then the backup decompressed and copied in), where the caller wants it: the
    window, on a thread while its events go on; the rest, and the change notice, stay on the caller's."""
    safety = (run or (lambda work: work()))(lambda: store.restore_from(backup_path))
    attach(store)  # a backup from before plans existed gets their tables
    ops.begin_day(store)  # cards the backup had buried on an earlier day come back
    store.notify(Changes.ALL)
    store.count_as_backed_up()  # what changed is the backup's content: closing now writes no copy of it
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


PLAN_YEARS = 10  # how far from today a plan may start or an exam fall (9999-12-31 overflowed the calendar)


def _check_dates(store: Store, on: date, exam: date | None) -> None:
    today = store.today().day
    for name, day in (("start", on), ("exam date", exam)):
        if day is not None and abs((day - today).days) > PLAN_YEARS * 366:
            raise StudyPlannerError(f"the {name} {day} is more than {PLAN_YEARS} years from today")
    if exam is not None and exam < on:
        raise StudyPlannerError(f"the exam date {exam} is before the plan's start {on}")


def start_warnings(store: Store, key: str, on: date, exam: date | None = None) -> list[str]:
    """What a learner should hear before starting this plan on this date (the dialog and the command
    line ask before going on): the plan is already running, the start is in the past, it ends after
    the exam. An exam before the start is no warning but an error, as start_plan says."""
    plan = plan_by_key(store, key)
    _check_dates(store, on, exam)
    warnings = []
    for r in runs(store):
        if r.plan_key == key:
            warnings.append(f"{plan.name} is already running ({r.start:%d %b} – {r.end:%d %b}): "
                            "starting it again puts every task on the calendar twice.")  # fmt: skip
    dates = lay_out(on, plan.days, plan.rest_weekday)
    today = store.today().day
    behind = sum(d < today for d in dates)
    if behind:
        warnings.append(f"The first day is in the past: {behind} of its {plan.days} days start out missed.")
    if exam is not None and dates[-1] > exam:
        warnings.append(f"It ends on {dates[-1]:%a %d %b}, {(dates[-1] - exam).days} days after your exam.")
    return warnings


def start_plan(store: Store, key: str, on: date | None = None, exam: date | None = None) -> OpResult[Run]:
    """Start a plan on a date (default: tomorrow), with an optional exam or interview date (callers ask
    about start_warnings first)."""
    plan = plan_by_key(store, key)
    on = on or store.today().day + timedelta(days=1)
    _check_dates(store, on, exam)
    dates = lay_out(on, plan.days, plan.rest_weekday)
    on = dates[0]  # a start on the rest day begins the day after
    label = f"start {plan.name}"
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE, label) as db:
        count = db.execute("SELECT count(*) FROM plan_run").fetchone()[0]
        run_id = db.execute(
            "INSERT INTO plan_run (plan_id, start, exam, color, created_ms, changed_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (plan.id, on.isoformat(), exam.isoformat() if exam else None, COLORS[count % len(COLORS)],
             to_ms(store.clock.now()), to_ms(store.clock.now())),
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
        db.execute("UPDATE plan_run SET stopped = 1, changed_ms = ? WHERE id = ?", (to_ms(store.clock.now()), run_id))
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
    now = to_ms(store.clock.now())
    stamp = now if done else None
    label = f"{'tick' if done else 'untick'} {plural(len(task_ids), 'task')}"
    with store.operation(Changes.PLANS, label) as db:
        for task_id in task_ids:
            changed = db.execute("UPDATE run_task SET done_ms = ?, changed_ms = ? WHERE id = ?", (stamp, now, task_id))
            if changed.rowcount == 0:
                raise StudyPlannerError(f"no plan task with id {task_id} (see 'studyplanner plan show')")
    return OpResult(len(task_ids), Changes.PLANS, label)


def pacing_on(store: Store, day: date) -> Pacing | None:
    """Which new cards the running plans let come on a day: the day's topics first, then the topics of
    its earlier days (missed ones are caught up); a topic that only comes on a later day, or only in a
    plan that is not running, waits. New cards of no plan topic come after, or wait until the plan is
    over (a setting). None: no plan runs
    that day (before its first or after its last day, nothing is paced)."""
    pulled = [
        t
        for (text,) in store.db.execute(
            "SELECT r.ahead FROM plan_run r WHERE r.stopped = 0 AND r.id IN "
            "(SELECT run_id FROM run_day GROUP BY run_id HAVING min(date) <= ?1 AND max(date) >= ?1)",
            (day.isoformat(),),
        )
        for t in text.split()
    ]
    rows = store.db.execute(
        "SELECT rd.date, d.topics FROM run_day rd JOIN plan_run r ON r.id = rd.run_id AND r.stopped = 0 "
        "JOIN plan_day d ON d.plan_id = r.plan_id AND d.number = rd.day "
        "WHERE rd.run_id IN (SELECT run_id FROM run_day GROUP BY run_id HAVING min(date) <= ?1 AND max(date) >= ?1) "
        "ORDER BY rd.date",
        (day.isoformat(),),
    ).fetchall()
    if not rows:
        return None
    iso = day.isoformat()
    today = list(dict.fromkeys([*(t for when, text in rows if when == iso for t in text.split()), *pulled]))
    earlier = [t for t in dict.fromkeys(t for when, text in rows if when < iso for t in text.split()) if t not in today]
    later = dict.fromkeys(t for when, text in rows if when > iso for t in text.split())
    # The topics of plans not running wait for their plan: with the built-in plans' cards all in
    # built-in decks, "after the plan's cards" would otherwise fill a day with another plan's subjects.
    other_plans = dict.fromkeys(
        t
        for (text,) in store.db.execute(
            "SELECT d.topics FROM plan_day d WHERE d.plan_id NOT IN (SELECT r.plan_id FROM plan_run r "
            "WHERE r.stopped = 0 AND r.id IN (SELECT run_id FROM run_day GROUP BY run_id "
            "HAVING min(date) <= ?1 AND max(date) >= ?1))",
            (iso,),
        )
        for t in text.split()
    )
    held = [t for t in {**later, **other_plans} if t not in today and t not in earlier]
    return Pacing(today, earlier, held, others_wait=store.settings().new_outside_plan == "wait")


def new_cards_by_day(store: Store) -> tuple[dict[date, list[str]], dict[date, int]]:
    """Each date of the running plans: its topics, and the new cards the plan brings that day (a card
    comes on the first of its topics' days; a missed day's cards, today)."""
    today = store.today().day
    topics: dict[date, list[str]] = defaultdict(list)
    first_day: dict[str, date] = {}
    for when, text, ahead in store.db.execute(
        "SELECT rd.date, d.topics, r.ahead FROM run_day rd JOIN plan_run r ON r.id = rd.run_id AND r.stopped = 0 "
        "JOIN plan_day d ON d.plan_id = r.plan_id AND d.number = rd.day ORDER BY rd.date"
    ):
        day = date.fromisoformat(when)
        topics[day] += text.split()
        for topic in text.split():
            first_day.setdefault(topic, max(day, today))
        for topic in ahead.split():
            first_day[topic] = today
    cards: dict[date, int] = defaultdict(int)
    for tags, count in store.db.execute(
        "SELECT tags, count(*) FROM card INDEXED BY card_deck_new WHERE queue = 0 GROUP BY tags"
    ):
        days = [first_day[t] for t in tags.split() if t in first_day]
        if days:
            cards[min(days)] += count
    return dict(topics), dict(cards)


def exam_windows(store: Store) -> list[tuple[set[str], tuple[date, date]]]:
    """For each running plan with an exam still ahead: its topics, and the final window before the exam
    where its cards' reviews must fall. The window holds every topic card once at the daily review
    limit: ceil(cards / limit) days, at least one, ending the day before the exam."""
    today = store.today().day
    limit = max(1, store.settings().reviews_per_day)
    result = []
    for r in runs(store):
        if r.exam is None or r.exam <= today:
            continue
        topics = {t for (text,) in store.db.execute(
            "SELECT d.topics FROM plan_day d JOIN plan_run r ON r.plan_id = d.plan_id WHERE r.id = ?", (r.id,)
        ) for t in text.split()}  # fmt: skip
        if not topics:
            continue
        patterns = [f"% {t} %" for t in topics]
        (cards,) = store.db.execute(
            "SELECT count(*) FROM card WHERE queue != -1 AND (" + " OR ".join("tags LIKE ?" for _ in topics) + ")",
            patterns,
        ).fetchone()
        days = max(1, -(-cards // limit))
        last = r.exam - timedelta(days=1)
        result.append((topics, (last - timedelta(days=days - 1), last)))
    return result


def new_cards_of_topics(store: Store, topics: list[str]) -> dict[str, int]:
    """The new cards each topic would bring if studied ahead: tagged with it, and not coming today anyway."""
    pacing = pacing_on(store, store.today().day)
    coming = set(pacing.first) if pacing else set()
    counts = dict.fromkeys(topics, 0)
    for tags, count in store.db.execute(
        "SELECT tags, count(*) FROM card INDEXED BY card_deck_new WHERE queue = 0 GROUP BY tags"
    ):
        own = set(tags.split())
        if not own & coming:
            for topic in own & counts.keys():
                counts[topic] += count
    return counts


def later_topics(store: Store, run_id: int) -> list[str]:
    """Topics that only come on the plan's days after today (and were not pulled in yet), in plan order."""
    today = store.today().day
    pacing = pacing_on(store, today)
    if pacing is None:
        return []
    later = [
        t
        for (text,) in store.db.execute(
            "SELECT d.topics FROM run_day rd JOIN plan_run r ON r.id = rd.run_id "
            "JOIN plan_day d ON d.plan_id = r.plan_id AND d.number = rd.day "
            "WHERE rd.run_id = ? AND rd.date > ? ORDER BY rd.date",
            (run_id, today.isoformat()),
        )
        for t in text.split()
    ]
    return [t for t in dict.fromkeys(later) if t in pacing.held]


def study_ahead(store: Store, run_id: int, topic: str) -> OpResult[Run]:
    """Pull a later day's topic in now: its new cards come from today on (undoable)."""
    ahead = run(store, run_id)
    if topic not in later_topics(store, run_id):
        raise StudyPlannerError(f"{topic!r} is no later topic of {ahead.plan_name} (see 'studyplanner plan show')")
    label = f"study {topic} ahead"
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE, label) as db:
        db.execute(
            "UPDATE plan_run SET ahead = trim(ahead || ' ' || ?), changed_ms = ? WHERE id = ?",
            (topic, to_ms(store.clock.now()), run_id),
        )
    return OpResult(ahead, Changes.PLANS | Changes.STUDY_QUEUE, label)


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


@dataclass(frozen=True)
class Shift:
    """What shifting a plan would do: (day number, old date, new date) for each day that moves."""

    run: Run
    moves: list[tuple[int, date, date]]

    @property
    def end(self) -> date:
        return self.moves[-1][2] if self.moves else self.run.end

    def text(self) -> str:
        if not self.moves:
            return f"{self.run.plan_name} has no unfinished past day: nothing to shift."
        first, last = self.moves[0], self.moves[-1]
        text = (f"Days {first[0]}–{last[0]} of {self.run.plan_name} move to {first[2]:%a %d %b} – "
                f"{last[2]:%a %d %b}; the plan then ends on {self.end:%a %d %b %Y}.")  # fmt: skip
        if self.run.exam and self.end > self.run.exam:
            text += f" That is after your exam on {self.run.exam:%a %d %b}."
        return text


def plan_shift(store: Store, run_id: int) -> Shift:
    """The plan's days from the first unfinished past one, laid out again from today (a preview: it reads only)."""
    today = store.today().day
    rest = _rest_weekday(store, run_id)
    (first_open,) = store.db.execute(
        "SELECT min(d.day) FROM run_day d JOIN run_task t ON t.run_id = d.run_id AND t.date = d.date "
        "WHERE d.run_id = ? AND t.done_ms IS NULL AND d.date < ?",
        (run_id, today.isoformat()),
    ).fetchone()
    days = [] if first_open is None else store.db.execute(
        "SELECT day, date FROM run_day WHERE run_id = ? AND day >= ? ORDER BY day", (run_id, first_open)
    ).fetchall()  # fmt: skip
    moves = [(n, date.fromisoformat(old), new) for (n, old), new in zip(days, lay_out(today, len(days), rest))]
    return Shift(run(store, run_id), moves)


def shift_remaining(store: Store, shift: Shift) -> OpResult[Run]:
    """Move the rest of the plan forward as previewed, so its first unfinished day is today (undoable)."""
    run_id = shift.run.id
    label = "shift the plan"
    now = to_ms(store.clock.now())
    with store.operation(Changes.PLANS | Changes.STUDY_QUEUE, label) as db:
        db.execute("UPDATE plan_run SET changed_ms = ? WHERE id = ?", (now, run_id))
        for number, old, when in shift.moves:
            db.execute("UPDATE run_day SET date = ? WHERE run_id = ? AND day = ?", (when.isoformat(), run_id, number))
            db.execute(
                "UPDATE run_task SET date = ?, changed_ms = ? WHERE run_id = ? AND date = ? AND done_ms IS NULL "
                "AND task_id IN (SELECT id FROM plan_task WHERE day = ?)",
                (when.isoformat(), now, run_id, old.isoformat(), number),
            )
    return OpResult(run(store, run_id), Changes.PLANS | Changes.STUDY_QUEUE, label)


@dataclass(frozen=True)
class SpreadDay:
    date: date
    tasks: int  # missed tasks put on this day
    minutes: int  # their minutes
    planned_minutes: int  # minutes of unfinished tasks already on this day (every running plan)


@dataclass(frozen=True)
class Spread:
    """Where spreading a plan's missed tasks would put them, within the daily minutes budget."""

    run: Run
    moves: list[tuple[int, date]]  # (run task id, new date)
    days: list[SpreadDay]
    budget: int

    def text(self) -> str:
        if not self.moves:
            return f"{self.run.plan_name} has no missed task to spread."
        minutes = sum(d.minutes for d in self.days)
        lines = [f"{plural(len(self.moves), 'missed task')} ({minutes} min) over {plural(len(self.days), 'day')}, "
                 f"at most {self.budget} min of plan tasks a day:"]  # fmt: skip
        for d in self.days:
            already = f", with {d.planned_minutes} min already planned" if d.planned_minutes else ""
            lines.append(f"  {d.date:%a %d %b}: {plural(d.tasks, 'task')}, {d.minutes} min{already}")
        last = self.days[-1].date
        if self.run.exam and last > self.run.exam:
            lines.append(
                f"The backlog does not fit before your exam on {self.run.exam:%a %d %b}: it runs to {last:%a %d %b}."
            )
        return "\n".join(lines)


def plan_spread(store: Store, run_id: int, budget: int | None = None) -> Spread:
    """Missed tasks (unfinished, dated before today), oldest first, laid on the next study days so no day
    holds more than `budget` minutes of plan tasks (the setting by default) with what is already planned
    there; a task longer than the budget gets a day of its own. A preview: it reads only."""
    budget = budget or store.settings().daily_minutes
    today = store.today().day
    rest = _rest_weekday(store, run_id)
    missed = store.db.execute(
        "SELECT rt.id, t.minutes FROM run_task rt JOIN plan_task t ON t.id = rt.task_id "
        "WHERE rt.run_id = ? AND rt.done_ms IS NULL AND rt.date < ? ORDER BY rt.date, rt.id",
        (run_id, today.isoformat()),
    ).fetchall()
    moves: list[tuple[int, date]] = []
    days: list[SpreadDay] = []
    day, index = today, 0
    while index < len(missed):
        if day.weekday() != rest:
            planned = _planned_minutes(store, day)
            tasks = minutes = 0
            while index < len(missed) and (planned + minutes + missed[index][1] <= budget or tasks == planned == 0):
                moves.append((missed[index][0], day))
                tasks, minutes, index = tasks + 1, minutes + missed[index][1], index + 1
            if tasks:
                days.append(SpreadDay(day, tasks, minutes, planned))
        day += timedelta(days=1)
    return Spread(run(store, run_id), moves, days, budget)


def _planned_minutes(store: Store, day: date) -> int:
    (minutes,) = store.db.execute(
        "SELECT coalesce(sum(t.minutes), 0) FROM run_task rt JOIN plan_run r ON r.id = rt.run_id AND r.stopped = 0 "
        "JOIN plan_task t ON t.id = rt.task_id WHERE rt.date = ? AND rt.done_ms IS NULL",
        (day.isoformat(),),
    ).fetchone()
    return minutes


def spread_missed(store: Store, spread: Spread) -> OpResult[int]:
    """Move the missed tasks as previewed (undoable); the value is how many moved."""
    label = f"spread {plural(len(spread.moves), 'missed task')}"
    with store.operation(Changes.PLANS, label) as db:
        now = to_ms(store.clock.now())
        db.executemany("UPDATE run_task SET date = ?, changed_ms = ? WHERE id = ?",
                       [(d.isoformat(), now, t) for t, d in spread.moves])  # fmt: skip
    return OpResult(len(spread.moves), Changes.PLANS, label)


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
