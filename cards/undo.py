"""Undo by the store's own change log: what an undoable operation wrote, recorded as its inverse.

While an undoable operation runs, temporary triggers on every table of the
store write, for each row it inserts, updates or deletes, the SQL statement that
puts that row back (the classic SQLite undo log). Undoing replays those
statements in reverse order in one transaction, so every operation is undone
exactly, review log and cascades included, without code of its own.

The triggers are TEMP (this connection's only) and fire only while recording,
so other writers and bulk work that is not undoable pay a single lookup per row.

A step is valid only while nobody else has changed the store since: each
operation writes a fresh token to the store, which the step remembers. Undoing
a step restores the token of the step below it, so the stack stays valid; a
commit from another process writes a token no step knows, and the stack is dropped.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass, field

from .changes import Changes
from .errors import NothingToUndo

TOKEN_KEY = "write_token"
MAX_STEPS = 30  # as Anki keeps


@dataclass(frozen=True)
class Step:
    label: str  # what the learner sees: "Undo delete 3 cards" shows "delete 3 cards"
    changes: Changes
    statements: list[str]
    token: str
    card_id: int | None = None  # the card a review action concerned, shown again after its undo


@dataclass
class UndoStack:
    """Shared by every connection of one process to one store (the window's and its worker's)."""

    steps: list[Step] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, step: Step) -> None:
        with self.lock:
            self.steps.append(step)
            del self.steps[:-MAX_STEPS]

    def top(self) -> Step:
        with self.lock:
            if not self.steps:
                raise NothingToUndo()
            return self.steps[-1]

    def pop(self) -> Step:
        with self.lock:
            return self.steps.pop()

    def clear(self) -> None:
        with self.lock:
            self.steps.clear()

    @property
    def label(self) -> str | None:
        with self.lock:
            return self.steps[-1].label if self.steps else None


def install(db: sqlite3.Connection) -> None:
    """Create this connection's recording triggers over every table of the store (again after a
    layer above adds tables of its own: tables already covered are skipped)."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS undo_log (seq INTEGER PRIMARY KEY, statement TEXT NOT NULL)")
    db.execute("CREATE TEMP TABLE IF NOT EXISTS undo_recording (on_ INTEGER NOT NULL)")
    if db.execute("SELECT count(*) FROM temp.undo_recording").fetchone()[0] == 0:
        db.execute("INSERT INTO temp.undo_recording VALUES (0)")
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for table in tables:
        _install_table(db, table)


def _install_table(db: sqlite3.Connection, table: str) -> None:
    columns = [row[1] for row in db.execute(f"PRAGMA main.table_info({table})")]
    # Unqualified names: a TEMP trigger may only write to its own schema's tables by their bare names.
    when = "WHEN (SELECT on_ FROM undo_recording)"
    log = "INSERT INTO undo_log (statement) VALUES"
    quoted_old = " || ',' || ".join(f"quote(old.{c})" for c in columns)
    assignments = " || ', ' || ".join(f"'{c} = ' || quote(old.{c})" for c in columns)
    for statement in (
        f"CREATE TEMP TRIGGER IF NOT EXISTS undo_{table}_insert AFTER INSERT ON main.{table} {when} "
        f"BEGIN {log} ('DELETE FROM {table} WHERE rowid = ' || new.rowid); END",
        f"CREATE TEMP TRIGGER IF NOT EXISTS undo_{table}_update AFTER UPDATE ON main.{table} {when} "
        f"BEGIN {log} ('UPDATE {table} SET ' || {assignments} || ' WHERE rowid = ' || old.rowid); END",
        f"CREATE TEMP TRIGGER IF NOT EXISTS undo_{table}_delete BEFORE DELETE ON main.{table} {when} "
        f"BEGIN {log} ('INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES (' || old.rowid || ',' || "
        f"{quoted_old} || ')'); END",
    ):
        db.execute(statement)


def start_recording(db: sqlite3.Connection) -> str:
    """Inside the operation's transaction: record from here, and stamp the store with a fresh token."""
    db.execute("DELETE FROM temp.undo_log")
    db.execute("UPDATE temp.undo_recording SET on_ = 1")
    token = fresh_token()
    write_token(db, token)
    return token


def fresh_token() -> str:
    return secrets.token_hex(8)


def stop_recording(db: sqlite3.Connection) -> list[str]:
    """The recorded inverse statements, in the order they must run to undo."""
    db.execute("UPDATE temp.undo_recording SET on_ = 0")
    statements = [row[0] for row in db.execute("SELECT statement FROM temp.undo_log ORDER BY seq DESC")]
    db.execute("DELETE FROM temp.undo_log")
    return statements


def write_token(db: sqlite3.Connection, token: str) -> None:
    db.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (TOKEN_KEY, f'"{token}"'),
    )


def current_token(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM setting WHERE key = ?", (TOKEN_KEY,)).fetchone()
    return row[0].strip('"') if row else None


def replay(db: sqlite3.Connection, step: Step) -> None:
    """Inside a transaction: put back every row the step changed (children before their parents is fine:
    foreign keys are checked at commit)."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    for statement in step.statements:
        db.execute(statement)
