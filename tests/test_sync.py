"""Sync through Anki's own sync server (`python -m anki.syncserver`, run here on 127.0.0.1), with the `anki`
library's Collection standing in for AnkiDroid: what it downloads, answers and sends back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cards import backup, ops, sync
from cards.scheduling import QUEUE_SUSPENDED
from cards.store import Store
from cards.timeutil import FixedClock
from tests.conftest import add_deck_with_cards

anki_collection = pytest.importorskip("anki.collection")
Collection = anki_collection.Collection
USER, PASSWORD = "learner", "s3cret"


@pytest.fixture
def server(tmp_path):
    """Anki's sync server on a free port, with one user, for the test's time."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SYNC_USER1": f"{USER}:{PASSWORD}", "SYNC_BASE": str(tmp_path / "server"),
           "SYNC_HOST": "127.0.0.1", "SYNC_PORT": str(port)}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "anki.syncserver"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the sync server did not start") from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=10)


class Phone:
    """An Anki client, as AnkiDroid is one: its own collection, synced by Anki's code."""

    def __init__(self, path: Path, server: str) -> None:
        self.col = Collection(str(path))
        self.auth = self.col.sync_login(USER, PASSWORD, server)

    def sync(self, media: bool = False) -> None:
        out = self.col.sync_collection(self.auth, False)
        if out.required in (out.FULL_DOWNLOAD, out.FULL_SYNC):
            self.col.close_for_full_sync()
            self.col.full_upload_or_download(auth=self.auth, server_usn=out.server_media_usn, upload=False)
            self.col.reopen(after_full_sync=True)
        if media:  # as AnkiDroid: started, then waited for
            self.col.sync_media(self.auth)
            while self.col.media_sync_status().active:
                time.sleep(0.05)

    def answer(self, front_contains: str, ease: int) -> int:
        (cid,) = self.col.find_cards(f'"front:*{front_contains}*"')
        card = self.col.get_card(cid)
        card.start_timer()
        self.col.sched.answerCard(card, ease)
        return self.col.db.scalar("SELECT max(id) FROM revlog WHERE cid = ?", cid)


def _desk_and_phone(server: str, tmp_path: Path) -> tuple[Store, list, Phone]:
    """A desk that has synced once (one card answered), and a phone that has downloaded it."""
    desk = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    cards = desk.cards(desk.decks()[0].id)
    ops.answer(desk, cards[1].id, 3)
    sync.sync(desk, server=server, user=USER, password=PASSWORD)
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    return desk, cards, phone


def _store(path: Path, clock) -> Store:
    store = Store.open(path, load_builtin=False, clock=clock)
    deck_id = add_deck_with_cards(store, "Attention", 4)
    ops.add_card(store, deck_id, "Why divide by $\\sqrt{d_k}$?", "To keep the **softmax** out of saturation.")
    return store


def test_answers_go_to_the_phone_and_the_phone_s_answers_come_back(server, tmp_path):
    clock = FixedClock(datetime.now(UTC) - timedelta(minutes=5))
    desk = _store(tmp_path / "desk" / "study.db", clock)
    first, second = (c.id for c in desk.cards(desk.decks()[0].id)[:2])
    ops.answer(desk, first, 3)
    ops.answer(desk, second, 1)
    summary = sync.sync(desk, server=server, user=USER, password=PASSWORD).value
    assert (summary.sent, summary.received, summary.cards_sent, summary.full) == (2, 0, 5, "upload")
    assert desk.get_value(sync.HKEY_KEY) and desk.get_value(sync.SERVER_KEY) == server  # no password again

    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    assert phone.col.note_count() == 5 and phone.col.db.scalar("SELECT count() FROM revlog") == 2
    (math,) = phone.col.find_notes('"front:*divide*"')
    assert phone.col.get_note(math).fields == [  # math for MathJax to set, emphasis as HTML
        "<p>Why divide by \\(\\sqrt{d_k}\\)?</p>", "<p>To keep the <strong>softmax</strong> out of saturation.</p>"]
    (nid,) = phone.col.find_notes('"front:*question 3*"')
    assert phone.col.get_note(nid).fields[0] == "<p>Attention question 3</p>"  # Markdown as HTML
    answered_there = phone.answer("question 3", 3)
    phone.sync()

    clock.advance(minutes=10)
    back = sync.sync(desk).value  # server and user remembered; no password
    assert (back.sent, back.received) == (0, 1)
    (card,) = [c for c in desk.cards(desk.decks()[0].id) if c.question == "Attention question 3"]
    log = desk.db.execute("SELECT id, rating FROM review WHERE card_id = ?", (card.id,)).fetchall()
    assert log == [(answered_there, 3)] and card.reps == 1 and card.state != 0  # replayed on our side
    (there,) = phone.col.find_cards('"front:*question 3*"')
    anki_state = phone.col.get_card(there).memory_state  # what Anki's FSRS computed on the phone
    assert anki_state is not None and abs(card.stability - anki_state.stability) / anki_state.stability < 0.01
    assert sync.sync(desk).value.received == 0  # nothing twice
    phone.col.close()
    desk.close()


SHIPPED = "# Shipped\nkey: shipped\n\n" + "".join(
    f"## Shipped question {i}?\nkey: shipped-{i}\n\n### Answer\nAnswer {i}.\n\n" for i in range(5)
)  # a deck both desktops have from the start, as the built-in decks: the same keys on each


def _with_shipped_deck(path: Path, clock) -> Store:
    from cards import formats

    store = Store.open(path, load_builtin=False, clock=clock)
    deck_file = path.parent / "shipped.md"
    deck_file.write_text(SHIPPED)
    formats.import_file(store, deck_file)
    return store


def test_a_second_desktop_with_the_same_cards_merges_by_key_and_never_duplicates(server, tmp_path):
    clock = FixedClock(datetime.now(UTC) - timedelta(minutes=5))
    (tmp_path / "desk").mkdir()
    (tmp_path / "laptop").mkdir()
    desk = _with_shipped_deck(tmp_path / "desk" / "study.db", clock)
    ops.answer(desk, desk.cards(desk.decks()[0].id)[0].id, 3)
    sync.sync(desk, server=server, user=USER, password=PASSWORD)

    laptop = _with_shipped_deck(tmp_path / "laptop" / "study.db", clock)
    ops.answer(laptop, laptop.cards(laptop.decks()[0].id)[1].id, 4)
    summary = sync.sync(laptop, server=server, user=USER, password=PASSWORD).value
    assert summary.full == "download" and summary.cards_sent == 0  # the server's notes met ours by key
    assert (summary.sent, summary.received) == (1, 1)
    assert sync.sync(desk).value.received == 1
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    assert phone.col.note_count() == 5 and phone.col.db.scalar("SELECT count() FROM revlog") == 2
    for store in (desk, laptop):
        assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 2
        store.close()
    phone.col.close()


def test_a_wrong_password_or_no_server_is_one_line_and_changes_nothing(server, tmp_path):
    store = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC)))
    with pytest.raises(sync.SyncError, match="refused the user name or password"):
        sync.sync(store, server=server, user=USER, password="wrong")
    with pytest.raises(sync.SyncError, match="cannot reach the server"):
        sync.sync(store, server="http://127.0.0.1:9/", user=USER, password=PASSWORD)
    with pytest.raises(sync.NeedsPassword):
        sync.sync(store, server=server, user=USER)
    assert store.get_value(sync.HKEY_KEY) is None
    store.close()


def test_the_command_line_syncs_with_the_password_from_the_environment(server, tmp_path):
    db = tmp_path / "study.db"
    root = Path(__file__).resolve().parent.parent

    def run(*args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess:
        env = {**os.environ}
        env.pop("STUDYPLANNER_SYNC_PASSWORD", None)
        if password:
            env["STUDYPLANNER_SYNC_PASSWORD"] = password
        return subprocess.run([sys.executable, "-m", "studyplanner", "--db", str(db), *args], capture_output=True,
                              text=True, cwd=root, env=env, timeout=120)  # fmt: skip

    first = run("sync", "--server", server, "--user", USER)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Sent 0 answers, ") and "(a full upload)" in first.stdout
    again = run("sync", password=None)  # remembered
    assert again.returncode == 0 and again.stdout == "Sent 0 answers, received 0 answers, 0 conflicts.\n"
    wrong = run("sync", "--server", server, "--user", "nobody", password=None)
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "needs your password" in wrong.stderr


def test_file_sync_in_the_window_asks_once_then_syncs_with_a_key(server, tmp_path, qtbot, monkeypatch):
    """File > Sync (Ctrl+Y): the first time a dialog takes the server, user and password (a wrong password
    brings it back with the server's answer); later syncs ask nothing. The dialog is the boundary mocked."""
    from PySide6.QtWidgets import QLabel

    from planner import plans
    from ui.main_window import MainWindow
    from ui.sync_dialog import SyncLogin

    store = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    plans.attach(store)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    asked: list[str] = []
    passwords = iter(["wrong", PASSWORD])

    def fill_in(dialog: SyncLogin) -> int:
        asked.append(f"{dialog.server.text()} {dialog.user.text()}")  # asked again: what was typed stays
        asked.extend(label.text() for label in dialog.findChildren(QLabel) if "refused" in label.text())
        dialog.server.setText(server)
        dialog.user.setText(USER)
        dialog.password.setText(next(passwords))
        return SyncLogin.DialogCode.Accepted

    monkeypatch.setattr(SyncLogin, "exec", fill_in)
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Synced:"), timeout=30_000)
    assert asked[:3] == [" ", f"{server} {USER}", "The server refused the user name or password."]
    assert window.statusBar().currentMessage() == (
        "Synced: sent 0 answers, 5 new cards sent, received 0 answers, 0 conflicts (a full upload)."
    )
    count = len(asked)
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == (
        "Synced: sent 0 answers, received 0 answers, 0 conflicts."), timeout=30_000)  # fmt: skip
    assert len(asked) == count  # no dialog the second time
    window.close()
    store.close()



def test_edits_travel_both_ways_and_the_later_edit_wins(server, tmp_path):
    """The desk edits card 0; the phone edits card 1; both edit card 2, the phone later; both edit card 3,
    the desk later. After the syncs each side has, for every card, the later edit."""
    clock = FixedClock(datetime.now(UTC) - timedelta(hours=1))
    desk = _store(tmp_path / "study.db", clock)
    cards = desk.cards(desk.decks()[0].id)
    sync.sync(desk, server=server, user=USER, password=PASSWORD)
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()

    def phone_edit(i: int, text: str) -> None:
        (nid,) = phone.col.find_notes(f'"front:*question {i}*"')
        note = phone.col.get_note(nid)
        note["Front"] = text
        phone.col.update_note(note)

    ops.edit_card(desk, cards[0].id, question="Desk's card 0")
    ops.edit_card(desk, cards[2].id, question="Desk's card 2 (earlier)")
    time.sleep(1.1)  # Anki keeps a note's time in seconds
    phone_edit(1, "Phone's card 1")
    phone_edit(2, "Phone's card 2 (later)")
    phone_edit(3, "Phone's card 3 (earlier)")
    phone.sync()
    clock.advance(hours=2)  # the desk's next edit is later than every one of the phone's
    ops.edit_card(desk, cards[3].id, question="Desk's card 3 (later)")

    summary = sync.sync(desk).value
    assert summary.edited_there == 2 and summary.conflicts == 2  # cards 2 and 3, edited on both sides
    assert [desk.card(c.id).question for c in cards[:4]] == [
        "Desk's card 0", "Phone's card 1", "Phone's card 2 (later)", "Desk's card 3 (later)"]
    phone.sync()
    fronts = {phone.col.get_note(nid)["Front"] for nid in phone.col.find_notes("")}
    later = {"<p>Desk's card 0</p>", "Phone's card 1", "Phone's card 2 (later)", "<p>Desk's card 3 (later)</p>"}
    assert later <= fronts
    # The edit that lost stays in its card's history, on either side of the conflict (Browse shows it).
    assert [(e.question, e.why) for e in desk.earlier_texts(cards[2].id)] == [
        ("Desk's card 2 (earlier)", sync.REPLACED_HERE)]
    assert [(e.question, e.why) for e in desk.earlier_texts(cards[3].id)] == [
        ("Phone's card 3 (earlier)", sync.REPLACED_THERE)]
    assert desk.earlier_texts(cards[0].id) == desk.earlier_texts(cards[1].id) == []  # no conflict there
    assert sync.sync(desk).value.edited_there == 0  # settled: nothing comes back again
    phone.col.close()
    desk.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sync_killed_at_any_moment_loses_nothing_and_the_next_one_completes(server, tmp_path, seed):
    """`studyplanner sync` is killed with SIGKILL at a random moment (opening the mirror, writing it, the
    upload, bringing answers back); the store keeps every answer, and the next sync completes."""
    import random
    import signal

    root = Path(__file__).resolve().parent.parent
    db = tmp_path / "study.db"
    store = _store(db, FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    for card in store.cards(store.decks()[0].id):
        ops.answer(store, card.id, 3)
    answers = store.db.execute("SELECT id, card_id FROM review ORDER BY id").fetchall()
    store.close()
    env = {**os.environ, "STUDYPLANNER_SYNC_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "studyplanner", "--db", str(db), "sync", "--server", server, "--user", USER]
    rng = random.Random(seed)
    for _ in range(2):
        process = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
    done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with Store.open(db, load_builtin=False) as after:
        assert after.db.execute("SELECT id, card_id FROM review ORDER BY id").fetchall() == answers
        assert after.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    assert phone.col.note_count() == 5 and phone.col.db.scalar("SELECT count() FROM revlog") == len(answers)
    phone.col.close()


def test_suspending_travels_both_ways(server, tmp_path):
    desk = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    cards = desk.cards(desk.decks()[0].id)
    sync.sync(desk, server=server, user=USER, password=PASSWORD)
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    (there,) = phone.col.find_cards('"front:*question 0*"')
    phone.col.sched.suspend_cards([there])
    phone.sync()
    ops.suspend(desk, [cards[1].id])
    sync.sync(desk)
    assert desk.card(cards[0].id).queue == QUEUE_SUSPENDED  # suspended on the phone
    phone.sync()
    (here,) = phone.col.find_cards('"front:*question 1*"')
    assert phone.col.get_card(here).queue == -1  # suspended here
    phone.col.sched.unsuspend_cards([there])
    phone.sync()
    sync.sync(desk)
    assert desk.card(cards[0].id).queue != QUEUE_SUSPENDED and desk.card(cards[1].id).queue == QUEUE_SUSPENDED
    phone.col.close()
    desk.close()


def test_a_card_added_on_the_phone_comes_in_with_its_answers(server, tmp_path):
    desk = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    sync.sync(desk, server=server, user=USER, password=PASSWORD)
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    note = phone.col.new_note(phone.col.models.by_name("Basic"))
    note["Front"], note["Back"] = "What is <b>KV caching</b>?", "Keeping past keys and values."
    phone.col.add_note(note, phone.col.decks.id("Attention"))
    phone.answer("KV caching", 3)
    phone.sync()

    summary = sync.sync(desk).value
    assert summary.added_there == 1 and summary.received == 0  # its answer came with it
    (card,) = [c for c in desk.cards(desk.decks()[0].id) if "KV caching" in c.question]
    assert "What is <b>KV caching</b>?" in card.question and card.reps == 1  # as an .apkg brings it
    assert sync.sync(desk).value.added_there == 0  # the same note, not added again
    phone.sync()
    assert phone.col.note_count() == 6  # and no copy went back
    phone.col.close()
    desk.close()


def test_the_window_syncs_on_opening_and_closing_when_the_learner_turns_it_on(server, tmp_path, qtbot):
    from planner import plans
    from ui.main_window import MainWindow

    path = tmp_path / "study.db"
    clock = FixedClock(datetime.now(UTC) - timedelta(minutes=5))
    store = _store(path, clock)
    sync.sync(store, server=server, user=USER, password=PASSWORD)  # the first sync, from File > Sync
    plans.attach(store)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.settings_screen.auto_sync.setChecked(True)  # Settings: "Sync with Anki when the window opens..."
    assert store.get_value(sync.AUTO_KEY) is True
    ops.answer(store, store.cards(store.decks()[0].id)[0].id, 3)
    window.close()  # the closing sync sends the answer
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    assert phone.col.db.scalar("SELECT count() FROM revlog") == 1
    phone.answer("question 2", 4)
    phone.sync()

    again = MainWindow(store)  # opening syncs: the phone's answer is here
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.statusBar().currentMessage().startswith("Synced:"), timeout=30_000)
    assert "received 1 answer" in again.statusBar().currentMessage()
    again.close()
    phone.col.close()
    store.close()


def test_plan_runs_and_ticks_travel_between_desktops(server, tmp_path):
    """A run started on the desk, with a task ticked there, is on the laptop after its sync; a task the
    laptop ticks, and the run it stops, come back to the desk, and so does a later untick. Each device
    writes its own entry in the collection's configuration, so neither overwrites the other's."""
    from planner import plans

    clock = FixedClock(datetime.now(UTC) - timedelta(minutes=5))
    (tmp_path / "desk").mkdir()
    (tmp_path / "laptop").mkdir()
    desk = plans.open_store(tmp_path / "desk" / "study.db", load_builtin=False, clock=clock)
    laptop = plans.open_store(tmp_path / "laptop" / "study.db", load_builtin=False, clock=clock)
    run = plans.start_plan(desk, "transformer-mastery-2-weeks").value
    plans.start_plan(desk, "forward-deployed-engineer-2-weeks")
    first_day = desk.today().day + timedelta(days=1)
    tasks = plans.tasks_between(desk, first_day, first_day)[first_day]
    plans.set_done(desk, [tasks[0].id])
    sync.sync(desk, server=server, user=USER, password=PASSWORD)

    sync.sync(laptop, server=server, user=USER, password=PASSWORD)
    there = plans.tasks_between(laptop, first_day, first_day)[first_day]
    assert [(t.text, t.done) for t in there] == [(t.text, t.id == tasks[0].id) for t in tasks]
    plans.set_done(laptop, [there[1].id])
    (stopped,) = [r for r in plans.runs(laptop) if r.plan_key == "forward-deployed-engineer-2-weeks"]
    plans.stop_run(laptop, stopped.id)
    sync.sync(laptop)

    sync.sync(desk)
    back = plans.tasks_between(desk, first_day, first_day)[first_day]
    assert [t.done for t in back][:2] == [True, True]
    assert [r.plan_key for r in plans.runs(desk)] == [run.plan_key]  # the stopped run stopped here too

    clock.advance(minutes=5)  # later: the laptop unticks the desk's tick; the desk moves the rest of the plan
    plans.set_done(laptop, [there[0].id], done=False)
    sync.sync(laptop)
    sync.sync(desk)
    assert [t.done for t in plans.tasks_between(desk, first_day, first_day)[first_day]][:2] == [False, True]
    assert sync.sync(desk).value.received == 0 and len(plans.runs(laptop, include_stopped=True)) == 2
    desk.close()
    laptop.close()


def test_pictures_travel_both_ways_with_their_cards(server, tmp_path):
    import hashlib

    desk = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    cat = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    with desk.transaction() as db:
        db.execute("INSERT INTO media VALUES ('cat.png', ?, ?)", (cat, hashlib.sha1(cat).hexdigest()))
    ops.add_card(desk, desk.decks()[0].id, 'Whose picture? <img src="cat.png">', "A cat's.")
    sync.sync(desk, server=server, user=USER, password=PASSWORD)

    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync(media=True)
    (nid,) = phone.col.find_notes('"front:*picture*"')
    assert '<img src="cat.png">' in phone.col.get_note(nid)["Front"]  # a plain name, as Anki's apps want
    assert (Path(phone.col.media.dir()) / "cat.png").read_bytes() == cat
    dog = b"\x89PNG\r\n\x1a\n" + bytes(range(100, 250))
    phone.col.media.write_data("dog.png", dog)
    note = phone.col.new_note(phone.col.models.by_name("Basic"))
    note["Front"], note["Back"] = 'And this? <img src="dog.png">', "A dog."
    phone.col.add_note(note, phone.col.decks.id("Attention"))
    phone.sync(media=True)

    assert sync.sync(desk).value.added_there == 1
    assert desk.media("dog.png") == dog
    phone.col.close()
    desk.close()


def test_deleting_travels_both_ways(server, tmp_path):
    desk, cards, phone = _desk_and_phone(server, tmp_path)
    ops.delete_cards(desk, [cards[0].id])
    sync.sync(desk)
    phone.sync()
    assert not phone.col.find_notes('"front:*question 0*"') and phone.col.note_count() == 4
    phone.col.remove_notes(phone.col.find_notes('"front:*question 1*"'))
    phone.sync()

    summary = sync.sync(desk).value
    assert summary.deleted_there == 1 and "1 card deleted elsewhere" in summary.text()
    assert [c.question for c in desk.cards(desk.decks()[0].id)] == [c.question for c in cards[2:]]
    assert desk.db.execute("SELECT count(*) FROM review").fetchone()[0] == 0  # its answer went with it
    again = sync.sync(desk).value
    assert (again.deleted_there, again.cards_sent) == (0, 0)  # nothing comes back
    phone.col.close()
    desk.close()


def test_the_phone_schedules_with_fsrs_and_the_store_s_retention(server, tmp_path):
    desk = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    ops.update_settings(desk, desired_retention=0.85)
    card = desk.cards(desk.decks()[0].id)[0]
    ops.answer(desk, card.id, 3)
    ops.answer(desk, card.id, 3)
    sync.sync(desk, server=server, user=USER, password=PASSWORD)
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    assert phone.col.get_config("fsrs") is True
    (cid,) = phone.col.find_cards('"front:*question 0*"')
    there = phone.col.get_card(cid)
    assert phone.col.decks.config_dict_for_deck_id(there.did)["desiredRetention"] == 0.85
    ops.set_deck_overrides(desk, desk.decks()[0].id, desired_retention=0.8)  # a deck's own, in a preset of its own
    sync.sync(desk)
    phone.sync()
    assert phone.col.decks.config_dict_for_deck_id(there.did)["desiredRetention"] == 0.8
    held = desk.card(card.id)
    assert there.memory_state is not None and abs(there.memory_state.stability - held.stability) < 1e-3
    assert there.type == 2 and there.reps == 2  # a review card, answered twice, as here
    phone.col.close()
    desk.close()


def test_when_anki_asks_for_a_whole_transfer_the_learner_chooses_and_no_answer_is_lost(server, tmp_path):
    """Both sides changed the collection's schema (the phone added a field; the desk's mirror was changed
    too): Anki's protocol then demands a full upload or download. Nothing moves until the learner chooses;
    after a download the store's answers the server lacked go up again, and nothing of the store is lost."""
    desk, cards, phone = _desk_and_phone(server, tmp_path)
    basic = phone.col.models.by_name(sync.NOTETYPE_NAME)
    phone.col.models.add_field(basic, phone.col.models.new_field("Extra"))  # a schema change
    phone.col.models.update_dict(basic)
    phone.answer("question 2", 3)
    out = phone.col.sync_collection(phone.auth, False)
    phone.col.close_for_full_sync()
    phone.col.full_upload_or_download(auth=phone.auth, server_usn=out.server_media_usn, upload=True)
    phone.col.reopen(after_full_sync=True)

    mirror = Collection(str(sync.mirror_path(desk.path)))  # the desk's side changes its schema as well
    mirror.mod_schema(check=False)
    mirror.close()
    desk.clock.advance(minutes=10)  # type: ignore[attr-defined]
    ops.answer(desk, cards[1].id, 4)
    backups = len(backup.list_backups(desk.path, counts=False))
    with pytest.raises(sync.FullSyncChoice):
        sync.sync(desk)
    assert len(backup.list_backups(desk.path, counts=False)) == backups  # nothing moved yet
    summary = sync.sync(desk, full="download").value
    assert summary.full == "download" and summary.received == 1  # the phone's answer
    assert len(backup.list_backups(desk.path, counts=False)) == backups + 1  # backed up before the download
    assert desk.db.execute("SELECT count(*) FROM review").fetchone()[0] == 3  # ours kept, theirs added
    phone.sync()
    assert phone.col.db.scalar("SELECT count() FROM revlog") == 3  # and ours went up again
    phone.col.close()
    desk.close()


def test_ctrl_y_during_a_sync_stops_it_and_the_next_one_completes(server, tmp_path, qtbot, monkeypatch):
    """A slow network (each call to the server 0.3 s late): Ctrl+Y again stops the sync after the step
    under way; nothing is lost, and the next sync completes."""
    from planner import plans
    from ui.main_window import MainWindow

    store = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    ops.answer(store, store.cards(store.decks()[0].id)[0].id, 3)
    sync.sync(store, server=server, user=USER, password=PASSWORD)
    ops.answer(store, store.cards(store.decks()[0].id)[1].id, 3)
    slow_call = sync._call
    monkeypatch.setattr(sync, "_call", lambda fn: time.sleep(0.3) or slow_call(fn))
    plans.attach(store)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    window.sync_action.trigger()
    assert window.sync_action.text() == "&Stop the sync"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Syncing with"), timeout=10_000)
    window.sync_action.trigger()  # Ctrl+Y again
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Sync stopped"), timeout=10_000)
    assert window.sync_action.text() == "&Sync with Anki"
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 2  # nothing lost
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Synced:"), timeout=30_000)
    phone = Phone(tmp_path / "phone.anki2", server)
    phone.sync()
    assert phone.col.db.scalar("SELECT count() FROM revlog") == 2
    phone.col.close()
    window.close()
    store.close()


def test_a_key_the_server_no_longer_takes_asks_for_the_password_again(server, tmp_path):
    """The password was changed on AnkiWeb: the kept key is refused. The sync asks for the password (the
    window's dialog, the command line's prompt) instead of failing on the old key for ever."""
    store = _store(tmp_path / "study.db", FixedClock(datetime.now(UTC) - timedelta(minutes=5)))
    sync.sync(store, server=server, user=USER, password=PASSWORD)
    store.set_value(sync.HKEY_KEY, "a key the server no longer knows")
    with pytest.raises(sync.NeedsPassword):
        sync.sync(store)
    assert sync.sync(store, password=PASSWORD).value.sent == 0  # logged in again
    assert store.get_value(sync.HKEY_KEY) not in (None, "a key the server no longer knows")
    store.close()


def test_deck_renames_moves_and_tags_travel_both_ways(server, tmp_path):
    desk, cards, phone = _desk_and_phone(server, tmp_path)
    other = ops.add_deck(desk, "Inference").value
    ops.edit_card(desk, cards[0].id, deck_id=other.id)  # moved here
    ops.rename_deck(desk, desk.decks()[0].id, "Attention basics")  # renamed here
    sync.sync(desk)
    phone.sync()
    (cid,) = phone.col.find_cards('"front:*question 0*"')
    assert phone.col.decks.name(phone.col.get_card(cid).did) == "Inference"
    assert phone.col.decks.id_for_name("Attention basics") is not None
    (tagged,) = phone.col.find_notes('"front:*question 1*"')
    note = phone.col.get_note(tagged)
    note.tags = ["attention", "basics"]  # tagged there
    phone.col.update_note(note)
    phone.col.decks.rename(phone.col.decks.id_for_name("Inference"), "LLM inference")  # renamed there
    (moved,) = phone.col.find_cards('"front:*question 2*"')
    phone.col.set_deck([moved], phone.col.decks.id_for_name("LLM inference"))  # moved there
    phone.sync()

    sync.sync(desk)
    names = {d.id: d.name for d in desk.decks()}
    assert names[other.id] == "LLM inference"
    assert names[desk.card(cards[2].id).deck_id] == "LLM inference"
    assert names[desk.card(cards[1].id).deck_id] == "Attention basics"
    assert desk.card(cards[1].id).tags.split() == ["attention", "basics"]
    phone.col.close()
    desk.close()
