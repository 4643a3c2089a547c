"""The review flow in the core, driven through a stub view with no Qt; and the terminal and the
window, each a view of it, give the same review for the same keys."""

from __future__ import annotations

import io
from argparse import Namespace
from datetime import UTC

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cards import ops
from cards.review import ReviewSession


class StubView:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def show_question(self, card) -> None:
        self.events.append(("question", card.key))

    def show_answer(self, card, intervals) -> None:
        self.events.append(("answer", card.key, sorted(intervals)))

    def show_counts(self, counts) -> None:
        self.events.append(("counts", counts.new, counts.learning, counts.due))

    def finished(self, summary) -> None:
        self.events.append(("finished", summary.reviewed))

    def message(self, text: str) -> None:
        self.events.append(("message", text))


def test_question_then_answer_then_rating(store):
    view = StubView()
    session = ReviewSession(store, view, timer=iter(range(0, 1000, 7)).__next__)
    session.start()
    assert view.events[-2:] == [("counts", 3, 0, 0), ("question", "two-plus-two")]
    assert session.rate(3) is False  # not before the answer is shown
    assert view.events[-1] == ("message", "Show the answer before rating the card.")
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 0
    session.reveal()
    assert view.events[-1] == ("answer", "two-plus-two", [1, 2, 3, 4])
    assert session.rate(3) is True
    assert view.events[-1] == ("question", "transpose")
    assert store.db.execute("SELECT duration_ms FROM review").fetchone()[0] == 7_000  # shown at 0 s, rated at 7 s


def test_undo_brings_back_the_card_of_an_answer_bury_or_suspend(store):
    view = StubView()
    session = ReviewSession(store, view)
    session.start()
    session.reveal()
    session.rate(1)
    assert session.reviewed == 1
    session.undo()
    assert session.card.key == "two-plus-two" and not session.answer_shown and session.reviewed == 0
    session.bury()
    assert session.card.key == "transpose"
    session.undo()
    assert session.card.key == "two-plus-two" and store.card(session.card.id).queue == 0
    session.suspend()
    session.undo()
    assert session.card.key == "two-plus-two"
    session.undo()
    assert view.events[-1] == ("message", "Nothing to undo.")


def test_limit_and_finish(store):
    view = StubView()
    session = ReviewSession(store, view, limit=2)
    session.start()
    for _ in range(2):
        session.reveal()
        session.rate(4)
    assert session.done and view.events[-1] == ("finished", 2)


def test_a_new_study_day_brings_buried_cards_back(store, clock):
    view = StubView()
    session = ReviewSession(store, view)
    session.start()
    session.bury()
    session.bury()
    session.bury()
    assert session.done
    clock.advance(days=1)
    again = ReviewSession(store, view)
    again.start()
    assert again.card.key == "two-plus-two"


def _review_rows(store):
    return store.db.execute(
        "SELECT r.id, c.key, r.rating, r.state_before, r.interval_before_days, r.due_after_ms FROM review r "
        "JOIN card c ON c.id = r.card_id ORDER BY r.id"
    ).fetchall()


# One script, in the terminal's words and in the window's keys: show, Good; show, Again; undo; show, Easy;
# bury; show, Hard.
TERMINAL_SCRIPT = "\n3\n\n1\nu\n\n4\nb\n\n2\nq\n"
WINDOW_SCRIPT = [Qt.Key.Key_Space, Qt.Key.Key_3, Qt.Key.Key_Space, Qt.Key.Key_1, Qt.Key.Key_U, Qt.Key.Key_Space,
                 Qt.Key.Key_4, Qt.Key.Key_B, Qt.Key.Key_Space, Qt.Key.Key_2]  # fmt: skip


def test_terminal_and_window_give_the_same_review(tmp_path, clock, qtbot):

    from cards.deckfile import parse_deck_bytes
    from cards.loading import load_deck
    from cards.store import Store
    from planner import plans
    from studyplanner.cli import cmd_review
    from tests.conftest import DATA
    from ui.main_window import MainWindow

    def fresh(name):
        s = Store.open(tmp_path / name, clock=clock, tz=UTC, load_builtin=False)
        ops.update_settings(s, fuzz=False)
        load_deck(s, parse_deck_bytes((DATA / "small.md").read_bytes(), "small.md"))
        plans.attach(s)
        return s

    start = clock.now()
    windowed = fresh("window.db")
    window = MainWindow(windowed)
    qtbot.addWidget(window)
    window.resize(1100, 720)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()  # the review keys are shortcuts: they reach the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.start_review(-1)
    for key in WINDOW_SCRIPT:
        qtbot.keyClick(window.review, key)
        QApplication.processEvents()  # drawn before the next key, as on a screen
    clock.set(start)
    terminal = fresh("terminal.db")
    out = io.StringIO()
    assert cmd_review(terminal, Namespace(deck=None, limit=None), io.StringIO(TERMINAL_SCRIPT), out) == 0
    assert _review_rows(terminal) == _review_rows(windowed)
    assert len(_review_rows(terminal)) == 3
    assert [c.queue for c in terminal.cards()] == [c.queue for c in windowed.cards()]  # the bury too
    window.close()
    terminal.close()
    windowed.close()


def test_two_reviews_on_one_store_never_answer_a_card_twice(store, clock):
    """Two sessions (two windows, or the window and `studyplanner review`) were shown the same card and
    both answers counted: 92 and 131 of 150 cards twice in two runs."""
    first, second = StubView(), StubView()
    one, two = ReviewSession(store, first), ReviewSession(store, second)
    one.start()
    two.start()
    shared = one.card.id
    assert two.card.id == shared  # both shown the same card
    one.reveal()
    two.reveal()
    assert one.rate(3)
    assert not two.rate(1)  # refused: the other answered it first
    said = "This card was answered in another review meanwhile; it is not answered twice."
    assert ("message", said) in second.events
    assert store.db.execute("SELECT count(*) FROM review WHERE card_id = ?", (shared,)).fetchone()[0] == 1
    assert two.card is not None and two.card.id != shared and not two.answer_shown  # on to the next card
