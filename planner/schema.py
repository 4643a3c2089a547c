"""The planner's tables, in the same store file, with their own version number.

cards/ knows nothing of plans, so the planner keeps its schema version in the
store's setting table and upgrades it the same way: one transaction a step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import cast

from cards.store import Store

VERSION_KEY = "planner_schema_version"


def _v1(db: sqlite3.Connection) -> None:
    for statement in (
        """CREATE TABLE plan (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            rest_weekday INTEGER,
            source TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE plan_day (
            plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            title TEXT NOT NULL,
            topics TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (plan_id, number)
        )""",
        """CREATE TABLE plan_task (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
            day INTEGER NOT NULL,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            minutes INTEGER NOT NULL
        )""",
        """CREATE TABLE plan_run (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
            start TEXT NOT NULL,
            exam TEXT,
            color TEXT NOT NULL,
            stopped INTEGER NOT NULL DEFAULT 0,
            created_ms INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE run_day (
            run_id INTEGER NOT NULL REFERENCES plan_run(id) ON DELETE CASCADE,
            day INTEGER NOT NULL,
            date TEXT NOT NULL,
            PRIMARY KEY (run_id, day)
        )""",
        "CREATE INDEX run_day_date ON run_day (date)",
        """CREATE TABLE run_task (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES plan_run(id) ON DELETE CASCADE,
            task_id INTEGER NOT NULL REFERENCES plan_task(id) ON DELETE CASCADE,
            date TEXT NOT NULL,
            done_ms INTEGER
        )""",
        "CREATE INDEX run_task_date ON run_task (date)",
        "CREATE INDEX run_task_run ON run_task (run_id, date)",
    ):
        db.execute(statement)


def _v2(db: sqlite3.Connection) -> None:
    """Topics of a plan's later days the learner pulled in early ("study ahead"), space-separated."""
    db.execute("ALTER TABLE plan_run ADD COLUMN ahead TEXT NOT NULL DEFAULT ''")


def _v3(db: sqlite3.Connection) -> None:
    """When a run (stopped, moved, studied ahead) and each of its tasks (ticked, unticked, moved) last
    changed: a sync keeps the later change of each (planner/synced.py)."""
    db.execute("ALTER TABLE plan_run ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE run_task ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE plan_run SET changed_ms = created_ms")
    db.execute("UPDATE run_task SET changed_ms = coalesce(done_ms, 0)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


def ensure(store: Store) -> bool:
    """Bring the planner's tables up to date; True when they were just created."""
    version = int(cast(int, store.get_value(VERSION_KEY, 0)))  # put_value below stores it as a JSON integer
    if version > SCHEMA_VERSION:
        from cards.errors import StoreError

        raise StoreError(f"{store.path} holds plans from a newer Study Planner; update the app to open it")
    for target in range(version, SCHEMA_VERSION):
        with store.transaction() as db:
            MIGRATIONS[target](db)
            store.put_value(db, VERSION_KEY, target + 1)
    store.recorder.install()  # the plan tables' changes are undone like the cards'
    return version == 0
