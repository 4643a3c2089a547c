"""Backups of the store: consistent copies through SQLite's online backup API, kept on a rolling schedule.

Kept: every backup of the last 2 days, then the newest of each day for 2 weeks,
of each week for 2 months, and of each month for a year. Older ones are removed.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .errors import StoreError
from .timeutil import UTC

STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime  # UTC
    cards: int | None  # None when the file cannot be read
    reviews: int | None


def backup_dir(store_path: Path) -> Path:
    return store_path.parent / "backups"


def backup_prefix(store_path: Path) -> str:
    """A backup's name starts with its store's ("work-20261130-120000.db" for work.db): stores that share a
    folder share its backups folder, and each lists and prunes only its own."""
    return f"{store_path.stem}-"


def create_backup(source: sqlite3.Connection, store_path: Path, now: datetime) -> Path:
    """Copy the store, as of one consistent moment, into its backups folder; a damaged store is refused."""
    from .schema import damaged, is_damage  # here: schema imports this module

    folder = backup_dir(store_path)
    partial: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A partial file of this backup's own: two processes backing up in the same second wrote one
        # partial file together, and the second's rename replaced the first's backup.
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{backup_prefix(store_path)}", suffix=".partial")
        os.close(fd)
        partial = Path(name)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            _check_copy(target, store_path)
            # A plain rollback-journal file: the copy of a WAL store stayed in WAL mode, and every
            # read-only look at it (backup --list) left -wal and -shm files beside it.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        target_path = _claim_name(folder, f"{backup_prefix(store_path)}{now.astimezone(UTC):{STAMP}}")
        partial.replace(target_path)
    except (OSError, sqlite3.Error, StoreError) as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        if isinstance(exc, StoreError):
            raise
        if isinstance(exc, sqlite3.DatabaseError) and is_damage(exc):
            raise damaged(store_path, exc) from None
        raise StoreError(f"cannot write a backup into {folder}: {exc}") from None
    return target_path


def _claim_name(folder: Path, stem: str) -> Path:
    """A backup's file name no one else has: created here, exclusively, so that another process backing up
    in the same second takes the next name instead of writing over this one."""
    n = 0
    while True:
        path = folder / (f"{stem}.db" if n == 0 else f"{stem}-{n}.db")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return path
        except FileExistsError:
            n += 1


def _check_copy(copy: sqlite3.Connection, store_path: Path) -> None:
    """A copy of a damaged store is refused: kept as a backup, it would push the good ones out of the
    rotation (prune keeps one a day, then one a week...) until only damaged copies were left."""
    from .schema import check_intact  # here: schema imports this module

    check_intact(copy, store_path)


def list_backups(store_path: Path, counts: bool = True) -> list[BackupInfo]:
    """The backups beside a store, newest first, with what each holds (unless counts is False:
    counting opens each file, seconds for a large collection's many backups)."""
    result = []
    prefix = backup_prefix(store_path)
    for path in backup_dir(store_path).glob(f"{glob.escape(prefix)}*.db"):
        if not path.is_file():  # a pipe or folder of that name: opening it would wait forever
            continue
        created = _created(path, prefix)
        if created is None:
            continue
        cards = reviews = None
        if not counts:
            result.append(BackupInfo(path, created, cards, reviews))
            continue
        try:
            db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
            try:
                cards = db.execute("SELECT count(*) FROM card").fetchone()[0]
                reviews = db.execute("SELECT count(*) FROM review").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            pass
        result.append(BackupInfo(path, created, cards, reviews))
    return sorted(result, key=lambda b: b.created, reverse=True)


def prune(store_path: Path, now: datetime) -> list[Path]:
    """Remove the backups the schedule no longer keeps; returns the removed files."""
    keep: set[Path] = set()
    buckets: dict[tuple, Path] = {}
    backups = list_backups(store_path, counts=False)  # newest first
    for backup in backups:
        age = now - backup.created
        if age <= timedelta(days=2):
            keep.add(backup.path)
            continue
        if age <= timedelta(days=14):
            bucket: tuple[object, ...] = ("day", backup.created.date())
        elif age <= timedelta(days=61):
            bucket = ("week", *backup.created.isocalendar()[:2])
        elif age <= timedelta(days=366):
            bucket = ("month", backup.created.year, backup.created.month)
        else:
            continue
        buckets.setdefault(bucket, backup.path)  # newest first: the first seen is kept
    keep.update(buckets.values())
    removed = []
    for backup in backups:
        if backup.path not in keep:
            backup.path.unlink(missing_ok=True)
            removed.append(backup.path)
    return removed


def restore(store_path: Path, backup_path: Path, now: datetime) -> Path:
    """Put a backup in place of the store (which must not be open); the current store is kept first.

    Returns the copy kept of the store as it was: a backup, or for a damaged store a
    plain copy of its file.
    """
    from .schema import APPLICATION_ID, SCHEMA_VERSION  # here: schema imports this module

    _check_target(store_path)
    try:
        if not backup_path.is_file():
            raise StoreError(f"{backup_path} is not a file")
        source = sqlite3.connect(backup_path.resolve().as_uri() + "?mode=ro", uri=True)
        ok = source.execute("PRAGMA quick_check").fetchone()[0]
        app_id = source.execute("PRAGMA application_id").fetchone()[0]
        version = source.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise StoreError(f"{backup_path} is not a readable backup: {exc}") from None
    problem = (
        f"is damaged ({ok}); choose another backup" if ok != "ok"
        else "is not a Study Planner backup (an empty file, or another program's database)"
        if app_id != APPLICATION_ID
        else f"was written by a newer Study Planner (schema {version}); update the app to restore it"
        if version > SCHEMA_VERSION
        else None
    )  # fmt: skip
    if problem:
        source.close()
        raise StoreError(f"{backup_path} {problem}")
    try:
        if _readable(store_path):
            # In place, through SQLite: a review open on the store in another process writes its next
            # answers into the restored store. Replacing the file left that process writing to the old
            # file, which nothing would ever read again: its answers were lost, silently.
            live = sqlite3.connect(store_path, timeout=10)
            kept: list[Path] = []

            def keep_current(status: int, remaining: int, total: int) -> None:
                # After the first step the store's write lock is the restore's until it ends, while readers
                # still see the store as it was: the copy kept now holds every answer committed before the
                # restore. Kept before the restore began, an answer committed in between was in neither.
                if not kept:
                    kept.append(_keep_current(store_path, now))

            try:
                source.backup(live, pages=max(1, source.execute("PRAGMA page_count").fetchone()[0] // 64),
                              progress=keep_current)  # fmt: skip
            finally:
                live.close()
            safety = kept[0]
        else:  # a damaged store: replaced as a file, which no one can be using to any purpose
            safety = _keep_current(store_path, now)
            _replace_file(source, store_path)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot restore into {store_path}: {exc}") from None
    finally:
        source.close()
    return safety


def _check_target(store_path: Path) -> None:
    """Refuse to restore over what is not a store of ours (another program's database, a newer store).
    A damaged store of ours is what restoring is for: it is read no further than its header."""
    from .schema import APPLICATION_ID, SCHEMA_VERSION, check_file

    check_file(store_path)
    try:
        db = sqlite3.connect(store_path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            has_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        finally:
            db.close()
    except sqlite3.Error:
        return  # damaged past its header: kept as a plain copy, then replaced
    if has_tables and app_id != APPLICATION_ID:
        raise StoreError(f"{store_path} is an SQLite file of another program, not a Study Planner store")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{store_path} was written by a newer Study Planner; update the app before restoring")


def _readable(store_path: Path) -> bool:
    try:
        db = sqlite3.connect(store_path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            db.close()
    except sqlite3.Error:
        return False


def _replace_file(source: sqlite3.Connection, store_path: Path) -> None:
    partial = store_path.with_name(store_path.name + ".restoring")
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
        for suffix in ("-wal", "-shm"):
            Path(str(store_path) + suffix).unlink(missing_ok=True)
        partial.replace(store_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _keep_current(store_path: Path, now: datetime) -> Path:
    """A backup of the store about to be replaced; a damaged one is copied as it is."""
    current = sqlite3.connect(store_path)
    try:
        return create_backup(current, store_path, now)
    except StoreError:
        copy = backup_dir(store_path) / f"{backup_prefix(store_path)}{now.astimezone(UTC):{STAMP}}-damaged.db"
        current.close()
        shutil.copyfile(store_path, copy)
        return copy
    finally:
        current.close()


def _created(path: Path, prefix: str) -> datetime | None:
    stem = path.stem[len(prefix) :]
    try:
        return datetime.strptime(stem[:15], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
