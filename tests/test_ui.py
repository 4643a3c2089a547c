"""The real main window driven with pytest-qt on a temp store."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox, QTableView

from cards import ops
from cards.errors import StoreError
from cards.stats import summary
from cards.wording import size
from planner import plans
from ui import theme
from ui.browse import CardTableModel
from ui.card_dialog import CardDialog
from ui.main_window import MainWindow
from ui.today import DeckTableModel

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screens"


@pytest.fixture(autouse=True)
def no_leaks(qapp):
    """Fail a test that leaves a window open or a worker thread running."""
    before = set(QApplication.topLevelWidgets())
    yield
    assert QThreadPool.globalInstance().waitForDone(5000), "a worker thread is still running"
    QApplication.processEvents()
    left = [w for w in QApplication.topLevelWidgets() if w not in before and w.isVisible()]
    assert not left, f"widgets left open: {left}"


@pytest.fixture
def window(qtbot, store):
    plans.attach(store)  # as the app's open_store does
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.resize(1100, 720)
    w.show()
    qtbot.waitExposed(w)
    yield w
    QThreadPool.globalInstance().waitForDone(5000)
    w.close()


def review_count(store) -> int:
    return summary(store)["reviews_total"]


def press(qtbot, widget, key, modifier=Qt.KeyboardModifier.NoModifier):
    """A key as a learner presses it: the screen is redrawn before the next one (a rating key counts only
    once the answer is on the screen)."""
    qtbot.keyClick(widget, key, modifier)
    QApplication.processEvents()


def test_today_lists_decks_with_counts(window):
    model = window.today.model
    assert model.rowCount() == 1
    assert [model.data(model.index(0, c)) for c in range(4)] == ["Small test deck", 3, 0, 0]
    assert "3 cards to study today" in window.today.summary.text()
    assert window.due_label.text() == "3 cards to study today"


def test_study_a_deck_to_the_end_with_the_keyboard(window, qtbot, store):
    window.today.table.setFocus()
    press(qtbot, window.today.table, Qt.Key.Key_Return)
    review = window.review
    assert window.stack.currentWidget() is review and review.card is not None
    seen = []
    for _ in range(10):
        if review.card is None:
            break
        seen.append(review.card.key)
        press(qtbot, review, Qt.Key.Key_Space)
        assert review.answer_shown
        assert review.rating_buttons[4].text().startswith("Easy\n")
        press(qtbot, review, Qt.Key.Key_4)
    assert seen == ["two-plus-two", "transpose", "attention"]
    assert review.pages.currentWidget() is review.done_page
    assert "You answered 3 cards" in review.done_text.text()
    assert "next card is due" in review.done_text.text()
    assert review_count(store) == 3
    assert window.due_label.text() == "No cards left today"


def test_rating_keys_do_nothing_before_the_answer_is_shown(window, qtbot, store):
    window.start_review(-1)
    press(qtbot, window.review, Qt.Key.Key_3)
    assert review_count(store) == 0


def test_undo_with_ctrl_z_and_u(window, qtbot, store):
    window.start_review(-1)
    review = window.review
    first = review.card.id
    press(qtbot, review, Qt.Key.Key_Space)
    press(qtbot, review, Qt.Key.Key_3)
    assert review_count(store) == 1 and review.card.id != first
    press(qtbot, review, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert review_count(store) == 0 and review.card.id == first
    press(qtbot, review, Qt.Key.Key_Space)
    press(qtbot, review, Qt.Key.Key_1)
    press(qtbot, review, Qt.Key.Key_U)
    assert review_count(store) == 0 and review.card.id == first


def test_redo_with_ctrl_shift_z_in_the_review_and_on_other_screens(window, qtbot, store):
    window.start_review(-1)
    review = window.review
    first = review.card.id
    press(qtbot, review, Qt.Key.Key_Space)
    press(qtbot, review, Qt.Key.Key_4)
    answered = store.card(first)
    press(qtbot, review, Qt.Key.Key_U)
    assert review_count(store) == 0 and review.card.id == first
    assert window.redo_action.text() == "&Redo answer" and window.redo_action.isEnabled()
    press(qtbot, review, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert review_count(store) == 1 and store.card(first) == answered  # the same answer, the same schedule
    assert review.card.id != first  # on to the next card, as after answering
    assert not window.redo_action.isEnabled() and window.undo_action.text() == "&Undo answer"
    window.show_screen("Today")
    window.undo()
    assert review_count(store) == 0
    window.redo_action.trigger()
    assert review_count(store) == 1 and "Redone: answer." in window.statusBar().currentMessage()


def test_bury_and_suspend_from_the_review_screen(window, qtbot, store):
    window.start_review(-1)
    review = window.review
    buried = review.card.id
    press(qtbot, review, Qt.Key.Key_Minus)
    assert store.card(buried).queue == -2 and review.card.id != buried
    suspended = review.card.id
    press(qtbot, review, Qt.Key.Key_At)
    assert store.card(suspended).queue == -1
    assert store.queue_counts().new == 1


def test_a_failed_answer_stays_on_screen(window, qtbot, store, monkeypatch):
    window.start_review(-1)
    review = window.review
    card = review.card
    press(qtbot, review, Qt.Key.Key_Space)

    def disk_full(*args, **kwargs):
        raise StoreError("cannot write to the store: the disk is full")

    warnings = []
    monkeypatch.setattr(ops, "answer", disk_full)
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    press(qtbot, review, Qt.Key.Key_3)
    assert warnings and "disk is full" in warnings[0]
    assert review.card is card and review.answer_shown  # nothing lost from the screen


def test_browse_search_and_filters(window, qtbot, store):
    window.show_screen("Browse")
    browse = window.browse
    qtbot.waitUntil(lambda: browse.model.rowCount() == 3)
    browse.search_box.setText("formula")
    qtbot.waitUntil(lambda: browse.model.rowCount() == 1, timeout=3000)
    assert browse.model.data(browse.model.index(0, 1)).startswith("Name the formula")
    browse.search_box.clear()
    qtbot.waitUntil(lambda: browse.model.rowCount() == 3, timeout=3000)
    browse.tag_filter.setCurrentIndex(browse.tag_filter.findData("pytorch"))
    qtbot.waitUntil(lambda: browse.model.rowCount() == 1, timeout=3000)
    browse.tag_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: browse.model.rowCount() == 3, timeout=3000)
    browse.table.selectRow(0)
    browse.toggle_suspend()
    browse.state_filter.setCurrentIndex(browse.state_filter.findData("suspended"))
    qtbot.waitUntil(lambda: browse.model.rowCount() == 1, timeout=3000)
    assert browse.model.data(browse.model.index(0, 3)) == "suspended"


def test_browse_sorts_by_column(window, qtbot):
    window.show_screen("Browse")
    browse = window.browse
    qtbot.waitUntil(lambda: browse.model.rowCount() == 3)
    browse.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: browse.model.data(browse.model.index(0, 1)).startswith("Name the"), timeout=3000)
    browse.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: browse.model.data(browse.model.index(0, 1)).startswith("What is 2"), timeout=3000)


def test_delete_asks_first(window, qtbot, store, monkeypatch):
    window.show_screen("Browse")
    browse = window.browse
    qtbot.waitUntil(lambda: browse.model.rowCount() == 3)
    browse.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    browse.delete_selected()
    assert len(store.cards()) == 3
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    browse.delete_selected()
    assert len(store.cards()) == 2
    qtbot.waitUntil(lambda: browse.model.rowCount() == 2, timeout=3000)


def test_add_a_card_and_see_it_in_review(window, qtbot, store):
    deck = store.deck_by_name("small")
    for card in store.cards(deck.id):
        ops.suspend(store, [card.id])
    dialog = CardDialog(store, parent=window, deck_id=deck.id)
    qtbot.addWidget(dialog)
    dialog.question.setPlainText("What is the shape of the attention scores?")
    dialog.answer.setPlainText("`(B, H, S, S)`")
    dialog.tags.setText("attention shapes")
    dialog.update_preview()
    assert "(B, H, S, S)" in dialog.preview.toPlainText()
    dialog.save()
    # As in Anki, Add stays open for the next card: question and answer cleared, deck and tags kept.
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.question.toPlainText() == ""
    assert dialog.tags.text() == "attention shapes" and dialog.deck.currentData() == deck.id
    assert "Added “What is the shape of the attention scores?”" in dialog.message.text()
    dialog.save()  # nothing typed: said in the dialog, in a sentence, not in a box
    assert dialog.message.text() == "A card needs a question and an answer."
    dialog.question.setPlainText("Fixing it")
    assert dialog.message.text() == ""  # the complaint goes once the learner is fixing it
    dialog.close()
    window.start_review(deck.id)
    assert window.review.card.question == "What is the shape of the attention scores?"
    assert window.review.card.tag_list == ["attention", "shapes"]


def test_edit_a_card_and_see_the_change_in_review(window, qtbot, store):
    card = store.next_card()
    dialog = CardDialog(store, parent=window, card=card)
    qtbot.addWidget(dialog)
    dialog.answer.setPlainText("Four.")
    dialog.save()
    window.start_review(-1)
    press(qtbot, window.review, Qt.Key.Key_Space)
    assert "Four." in window.review.view.toPlainText()


def test_settings_apply_at_once(window, qtbot, store):
    window.show_screen("Settings")
    window.settings_screen.fields["new_per_day"].setValue(1)
    assert store.settings().new_per_day == 1
    window.show_screen("Today")
    assert window.today.model.decks[0].new == 1
    window.settings_screen.fields["learning_steps"].setText("2m 30m")
    window.settings_screen.fields["learning_steps"].editingFinished.emit()
    assert store.settings().learning_steps == (2.0, 30.0)
    window.settings_screen.fields["learning_steps"].setText("soon")
    window.settings_screen.fields["learning_steps"].editingFinished.emit()
    assert "not a step" in window.settings_screen.error.text()
    assert store.settings().learning_steps == (2.0, 30.0)


def test_the_mouse_wheel_over_a_setting_scrolls_the_page_and_changes_nothing(window, qtbot, store):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    window.resize(900, 400)
    window.show()
    window.show_screen("Settings")
    field = window.settings_screen.fields["maximum_interval"]
    before = store.settings().maximum_interval

    def wheel() -> None:
        center = QPointF(field.rect().center())
        event = QWheelEvent(center, QPointF(field.mapToGlobal(center.toPoint())), QPoint(0, 0), QPoint(0, -120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)  # fmt: skip
        QApplication.sendEvent(field, event)

    wheel()
    assert store.settings().maximum_interval == before
    field.setFocus()  # clicked into: the wheel is the field's
    qtbot.waitUntil(field.hasFocus)
    wheel()
    assert store.settings().maximum_interval == before - 1


def test_settings_screen_is_made_from_the_declaration(window):
    from PySide6.QtWidgets import QLineEdit

    from cards.settings import SHOWN, spec

    screen = window.settings_screen
    assert list(screen.fields) == list(SHOWN)
    for name, widget in screen.fields.items():
        if spec(name).choices:
            assert [widget.itemData(i) for i in range(widget.count())] == list(spec(name).choices)
        elif isinstance(widget, QLineEdit):
            assert spec(name).is_steps
        else:
            assert (widget.minimum(), widget.maximum()) == (spec(name).minimum, spec(name).maximum)
    screen.fields["desired_retention"].setValue(0.85)
    assert window.store.settings().desired_retention == 0.85
    assert window.store.undo_label == "change desired retention"


def test_settings_and_backups_dialog_show_what_the_backups_take(window, store, clock, monkeypatch):
    from cards import backup
    from ui.backups_dialog import BackupsDialog

    screen = window.settings_screen
    window.show_screen("Settings")
    assert screen.backup_usage.text() == "No backups yet."
    made = store.backup()
    clock.advance(days=1)
    store.backup()
    window.show_screen("Today")
    window.show_screen("Settings")  # shown again: counted again
    total = sum(b.size for b in backup.list_backups(store.path))
    assert screen.backup_usage.text() == f"2 backups take {size(total)} of the 1,000 MB set for them."
    screen.fields["backup_space_mb"].setValue(0)
    assert store.settings().backup_space_mb == 0
    assert "over the 0 MB set for them: the newest backup and one a day" in screen.backup_usage.text()
    dialog = BackupsDialog(store, window)
    assert dialog.table.horizontalHeaderItem(3).text() == "Size"
    assert dialog.table.item(1, 3).text() == size(made.stat().st_size)
    assert "2 backups take" in dialog.usage.text()
    dialog.close()


def test_theme_switch_is_stored(window, store):
    window.show_screen("Settings")
    combo = window.settings_screen.theme
    combo.setCurrentIndex(combo.findData("dark"))
    assert store.get_value("theme") == "dark"
    assert window.review.colors.name == "dark"


def test_geometry_is_restored(qtbot, store):
    plans.attach(store)
    first = MainWindow(store)
    qtbot.addWidget(first)
    first.show()
    first.resize(770, 560)
    first.move(40, 30)
    first.close()
    second = MainWindow(store)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (770, 560)
    second.close()


def test_card_table_model_without_a_view(store):
    model = CardTableModel(store)
    ids = [c.id for c in store.cards()]
    model.set_ids(ids)
    assert model.rowCount() == 3 and model.columnCount() == 7
    assert model.data(model.index(1, 0)) == "Small test deck"
    assert model.data(model.index(1, 2)) == "pytorch"
    assert model.data(model.index(1, 3)) == "new"
    assert model.headerData(4, Qt.Orientation.Horizontal) == "Due"


def test_card_table_model_pages_rows_lazily(store):
    from tests.conftest import add_deck_with_cards

    add_deck_with_cards(store, "Big", 1000)
    model = CardTableModel(store)
    model.set_ids([c.id for c in store.cards()])
    model.data(model.index(500, 1))
    assert len(model._rows) == 200  # one page, not the whole collection


def test_deck_table_model_colours_nonzero_counts(store):
    model = DeckTableModel()
    model.set_rows(store.deck_list().rows)
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ForegroundRole).name() == model.colors.new
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ForegroundRole).name() == model.colors.muted


def test_card_html_is_sanitized(window, store):
    deck = store.deck_by_name("small")
    ops.add_card(store, deck.id, 'Hi <script>alert(1)</script><img src="http://example.com/x.png" onerror="x()">', "a")
    for card in store.cards(deck.id)[:3]:
        ops.suspend(store, [card.id])
    window.start_review(deck.id)
    html = window.review.view.toHtml()
    assert "script" not in html and "example.com" not in html and "onerror" not in html


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_screenshots_of_every_screen(window, qtbot, store, mode):
    """Saved under test-artifacts/screens/ to be looked at: every screen with a plan running (two days in,
    one task ticked), at 1400x900 and 900 px wide."""
    from datetime import timedelta

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    window.apply_theme(mode)
    today = store.today().day
    plans.start_plan(store, "research-engineer-12-weeks", on=today - timedelta(days=1), exam=today + timedelta(days=80))
    plans.set_done(store, [plans.tasks_between(store, today, today)[today][0].id])
    for width, height in ((1400, 900), (900, 700)):
        window.resize(width, height)
        for name in ("Today", "Calendar", "Browse", "Statistics", "Settings"):
            window.show_screen(name)
            QThreadPool.globalInstance().waitForDone(3000)
            qtbot.wait(20)
            assert not window.grab().isNull()
            window.grab().save(str(ARTIFACTS / f"{name.lower()}-{width}-{mode}.png"))
    deck = ops.add_deck(store, "Screenshots").value  # a card with inline and display math, a table and code
    ops.add_card(store, deck.id, "Why scale the logits by $1/\\sqrt{d_k}$ before the softmax?",
                 "The dot product $q \\cdot k$ of two random vectors has variance $d_k$:\n\n"
                 "$$\\mathrm{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right)V$$\n\n"
                 "| $d_k$ | std of $q \\cdot k$ |\n|---|---|\n| 64 | 8 |\n| 128 | 11.3 |\n\n"
                 "```python\nscores = q @ k.transpose(-2, -1) / math.sqrt(d_k)\n```")  # fmt: skip
    for width, height in ((1400, 900), (900, 700)):
        window.resize(width, height)
        qtbot.wait(20)
        window.start_review(deck.id)  # nothing was rated: the same card's question again
        window.grab().save(str(ARTIFACTS / f"review-question-{width}-{mode}.png"))
        window.review.reveal()
        qtbot.wait(20)
        window.grab().save(str(ARTIFACTS / f"review-answer-{width}-{mode}.png"))


def test_calendar_start_a_plan_tick_a_task_see_progress(window, qtbot, store, clock, monkeypatch):
    from planner.planfile import parse_plan
    from tests.conftest import DATA
    from ui.calendar_screen import StartPlanDialog, to_qdate

    plans.import_plan(store, parse_plan((DATA / "plan.md").read_text(), "plan.md"))
    window.show_screen("Calendar")
    screen = window.calendar
    assert "No plan is running" in screen.runs_label.text()

    def choose_and_accept(dialog: StartPlanDialog) -> int:
        dialog.plan.setCurrentIndex(dialog.plan.findData("test-plan"))
        dialog.start.setDate(to_qdate(store.today().day))
        return 1

    monkeypatch.setattr(StartPlanDialog, "exec", choose_and_accept)
    screen.start_plan()
    assert "Test plan" in screen.runs_label.text()
    assert screen.calendar.selectedDate() == to_qdate(store.today().day)
    items = [screen.day_tasks.item(i) for i in range(screen.day_tasks.count())]
    assert items[0].text() == "Study today's cards (1)"  # day 1 brings its topic's card; the rest wait
    task_items = [i for i in items if i.data(Qt.ItemDataRole.UserRole) is not None]
    assert len(task_items) == 2
    assert screen.weeks.weeks[0].tasks_done == 0
    task_items[0].setCheckState(Qt.CheckState.Checked)
    assert screen.weeks.weeks[0].tasks_done == 1
    assert plans.tasks_between(store, store.today().day, store.today().day)[store.today().day][0].done
    # Unticking is undo.
    first = next(screen.day_tasks.item(i) for i in range(screen.day_tasks.count())
                 if screen.day_tasks.item(i).data(Qt.ItemDataRole.UserRole) is not None)  # fmt: skip
    first.setCheckState(Qt.CheckState.Unchecked)
    assert screen.weeks.weeks[0].tasks_done == 0


def test_calendar_behind_schedule_offers_to_catch_up(window, qtbot, store, clock, monkeypatch):
    from datetime import timedelta

    from planner.planfile import parse_plan
    from tests.conftest import DATA

    plans.import_plan(store, parse_plan((DATA / "plan.md").read_text(), "plan.md"))
    run = plans.start_plan(store, "test-plan", on=store.today().day - timedelta(days=3)).value  # Sat 7 March; no Sun
    window.show_screen("Calendar")
    screen = window.calendar
    assert not screen.behind.isHidden()
    assert "2 days behind" in screen.behind_text.text()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.No)
    screen.shift()  # the preview comes first: declined, nothing moves
    assert "Days 1–5 of Test plan move to" in asked[0] and plans.days_behind(store, run.id) == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    screen.shift()
    assert screen.behind.isHidden()
    assert plans.days_behind(store, run.id) == 0
    window.undo()
    assert plans.days_behind(store, run.id) == 2 and not screen.behind.isHidden()


def test_import_dialog_previews_maps_and_imports(window, qtbot, store, tmp_path):
    from ui.import_dialog import ImportDialog

    path = tmp_path / "words.csv"
    path.write_text("id,prompt,reply,labels\n1,Q one,A one,x\n2,Q two,A two,y\n")
    dialog = ImportDialog(window.worker, str(path), window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=5000)
    assert dialog.preview.total == 2 and dialog.header.isChecked()  # "prompt" and "labels" read as a header
    assert dialog.table.item(0, 0).text() == "1"  # but "reply" is unknown: columns 1-3 guessed
    dialog.columns["question"].setCurrentIndex(dialog.columns["question"].findData(1))
    qtbot.waitUntil(lambda: dialog.progress.isHidden(), timeout=5000)
    dialog.columns["answer"].setCurrentIndex(dialog.columns["answer"].findData(2))
    qtbot.waitUntil(lambda: dialog.progress.isHidden() and dialog.table.item(0, 1).text() == "A one", timeout=5000)
    assert dialog.table.item(0, 0).text() == "Q one"
    dialog.deck_name.setText("Words")
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=5000)
    assert "2 added" in dialog.status.text()
    assert sorted(c.question for c in store.cards(store.deck_by_name("Words").id)) == ["Q one", "Q two"]
    dialog.close()


def test_an_import_can_be_cancelled_and_changes_nothing(window, qtbot, store, tmp_path):
    import threading

    from ui.import_dialog import ImportDialog

    path = tmp_path / "words.csv"
    path.write_text("question,answer\nQ one,A one\nQ two,A two\n")
    dialog = ImportDialog(window.worker, str(path), window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=5000)
    busy = threading.Event()
    window.worker.run(lambda _store: busy.wait(5), lambda _: None, lambda _: None)  # the import waits its turn
    decks = len(store.decks())
    dialog.start_import()
    dialog.reject()  # Escape while importing: the import is stopped, the dialog stays
    assert dialog.isVisible() and dialog.status.text() == "Cancelling…"
    busy.set()
    qtbot.waitUntil(lambda: dialog.status.text() == "Cancelled: nothing was imported.", timeout=5000)
    assert len(store.decks()) == decks and dialog.summary is None
    assert dialog.import_button.isEnabled()
    dialog.reject()  # now it closes
    assert not dialog.isVisible()


def test_fitting_parameters_can_be_cancelled(window, qtbot, store):
    import threading

    window.show_screen("Statistics")
    screen = window.statistics
    busy = threading.Event()
    window.worker.run(lambda _store: busy.wait(5), lambda _: None, lambda _: None)
    screen.fit_parameters()
    assert screen.work_cancel.isVisibleTo(window) and not screen.fit_button.isEnabled()
    screen.cancel_work()
    busy.set()
    qtbot.waitUntil(lambda: screen.work_step.text() == "Cancelled; nothing was changed.", timeout=5000)
    assert screen.fit_button.isEnabled() and not screen.work_cancel.isVisibleTo(window)


def test_import_dialog_shows_errors_in_the_window(window, qtbot, store, tmp_path):
    from ui.import_dialog import ImportDialog

    path = tmp_path / "bad.csv"
    path.write_bytes("q,a\ncaf\xe9,x\n".encode("latin-1"))
    dialog = ImportDialog(window.worker, str(path), window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "not UTF-8" in dialog.status.text(), timeout=5000)
    assert "line 2" in dialog.status.text() and not dialog.import_button.isEnabled()
    dialog.close()


def test_dropping_a_deck_file_opens_the_import(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    path = tmp_path / "drop.csv"
    path.write_text("q,a\nx,y\n")
    opened = []
    monkeypatch.setattr(window, "import_deck", lambda p=None: opened.append(p))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    window.dropEvent(event)
    assert opened == [str(path)]


def test_export_from_today(window, qtbot, store, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    target = tmp_path / "out.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.show_screen("Today")
    window.today.table.selectRow(0)
    window.today.export_button.click()
    qtbot.waitUntil(lambda: target.exists(), timeout=5000)
    assert target.read_text().startswith('"question","answer","tags","deck","key"\n')


def test_today_lists_the_plan_tasks_to_tick(window, qtbot, store):
    from planner.planfile import parse_plan
    from tests.conftest import DATA

    plans.import_plan(store, parse_plan((DATA / "plan.md").read_text(), "plan.md"))
    plans.start_plan(store, "test-plan", on=store.today().day)
    window.show_screen("Today")
    today = window.today
    assert not today.plan_tasks.isHidden() and today.plan_tasks.count() == 2
    assert today.plan_title.text() == "Today's plan: 0 of 2 tasks done"
    today.plan_tasks.item(0).setCheckState(Qt.CheckState.Checked)
    assert today.plan_title.text() == "Today's plan: 1 of 2 tasks done"
    day = plans.tasks_between(store, store.today().day, store.today().day)[store.today().day]
    assert day[0].done


def test_a_ticked_task_shows_its_check_mark_on_the_dark_theme(window, qtbot, store):
    """Fusion's own check box all but disappears on a dark window: ours is edged, and ticked is filled."""
    from planner.planfile import parse_plan
    from tests.conftest import DATA
    from ui import theme

    window.apply_theme("dark")
    plans.import_plan(store, parse_plan((DATA / "plan.md").read_text(), "plan.md"))
    plans.start_plan(store, "test-plan", on=store.today().day)
    window.show()
    window.show_screen("Today")
    tasks = window.today.plan_tasks
    tasks.item(0).setCheckState(Qt.CheckState.Checked)

    def box_colors(row: int) -> set[str]:
        rect = tasks.visualItemRect(tasks.item(row))
        image = tasks.viewport().grab(rect.adjusted(0, 0, 24 - rect.width(), 0)).toImage()
        return {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}

    assert {theme.DARK.accent, theme.DARK.on_accent} <= box_colors(0)  # filled, with a check mark that reads on it
    assert theme.DARK.muted in box_colors(1)  # the edge of the empty box


def _colors_in_middle(widget) -> set[int]:
    """The colours of a widget's middle third, top to bottom (where an empty chart says so)."""
    image = widget.grab().toImage()
    rows = range(image.height() // 3, 2 * image.height() // 3)
    return {image.pixel(x, y) for x in range(image.width()) for y in rows}


def test_statistics_charts_say_when_they_have_nothing_to_draw(window, qtbot):
    window.show_screen("Statistics")
    screen = window.statistics
    qtbot.waitUntil(lambda: screen.report is not None, timeout=5000)
    assert not any(count for _, count in screen.report.forecast)  # new cards only: no review due
    for chart in (screen.forecast, screen.kinds, screen.intervals):
        assert len(_colors_in_middle(chart)) > 1, "an empty chart is a blank area"


def test_statistics_screen_counts_off_the_gui_thread(window, qtbot, store, clock):
    card = store.next_card()
    ops.answer(store, card.id, 4, duration_ms=12_000)
    window.show_screen("Statistics")
    screen = window.statistics
    qtbot.waitUntil(lambda: screen.report is not None, timeout=5000)
    assert screen.report.reviews_per_day == {store.today().day: 1}
    assert "1 answer today" in screen.summary.text() and "streak 1 day" in screen.summary.text()
    assert screen.report.card_counts["review"] == 1
    assert not screen.calibration_chart.isVisibleTo(window)  # a first answer predicts nothing
    clock.advance(days=6)
    ops.answer(store, card.id, 3)
    screen.report = None
    screen.refresh()
    qtbot.waitUntil(lambda: screen.report is not None, timeout=5000)
    assert screen.calibration_chart.isVisibleTo(window) and len(screen.calibration_chart.bins) == 1
    assert "recalled 100%" in screen.calibration.text()
    screen.report = None
    screen.deck_filter.setCurrentIndex(screen.deck_filter.findData(store.deck_by_name("small").id))
    qtbot.waitUntil(lambda: screen.report is not None, timeout=5000)
    assert screen.report.card_counts["new"] == 2
    screen.report = None
    screen.range_filter.setCurrentIndex(screen.range_filter.findData(30))
    qtbot.waitUntil(lambda: screen.report is not None, timeout=5000)
    assert screen.report.range_days == 30 and len(screen.kinds.data) == 30


def test_statistics_offers_to_spread_a_backlog(window, qtbot, store, clock):
    from tests.conftest import add_deck_with_cards

    deck = add_deck_with_cards(store, "Backlog", 12)
    for card in store.cards(deck):
        ops.answer(store, card.id, 4)
    clock.advance(days=120)
    ops.update_settings(store, reviews_per_day=5)
    window.show_screen("Statistics")
    screen = window.statistics
    qtbot.waitUntil(lambda: screen.report is not None, timeout=5000)
    assert not screen.catch_up_box.isHidden() and "reviews are due" in screen.catch_up_text.text()
    qtbot.waitUntil(lambda: screen.forecast.preview is not None, timeout=5000)  # computed on the worker
    window.due_label.setText("stale")
    screen.catch_up_button.click()
    assert store.queue_counts().due == 5
    qtbot.waitUntil(lambda: screen.catch_up_box.isHidden(), timeout=5000)
    assert screen.work_step.text().startswith("Moved 7 reviews") and screen.work_row.isVisibleTo(window)
    assert window.due_label.text() == f"{store.queue_counts().total} cards to study today"  # recounted


def test_math_shows_as_images_in_the_card(qtbot):
    from ui.cardview import CardView

    view = CardView()
    qtbot.addWidget(view)
    view.show_markdown("Attention is $\\mathrm{softmax}(QK^\\top/\\sqrt{d_k})V$.")
    (name,) = view._images
    assert f'src="{name}"' in view.toHtml() or name in view.toHtml()
    from PySide6.QtCore import QUrl

    image = view.loadResource(2, QUrl(name))
    assert image is not None and not image.isNull() and image.width() > 20


def test_a_long_code_line_wraps_instead_of_scrolling_the_card_sideways(qtbot):
    from ui.cardview import CardView

    view = CardView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.show_markdown("```python\ntotal = " + " + ".join(f"value_{i}" for i in range(30)) + "\n```")
    qtbot.waitUntil(lambda: view.document().size().height() > 0)
    assert view.horizontalScrollBar().maximum() == 0
    assert view.document().size().width() <= view.viewport().width()


def test_a_wide_formula_is_drawn_smaller_to_fit_the_card(qtbot):
    from ui.cardview import CardView

    view = CardView()
    qtbot.addWidget(view)
    view.resize(420, 300)
    view.show()
    view.show_markdown("$$" + " + ".join(f"x_{{{i}}} y_{{{i}}}" for i in range(7)) + "$$")  # ~580 px
    assert view.horizontalScrollBar().maximum() == 0
    assert 0 < image_widths(view)[0] < 420
    view.resize(2400, 300)  # room enough: drawn at its own size again (no width set)
    qtbot.waitUntil(lambda: image_widths(view) == [0])
    view.resize(420, 300)
    view.show_markdown("$$" + " + ".join(f"x_{{{i}}} y_{{{i}}}" for i in range(16)) + "$$")  # ~900 px
    (natural,) = [image.deviceIndependentSize().width() for image in view._images.values()]
    assert natural * 0.6 > 420  # too wide to fit even at the smallest readable size
    assert image_widths(view)[0] >= 0.6 * natural - 1  # never so small it cannot be read: the card scrolls instead


def test_the_next_card_is_shown_once_after_a_long_one(qtbot):
    """The scroll bar of a long answer going away resized the view in the middle of showing the next
    card, and the card was drawn twice ("QQ")."""
    from ui.cardview import CardView

    view = CardView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    view.show_markdown("A long answer.\n\n" * 80)
    view.show_markdown("Q")
    qtbot.wait(50)
    assert view.toPlainText() == "Q"


def image_widths(view) -> list[float]:
    """The width each picture in a card view is drawn at (0: its own)."""
    widths = []
    block = view.document().begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            char_format = fragments.fragment().charFormat()
            if char_format.isImageFormat():
                widths.append(char_format.toImageFormat().width())
            fragments += 1
        block = block.next()
    return widths


def test_closing_backs_up_only_after_study(qtbot, store):
    from cards import backup

    plans.attach(store)
    store.backup()  # the state as opened
    for answer in (False, True):
        w = MainWindow(store)
        qtbot.addWidget(w)
        w.show()
        if answer:
            ops.answer(store, store.next_card().id, 3)
        before = len(backup.list_backups(store.path, counts=False))
        w.close()
        assert len(backup.list_backups(store.path, counts=False)) == before + answer  # the geometry alone: none


def test_closing_right_after_a_restore_writes_no_copy_of_the_backup_restored(qtbot, store, monkeypatch):
    from cards import backup
    from ui.backups_dialog import BackupsDialog

    plans.attach(store)
    made = store.backup()
    ops.answer(store, store.next_card().id, 3)
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()

    def restore_it(dialog: BackupsDialog) -> int:  # File > Restore from backup, the backup made above
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
        dialog.table.selectRow([b.path for b in dialog.backups].index(made))
        dialog.restore()
        return 1

    monkeypatch.setattr(BackupsDialog, "exec", restore_it)
    w.restore_backup()
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 0
    before = len(backup.list_backups(store.path, counts=False))  # the restored one, and the copy kept
    w.close()
    assert len(backup.list_backups(store.path, counts=False)) == before


def test_the_closing_backup_is_made_off_the_gui_thread_while_events_go_on(qtbot, store, monkeypatch):
    """The backup on close ran on the GUI thread: seconds of a frozen window at 100,000 cards."""
    import threading

    from PySide6.QtCore import QTimer

    from cards import backup

    plans.attach(store)
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    ops.answer(store, store.next_card().id, 3)
    seen: dict[str, object] = {}
    events_ran = threading.Event()
    real = backup.create_backup

    def watched(*args, **kwargs):  # the real backup, once the GUI thread has shown it runs its events
        seen["thread"] = threading.current_thread()
        seen["events ran meanwhile"] = events_ran.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(backup, "create_backup", watched)
    QTimer.singleShot(0, events_ran.set)  # runs only when the GUI thread's event loop does
    before = len(backup.list_backups(store.path, counts=False))
    w.close()
    assert seen["thread"] is not threading.main_thread() and seen["events ran meanwhile"] is True
    assert len(backup.list_backups(store.path, counts=False)) == before + 1  # made before close() returned
    assert not w.isVisible()


def test_a_restore_from_the_backups_dialog_runs_off_the_gui_thread_while_events_go_on(window, store, monkeypatch):
    """The restore (a backup of the store, then the chosen one decompressed and copied in) froze the window."""
    import threading

    from PySide6.QtCore import QTimer

    from cards import backup
    from ui.backups_dialog import BackupsDialog

    made = store.backup()
    ops.answer(store, store.next_card().id, 3)
    seen: dict[str, object] = {}
    events_ran = threading.Event()
    real = backup.restore

    def watched(*args, **kwargs):
        seen["thread"] = threading.current_thread()
        seen["events ran meanwhile"] = events_ran.wait(10)
        return real(*args, **kwargs)

    def choose_newest(dialog: BackupsDialog) -> int:
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
        assert dialog.backups[0].path == made
        QTimer.singleShot(0, events_ran.set)  # runs only when the GUI thread's event loop does
        dialog.restore()
        return 1

    monkeypatch.setattr(backup, "restore", watched)
    monkeypatch.setattr(BackupsDialog, "exec", choose_newest)
    window.restore_backup()
    assert seen["thread"] is not threading.main_thread() and seen["events ran meanwhile"] is True
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 0  # the backup's, in place
    assert window._day_timer.isActive() and window._backup_timer.isActive()  # paused, then on again


def test_a_restore_made_while_reviewing_leaves_the_card_of_the_store_before_it(window, qtbot, store, monkeypatch):
    """The review went on showing the card and counts of the store as it was; an answer then went to the
    restored store."""
    from ui.backups_dialog import BackupsDialog

    store.backup()
    window.start_review(-1)
    qtbot.keyClick(window.review, Qt.Key.Key_Space)
    qtbot.keyClick(window.review, Qt.Key.Key_3)
    assert window.stack.currentWidget() is window.review

    def restore_newest(dialog: BackupsDialog) -> int:
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
        dialog.restore()
        return 1

    monkeypatch.setattr(BackupsDialog, "exec", restore_newest)
    window.restore_backup()
    assert window.stack.currentWidget() is window.today
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 0


def test_rename_and_delete_a_deck_from_today_and_undo(window, qtbot, store, monkeypatch):
    window.show_screen("Today")
    monkeypatch.setattr("ui.today.QInputDialog.getText", lambda *a, **k: ("Arithmetic", True))
    window.today.table.selectRow(0)
    window.today.rename_action.trigger()
    assert window.today.model.decks[0].name == "Arithmetic"  # redrawn from the change notice
    assert window.undo_action.text() == "&Undo rename deck"
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    window.today.delete_action.trigger()
    assert window.today.model.rowCount() == 0 and store.cards() == []
    window.undo()
    assert [d.name for d in window.today.model.decks] == ["Arithmetic"] and len(store.cards()) == 3
    window.undo()
    assert window.today.model.decks[0].name == "Small test deck"


def test_move_cards_in_browse_and_stop_a_plan_in_the_calendar(window, qtbot, store, monkeypatch):
    other = ops.add_deck(store, "Other").value
    window.show_screen("Browse")
    qtbot.waitUntil(lambda: window.browse.model.rowCount() == 3, timeout=5000)
    window.browse.table.selectRow(0)
    monkeypatch.setattr("ui.browse.QInputDialog.getItem", lambda *a, **k: ("Other", True))
    window.browse.move_selected()
    assert len(store.cards(other.id)) == 1
    window.show_screen("Calendar")
    plans.start_plan(store, "transformer-mastery-2-weeks")
    assert not window.calendar.stop_button.isHidden()
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    window.calendar.stop_plan()
    assert plans.runs(store) == [] and window.calendar.stop_button.isHidden()
    window.undo()
    assert len(plans.runs(store)) == 1


def test_a_setting_nudged_click_by_click_is_one_undo_and_ctrl_z_works_in_its_field(window, qtbot, store):
    window.show_screen("Settings")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    box = window.settings_screen.fields["new_per_day"]
    box.setFocus()
    for _ in range(5):
        box.stepDown()
    assert store.settings().new_per_day == 15
    assert window.undo_action.text() == "&Undo change new cards per day"
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.settings().new_per_day == 20 and box.value() == 20
    assert store.undo_label is None


def test_starting_a_running_plan_again_asks_first(window, qtbot, store, monkeypatch):
    from ui.calendar_screen import StartPlanDialog, to_qdate

    plans.start_plan(store, "transformer-mastery-2-weeks", on=store.today().day)
    window.show_screen("Calendar")

    shown = []

    def choose(dialog: StartPlanDialog) -> int:
        shown.append(dialog)
        if len(shown) > 1:
            return 0  # back in the dialog after answering No: the learner cancels
        dialog.plan.setCurrentIndex(dialog.plan.findData("transformer-mastery-2-weeks"))
        dialog.start.setDate(to_qdate(store.today().day))
        assert "already running" in dialog.summary.text()  # said in the dialog before the learner confirms
        return 1

    monkeypatch.setattr(StartPlanDialog, "exec", choose)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a: asked.append(a) or QMessageBox.StandardButton.No)
    window.calendar.start_plan()
    assert "already running" in asked[0][2] and len(plans.runs(store)) == 1
    assert asked[0][4] == QMessageBox.StandardButton.No  # the default button: Enter does not start it twice
    assert len(shown) == 2  # No went back to the dialog


def test_today_and_calendar_show_exam_readiness(window, qtbot, store):
    from datetime import timedelta

    from planner.planfile import parse_plan
    from tests.conftest import DATA

    plans.import_plan(store, parse_plan((DATA / "plan.md").read_text(), "plan.md"))
    plans.start_plan(store, "test-plan", on=store.today().day, exam=store.today().day + timedelta(days=20))
    ops.answer(store, store.next_card().id, 4)
    window.show_screen("Today")
    panel = window.today.readiness
    qtbot.waitUntil(panel.isVisible, timeout=5000)
    assert "you would recall" in panel.text() and "Weakest:" in panel.text() and "Test plan" in panel.text()
    window.show_screen("Calendar")
    qtbot.waitUntil(lambda: "you would recall" in window.calendar.readiness.text(), timeout=5000)


def test_headline_rows_and_status_bar_say_the_same_today(window, qtbot, store):
    for name in ("Alpha", "Beta"):
        deck = ops.add_deck(store, name).value
        for i in range(15):
            ops.add_card(store, deck.id, f"{name} {i}?", "yes")
    ops.update_settings(store, new_per_day=20)
    window.show_screen("Today")
    rows = window.today.model.decks
    assert all(r.new == store.queue_counts(r.deck_id).new for r in rows)  # each row: what Study deck brings
    assert window.today.summary.text().startswith("20 cards to study today (20 new)")  # Study all
    assert window.due_label.text() == "20 cards to study today"
    window.start_review(-1)
    press(qtbot, window.review, Qt.Key.Key_Space)
    press(qtbot, window.review, Qt.Key.Key_4)  # Easy: the card leaves today's queue
    assert window.due_label.text() == "19 cards to study today"  # the status bar follows the review


def test_study_ahead_from_the_calendar_lists_topics_with_their_new_cards(window, qtbot, store, monkeypatch):
    from planner.planfile import parse_plan
    from tests.conftest import DATA

    plans.import_plan(store, parse_plan((DATA / "plan.md").read_text(), "plan.md"))
    from datetime import timedelta

    plans.start_plan(store, "test-plan", on=store.today().day - timedelta(days=1))  # attention (day 3) still ahead
    window.show_screen("Calendar")
    offered = []

    def pick(parent, title, label, items, *rest):
        offered.extend(items)
        return items[-1], True

    monkeypatch.setattr("ui.calendar_screen.QInputDialog.getItem", pick)
    before = store.queue_counts().new
    window.calendar.study_ahead()
    assert offered[-1] == "attention: 1 new card"
    assert store.queue_counts().new == before + 1


def test_subdecks_are_listed_under_their_deck_and_studied_with_it(window, qtbot, store):
    from tests.conftest import add_deck_with_cards

    add_deck_with_cards(store, "Lang::Japanese::Vocab", 2)
    window.show_screen("Today")
    model = window.today.model
    shown = [model.data(model.index(row, 0)) for row in range(model.rowCount())]
    assert shown[-3:] == ["Lang", "    Japanese", "        Vocab"]
    lang_row = shown.index("Lang")
    assert model.data(model.index(lang_row, 1)) == 2  # the subtree's new cards
    window.today.table.selectRow(lang_row)
    window.today.study_deck.click()
    qtbot.waitUntil(lambda: window.review.card is not None)
    assert window.review.card.question.startswith("Lang::Japanese::Vocab question")


def test_a_type_in_card_checks_the_typed_answer(window, qtbot, store):
    """Anki's "type in the answer" cards: a box under the question takes the answer (digits and Space go
    into it, not to the rating keys); Enter turns the card over and shows what was right and wrong."""
    from cards.render import TYPE_MARK

    deck = ops.add_deck(store, "Capitals").value
    ops.add_card(store, deck.id, "Capital of France? " + TYPE_MARK, "Paris")
    ops.add_card(store, deck.id, "Capital of Italy? " + TYPE_MARK, "Rome")
    window.start_review(deck.id)
    review = window.review
    qtbot.waitUntil(lambda: review.card is not None and review.typed.isVisible())
    assert review.typed.hasFocus() or QApplication.focusWidget() is review.typed
    qtbot.keyClicks(review.typed, "Paris 2")  # a digit and a space: typed, not a rating
    assert review.typed.text() == "Paris 2" and not review.answer_shown
    review.typed.clear()
    qtbot.keyClicks(review.typed, "Pariz")
    qtbot.keyClick(review.typed, Qt.Key.Key_Return)
    assert review.answer_shown and "Expected: Paris" in review.view.toPlainText()
    review.rate(1)
    qtbot.waitUntil(lambda: review.card is not None and not review.answer_shown)
    expected = "Rome" if "Italy" in review.card.question else "Paris"
    qtbot.keyClicks(review.typed, expected)
    qtbot.keyClick(review.typed, Qt.Key.Key_Return)
    assert f"✓ {expected}" in review.view.toPlainText()


def _tone(seconds: float = 0.2, hertz: int = 440) -> bytes:
    """A short WAV file: real audio for the player to decode."""
    import io
    import math
    import struct
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        samples = (int(8000 * math.sin(i / 8000 * 2 * math.pi * hertz)) for i in range(int(8000 * seconds)))
        wav.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return out.getvalue()


def test_a_card_s_audio_plays_when_shown_and_again_with_r(window, qtbot, store, tmp_path):
    """Anki's [sound:] plays as its side is shown (the question's, then the answer's), R plays the side
    again, and the ▶ link the card shows for each sound plays that one."""
    pytest.importorskip("PySide6.QtMultimedia", reason="Qt's multimedia needs libpulse (apt-get install libpulse0)")
    from PySide6.QtCore import QUrl

    from cards.formats import import_file
    from cards.formats.apkg import ExportCard, write_apkg

    path = tmp_path / "Listening.apkg"
    card = ExportCard("tone-card", "Which note? [sound:a440.wav]", "A, 440 Hz [sound:answer.wav]", [])
    write_apkg(path, "Listening", [card], {"a440.wav": _tone(), "answer.wav": _tone(hertz=880)})
    import_file(store, path)
    window.start_review(store.deck_by_name("Listening").id)
    review = window.review
    qtbot.waitUntil(lambda: review.card is not None)
    assert "▶ a440.wav" in review.view.toPlainText()
    qtbot.waitUntil(lambda: review.audio.played == ["a440.wav"])
    qtbot.waitUntil(lambda: review.audio.playing is None, timeout=5000)  # decoded to its end
    press(qtbot, review, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: review.audio.played[-1] == "answer.wav")
    qtbot.waitUntil(lambda: review.audio.playing is None, timeout=5000)
    press(qtbot, review, Qt.Key.Key_R)  # on the answer side: the question's sound, then the answer's
    qtbot.waitUntil(lambda: review.audio.played[-2:] == ["a440.wav", "answer.wav"], timeout=5000)
    assert review.answer_shown  # R rated nothing
    review.view.anchorClicked.emit(QUrl("sound:a440.wav"))
    assert review.audio.played[-1] == "a440.wav"
    window.show_screen("Today")
    assert review.audio.playing is None  # leaving the review silences it


def test_an_upgrade_of_the_store_shows_its_progress_and_the_screen_stays_live(qtbot, tmp_path, monkeypatch):
    """A long migration runs off the GUI thread: its text shows over a bar without a maximum (one that
    moves), the event loop keeps turning meanwhile, and the store opens upgraded."""
    import threading

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QProgressDialog

    from cards import schema
    from planner.plans import open_store
    from ui.app import open_with_notice

    path = tmp_path / "old.db"
    open_store(path).close()
    migrated = threading.Event()

    def slow_migration(db, tz, progress):  # a large store's replay of its answers takes seconds
        threading.Event().wait(0.6)
        progress("copying (50%)…")  # a step of known length: the bar fills
        threading.Event().wait(0.4)
        db.execute("ALTER TABLE deck ADD COLUMN colour TEXT")
        migrated.set()

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, slow_migration])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    seen: list[tuple[str, int, bool, int]] = []

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QProgressDialog) and widget.isVisible():
                seen.append((widget.labelText(), widget.maximum(), migrated.is_set(), widget.value()))

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(50)
    store = open_with_notice(path)
    timer.stop()
    try:
        assert "colour" in [row[1] for row in store.db.execute("PRAGMA table_info(deck)")]
        assert len(seen) >= 5  # the loop turned while the migration ran: the notice was painted, not frozen
        assert all(text.startswith("Upgrading the store old.db") for text, _, _, _ in seen)
        assert {maximum for text, maximum, _, _ in seen if "copying" not in text} == {0}  # a bar that moves
        assert {(maximum, value) for text, maximum, _, value in seen if "copying" in text} == {(100, 50)}  # fills
        assert not any(done for _, _, done, _ in seen[:-1])  # shown during the upgrade, not after it
        assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]
    finally:
        store.close()


def _contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours."""

    def luminance(color: str) -> float:
        channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("colors", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_every_text_colour_reads_on_every_background(colors):
    """WCAG AA (4.5:1) for each text colour on each background its theme defines, and for the text on
    the accent (white on the dark theme's light blue was 2.5:1)."""
    low = [
        (fg, bg, round(_contrast(getattr(colors, fg), getattr(colors, bg)), 2))
        for fg in theme.TEXT_COLORS
        for bg in theme.BACKGROUNDS
        if _contrast(getattr(colors, fg), getattr(colors, bg)) < 4.5
    ]
    assert not low
    assert _contrast(colors.on_accent, colors.accent) >= 4.5


def test_arrow_and_page_keys_scroll_the_card_and_never_leave_the_review(window, qtbot, store):
    """Down three times walked focus out of the rating buttons into the sidebar and switched to the
    Calendar mid-card; a long answer could not be scrolled from the keyboard."""
    deck = ops.add_deck(store, "Long").value
    ops.add_card(store, deck.id, "A long answer?", "\n\n".join(f"Paragraph {i} of the answer." for i in range(80)))
    window.resize(900, 600)
    window.start_review(deck.id)
    review = window.review
    qtbot.waitUntil(lambda: review.card is not None)
    press(qtbot, review, Qt.Key.Key_Space)
    bar = review.view.verticalScrollBar()
    assert review.answer_shown and bar.maximum() > 0 and bar.value() == 0
    focused = QApplication.focusWidget()
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right):
        press(qtbot, focused, key)
    assert window.stack.currentWidget() is review and review.answer_shown
    assert bar.value() == 3 * bar.singleStep()
    press(qtbot, focused, Qt.Key.Key_PageDown)
    assert bar.value() == 3 * bar.singleStep() + bar.pageStep()
    press(qtbot, focused, Qt.Key.Key_PageUp)
    press(qtbot, focused, Qt.Key.Key_Up)
    assert bar.value() == 2 * bar.singleStep()
    assert review.card is not None and review_count(store) == 0  # nothing was rated by the way


def test_the_review_shows_its_actions_and_e_edits_the_card_in_place(window, qtbot, store, monkeypatch):
    """Edit, bury, suspend and undo are buttons that name their keys; E edits the card under review and
    it comes back on the side it was on, changed; the edit is one undo step."""
    from ui.card_dialog import CardDialog

    deck = ops.add_deck(store, "Edits").value
    ops.add_card(store, deck.id, "What is 2 + 2?", "5")
    window.start_review(deck.id)
    review = window.review
    qtbot.waitUntil(lambda: review.card is not None)
    tips = [review.tools.itemAt(i).widget().toolTip() for i in range(review.tools.count())]
    assert tips == ["Edit  (E)", "Bury  (-, B)", "Suspend  (@, !)", "Undo  (U)"]
    press(qtbot, review, Qt.Key.Key_Space)

    def exec_and_fix(dialog: CardDialog) -> int:  # the learner corrects the answer and saves
        assert dialog.card.id == review.card.id and dialog.answer.toPlainText() == "5"
        dialog.answer.setPlainText("4")
        dialog.save()
        return dialog.result()

    monkeypatch.setattr(CardDialog, "exec", exec_and_fix)
    press(qtbot, review, Qt.Key.Key_E)
    assert review.answer_shown and review.card.answer == "4" and "4" in review.view.toPlainText().split("\n")
    assert store.cards(deck.id)[0].answer == "4"
    window.undo_action.trigger()  # Edit > Undo: while reviewing, the review flow brings the card back
    assert store.cards(deck.id)[0].answer == "5"


def _ink_columns(view) -> list[tuple[int, int]]:
    """Each run of inked columns in the card, left to right, as (top row, bottom row) of its ink."""
    image = view.viewport().grab().toImage()
    background = image.pixelColor(2, 2)

    def inked(x: int, y: int) -> bool:
        c = image.pixelColor(x, y)
        return abs(c.red() - background.red()) + abs(c.green() - background.green()) > 200

    runs: list[list[int]] = []
    last = -10
    for x in range(image.width()):
        rows = [y for y in range(image.height()) if inked(x, y)]
        if rows:
            if x > last + 3:
                runs.append([min(rows), max(rows)])
            runs[-1] = [min(runs[-1][0], min(rows)), max(runs[-1][1], max(rows))]
            last = x
    return [(top, bottom) for top, bottom in runs]


def test_inline_math_sits_on_the_baseline_at_the_text_s_size(qtbot):
    """An inline formula was a bitmap 1.3x the size of the text, off its baseline: its x now stands on
    the line the text's x stands on, about as tall."""
    from ui.cardview import CardView

    view = CardView()
    qtbot.addWidget(view)
    view.resize(500, 200)
    view.show()
    view.show_markdown("x $x$ x")
    (text_top, text_bottom), (math_top, math_bottom), _ = _ink_columns(view)
    assert abs(math_bottom - text_bottom) <= 1
    assert 0.8 <= (math_bottom - math_top) / (text_bottom - text_top) <= 1.3


def test_math_is_drawn_for_the_screen_s_pixels(qtbot, monkeypatch):
    """At 2x scaling a formula was a 110-dpi bitmap blown up: now it is typeset at twice the pixels and
    laid out at the same size."""
    from ui.cardview import CardView

    view = CardView()
    qtbot.addWidget(view)
    view.show_markdown("$x^2$")
    (single,) = view._images.values()
    monkeypatch.setattr(CardView, "devicePixelRatioF", lambda self: 2.0)
    view.show_markdown("$x^2$")
    (double,) = view._images.values()
    assert double.width() in (2 * single.width() - 1, 2 * single.width(), 2 * single.width() + 1)
    laid_out, once = double.deviceIndependentSize(), single.deviceIndependentSize()
    assert abs(laid_out.width() - once.width()) <= 0.5 and abs(laid_out.height() - once.height()) <= 1


def test_a_rating_key_typed_before_the_answer_is_drawn_rates_nothing(window, qtbot, store):
    """Space then 3 at once, before a slow answer (the first formula) reached the screen, rated a card
    whose answer was never seen."""
    deck = ops.add_deck(store, "Fast keys").value
    ops.add_card(store, deck.id, "Softmax gradient?", "$p_i - y_i$")
    window.start_review(deck.id)
    review = window.review
    qtbot.waitUntil(lambda: review.card is not None)
    qtbot.keyClick(review, Qt.Key.Key_Space)
    qtbot.keyClick(review, Qt.Key.Key_3)  # typed ahead: no paint in between
    assert review.answer_shown and review_count(store) == 0
    qtbot.waitUntil(lambda: review._answer_drawn)
    qtbot.keyClick(review, Qt.Key.Key_3)
    assert review_count(store) == 1


def test_an_import_that_changes_your_cards_says_how_and_asks_first(window, qtbot, store, tmp_path, monkeypatch):
    """A deck file with the key of a deck you have reloads it: the dialog now says what that changes
    (new, changed, suspended) and imports only when the learner agrees."""
    from ui.import_dialog import ImportDialog

    (deck,) = [d for d in store.decks() if d.name == "Small test deck"]
    path = tmp_path / "reload.md"
    path.write_text(f"# Small test deck\nkey: {deck.key}\n\n## A brand new question?\n\n### Answer\nYes.\n")
    asked: list[str] = []
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes])

    def question(parent, title, text, *rest):  # the modal box: the learner's answer, in turn
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    before = [(c.question, c.queue) for c in store.cards(deck.id)]
    dialog = ImportDialog(window.worker, str(path), window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview is not None and dialog.import_button.isEnabled(), timeout=5000)
    dialog.start_import()
    qtbot.waitUntil(lambda: "Nothing was imported" in dialog.status.text(), timeout=5000)
    assert "1 new card" in asked[0] and f"{len(before)} cards no longer in the file, to be suspended" in asked[0]
    assert [(c.question, c.queue) for c in store.cards(deck.id)] == before
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=5000)
    assert len(asked) == 2 and dialog.summary.added == 1 and dialog.summary.removed == len(before)
    dialog.close()


def test_help_lists_every_key_and_about_names_the_version(window, qtbot, monkeypatch):
    """The keys come from the window's and the review's own actions; About says the version."""
    from cards import app_version
    from ui import help

    text = window.shortcut_text()
    for expected in ("| Import deck | Ctrl+I |", "| Undo the last change | Ctrl+Z |", "| Good | 3 |",
                     "| Show answer | Space, Return, Enter |", "| Replay audio | R, F5 |", "| Edit | E |",
                     "| Keyboard shortcuts | F1, Ctrl+/ |"):
        assert expected in text, expected
    titles = [a.text() for a in window.help_menu.actions()]
    assert "&Deck file format" in titles and "&Plan file format" in titles
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, body: shown.append(body))
    window.help_menu.actions()[-1].trigger()
    assert f"Study Planner {app_version()}" in shown[0] and str(window.store.path) in shown[0]
    assert help.doc_text("deck-format.md").startswith("# The deck format")


def test_a_code_block_is_one_box_without_an_empty_last_line(qtbot):
    """A code block was drawn as one grey stripe per line with gaps, plus an empty stripe at the end."""
    from ui.cardview import CardView

    view = CardView()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    view.show_markdown("Look:\n\n```python\nx = 1\ny = 2\n```\n\nAfter.")
    assert [line for line in view.toPlainText().split("\n") if line] == ["Look:", "x = 1", "y = 2", "After."]
    image = view.viewport().grab().toImage()
    code_bg = QColor(view.colors.code_bg)
    column = image.width() - 40  # right of the code's short lines, inside its box
    rows = [y for y in range(image.height()) if image.pixelColor(column, y) == code_bg]
    assert rows and rows[-1] - rows[0] + 1 == len(rows)  # one unbroken box, no stripes


def test_the_date_popup_shows_its_last_week_and_readable_weekends(qtbot, store):
    """The start-date popup cut off its last row (today's week, at the month's end), and weekends were
    Qt's pure red (4:1 on white)."""
    from datetime import date

    from ui.calendar_screen import date_picker

    picker = date_picker(date(2026, 11, 30), theme.LIGHT)
    qtbot.addWidget(picker)
    popup = picker.calendarWidget()
    popup.show()
    view = popup.findChild(QTableView)
    rows = view.model().rowCount()  # the day names and six weeks
    assert rows == 7 and all(view.rowHeight(r) >= popup.fontMetrics().height() + 4 for r in range(rows))
    assert popup.weekdayTextFormat(Qt.DayOfWeek.Sunday).foreground().color().name() == theme.LIGHT.again


def test_charts_have_a_scale_and_a_legend_and_the_heatmap_names_months_and_days(window, qtbot, store, clock):
    """The charts had no axes, values or legends, and the heatmap no month or weekday names."""
    from ui.statistics import _nice_peak

    assert [_nice_peak(n) for n in (0, 1, 3, 7, 18, 230, 1870)] == [1, 1, 5, 10, 20, 500, 2000]
    for card in store.cards()[:3]:
        ops.answer(store, card.id, 3)
    clock.advance(days=2)
    window.show_screen("Statistics")
    screen = window.statistics
    qtbot.waitUntil(lambda: screen.report is not None, timeout=5000)
    qtbot.wait(50)
    for chart, swatch in ((screen.forecast, theme.LIGHT.accent), (screen.kinds, theme.LIGHT.learning)):
        image = chart.grab().toImage()
        legend = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(2, 14)}
        assert swatch in legend  # the legend's colour squares, above the plot
    heatmap = screen.heatmap.grab().toImage()
    left = {heatmap.pixelColor(x, y).name() for x in range(screen.heatmap.LEFT - 6) for y in range(heatmap.height())}
    assert theme.LIGHT.muted in left or len(left) > 2  # the weekday names are drawn left of the cells


def test_browse_previews_the_selected_card_and_keeps_the_question_readable_when_narrow(window, qtbot, store):
    window.resize(900, 700)
    window.show_screen("Browse")
    browse = window.browse
    qtbot.waitUntil(lambda: browse.model.rowCount() > 0, timeout=5000)
    browse.table.selectRow(0)
    card = store.card(browse.selected_ids()[0])
    shown = browse.preview.toPlainText()
    assert card.question.split("\n")[0][:20] in shown and card.answer.split("\n")[0][:10] in shown
    browse.table.selectAll()
    assert browse.preview.toPlainText() == f"{browse.model.rowCount()} cards selected"
    header = browse.table.horizontalHeader()
    assert header.isSectionHidden(5) and header.isSectionHidden(6)  # Interval and Lapses make room
    assert header.sectionSize(1) >= 250  # the question column
    window.resize(1400, 900)
    qtbot.wait(20)
    assert not header.isSectionHidden(5)


def test_browse_shows_a_card_s_earlier_text_that_a_sync_replaced(window, qtbot, store):
    """The edit that lost a sync's conflict is kept (cards/sync.py) and shown under the card in Browse."""
    window.show_screen("Browse")
    browse = window.browse
    qtbot.waitUntil(lambda: browse.model.rowCount() > 0, timeout=5000)
    browse.table.selectRow(0)
    card_id = browse.selected_ids()[0]
    with store.transaction() as db:  # as a sync keeps it
        db.execute("INSERT INTO card_version (card_id, replaced_ms, question, answer, why) VALUES "
                   "(?, 0, 'The old question?', 'The old answer.', 'replaced by a later edit made elsewhere')",
                   (card_id,))  # fmt: skip
    browse.table.clearSelection()
    browse.table.selectRow(0)
    shown = browse.preview.toPlainText()
    assert "Earlier text, replaced by a later edit made elsewhere" in shown
    assert "The old question?" in shown and "The old answer." in shown


def test_the_daily_reminder_says_what_today_holds_once_a_day_at_its_hour(window, qtbot, store, clock):
    """Set in Settings; at the chosen hour (while the app runs) it names today's cards and open plan
    tasks, once a study day."""
    from ui.reminder import reminder_text

    screen = window.settings_screen
    said: list[str] = []
    window.reminder.reminded.connect(said.append)
    now = clock.now().astimezone(store.tz)
    later = (now.hour + 2) % 24
    if not 6 <= later <= 22:
        later = 22
    screen.reminder.setCurrentIndex(screen.reminder.findData(later))
    assert window.reminder.hour == later and window.reminder.timer.isActive()
    window.reminder.check()
    assert said == [] or now.hour >= later  # not before its hour
    clock.advance(hours=(later - now.hour) % 24 + 0.1)
    window.reminder.check()
    window.reminder.check()  # the same day: once
    expected = reminder_text(store)
    assert expected is not None and said == [expected] and "to study" in expected
    assert window.statusBar().currentMessage() == f"Today: {expected}"
    screen.reminder.setCurrentIndex(0)  # Off
    assert window.reminder.hour is None and not window.reminder.timer.isActive()


def test_deck_options_set_and_clear_a_deck_s_own_values_from_the_window(window, qtbot, store, monkeypatch):
    """Per-deck settings were promised but reachable only from the command line."""
    from ui.deck_options import DeckOptionsDialog

    window.show_screen("Today")
    window.today.table.selectRow(0)
    deck_id = window.today.current_deck_id()
    assert "Deck options…" in [a.text() for a in window.today.table.actions()]
    opened: list[DeckOptionsDialog] = []
    monkeypatch.setattr(DeckOptionsDialog, "exec", lambda self: opened.append(self) or 0)
    window.today.options_action.trigger()
    dialog = opened[0]
    assert not dialog.own["new_per_day"].isChecked() and not dialog.values["new_per_day"].isEnabled()
    dialog.own["new_per_day"].setChecked(True)
    dialog.values["new_per_day"].setText("1")
    dialog.own["learning_steps"].setChecked(True)
    dialog.values["learning_steps"].setText("1m 5m 30m")
    dialog.save()
    own = store.deck_overrides(deck_id)
    assert own["new_per_day"] == 1 and tuple(own["learning_steps"]) == (1.0, 5.0, 30.0) and len(own) == 2
    assert store.queue_counts(deck_id).new == 1
    again = DeckOptionsDialog(store, deck_id, window)
    qtbot.addWidget(again)
    assert again.own["new_per_day"].isChecked() and again.values["new_per_day"].text() == "1"
    again.values["new_per_day"].setText("lots")
    again.save()
    assert again.error.text() == "New cards per day must be a whole number, not 'lots'."  # in the dialog
    assert store.deck_overrides(deck_id)["new_per_day"] == 1  # and nothing changed
    again.own["new_per_day"].setChecked(False)
    again.own["learning_steps"].setChecked(False)
    again.save()
    assert store.deck_overrides(deck_id) == {}


def test_paging_the_calendar_keeps_the_selected_day_s_tasks(window, qtbot, store):
    """Paging to the next month left the day panel on the selected day's header with "Nothing planned.",
    though that day had tasks."""
    from datetime import timedelta

    today = store.today().day
    plans.start_plan(store, "research-engineer-12-weeks", on=today)
    window.show_screen("Calendar")
    screen = window.calendar
    before = [screen.day_tasks.item(i).text() for i in range(screen.day_tasks.count())]
    assert any("min)" in text for text in before)
    screen.calendar.showNextMonth()
    screen.calendar.showNextMonth()  # two months on: the selected day is far outside the month shown
    after = [screen.day_tasks.item(i).text() for i in range(screen.day_tasks.count())]
    assert screen.day_title.text() == today.strftime("%A %d %B") and after == before
    assert screen.calendar.selectedDate().toPython() == today
    screen.calendar.setSelectedDate(screen.calendar.selectedDate().addDays(70))
    assert screen.day_title.text() == (today + timedelta(days=70)).strftime("%A %d %B")


def test_the_review_s_actions_stay_whole_in_a_narrow_window(window, qtbot, store):
    """At 900 px the buttons read "Bu... -" and "S...@" beside a long deck name; the name gives way now."""
    deck = ops.add_deck(store, "Maths for ML: linear algebra, calculus and numerics, the long way round").value
    ops.add_card(store, deck.id, "Q?", "A.")
    window.start_review(deck.id)
    review = window.review
    qtbot.waitUntil(lambda: review.card is not None)
    for width in (1400, 900, 800):  # 800: a 1600 px screen at 2x
        window.resize(width, 600)
        qtbot.wait(20)
        for i in range(review.tools.count()):
            button = review.tools.itemAt(i).widget()
            assert button.width() >= button.sizeHint().width(), (width, button.text())  # its whole text
    assert review.deck_label.text().endswith("…") and review.deck_label.toolTip() == deck.name


def test_browse_filters_leave_the_search_box_room_at_900_px(window, qtbot, store):
    """After a wide window went to 900 px, the search box had shrunk to "S…" beside long deck names."""
    ops.add_deck(store, "A deck with a very long name indeed, as imported decks often have")
    window.resize(1400, 800)
    window.show_screen("Browse")
    window.apply_theme("dark")
    window.resize(900, 700)
    qtbot.wait(30)
    browse = window.browse
    assert browse.search_box.width() >= 180
    assert browse.table.horizontalHeader().sectionSize(1) >= 200  # the question column
    assert browse.splitter.width() <= browse.width()  # nothing runs off the window's edge
