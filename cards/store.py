"""The card store: one SQLite file holding decks, cards and the review log.

This module owns the connection: opening and migrating, transactions, the one
`operation()` every learner's change goes through (undo and change notices
included), settings and preferences, backups and the study day. Reading the
study queue is in `queue.py`; the changes themselves are functions in `ops.py`
(cards, decks, settings), `formats` (imports), `catchup.py`, `optimizer.py` and
`planner.plans`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path

import platformdirs

from . import backup, schema, undo
from .backup import Usage as BackupUsage
from .changes import Changes
from .errors import NothingToUndo, StoreError, StudyPlannerError
from .queue import Pacing, StudyDay, StudyQueue
from .rows import Card
from .settings import SchedulingSettings, stored_settings
from .timeutil import Clock, SystemClock, check_clock, day_bounds, study_day, to_ms

ENV_DB = "STUDYPLANNER_DB"
Listener = Callable[[Changes], None]


def default_path() -> Path:
    """The store file: $STUDYPLANNER_DB, else the platform's user data folder."""
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB]).expanduser()
    return Path(platformdirs.user_data_dir("studyplanner", appauthor=False)) / "studyplanner.db"


@dataclass
class Rehearsal:
    keep: bool = False  # set inside the transaction: commit it after all (see Store.rehearsal)


@dataclass
class _Shared:
    """What the connections of one process to one store have in common (the window's and its worker's)."""

    undo_stack: undo.UndoStack = field(default_factory=undo.UndoStack)
    listeners: list[Listener] = field(default_factory=list)
    settings_cache: dict[int | None, SchedulingSettings] = field(default_factory=dict)
    connections: list[Store] = field(default_factory=list)  # every open one
    commit_lock: threading.Lock = field(default_factory=threading.Lock)
    changes: int = 0  # learner's changes committed through any of them
    changes_at_backup: int = 0


class Store(StudyQueue):
    """A learner's collection. Open with Store.open(); close() when done."""

    def __init__(
        self, db: sqlite3.Connection, path: Path, clock: Clock, tz: tzinfo | None, shared: _Shared | None = None
    ) -> None:
        self.path = path
        self.clock = clock
        self.tz = tz
        self.db = db  # for the core's own modules; screens and commands call functions of the core
        self.closed = False
        self._lock = threading.RLock()
        self._rehearsal: Rehearsal | None = None  # see rehearsal()
        self._shared = shared if shared is not None else _Shared()
        self.undo_stack = self._shared.undo_stack
        self.listeners = self._shared.listeners
        self._settings_cache = self._shared.settings_cache  # a settings change made on either is seen by both
        # What a sync carries besides cards (the planner's runs and ticks; the core knows no plans): this
        # device's state as JSON, and a merge of another device's, which returns how much changed.
        self.synced_state: Callable[[], dict] | None = None
        self.merge_synced_state: Callable[[object], int] | None = None
        # Which new cards a day brings, by topic (set by the planner while a plan runs; the core knows no plans).
        self.new_card_pacing: Callable[[date], Pacing | None] | None = None
        # For a card just answered: the days its next review must fall in, (first, last), or None (set by
        # the planner before an exam; the core knows no exams).
        self.review_window: Callable[[Card], tuple[date, date] | None] | None = None
        # Where each deck's search for those cards resumes (None: the deck has none), valid while
        # the key holds: day, topics, this store's edits other than answers, other connections' commits.
        self._topic_search: tuple[object, dict[tuple[str, ...], dict[int, int | None]]] = (None, {})
        self._edits = 0
        self.recorder = undo.Recorder(db)
        self._shared.connections.append(self)
        # SQLite's count of other connections' commits as last seen: a change undo cannot account for
        # (another program's commit) ends the undo history. See _commit() and undo_last().
        self._seen_version = self._data_version()

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        clock: Clock | None = None,
        tz: tzinfo | None = None,
        load_builtin: bool = True,
        progress: Callable[[str], None] | None = None,
        check_intact: bool = False,
    ) -> Store:
        """Open (or create) a store. A new store gets the built-in decks. progress is told, in a line to
        show, when opening takes long (an upgrade of an older store). With check_intact a damaged store is
        refused before anything is written (the command line's writing commands ask for it; the window
        checks after its first paint)."""
        path = Path(path) if path is not None else default_path()
        clock = clock or SystemClock()
        check_clock(clock.now())
        db = _connect(path)
        try:
            if check_intact:
                schema.check_intact(db, path)
            is_new = schema.prepare(db, path, clock.now(), tz, progress)
            store = cls(db, path, clock, tz)
            from .loading import decline_builtin_decks, refresh_builtin_decks_when_possible

            if load_builtin:  # a new store's decks, or the shipped decks changed since they were loaded
                refresh_builtin_decks_when_possible(store)
            elif is_new:
                decline_builtin_decks(store)
        except BaseException:
            db.close()
            raise
        return store

    def sibling(self) -> Store:
        """A second connection to the same store, for the worker thread: it shares this store's undo
        steps, listeners, settings and plan hook, so work done there is undone and shown like work done here."""
        # Not _connect(): its file check opens and closes the store file with Python, and closing any
        # descriptor of a file drops all of this process's SQLite locks on it. Another program opening
        # the store then takes the WAL for unused and deletes it under our open connections.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        schema.prepare(db, self.path, self.clock.now())  # this connection's pragmas (foreign keys...)
        twin = Store(db, self.path, self.clock, self.tz, self._shared)
        twin.new_card_pacing = self.new_card_pacing
        twin.review_window = self.review_window
        return twin

    def backup(self, why: str = "") -> Path:
        """Write a consistent backup now and prune old ones to the schedule and the space set for them
        (see cards/backup.py); why names the moment it keeps, when it is not the schedule's."""
        with self._lock:
            changes = self._shared.changes
            path = backup.create_backup(self.db, self.path, self.clock.now(), why=why)
            self._shared.changes_at_backup = changes
        backup.prune(self.path, self.clock.now(), self.backup_budget())
        return path

    def backup_budget(self) -> int:
        """The space set for this store's backups, in bytes (the default's, for a store too damaged to say)."""
        try:
            return self.settings().backup_space_mb * 1_000_000
        except sqlite3.DatabaseError:
            return SchedulingSettings().backup_space_mb * 1_000_000

    def backup_usage(self) -> BackupUsage:
        """What this store's backups take on disk now, against the space set for them."""
        return backup.usage(self.path, self.clock.now(), self.backup_budget())

    def restore_from(self, backup_path: Path) -> Path:
        """Replace this store's content by a backup (the current content is backed up first). The
        caller tells the listeners, once the layers above have brought their tables up to date
        (planner.plans.restore). The file is replaced: sibling connections are closed first."""
        for twin in [c for c in self._shared.connections if c is not self]:
            twin.close()
        with self._lock:
            self.db.close()
            try:
                safety = backup.restore(self.path, Path(backup_path), self.clock.now())
            finally:
                self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                schema.prepare(self.db, self.path, self.clock.now())
                self.recorder = undo.Recorder(self.db)
                self._seen_version = self._data_version()
                self.undo_stack.clear()
                self._settings_cache.clear()
                self._edits += 1
                self.count_as_backed_up()
        return safety

    def changed_since_backup(self) -> bool:
        """Whether the learner changed anything (through any connection) since the last backup."""
        return self._shared.changes != self._shared.changes_at_backup

    def count_as_backed_up(self) -> None:
        """The store as it is now is in a backup already (it was just restored from one): none is owed."""
        self._shared.changes_at_backup = self._shared.changes

    def close(self) -> None:
        with self._lock:
            self.db.close()
            self.closed = True
        if self in self._shared.connections:
            self._shared.connections.remove(self)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- writing

    @contextmanager
    def transaction(self, answering: bool = False, undo_step: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction: everything inside commits together or not at all.

        Anything but an answer counts as an edit: it may add, re-tag or bring back new cards.
        What it wrote is recorded for undo; unless it is an undo step (operation() takes the
        record), the record is dropped before the commit.
        """
        with self._lock:
            if not answering:
                self._edits += 1
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _store_error(self.path, exc) from None
            self.recorder.records.clear()  # a rolled-back transaction may have left some
            try:
                yield self.db
                if not undo_step:
                    self.recorder.records.clear()
                if self._rolling_back_rehearsal():
                    self.db.execute("ROLLBACK")  # all of it done, none of it kept (rehearsal())
                    self.recorder.records.clear()
                    return
                self._commit()
            except sqlite3.OperationalError as exc:
                self._roll_back()
                raise _store_error(self.path, exc) from None
            except BaseException:
                self._roll_back()
                raise

    def _roll_back(self) -> None:
        """ROLLBACK, unless SQLite already rolled the transaction back itself (a full disk does): then a
        second one would fail, and its "no transaction is active" would hide why the write failed."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    @contextmanager
    def rehearsal(self) -> Iterator[Rehearsal]:
        """Operations inside run in full and are rolled back, unless they set the rehearsal's keep before
        their transaction ends: what they report is exactly what they would change (an import's counts,
        shown before the learner agrees), and nothing changes that the learner was not asked about."""
        with self._lock:
            self._rehearsal = Rehearsal()
            try:
                yield self._rehearsal
            finally:
                self._rehearsal = None

    def _rolling_back_rehearsal(self) -> bool:
        return self._rehearsal is not None and not self._rehearsal.keep

    def _commit(self) -> None:
        """COMMIT, and let this process's other connections know it was one of ours (not another program's)."""
        with self._shared.commit_lock:
            self.db.execute("COMMIT")
            for other in self._shared.connections:
                if other is not self:
                    other._seen_version = other._data_version()

    def _data_version(self) -> int:
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    @contextmanager
    def operation(
        self,
        changes: Changes,
        undo_label: str | None = None,
        *,
        card_id: int | None = None,
        answering: bool = False,
        merge: bool = False,
    ) -> Iterator[sqlite3.Connection]:
        """A learner's change: one transaction; with an undo label, one step on the undo stack.

        With merge, it joins the step on top when that step has the same label (a setting nudged
        click by click is undone in one step). After the commit the listeners hear what changed.
        An operation that cannot be undone ends the undo history (its rows may be the ones an older
        step would put back).
        """
        with self._lock:
            with self.transaction(answering, undo_step=undo_label is not None) as db:
                if undo_label is None:
                    with self.recorder.paused():  # bulk work (a reschedule) is not slowed by the record
                        yield db
                else:
                    yield db
                    records = self.recorder.take()
            # Committed: a failed operation leaves the history as it was.
            if self._rolling_back_rehearsal():
                return
            if undo_label is None:
                self.undo_stack.clear()
            else:
                self.undo_stack.push(undo.Step(undo_label, changes, records, card_id), merge=merge)
        self.notify(changes)

    def undo_last(self) -> undo.Step:
        """Put the store back as it was before the last undoable operation; the step that was undone."""
        return self._replay_top(redo=False)

    def redo_last(self) -> undo.Step:
        """Do again the operation undone last (no other operation made since); the step that was redone."""
        return self._replay_top(redo=True)

    def _replay_top(self, redo: bool) -> undo.Step:
        """Replay the step on top of the undo (or redo) stack in one transaction, recording what that writes:
        the record is the step that takes it back, pushed on the other stack."""
        with self._lock:
            step = self.undo_stack.top(undone=redo)
            with self.transaction(undo_step=True):
                with self._shared.commit_lock:  # a commit of this process's own is accounted for by now
                    version = self._data_version()
                if version != self._seen_version:  # another program committed: its rows may be the step's
                    self._seen_version = version
                    self.undo_stack.clear()
                    raise NothingToUndo(f"nothing to {'redo' if redo else 'undo'}: the store was changed by "
                                        "another program since")  # fmt: skip
                self.recorder.replay(step)
                back = undo.Step(step.label, step.changes, self.recorder.take(), step.card_id)
            (self.undo_stack.redid if redo else self.undo_stack.undid)(back)
        self.notify(step.changes)  # clears the settings cache when the step changed settings or decks
        return step

    @property
    def undo_label(self) -> str | None:
        """What Edit > Undo would undo now ("delete 3 cards"), or None."""
        return self.undo_stack.label

    @property
    def redo_label(self) -> str | None:
        """What Edit > Redo would do again now, or None."""
        return self.undo_stack.redo_label

    def listen(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def notify(self, changes: Changes) -> None:
        """Tell the listeners what an operation changed (after its commit)."""
        if changes:
            self._shared.changes += 1
        if changes & (Changes.SETTINGS | Changes.DECKS):
            self._settings_cache.clear()
        for listener in list(self.listeners):
            listener(changes)

    # ----------------------------------------------------------------- settings

    def settings(self, deck_id: int | None = None) -> SchedulingSettings:
        """The settings in force for a deck (its overrides over the global ones)."""
        if deck_id in self._settings_cache:
            return self._settings_cache[deck_id]
        result = self._settings_cache[deck_id] = stored_settings(self.db, deck_id)
        return result

    def deck_overrides(self, deck_id: int) -> dict:
        row = self.db.execute("SELECT options FROM deck WHERE id = ?", (deck_id,)).fetchone()
        if row is None:
            raise StudyPlannerError(f"no deck with id {deck_id}")
        return _json_or(row[0], {}, dict)

    def get_value(self, key: str, default: object = None) -> object:
        """A preference of the learner's (window geometry, theme...), stored as JSON."""
        row = self.db.execute("SELECT value FROM setting WHERE key = ?", (f"pref:{key}",)).fetchone()
        return _json_or(row[0], default) if row else default

    def set_value(self, key: str, value: object) -> None:
        """Keep a preference. Not a change to the learner's cards or plans: it is not undone, and it does
        not end the undo history."""
        with self.transaction() as db:
            self.put_value(db, key, value)

    @staticmethod
    def put_value(db: sqlite3.Connection, key: str, value: object) -> None:
        """set_value inside a transaction the caller already holds."""
        db.execute(
            "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"pref:{key}", json.dumps(value)),
        )

    # ----------------------------------------------------------------- time

    def today(self) -> StudyDay:
        """The learner's study day now. Reads only: the day change's unbury is ops.begin_day()."""
        hour = self.settings().day_start_hour
        day = study_day(self.clock.now(), hour, self.tz)
        start, end = day_bounds(day, hour, self.tz)
        return StudyDay(day, to_ms(start), to_ms(end))


def _json_or(text: str | None, default, kind: type | None = None):
    """A stored JSON value, or default where it is damaged (or not of the kind wanted): a preference or a
    deck's options are never worth a traceback."""
    try:
        value = json.loads(text) if text else default
    except ValueError:
        return default
    return value if kind is None or isinstance(value, kind) else default


def _connect(path: Path) -> sqlite3.Connection:
    schema.check_file(path)
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the store {path}: {exc.strerror}") from None
    try:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise schema.open_error(path, exc) from None


def _holders(path: Path) -> list[str]:
    """The other processes that have the store open ("studyplanner (pid 4242)"), where the system says
    (Linux's /proc); none where it does not."""
    target = str(path.resolve())
    found = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        pid = fd_dir.parent.name
        if pid == str(os.getpid()):
            continue
        try:
            if any(os.readlink(fd) in (target, target + "-wal") for fd in fd_dir.iterdir()):
                name = (fd_dir.parent / "comm").read_text().strip()
                found.append(f"{name} (pid {pid})")
        except OSError:  # gone, or not ours to look at
            continue
    return found


def _store_error(path: Path, exc: sqlite3.OperationalError) -> StoreError:
    text = str(exc)
    if "readonly" in text:
        return StoreError(f"cannot write to the store {path}: it is read-only")
    if "full" in text:
        return StoreError(f"cannot write to the store {path}: the disk is full")
    if "locked" in text or "busy" in text:
        holders = ", ".join(_holders(path)) or "another program"
        return StoreError(f"the store {path} is busy: {holders} is writing to it")
    return StoreError(f"cannot write to the store {path}: {text}")


__all__ = ["Store", "default_path"]
