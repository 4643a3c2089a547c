"""Undo by the store's own change log: what an undoable operation wrote, recorded so it can be put back.

Temporary triggers on every table of the store hand Python, for each row a
transaction inserts, updates or deletes, what is needed to put that row back:
its table and rowid, and the old values (for an update, only those that
changed). An undoable operation keeps that record as its undo step; any other
transaction drops it. Undoing replays a step's records in reverse order in one
transaction, so every operation is undone exactly, review log and cascades
included, without code of its own. The statements a replay runs are the same
few for every step of a kind, so SQLite prepares each once. An undo is itself
recorded: that record is its redo step, and a redo replays it the same way
(recorded again, for the next undo).

The triggers are TEMP (this connection's only: nothing is written to the store's
schema). Bulk work that is not undoable pauses them, and pays one flag test a row.

A step is valid only while no other program has changed the store since: the
store checks SQLite's data_version before undoing (store.py), and drops the
stack when another process has committed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from .changes import Changes
from .errors import NothingToUndo

MAX_STEPS = 30  # as Anki keeps
# What a trigger hands over: (table, kind, rowid, changed-columns mask, old values...).
Record = tuple
INSERTED, UPDATED, DELETED, INSERTED_RANGE = "I", "U", "D", "R"


@dataclass(frozen=True)
class Step:
    label: str  # what the learner sees: "Undo delete 3 cards" shows "delete 3 cards"
    changes: Changes
    records: list[Record]  # newest first: the order they are put back in
    card_id: int | None = None  # the card a review action concerned, shown again after its undo


@dataclass
class UndoStack:
    """Shared by every connection of one process to one store (the window's and its worker's): the steps to
    undo, and those undone, to redo."""

    steps: list[Step] = field(default_factory=list)
    undone: list[Step] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, step: Step, merge: bool = False) -> None:
        """A new operation's step; with merge, folded into the step on top when that one has the same label.
        What was undone before it can no longer be redone: its rows may be the ones this step changed."""
        with self.lock:
            if merge and self.steps and self.steps[-1].label == step.label:
                top = self.steps.pop()
                step = Step(step.label, step.changes | top.changes, step.records + top.records, step.card_id)
            self.steps.append(step)
            del self.steps[:-MAX_STEPS]
            self.undone.clear()

    def top(self, undone: bool = False) -> Step:
        """The step an undo (or with undone, a redo) would replay."""
        with self.lock:
            steps = self.undone if undone else self.steps
            if not steps:
                raise NothingToUndo("nothing to redo" if undone else "nothing to undo")
            return steps[-1]

    def undid(self, redo: Step) -> None:
        """The step on top was undone; redo is its undo's record."""
        with self.lock:
            self.steps.pop()
            self.undone.append(redo)

    def redid(self, undo: Step) -> None:
        """The undone step on top was redone; undo is its redo's record."""
        with self.lock:
            self.undone.pop()
            self.steps.append(undo)

    def clear(self) -> None:
        with self.lock:
            self.steps.clear()
            self.undone.clear()

    @property
    def label(self) -> str | None:
        with self.lock:
            return self.steps[-1].label if self.steps else None

    @property
    def redo_label(self) -> str | None:
        with self.lock:
            return self.undone[-1].label if self.undone else None


class Recorder:
    """One connection's recording: its triggers, whether they record, and what they recorded."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.records: list[Record] = []
        self.columns: dict[str, tuple[str, ...]] = {}
        # Whether to record is a row of a TEMP table, read in SQL: a Python call from every trigger's
        # WHEN (about 3 us, for the GIL) would slow every bulk write. Recording is on unless paused
        # (bulk work that is not undoable, an undo itself), so an answer pays no statement to switch
        # it; what a trigger records goes to a Python list, in order, without a statement either.
        # Every transaction starts the list afresh, and takes or drops it before its commit.
        db.execute("CREATE TEMP TABLE IF NOT EXISTS undo_state (recording INTEGER NOT NULL)")
        db.execute("INSERT INTO undo_state SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM undo_state)")
        db.create_function("undo_record", -1, lambda *row: self.records.append(row))
        self.install()

    def install(self) -> None:
        """Triggers over every table of the store (again after a layer above adds tables of its own:
        tables already covered are skipped)."""
        for (table,) in self.db.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall():
            if table not in self.columns:
                self.columns[table] = _columns(self.db, table)
                for trigger in _triggers(table, self.columns[table]):
                    self.db.execute(trigger)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Inside a transaction: write without recording (bulk work that is not undoable, an undo itself)."""
        self.db.execute("UPDATE undo_state SET recording = 0")
        try:
            yield
        finally:
            self.db.execute("UPDATE undo_state SET recording = 1")

    def take(self) -> list[Record]:
        """What the transaction wrote, newest first: (table, kind, rowid, changed-columns mask, old values...)."""
        taken = self.records[::-1]
        self.records.clear()
        return taken

    def replay(self, step: Step) -> None:
        """Inside a transaction: put back every row the step changed."""
        if any(record[1] == DELETED for record in step.records):
            # Put-back rows may come before their parents: check the foreign keys at commit. Only then:
            # deferred checks make every other write of the transaction slower.
            self.db.execute("PRAGMA defer_foreign_keys = ON")
        for table, kind, rowid, mask, *values in step.records:
            columns = self.columns[table]
            if kind == INSERTED:
                self.db.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))
            elif kind == INSERTED_RANGE:
                self.db.execute(f"DELETE FROM {table} WHERE rowid BETWEEN ? AND ?", (rowid, values[0]))
            elif kind == DELETED:
                self.db.execute(_insert_sql(table, columns), (rowid, *values))
            else:
                changed = [v for i, v in enumerate(values) if mask >> i & 1]
                self.db.execute(_update_sql(table, columns, mask), (*changed, rowid))


@contextmanager
def bulk_insert(db: sqlite3.Connection, table: str) -> Iterator[None]:
    """Many rows inserted into one table, each given the next rowid (none named): while recording, they
    are recorded as one rowid range instead of row by row. The table's insert trigger is set aside
    meanwhile: its per-row cost is a tenth of a 10,000-card import."""
    if not db.execute("SELECT recording FROM undo_state").fetchone()[0]:
        yield
        return
    (before,) = db.execute(f"SELECT coalesce(max(rowid), 0) FROM main.{table}").fetchone()
    insert_trigger = _triggers(table, _columns(db, table))[0]
    db.execute(f"DROP TRIGGER temp.undo_{table}_insert")
    try:
        yield
    finally:
        db.execute(insert_trigger)
    (after,) = db.execute(f"SELECT coalesce(max(rowid), 0) FROM main.{table}").fetchone()
    if after > before:
        db.execute("SELECT undo_record(?, ?, ?, 0, ?)", (table, INSERTED_RANGE, before + 1, after))


def _columns(db: sqlite3.Connection, table: str) -> tuple[str, ...]:
    return tuple(row[1] for row in db.execute(f"PRAGMA main.table_info({table})"))


def _triggers(table: str, columns: tuple[str, ...]) -> tuple[str, str, str]:
    """The TEMP triggers that record a table's inserts, updates and deletes."""
    when = "WHEN (SELECT recording FROM undo_state)"  # a bare name: the TEMP table is found first
    old = ", ".join(f"old.{c}" for c in columns)
    changed = " | ".join(f"((old.{c} IS NOT new.{c}) << {i})" for i, c in enumerate(columns))
    return (
        f"CREATE TEMP TRIGGER IF NOT EXISTS undo_{table}_insert AFTER INSERT ON main.{table} {when} "
        f"BEGIN SELECT undo_record('{table}', '{INSERTED}', new.rowid, 0); END",
        f"CREATE TEMP TRIGGER IF NOT EXISTS undo_{table}_update AFTER UPDATE ON main.{table} {when} "
        f"BEGIN SELECT undo_record('{table}', '{UPDATED}', old.rowid, {changed}, {old}); END",
        f"CREATE TEMP TRIGGER IF NOT EXISTS undo_{table}_delete BEFORE DELETE ON main.{table} {when} "
        f"BEGIN SELECT undo_record('{table}', '{DELETED}', old.rowid, 0, {old}); END",
    )


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})"


@lru_cache(maxsize=256)
def _update_sql(table: str, columns: tuple[str, ...], mask: int) -> str:
    assignments = ", ".join(f"{c} = ?" for i, c in enumerate(columns) if mask >> i & 1) or "rowid = rowid"
    return f"UPDATE {table} SET {assignments} WHERE rowid = ?"
