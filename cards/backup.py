"""Backups of the store: consistent copies through SQLite's online backup API, compressed, kept on a
rolling schedule within a disk budget.

A backup is `<store stem>-YYYYmmdd-HHMMSS.db.zst`: a small zstd skippable frame of JSON first (what the
backup holds: cards, answers, schema version, and the size and SHA-256 of the store file inside), then the
store file as one zstd frame. The plain `zstd -d` tool skips the first frame and gives back the SQLite file.
Older backups are plain SQLite copies (`.db`): they are listed, pruned and restored as before.

Kept: every backup of the last 2 days, then the newest of each day for 2 weeks, of each week for 2 months,
and of each month for a year. Older ones are removed. Then, with a budget, the oldest are removed until the
rest fit, except the newest backup and the newest of each of the last 7 days, which are always kept.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from .errors import StoreError
from .timeutil import UTC
from .wording import plural, size

STAMP = "%Y%m%d-%H%M%S"
SUFFIX = ".db.zst"  # a compressed backup; a plain ".db" is an older backup (or a damaged store's copy)
# zstd level 3 (its default), on every core: the 211 MB store of 100,000 cards / 1,000,000 answers became 92 MB
# in 0.5-1.4 s (in memory / streamed from the file, on 2 busy cores); level 1 gave 102 MB in 0.3-0.9 s and level 9
# 85 MB in 1.6-2.1 s. The backup's integrity_check takes 4 s of its 7 (bench/bench_backup.py measures them).
LEVEL = 3
SKIPPABLE = 0x184D2A50  # the first of zstd's 16 magic numbers of a frame decoders skip
HEADER_SIZE = 512  # the metadata's JSON, padded with spaces: written before the hash is known, then over
FORMAT = "studyplanner-backup"
CHUNK = 1 << 20
ALWAYS_KEPT_DAYS = 7
STALE_PARTIAL_S = 24 * 3600  # a partial file this old is left by a killed backup: removed by prune()


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime  # UTC
    cards: int | None  # None when the file cannot be read
    reviews: int | None
    size: int = 0  # bytes on disk
    schema: int | None = None
    why: str = ""  # "before a restore": a backup made for a moment, not by the schedule ("" for those)

    @property
    def compressed(self) -> bool:
        return self.path.name.endswith(SUFFIX)


@dataclass(frozen=True)
class Usage:
    """What a store's backups take on disk, against the budget (bytes)."""

    count: int
    total: int
    budget: int | None
    always_kept: int  # what the newest backup and one a day of the last 7 days take: kept over the budget

    @property
    def over(self) -> bool:
        return self.budget is not None and self.total > self.budget

    @property
    def over_because_always_kept(self) -> bool:
        return self.budget is not None and self.always_kept > self.budget


def backup_dir(store_path: Path) -> Path:
    return store_path.parent / "backups"


def backup_prefix(store_path: Path) -> str:
    """A backup's name starts with its store's ("work-20261130-120000.db.zst" for work.db): stores that share
    a folder share its backups folder, and each lists and prunes only its own."""
    return f"{store_path.stem}-"


def create_backup(
    source: sqlite3.Connection,
    store_path: Path,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    why: str = "",
) -> Path:
    """Copy the store, as of one consistent moment, into its backups folder, compressed; a damaged store is
    refused, and so is a copy that does not pass integrity_check or does not read back from its file. why
    says, in the backup, what moment it keeps ("before a restore"), for the lists to show."""
    import zstandard  # here, as in the other functions that compress: not on the way to every start (4 ms)

    from .schema import damaged, is_damage  # here: schema imports this module

    def tell(step: str) -> None:  # a step of seconds on a large store, for whoever waits on it
        if progress is not None:
            progress(step)

    folder = backup_dir(store_path)
    partial: Path | None = None
    packed: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A partial file of this backup's own: two processes backing up in the same second wrote one
        # partial file together, and the second's rename replaced the first's backup.
        partial = _own_file(folder, f".{backup_prefix(store_path)}", ".partial")
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            # A plain rollback-journal file: the copy of a WAL store stayed in WAL mode, and every
            # read-only look at it (a restore) left -wal and -shm files beside it.
            target.execute("PRAGMA journal_mode = DELETE")
            tell("checking the copy")
            meta = {**_check_whole(target, store_path), "why": why[:100]}
        finally:
            target.close()
        packed = _own_file(folder, f".{backup_prefix(store_path)}", ".zst.partial")
        tell("compressing it")
        _compress(partial, packed, meta)
        target_path = _claim_name(folder, f"{backup_prefix(store_path)}{now.astimezone(UTC):{STAMP}}")
        packed.replace(target_path)
    except (OSError, sqlite3.Error, StoreError, zstandard.ZstdError) as exc:
        if packed is not None:
            packed.unlink(missing_ok=True)
        if isinstance(exc, StoreError):
            raise
        if isinstance(exc, sqlite3.DatabaseError) and is_damage(exc):
            raise damaged(store_path, exc) from None
        raise StoreError(f"cannot write a backup into {folder}: {exc}") from None
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
    return target_path


def _own_file(folder: Path, prefix: str, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    os.close(fd)
    return Path(name)


def _check_whole(copy: sqlite3.Connection, store_path: Path) -> dict:
    """integrity_check over the whole copy, and what it holds. A copy of a damaged store is refused: kept as a
    backup, it would push the good ones out of the rotation (prune keeps one a day, then one a week...) until
    only damaged copies were left. integrity_check, not quick_check: it also checks that the indexes agree
    with their tables, so a restore can trust the copy."""
    from .schema import damaged

    # The copy's pages mapped and 64 MiB of cache: at 100,000 cards the check took 3.5 s, now 2.0.
    copy.execute("PRAGMA mmap_size = 1073741824")
    copy.execute("PRAGMA cache_size = -65536")
    problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if problem != "ok":
        raise damaged(store_path, problem.splitlines()[0])
    return {
        "format": FORMAT,
        "cards": copy.execute("SELECT count(*) FROM card").fetchone()[0],
        "reviews": copy.execute("SELECT count(*) FROM review").fetchone()[0],
        "schema": copy.execute("PRAGMA user_version").fetchone()[0],
        "application_id": copy.execute("PRAGMA application_id").fetchone()[0],
    }


def _compress(plain: Path, packed: Path, meta: dict) -> None:
    """plain, compressed into packed after a metadata frame; then read back: it must give exactly the
    bytes compressed (their size and SHA-256), or the backup is refused before it joins the rotation."""
    import zstandard

    digest = hashlib.sha256()
    size = 0
    compressor = zstandard.ZstdCompressor(level=LEVEL, threads=-1, write_checksum=True)
    with plain.open("rb") as src, packed.open("r+b") as dst:
        dst.write(_header({}))  # its place: the size and hash are known once everything is read
        with compressor.stream_writer(dst, size=plain.stat().st_size, closefd=False) as writer:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                writer.write(chunk)
        dst.seek(0)
        dst.write(_header({**meta, "size": size, "sha256": digest.hexdigest()}))
        dst.flush()
        os.fsync(dst.fileno())  # on disk before prune() removes an older one in its favour
    problem = _verify(packed, read_header(packed))
    if problem:
        raise StoreError(f"the backup written to {packed.parent} does not read back ({problem}); nothing was kept")


def _header(meta: dict) -> bytes:
    text = json.dumps(meta, separators=(",", ":")).encode()
    if len(text) > HEADER_SIZE:
        raise StoreError("a backup's description is too long")  # a bug: the fields are a few numbers
    return struct.pack("<II", SKIPPABLE, HEADER_SIZE) + text.ljust(HEADER_SIZE)


def read_header(path: Path) -> dict:
    """What a compressed backup holds (cards, reviews, schema, size, sha256), read from its first frame
    without decompressing anything; a StoreError when it is not one of our backups or is damaged there."""
    try:
        with path.open("rb") as fh:
            return _read_header(fh, path)
    except OSError as exc:
        raise StoreError(f"{path} is not a readable backup: {exc.strerror or exc}") from None


def _read_header(fh: BinaryIO, path: Path) -> dict:
    head = fh.read(8)
    if len(head) < 8 or struct.unpack("<I", head[:4])[0] != SKIPPABLE:
        raise StoreError(f"{path} is not a Study Planner backup (not a compressed backup of ours)")
    (length,) = struct.unpack("<I", head[4:])
    try:
        meta = json.loads(fh.read(min(length, 1 << 16)))
        ok = isinstance(meta, dict) and meta.get("format") == FORMAT
        ok = ok and all(isinstance(meta.get(k), int) for k in ("cards", "reviews", "schema", "size"))
        ok = ok and isinstance(meta.get("sha256"), str)
    except ValueError:
        ok = False
    if not ok:
        raise StoreError(f"{path} is damaged (its description cannot be read); choose another backup")
    fh.seek(8 + length)
    return meta


def _verify(path: Path, meta: dict, into: Path | None = None) -> str | None:
    """Decompress path (into a file, or only to hash it): None when it gives back the size and SHA-256 its
    metadata names, else what is wrong."""
    import zstandard

    digest = hashlib.sha256()
    size = 0
    out = into.open("wb") if into is not None else None
    try:
        with path.open("rb") as fh:
            _read_header(fh, path)
            reader = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True, closefd=False)
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if size > meta["size"]:
                    return "it holds more than was written"
                if out is not None:
                    out.write(chunk)
    except zstandard.ZstdError as exc:
        return str(exc) or "cannot decompress"
    finally:
        if out is not None:
            out.close()
    if size != meta["size"]:
        return f"{size:,} bytes instead of {meta['size']:,}"
    if digest.hexdigest() != meta["sha256"]:
        return "its content is not what was written"
    return None


def _claim_name(folder: Path, stem: str) -> Path:
    """A backup's file name no one else has: created here, exclusively, so that another process backing up
    in the same second takes the next name instead of writing over this one."""
    n = 0
    while True:
        path = folder / (f"{stem}{SUFFIX}" if n == 0 else f"{stem}-{n}{SUFFIX}")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return path
        except FileExistsError:
            n += 1


def list_backups(store_path: Path, counts: bool = True) -> list[BackupInfo]:
    """The backups beside a store, newest first, with their size on disk and what each holds (unless counts
    is False: counting opens each older .db backup, seconds for a large collection's many backups; a
    compressed one says it in its first bytes)."""
    result = []
    prefix = backup_prefix(store_path)
    folder = backup_dir(store_path)
    paths = [*folder.glob(f"{glob.escape(prefix)}*.db"), *folder.glob(f"{glob.escape(prefix)}*{SUFFIX}")]
    for path in paths:
        created = _created(path, prefix)
        if created is None:
            continue
        try:
            stat = path.stat()
        except OSError:  # removed meanwhile (another process's prune)
            continue
        if not path.is_file():  # a pipe or folder of that name: opening it would wait forever
            continue
        info = BackupInfo(path, created, None, None, stat.st_size)
        if counts:
            info = _with_counts(info)
        result.append(info)
    return sorted(result, key=lambda b: b.created, reverse=True)


def _with_counts(info: BackupInfo) -> BackupInfo:
    if info.compressed:
        try:
            meta = read_header(info.path)
        except StoreError:
            return info
        return BackupInfo(info.path, info.created, meta["cards"], meta["reviews"], info.size, meta["schema"],
                          str(meta.get("why", "")))  # fmt: skip
    try:
        db = sqlite3.connect(info.path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            cards = db.execute("SELECT count(*) FROM card").fetchone()[0]
            reviews = db.execute("SELECT count(*) FROM review").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return info
    return BackupInfo(info.path, info.created, cards, reviews, info.size, version)


def prune(store_path: Path, now: datetime, budget: int | None = None) -> list[Path]:
    """Remove the backups the schedule no longer keeps, then, with a budget (bytes), the oldest until the rest
    fit it; the newest backup and the newest of each of the last 7 days stay even over it. Returns the
    removed files."""
    backups = list_backups(store_path, counts=False)  # newest first
    keep = kept(backups, now, budget)
    removed = []
    for backup in backups:
        if backup.path not in keep:
            backup.path.unlink(missing_ok=True)
            removed.append(backup.path)
    _remove_stale_partials(store_path)
    return removed


def kept(backups: list[BackupInfo], now: datetime, budget: int | None = None) -> set[Path]:
    """Which of backups (newest first) prune() keeps."""
    keep = _scheduled(backups, now)
    if budget is not None:
        always = _always_kept(backups, now)
        total = sum(b.size for b in backups if b.path in keep)
        for backup in reversed(backups):  # oldest first
            if total <= budget:
                break
            if backup.path in keep and backup.path not in always:
                keep.discard(backup.path)
                total -= backup.size
    return keep


def _scheduled(backups: list[BackupInfo], now: datetime) -> set[Path]:
    """What the rolling schedule keeps of backups (newest first)."""
    keep: set[Path] = set()
    buckets: dict[tuple, Path] = {}
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
    return keep


def _always_kept(backups: list[BackupInfo], now: datetime) -> set[Path]:
    """The newest backup, and the newest of each (UTC) day of the last 7 days: kept over any budget, so a
    small budget never leaves a learner without yesterday's store, or the day before's."""
    kept: dict[object, Path] = {}
    for backup in backups:  # newest first
        if not kept:
            kept["newest"] = backup.path
        if now - backup.created <= timedelta(days=ALWAYS_KEPT_DAYS):
            kept.setdefault(backup.created.date(), backup.path)
    return set(kept.values())


def usage(store_path: Path, now: datetime, budget: int | None = None) -> Usage:
    """What the store's backups take now, and how much of it is always kept (see prune)."""
    backups = list_backups(store_path, counts=False)
    always = _always_kept(backups, now)
    return Usage(len(backups), sum(b.size for b in backups), budget, sum(b.size for b in backups if b.path in always))


def usage_text(usage: Usage) -> str:
    """One sentence of what the backups take against their budget, the same in the window and the terminal."""
    if not usage.count:
        return "No backups yet."
    taken = f"{plural(usage.count, 'backup')} {'takes' if usage.count == 1 else 'take'} {size(usage.total)}"
    if usage.budget is None:
        return f"{taken}."
    budget = f"{usage.budget // 1_000_000:,} MB"
    if not usage.over:
        return f"{taken} of the {budget} set for them."
    if usage.over_because_always_kept:
        return (f"{taken}, over the {budget} set for them: the newest backup and one a day for the last "
                f"{ALWAYS_KEPT_DAYS} days are always kept.")  # fmt: skip
    return f"{taken}, over the {budget} set for them: the next backup removes the oldest."


def _remove_stale_partials(store_path: Path) -> None:
    """A backup killed half-way leaves its partial file (as large as the store) where no listing shows it."""
    for path in backup_dir(store_path).glob(f".{glob.escape(backup_prefix(store_path))}*.partial"):
        try:
            if time.time() - path.stat().st_mtime > STALE_PARTIAL_S:
                path.unlink()
        except OSError:
            continue


def restore(store_path: Path, backup_path: Path, now: datetime) -> Path:
    """Put a backup in place of the store (which must not be open); the current store is kept first.
    A compressed backup is decompressed beside the store first, checked, and that file removed after.

    Returns the copy kept of the store as it was: a backup, or for a damaged store a
    plain copy of its file.
    """
    _check_target(store_path)
    if not backup_path.is_file():
        raise StoreError(f"{backup_path} is not a file")
    if not _is_compressed(backup_path):
        return _restore_from(store_path, backup_path, backup_path, now)
    meta = read_header(backup_path)
    plain = Path(tempfile.mkstemp(dir=store_path.parent, prefix=f".{store_path.name}.", suffix=".unpacked")[1])
    try:
        try:
            problem = _verify(backup_path, meta, into=plain)
        except OSError as exc:
            raise StoreError(f"cannot decompress {backup_path} beside the store: {exc.strerror or exc}") from None
        if problem:
            raise StoreError(f"{backup_path} is damaged ({problem}); choose another backup")
        return _restore_from(store_path, plain, backup_path, now)
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(plain) + suffix).unlink(missing_ok=True)


def decompress(backup_path: Path, into: Path) -> Path:
    """A compressed backup's SQLite file, written to into and checked against the size and SHA-256 it was
    written with (a plain .db backup is copied); a StoreError when it is damaged."""
    if not _is_compressed(backup_path):
        shutil.copyfile(backup_path, into)
        return into
    problem = _verify(backup_path, read_header(backup_path), into=into)
    if problem:
        into.unlink(missing_ok=True)
        raise StoreError(f"{backup_path} is damaged ({problem}); choose another backup")
    return into


def _is_compressed(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise StoreError(f"{path} is not a readable backup: {exc.strerror or exc}") from None
    return len(head) == 4 and struct.unpack("<I", head)[0] == SKIPPABLE


def _restore_from(store_path: Path, plain: Path, backup_path: Path, now: datetime) -> Path:
    """restore() from plain, an SQLite file (the backup itself, or a compressed one's content); errors name
    backup_path, the file the learner chose."""
    from .schema import APPLICATION_ID, SCHEMA_VERSION  # here: schema imports this module

    try:
        source = sqlite3.connect(plain.resolve().as_uri() + "?mode=ro", uri=True)
        ok = source.execute("PRAGMA quick_check").fetchone()[0]
        app_id = source.execute("PRAGMA application_id").fetchone()[0]
        version = source.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise StoreError(f"{backup_path} is not a readable backup: {exc}") from None
    problem = (
        f"is damaged ({ok.splitlines()[0]}); choose another backup" if ok != "ok"
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
        return create_backup(current, store_path, now, why="before a restore")
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
