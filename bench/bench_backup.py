"""Backups: one backup of a 100,000-card / 1,000,000-answer store (size and time, against the store's own size,
by step and by zstd level), and the backups folder after a simulated year of daily study.

    python bench/bench_backup.py [CARDS]      # the year's store: 2,000 cards by default (see below)

The year: each day a session at 18:00 UTC adds answers (copies of answers in the log, so the store grows as a
learner's does), a backup is written at 18:30 and 19:00 (the window's periodic ones) and at 19:05 (on close),
each through Store.backup() with an injected clock and the default space for backups, pruning each time.
That is 1,095 backups: at 10,000 cards a backup takes 0.5 s here, about 9 minutes for the year, so it runs on
a smaller store, and what the same year's backups would take at 100,000 cards is worked out from the size of
one backup in (a), through the same pruning (cards.backup.kept).
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, build_store, save
from cards import backup
from cards.settings import SchedulingSettings
from cards.store import Store
from cards.timeutil import FixedClock
from cards.wording import size

BIG = (100_000, 1_000_000)
YEAR_CARDS = 2_000
ANSWERS_A_DAY = 100
LEVELS = (1, 3, 9)


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def one_backup(tmp: Path) -> dict:
    """(a) A backup of the large store: whole, by step, by level; and a restore from it."""
    path = build_store(tmp / "big.db", *BIG)
    raw = path.stat().st_size
    store = Store.open(path, clock=FixedClock(NOW), tz=UTC, load_builtin=False)
    seconds, made = _timed(store.backup)
    assert isinstance(made, Path)
    made_bytes = made.stat().st_size
    steps: dict[str, float] = {}
    copy = tmp / "copy.db"
    target = sqlite3.connect(copy)
    steps["copy (SQLite backup API)"], _ = _timed(lambda: store.db.backup(target))
    steps["quick_check"], _ = _timed(lambda: target.execute("PRAGMA quick_check").fetchone())
    steps["integrity_check"], _ = _timed(lambda: target.execute("PRAGMA integrity_check").fetchone())
    target.execute("PRAGMA journal_mode = DELETE")
    target.close()
    store.close()
    levels = {}
    for level in LEVELS:
        for threads in (-1, 0):
            packed = tmp / f"level-{level}.zst"

            def pack(level: int = level, threads: int = threads, packed: Path = packed) -> None:
                compressor = zstandard.ZstdCompressor(level=level, threads=threads, write_checksum=True)
                with copy.open("rb") as src, packed.open("wb") as dst:
                    compressor.copy_stream(src, dst, size=copy.stat().st_size)

            took, _ = _timed(pack)
            levels[f"level {level}, {'all cores' if threads else 'one core'}"] = {
                "seconds": round(took, 2), "bytes": packed.stat().st_size}  # fmt: skip
            packed.unlink()
    steps["read back (decompress and hash)"], problem = _timed(
        lambda: backup._verify(made, backup.read_header(made)))  # fmt: skip
    assert problem is None, problem
    restore_into = tmp / "big.db"  # closed: restored in place, the store as it was backed up first
    restore_s, kept = _timed(lambda: backup.restore(restore_into, made, NOW + timedelta(minutes=1)))
    assert isinstance(kept, Path)
    for file in (made, kept, copy):
        file.unlink(missing_ok=True)
    return {
        "cards": BIG[0], "answers": BIG[1], "store_bytes": raw, "backup_bytes": made_bytes,
        "backup_s": round(seconds, 2), "level": backup.LEVEL,
        "steps_s": {k: round(v, 2) for k, v in steps.items()}, "levels": levels, "restore_s": round(restore_s, 2),
    }  # fmt: skip


def _grow(store: Store, seed: int, moment: datetime, count: int) -> None:
    """count more answers in the log: copies of answers already there (a spread of them, by seed), given new
    ids (their moment); read from the log's own columns, whatever they are."""
    columns = [row[1] for row in store.db.execute("PRAGMA table_info(review)")]
    others = ", ".join(c for c in columns if c != "id")
    store.db.execute("BEGIN")
    store.db.execute(
        f"INSERT INTO review (id, {others}) SELECT ? + row_number() OVER (), {others} FROM "
        f"(SELECT {others} FROM review ORDER BY (id * ?) % 1000003 LIMIT ?)",
        (int(moment.timestamp() * 1000), seed + 1, count),
    )
    store.db.execute("COMMIT")


def a_year(tmp: Path, cards: int) -> dict:
    """(b) A year of daily study: three backups a day, pruned each time within the default space."""
    path = build_store(tmp / "year.db", cards, cards * 10)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    clock = FixedClock(start)
    store = Store.open(path, clock=clock, tz=UTC, load_builtin=False)
    budget = store.backup_budget()
    folder = backup.backup_dir(path)
    peak = made = 0
    began = time.perf_counter()
    for day in range(365):
        session = start + timedelta(days=day, hours=18)
        for minutes in (30, 60, 65):
            clock.set(session + timedelta(minutes=minutes))
            if minutes < 65:
                _grow(store, day * 3 + minutes, clock.now(), ANSWERS_A_DAY // 2)
            store.backup()
            made += 1
            peak = max(peak, sum(p.stat().st_size for p in folder.iterdir()))
    seconds = time.perf_counter() - began
    now = clock.now()
    left = backup.list_backups(path)
    answers = store.db.execute("SELECT count(*) FROM review").fetchone()[0]
    store.close()
    ages = [now - b.created for b in left]
    return {
        "cards": cards, "answers_at_start": cards * 10, "answers_at_end": answers, "backups_made": made,
        "seconds": round(seconds, 1), "budget_bytes": budget, "left": len(left),
        "left_bytes": sum(b.size for b in left), "peak_bytes": peak,
        "newest_bytes": left[0].size, "store_bytes_at_end": path.stat().st_size,
        "left_by_age": {
            "2 days": sum(a <= timedelta(days=2) for a in ages),
            "2 to 14 days": sum(timedelta(days=2) < a <= timedelta(days=14) for a in ages),
            "14 to 61 days": sum(timedelta(days=14) < a <= timedelta(days=61) for a in ages),
            "61 days to a year": sum(a > timedelta(days=61) for a in ages),
        },
        "_left": left, "_now": now,
    }  # fmt: skip


def at_big_size(year: dict, big_backup: int, big_store: int) -> dict:
    """The same year's backups, each the size of one backup of the large store: the schedule alone, and
    within the default space; and, as before compression and the space, the schedule's uncompressed copies."""
    left = [replace(b, size=big_backup) for b in year.pop("_left")]
    now = year.pop("_now")
    budget = SchedulingSettings().backup_space_mb * 1_000_000
    scheduled = backup.kept(left, now)
    within = backup.kept(left, now, budget)
    return {
        "schedule_alone": len(scheduled), "schedule_alone_bytes": len(scheduled) * big_backup,
        "within_budget": len(within), "within_budget_bytes": len(within) * big_backup,
        "before_bytes": len(scheduled) * big_store,
    }  # fmt: skip


def run(cards: int = YEAR_CARDS) -> dict:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        one = one_backup(tmp)
        shutil.rmtree(backup.backup_dir(tmp / "big.db"), ignore_errors=True)
        year = a_year(tmp, cards)
        big_year = at_big_size(year, one["backup_bytes"], one["store_bytes"])
    return {"one_backup": one, "year": year, "year_at_100k": big_year}


def main() -> None:
    results = run(int(sys.argv[1]) if len(sys.argv) > 1 else YEAR_CARDS)
    one, year, big_year = results["one_backup"], results["year"], results["year_at_100k"]

    print(f"(a) One backup of {one['cards']:,} cards / {one['answers']:,} answers, zstd level {one['level']}:")
    print(f"  store {size(one['store_bytes'])}, backup {size(one['backup_bytes'])} "
          f"({one['backup_bytes'] / one['store_bytes']:.0%} of it), written in {one['backup_s']} s")  # fmt: skip
    for step, seconds in one["steps_s"].items():
        print(f"    {step:<34} {seconds:6.2f} s")
    print("  compressing the checked copy:")
    for name, r in one["levels"].items():
        print(f"    {name:<34} {r['seconds']:6.2f} s  {size(r['bytes']):>9}")
    print(f"  restore from it (decompress, check, back up the store, copy in): {one['restore_s']} s")
    print(f"(b) A year of daily study on {year['cards']:,} cards ({year['answers_at_start']:,} answers, "
          f"{year['answers_at_end']:,} at the end), {year['backups_made']:,} backups "
          f"in {year['seconds']} s:")  # fmt: skip
    print(f"  at the end: {year['left']} backups, {size(year['left_bytes'])} (newest {size(year['newest_bytes'])}, "
          f"store {size(year['store_bytes_at_end'])}); largest the folder was: {size(year['peak_bytes'])}; "
          f"space set: {size(year['budget_bytes'])}")  # fmt: skip
    print("  kept by age: " + ", ".join(f"{n} of {age}" for age, n in year["left_by_age"].items()))
    print(f"  the same backups at {one['cards']:,} cards ({size(one['backup_bytes'])} each): the schedule alone "
          f"keeps {big_year['schedule_alone']} ({size(big_year['schedule_alone_bytes'])}); within the default "
          f"space {big_year['within_budget']} ({size(big_year['within_budget_bytes'])}); before (uncompressed "
          f"copies, no space set) {size(big_year['before_bytes'])}")  # fmt: skip
    print("saved", save("backup", results))


if __name__ == "__main__":
    main()
