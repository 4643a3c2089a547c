"""Never lose a review: backups, restore, upgrades, kills, one window per store."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards import backup, ops, schema
from cards.errors import StoreError
from cards.store import Store
from cards.wording import size
from tests.conftest import add_deck_with_cards

ROOT = Path(__file__).resolve().parent.parent


def opened(made: Path, folder: Path) -> sqlite3.Connection:
    """A backup's SQLite file, decompressed (and checked) into folder."""
    return sqlite3.connect(backup.decompress(made, folder / f"{made.name}.plain.db"))


def test_backup_is_a_consistent_copy_and_restore_brings_it_back(store, clock, tmp_path):
    card = store.next_card()
    ops.answer(store, card.id, 3)
    first = store.backup()
    assert backup.list_backups(store.path)[0].reviews == 1
    clock.advance(minutes=5)
    ops.answer(store, store.next_card().id, 3)
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 2
    safety = store.restore_from(first)
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 1
    # The store as it was before restoring is kept too.
    kept = opened(safety, tmp_path)
    assert kept.execute("SELECT count(*) FROM review").fetchone()[0] == 2
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # and the lists say which backup that is: the one a learner looks for after a restore they regret
    assert {b.path: b.why for b in backup.list_backups(store.path)} == {first: "", safety: "before a restore"}


def test_changed_since_backup(store):
    store.backup()
    assert not store.changed_since_backup()
    ops.answer(store, store.next_card().id, 3)
    assert store.changed_since_backup()


def test_rolling_schedule(tmp_path):
    store_path = tmp_path / "s.db"
    folder = backup.backup_dir(store_path)
    folder.mkdir()
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)
    made = []
    for hours in range(0, 400 * 24, 6):  # a backup every 6 hours for 400 days
        when = now - timedelta(hours=hours)
        path = folder / f"{backup.backup_prefix(store_path)}{when:{backup.STAMP}}.db"
        path.write_bytes(b"")
        made.append(when)
    backup.prune(store_path, now)
    left = sorted(b.created for b in backup.list_backups(store_path))
    recent = [t for t in left if now - t <= timedelta(days=2)]
    assert len(recent) == 9  # every one of the last 2 days (48 h / 6 h + 1)
    days = {t.date() for t in left if timedelta(days=2) < now - t <= timedelta(days=14)}
    assert len([t for t in left if timedelta(days=2) < now - t <= timedelta(days=14)]) == len(days)  # one a day
    assert all(now - t <= timedelta(days=366) for t in left)  # nothing older than a year
    monthly = [t for t in left if now - t > timedelta(days=61)]
    assert len(monthly) == len({(t.year, t.month) for t in monthly})


def test_upgrade_takes_a_backup_first(tmp_path, clock):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    schema.MIGRATIONS[0](db, None, print)
    db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.close()
    Store.open(path, clock=clock, load_builtin=False).close()
    (kept,) = backup.list_backups(path)
    assert kept.schema == 1  # read from the backup's first bytes
    assert opened(kept.path, tmp_path).execute("PRAGMA user_version").fetchone()[0] == 1


def test_cli_backup_list_and_restore(store, tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "studyplanner", "--db", str(store.path), *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip

    ops.answer(store, store.next_card().id, 3)
    result = cli("backup")
    assert result.returncode == 0 and "Backed up to" in result.stdout
    made = result.stdout.split("Backed up to ")[1].strip()
    listed = cli("backup", "--list").stdout.splitlines()
    assert len(listed) == 2 and "1 review " in listed[0] and made in listed[0]
    assert size(Path(made).stat().st_size) in listed[0]  # each backup's size, then the total against the budget
    assert listed[1] == f"1 backup takes {size(Path(made).stat().st_size)} of the 1,000 MB set for them."
    ops.answer(store, store.next_card().id, 3)
    store.close()
    result = cli("restore", made)
    assert result.returncode == 0, result.stderr
    assert sqlite3.connect(store.path).execute("SELECT count(*) FROM review").fetchone()[0] == 1
    kept = result.stdout.split("The store as it was is in ")[1].strip().rstrip(".")
    assert any(line.endswith(f"{kept}  (before a restore)") for line in cli("backup", "--list").stdout.splitlines())
    bad = tmp_path / "bad.db"
    bad.write_text("not a backup")
    result = cli("restore", str(bad))
    assert result.returncode == 1 and "not a readable backup" in result.stderr
    assert sqlite3.connect(store.path).execute("SELECT count(*) FROM review").fetchone()[0] == 1


def test_kill_during_review_loses_no_acknowledged_answer(tmp_path):
    """A review session piped through `studyplanner review`, killed with SIGKILL at random moments."""
    path = tmp_path / "kill.db"
    with Store.open(path, load_builtin=False) as s:
        ops.update_settings(s, new_per_day=9999)
        add_deck_with_cards(s, "Kill", 400)
    rng = random.Random(5)
    for _ in range(12):
        with Store.open(path, load_builtin=False) as s:
            before = s.db.execute("SELECT count(*) FROM review").fetchone()[0]
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "studyplanner", "--db", str(path), "review"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
            bufsize=1,
        )  # fmt: skip
        acknowledged = 0
        assert proc.stdin and proc.stdout
        while proc.stdout.readline().startswith("---") is False:
            pass  # up to the first question
        for _ in range(rng.randint(1, 25)):
            proc.stdin.write("\n" + rng.choice("1234") + "\n")  # show the answer, then rate
            proc.stdin.flush()
            line = proc.stdout.readline()
            while line and not line.startswith("\n---") and not line.startswith("---"):
                line = proc.stdout.readline()
            acknowledged += 1  # the next question was shown: the answer is acknowledged
        proc.stdin.write("\n" + rng.choice("1234") + "\n")  # one more in flight when the kill comes
        proc.stdin.flush()
        time.sleep(rng.random() * 0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        after = db.execute("SELECT count(*) FROM review").fetchone()[0]
        db.close()
        assert before + acknowledged <= after <= before + acknowledged + 1


def test_second_window_on_the_same_store_is_refused(qapp, tmp_path, monkeypatch):
    from PySide6.QtCore import QLockFile
    from PySide6.QtWidgets import QMessageBox

    from ui import app

    path = tmp_path / "one.db"
    first = QLockFile(str(path) + ".lock")
    assert first.tryLock(100)
    messages = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: messages.append(a[2]))
    assert app.run(str(path)) == 0
    assert "already open" in messages[0]
    assert not path.exists()  # the second start never opened (or created) the store
    first.unlock()


def test_answer_on_a_read_only_store_is_a_clear_error(tmp_path, clock):
    from cards.errors import StoreError

    path = tmp_path / "ro.db"
    with Store.open(path, clock=clock, load_builtin=False) as s:
        add_deck_with_cards(s, "RO", 2)
    s = Store.open(path, clock=clock, load_builtin=False)
    s.db.execute("PRAGMA query_only = ON")  # what a read-only file does to writes
    card = s.next_card()
    with pytest.raises(StoreError, match="read-only|cannot write"):
        ops.answer(s, card.id, 3)
    s.db.execute("PRAGMA query_only = OFF")
    assert s.db.execute("SELECT count(*) FROM review").fetchone()[0] == 0
    s.close()


def test_damaged_store_offers_the_latest_backup(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from ui import app
    from ui.backups_dialog import BackupsDialog

    path = tmp_path / "damaged.db"
    with Store.open(path, load_builtin=False) as s:
        add_deck_with_cards(s, "Big", 3000)
        s.backup()
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 6, page * 8):  # scribble over two pages in the middle of the file
        data[offset] = 0x5A
    path.write_bytes(bytes(data))
    offered = []

    def choose_latest(dialog: BackupsDialog) -> int:  # the learner picks the newest backup and confirms
        offered.append(dialog.backups)
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
        dialog.restore()
        return 1

    monkeypatch.setattr(BackupsDialog, "exec", choose_latest)
    from planner.plans import open_store

    store = open_store(path)
    window = app.open_window(store)
    assert offered and offered[0], "the damaged store made the app offer its backups"
    qtbot.addWidget(window)
    assert window.today.model.rowCount() == 1  # the restored store shows its deck
    assert len(backup.list_backups(path)) == 2  # the damaged store was kept too, not just written over
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    window.close()
    store.close()


def test_a_store_that_cannot_be_read_but_is_not_damaged_offers_no_restore(tmp_path, qtbot, monkeypatch):
    """Only damage (SQLite's corrupt or not-a-database) offers the backups; any other failure to
    read says what it was and leaves the store alone."""
    from PySide6.QtWidgets import QMessageBox

    from ui import app
    from ui.backups_dialog import BackupsDialog

    store = Store.open(tmp_path / "no-planner.db", load_builtin=False)  # the planner's tables were never made
    messages, offered = [], []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: messages.append(text))
    monkeypatch.setattr(BackupsDialog, "exec", lambda dialog: offered.append(dialog) or 0)
    assert app.open_window(store) is None
    assert not offered and "could not be read" in messages[0] and "no such table" in messages[0]
    store.close()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=600))
def test_deck_parser_never_crashes(text):
    from cards.deckfile import parse_deck
    from cards.errors import FileFormatError

    try:
        deck = parse_deck("# Deck\nkey: k\n\n" + text, "x.md")
    except FileFormatError as exc:
        assert str(exc).startswith("x.md")
    else:
        assert all(c.question and c.answer for c in deck.cards)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=600))
def test_plan_parser_never_crashes(text):
    from cards.errors import FileFormatError
    from planner.planfile import parse_plan

    try:
        plan = parse_plan("# Plan\nkey: p\n\n## Day 1: One\n- read: a\n" + text, "p.md")
    except FileFormatError as exc:
        assert str(exc).startswith("p.md")
    else:
        assert [d.number for d in plan.days] == list(range(1, len(plan.days) + 1))


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(["desired_retention", "new_per_day", "reviews_per_day", "day_start_hour",
                          "maximum_interval", "learning_steps"]),
    value=st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=5),
                    st.lists(st.floats(-5, 20000), max_size=3)),
)  # fmt: skip
def test_settings_values_are_validated(name, value):
    from cards.errors import SettingsError
    from cards.settings import SchedulingSettings

    try:
        result = SchedulingSettings().replace(**{name: value})
    except SettingsError:
        return
    SchedulingSettings.from_json(result.to_json())  # what was accepted is valid and survives a round trip


def test_a_second_connection_keeps_the_stores_locks_so_others_see_every_commit(store, tmp_path):
    """The window's worker connection must not drop the process's SQLite locks (closing any descriptor
    of the file does): another program would then delete the live WAL, and commits would be lost."""
    import subprocess
    import sys

    worker = store.sibling()
    read = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])"
    query = "SELECT value FROM setting WHERE key = 'pref:probe'"
    store.set_value("probe", "one")
    subprocess.run([sys.executable, "-c", read, str(store.path), "SELECT count(*) FROM card"], check=True)
    store.set_value("probe", "two")
    seen = subprocess.run([sys.executable, "-c", read, str(store.path), query], capture_output=True, text=True)
    assert seen.stdout.strip() == '"two"'
    worker.close()


def test_stores_sharing_a_folder_each_list_their_own_backups(tmp_path, clock):
    """Every store's backups went to one shared name, so `backup --list` showed other stores' backups;
    and each read-only look at a backup left -wal and -shm files beside it."""
    made = {}
    for name in ("work", "home"):
        path = tmp_path / f"{name}.db"
        with Store.open(path, clock=clock, load_builtin=False) as store:
            made[name] = backup.create_backup(store.db, path, clock.now())
    for name in ("work", "home"):
        listed = backup.list_backups(tmp_path / f"{name}.db")
        assert [b.path for b in listed] == [made[name]] and listed[0].cards == 0
    assert not [p for p in backup.backup_dir(tmp_path / "work.db").iterdir() if not p.name.endswith(backup.SUFFIX)]


def test_a_second_start_brings_the_open_window_forward_without_a_box(qapp, qtbot, tmp_path, monkeypatch):
    """The second start raised the first window and also showed a box that had to be dismissed."""
    from PySide6.QtCore import QLockFile
    from PySide6.QtWidgets import QMessageBox, QWidget

    from ui import app

    path = tmp_path / "one.db"
    first = QLockFile(str(path) + ".lock")
    assert first.tryLock(100)
    window = QWidget()
    qtbot.addWidget(window)
    server = app._listen_for_second_window(path, window)
    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: messages.append(a[2]))
    assert app.run(str(path)) == 0
    assert messages == []
    server.close()
    first.unlock()


def test_answers_given_in_an_open_review_after_a_restore_reach_the_store(tmp_path):
    """`restore` while `studyplanner review` ran on the same store: the answers acknowledged after it
    went to the replaced file, which nothing reads, silently. The restore is now made in place."""
    from planner.plans import open_store

    path = tmp_path / "busy.db"
    with open_store(path, load_builtin=False) as s:  # a whole store, plans' tables too
        add_deck_with_cards(s, "Busy", 5)
        made = backup.create_backup(s.db, path, datetime.now(UTC))  # cards, no answers
    review = subprocess.Popen(
        [sys.executable, "-m", "studyplanner", "--db", str(path), "review"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert review.stdin is not None and review.stdout is not None
    review.stdin.write("\n3\n")  # one answer before the restore
    review.stdin.flush()
    time.sleep(1.0)
    backup.restore(path, made, datetime.now(UTC))
    review.stdin.write("\n3\n\n3\nq\n")  # two more after it, acknowledged by the next question
    review.stdin.flush()
    _, err = review.communicate(timeout=60)
    assert review.returncode == 0, err
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM review").fetchone()[0] == 2  # the two after the restore
    db.close()


def test_an_answer_committed_while_a_restore_runs_is_in_the_copy_kept_or_the_restored_store(tmp_path, clock):
    """The copy of the store kept by a restore was taken before the restore began: an answer committed
    in between was in neither file (4 of 1,706 in a 40 s soak with 14 restores). The copy is now taken
    under the restore's own write lock."""
    import threading

    path = tmp_path / "busy.db"
    with Store.open(path, load_builtin=False, clock=clock) as s:
        add_deck_with_cards(s, "Busy", 3000)
        made = backup.create_backup(s.db, path, clock.now())
    acknowledged: list[int] = []
    restored = threading.Event()

    def answer_on() -> None:  # another review, answering as fast as it can until the restore is over
        with Store.open(path, load_builtin=False, clock=clock) as other:
            cards = [row[0] for row in other.db.execute("SELECT id FROM card ORDER BY id")]
            for card_id in cards:
                if restored.is_set():
                    return
                try:
                    ops.answer(other, card_id, 3)
                except StoreError:
                    continue  # refused, and said so (busy): not acknowledged
                acknowledged.append(card_id)  # each card is answered once: its id names the answer

    writer = threading.Thread(target=answer_on)
    writer.start()
    while len(acknowledged) < 20:
        time.sleep(0.001)
    kept = backup.restore(path, made, clock.now())
    restored.set()
    writer.join()
    found = set()
    for copy in (path, backup.decompress(kept, tmp_path / "kept.db")):
        db = sqlite3.connect(copy)
        found.update(row[0] for row in db.execute("SELECT card_id FROM review"))
        db.close()
    assert acknowledged and set(acknowledged) <= found


@pytest.mark.parametrize("kind", ["empty", "another program", "newer"])
def test_restore_refuses_what_is_not_one_of_our_backups(tmp_path, kind):
    """`restore` put any SQLite file in place of the store: a 0-byte file, another program's database."""
    path = tmp_path / "s.db"
    with Store.open(path, load_builtin=False) as s:
        add_deck_with_cards(s, "Mine", 2)
    other = tmp_path / "other.db"
    if kind == "empty":
        other.write_bytes(b"")
    else:
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE t (x)")
        if kind == "newer":
            db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
        db.commit()
        db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a Study Planner backup|newer Study Planner"):
        backup.restore(path, other, datetime.now(UTC))
    assert path.read_bytes() == before


class AtCommit:
    """The store's connection, with something happening at COMMIT: before it instead of it (a full disk:
    SQLite rolls back and fails), or just after it (Ctrl+C). The disk and the keyboard are the boundaries."""

    def __init__(self, db: sqlite3.Connection, before=None, after=None) -> None:
        self.db, self.before, self.after = db, before, after

    def __getattr__(self, name: str):
        return getattr(self.db, name)

    def execute(self, sql: str, *args):
        if sql == "COMMIT" and self.before:
            self.before(self.db)
        result = self.db.execute(sql, *args)
        if sql == "COMMIT" and self.after:
            self.after(self.db)
        return result


def test_a_full_disk_says_so_and_keeps_every_earlier_answer(tmp_path, clock):
    """A full disk during review or import said "cannot rollback - no transaction is active": SQLite rolls
    a transaction back itself when the disk fills at its commit, and our ROLLBACK then failed, hiding why.
    The disk is the boundary: its COMMIT fails as SQLite's does on a full disk (seen on a 3 MB tmpfs)."""

    def disk_full(db: sqlite3.Connection) -> None:
        db.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL at commit
        raise sqlite3.OperationalError("database or disk is full")

    path = tmp_path / "full.db"
    s = Store.open(path, clock=clock, load_builtin=False)
    add_deck_with_cards(s, "Full", 3)
    ops.answer(s, s.next_card().id, 3)
    real = s.db
    s.db = AtCommit(real, before=disk_full)  # type: ignore[assignment]
    with pytest.raises(StoreError, match="the disk is full"):
        ops.answer(s, s.next_card().id, 3)
    s.db = real
    assert real.execute("SELECT count(*) FROM review").fetchone()[0] == 1  # the earlier answer, kept
    assert real.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    s.close()


def test_pipes_and_devices_are_refused_before_any_read(tmp_path, clock):
    """A named pipe made `import` wait forever, /dev/zero was read without end, and a pipe in backups/
    hung `backup --list`. Run in a child with a time limit: a hang fails the test instead of the suite."""
    fifo = tmp_path / "deck.csv"
    os.mkfifo(fifo)
    store_path = tmp_path / "s.db"
    with Store.open(store_path, clock=clock, load_builtin=False):
        pass
    (tmp_path / "backups").mkdir(exist_ok=True)
    os.mkfifo(tmp_path / "backups" / "s-20261130-120000.db")
    for command in (["import", str(fifo)], ["import", "/dev/zero"], ["plan", "import", str(fifo)],
                    ["backup", "--list"]):  # fmt: skip
        result = subprocess.run([sys.executable, "-m", "studyplanner", "--db", str(store_path), *command],
                                capture_output=True, text=True, cwd=ROOT, timeout=30)  # fmt: skip
        assert "Traceback" not in result.stderr, command
        if command[0] != "backup":
            assert result.returncode == 1 and "not a regular file" in result.stderr, command
        else:
            assert result.returncode == 0


@pytest.mark.parametrize("stored", ["{bad json", "[1, 2]", '{"new_per_day": "many", "desired_retention": 0.85}'])
def test_damaged_settings_fall_back_to_the_defaults_instead_of_a_traceback(tmp_path, clock, stored):
    """Damaged settings JSON in the store stopped every command with a JSONDecodeError traceback."""
    path = tmp_path / "s.db"
    with Store.open(path, clock=clock, load_builtin=False) as s:
        deck = add_deck_with_cards(s, "D", 3)
        s.db.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('scheduling', ?)", (stored,))
        s.db.execute("UPDATE deck SET options = ? WHERE id = ?", (stored, deck))
    with Store.open(path, clock=clock, load_builtin=False) as s:
        settings = s.settings(deck)
        assert settings.new_per_day == 20  # the default, where the stored value cannot be read
        assert settings.desired_retention == (0.85 if "0.85" in stored else 0.9)  # what can be read stays
        assert s.queue_counts(deck).new == 3
    result = subprocess.run([sys.executable, "-m", "studyplanner", "--db", str(path), "decks"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_ctrl_c_just_after_an_import_commits_is_an_interrupt_not_a_traceback(store, tmp_path):
    """Ctrl+C during an import's commit: the import landed, but our ROLLBACK then failed and its
    OperationalError (a traceback, exit 1) replaced the interrupt. The keyboard is the boundary: the
    COMMIT goes through and the interrupt arrives right after it."""
    from cards import formats

    def interrupt(_db: sqlite3.Connection) -> None:
        raise KeyboardInterrupt

    deck = tmp_path / "deck.csv"
    deck.write_text("question,answer\nQ1?,A1\nQ2?,A2\n")
    real = store.db
    store.db = AtCommit(real, after=interrupt)  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        formats.import_file(store, deck, deck="Interrupted")
    store.db = real
    landed = real.execute("SELECT count(*) FROM card c JOIN deck d ON d.id = c.deck_id "
                          "WHERE d.name = 'Interrupted'").fetchone()[0]  # fmt: skip
    assert landed == 2 and real.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_writer_kept_waiting_names_the_program_that_holds_the_store(tmp_path, clock):
    """Another program holding the write lock: the answer waits (SQLite's 5 s), then says which program
    has the store open, by name and pid, where the system tells (Linux)."""
    path = tmp_path / "held.db"
    with Store.open(path, clock=clock, load_builtin=False) as s:
        add_deck_with_cards(s, "Held", 2)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None);"
         " db.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(30)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        s = Store.open(path, clock=clock, load_builtin=False)
        with pytest.raises(StoreError, match="is busy") as error:
            ops.answer(s, s.next_card().id, 3)
        if sys.platform.startswith("linux"):
            assert f"(pid {holder.pid})" in str(error.value)
        assert s.db.execute("SELECT count(*) FROM review").fetchone()[0] == 0
        s.close()
    finally:
        holder.kill()
        holder.wait()


def test_a_short_soak_of_random_operations_and_kills_loses_no_acknowledged_answer(tmp_path):
    """bench/soak.py for 15 s (30 minutes there): reviews, imports, exports, backups, restores, stats and
    plan reads from three workers' processes at once, reviews and imports killed with SIGKILL at random
    moments. Each acknowledged answer is looked for by its card and moment, in the store or in the copy a
    restore kept of the store it replaced."""
    from bench import soak

    result = soak.run(seconds=15, workers=3, folder=tmp_path)
    assert result["integrity"] == "ok" and result["replay_mismatches"] == 0
    assert result["acknowledged_answers"] > 0 and result["acknowledged_answers_lost"] == 0
    assert result["operations"].get("review killed", 0) > 0 and result["operations"].get("restore", 0) > 0


def test_a_damaged_store_is_one_line_for_every_command_is_never_written_and_restores(tmp_path, capsys):
    from planner.plans import open_store
    from studyplanner.cli import main

    path = tmp_path / "damaged.db"
    with open_store(path, load_builtin=False) as s:
        add_deck_with_cards(s, "Big", 3000)
        good = s.backup()
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096 * 6 : 4096 * 8] = b"\x5a" * (4096 * 2)  # two pages of the card table scribbled over
    path.write_bytes(bytes(data))
    damaged = path.read_bytes()

    def run(*args: str) -> tuple[int, str]:
        status = main(["--db", str(path), *args])
        return status, capsys.readouterr().err

    rag = str(ROOT / "decks" / "03-rag-failure-modes.md")
    for command in (["decks"], ["stats"], ["review", "--limit", "1"], ["backup"], ["plan", "show"],
                    ["settings", "desired_retention", "0.85"], ["import", rag]):  # fmt: skip
        status, err = run(*command)
        assert status == 1 and "Traceback" not in err, command
        assert "is damaged" in err and "studyplanner restore" in err, (command, err)
        assert path.read_bytes() == damaged, f"{command} wrote to the damaged store"
    assert backup.list_backups(path, counts=False)[0].path == good, "a damaged copy pushed no good backup out"

    status, err = run("restore", str(good))
    assert status == 0, err
    assert run("decks") == (0, "")
    with Store.open(path, load_builtin=False) as s:
        assert s.db.execute("SELECT count(*) FROM card").fetchone()[0] == 3000


@pytest.mark.parametrize("year", [1969, 2200])
def test_a_store_is_not_opened_under_a_clock_set_far_wrong(tmp_path, year):
    from cards.errors import StudyPlannerError
    from cards.timeutil import FixedClock

    with pytest.raises(StudyPlannerError, match=f"the computer's clock reads {year}-"):
        Store.open(tmp_path / "s.db", clock=FixedClock(datetime(year, 7, 20, tzinfo=UTC)))
    assert not (tmp_path / "s.db").exists()


def test_backups_made_in_the_same_second_by_several_processes_are_each_kept(tmp_path, clock):
    """Two backups in one second (a restore's copy of the store and another process's backup) shared a
    partial file and a name: the second's rename replaced the first (29 answers of a 6-minute soak were
    in no file). Each now writes a partial file of its own and claims its name exclusively."""
    import threading

    path = tmp_path / "s.db"
    Store.open(path, load_builtin=False, clock=clock).close()
    start = threading.Barrier(8)
    made: list[Path] = []

    def back_up(i: int) -> None:
        db = sqlite3.connect(path)
        start.wait()
        made.append(backup.create_backup(db, path, clock.now()))
        db.close()

    threads = [threading.Thread(target=back_up, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8 and sorted(made) == sorted(b.path for b in backup.list_backups(path))
    assert not list(backup.backup_dir(path).glob("*.partial"))


def test_a_backup_is_compressed_smaller_than_the_store_and_decompresses_to_an_intact_store(tmp_path, clock):
    path = tmp_path / "big.db"
    with Store.open(path, clock=clock, load_builtin=False) as s:
        add_deck_with_cards(s, "Big", 3000)
        made = s.backup()
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert made.name.endswith(".db.zst") and made.name.startswith("big-")
    assert made.stat().st_size < path.stat().st_size / 2
    (listed,) = backup.list_backups(path)
    assert (listed.cards, listed.reviews, listed.schema) == (3000, 0, schema.SCHEMA_VERSION)
    assert listed.size == made.stat().st_size
    db = sqlite3.connect(backup.decompress(made, tmp_path / "plain.db"))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM card").fetchone()[0] == 3000
    db.close()
    # The plain zstd tool reads it too: the description's frame is one every zstd decoder skips.
    import zstandard

    with made.open("rb") as fh:
        content = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True).read()
    assert content == (tmp_path / "plain.db").read_bytes()
    assert sorted(p.name for p in backup.backup_dir(path).iterdir()) == [made.name]  # no partial file left


@pytest.mark.parametrize("where", ["content", "description", "end"])
def test_a_damaged_compressed_backup_is_refused_at_restore_and_changes_nothing(tmp_path, clock, where):
    path = tmp_path / "s.db"
    with Store.open(path, clock=clock, load_builtin=False) as s:
        add_deck_with_cards(s, "Mine", 500)
        made = s.backup()
        ops.answer(s, s.next_card().id, 3)
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(made.read_bytes())
    at = {"content": len(data) // 2, "description": 20, "end": len(data) - 3}[where]
    for i in range(at, at + 3):
        data[i] ^= 0xFF
    made.write_bytes(bytes(data))
    before = path.read_bytes()
    files = lambda: sorted(p for p in tmp_path.rglob("*") if not p.name.endswith(("-wal", "-shm")))  # noqa: E731
    files_before = files()
    with pytest.raises(StoreError, match="is damaged") as error:
        backup.restore(path, made, clock.now())
    assert "\n" not in str(error.value) and "choose another backup" in str(error.value)
    assert path.read_bytes() == before
    assert files() == files_before  # no copy kept, no decompressed file left
    result = subprocess.run([sys.executable, "-m", "studyplanner", "--db", str(path), "restore", str(made)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert result.returncode == 1 and "is damaged" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == before


def test_an_old_uncompressed_backup_is_still_listed_pruned_and_restored(tmp_path, clock):
    path = tmp_path / "s.db"
    with Store.open(path, clock=clock, load_builtin=False) as s:
        add_deck_with_cards(s, "Mine", 5)
        old = backup.backup_dir(path) / f"s-{clock.now() - timedelta(days=1):{backup.STAMP}}.db"
        old.parent.mkdir()
        copy = sqlite3.connect(old)
        s.db.backup(copy)  # as the earlier versions wrote it
        copy.execute("PRAGMA journal_mode = DELETE")
        copy.close()
        ops.answer(s, s.next_card().id, 3)
        s.backup()
    listed = backup.list_backups(path)
    assert [b.compressed for b in listed] == [True, False] and listed[1].reviews == 0 and listed[1].cards == 5
    kept = backup.restore(path, old, clock.now())
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM review").fetchone()[0] == 0
    db.close()
    assert sqlite3.connect(backup.decompress(kept, tmp_path / "kept.db")).execute(
        "SELECT count(*) FROM review").fetchone()[0] == 1  # fmt: skip
    clock.advance(days=400)
    backup.prune(path, clock.now(), budget=10**9)
    assert not old.exists()  # older than a year: pruned like any other


def _fake_backups(store_path: Path, now: datetime, days: int, every_hours: int, size: int) -> None:
    folder = backup.backup_dir(store_path)
    folder.mkdir(exist_ok=True)
    for hours in range(0, days * 24, every_hours):
        when = now - timedelta(hours=hours)
        suffix = ".db" if hours % 48 == 12 else backup.SUFFIX  # old and new kinds mixed
        (folder / f"{backup.backup_prefix(store_path)}{when:{backup.STAMP}}{suffix}").write_bytes(b"x" * size)


def test_prune_keeps_the_backups_within_the_budget_but_always_the_newest_and_one_a_day_for_a_week(tmp_path):
    store_path = tmp_path / "s.db"
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)
    _fake_backups(store_path, now, days=90, every_hours=6, size=100_000)
    scheduled = len(backup.list_backups(store_path))
    backup.prune(store_path, now)  # no budget: the schedule alone
    scheduled = len(backup.list_backups(store_path))
    assert scheduled > 20
    backup.prune(store_path, now, budget=1_500_000)
    left = backup.list_backups(store_path)
    assert sum(b.size for b in left) <= 1_500_000 and len(left) == 15
    assert left[0].created == now  # the newest
    # The oldest went first: what is left is the newest ones of the schedule.
    assert min(b.created for b in left) > now - timedelta(days=14)
    last_week = {b.created.date() for b in left if now - b.created <= timedelta(days=7)}
    assert len(last_week) == 8  # today and each of the 7 days before
    usage = backup.usage(store_path, now, 1_500_000)
    assert (usage.count, usage.total, usage.over) == (15, 1_500_000, False)

    backup.prune(store_path, now, budget=0)  # over the budget, the newest and one a day are kept all the same
    left = backup.list_backups(store_path)
    assert len(left) == 8 and left[0].created == now
    assert {b.created.date() for b in left} == {(now - timedelta(days=d)).date() for d in range(8)}
    for day in {b.created.date() for b in left}:  # the newest of its day
        assert max(b.created for b in left if b.created.date() == day) == max(
            t for t in (now - timedelta(hours=h) for h in range(0, 8 * 24, 6)) if t.date() == day)  # fmt: skip
    usage = backup.usage(store_path, now, 0)
    assert usage.over and usage.over_because_always_kept and usage.count == 8


def test_a_backup_is_pruned_to_the_space_set_for_backups(store, clock):
    ops.update_settings(store, backup_space_mb=0)
    for _ in range(3):
        ops.answer(store, store.next_card().id, 3)
        store.backup()
        clock.advance(days=1)
    store.backup()
    assert len(backup.list_backups(store.path)) == 4  # one a day, kept over the budget
    for _ in range(3):
        clock.advance(minutes=30)
        store.backup()
    left = backup.list_backups(store.path)
    assert len(left) == 4 and left[0].created == clock.now()  # the day's newest replaced its earlier ones


def test_a_partial_file_left_by_a_killed_backup_is_removed_by_a_later_prune(tmp_path, clock):
    """A backup killed half-way left its partial file (as large as the store), which no listing showed."""
    path = tmp_path / "s.db"
    folder = backup.backup_dir(path)
    folder.mkdir()
    stale, fresh, other = folder / ".s-abc.partial", folder / ".s-def.zst.partial", folder / ".work-abc.partial"
    for file in (stale, fresh, other):
        file.write_bytes(b"x" * 1000)
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    backup.prune(path, clock.now(), budget=10**9)
    assert not stale.exists() and fresh.exists()  # one being written now stays
    assert other.exists()  # another store's
