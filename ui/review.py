"""The review screen: question, answer, four ratings, undo, bury, suspend; all by keyboard."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QElapsedTimer, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSlider,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cards.errors import StudyPlannerError
from cards.queue import QueueCounts
from cards.render import answer_side, asks_to_type, may_have_math, sounds, typed_answer_html
from cards.review import ReviewSession, ReviewSummary
from cards.rows import Card
from cards.scheduling import RATING_NAMES, format_interval
from cards.store import Store
from cards.wording import plural

from .audio import AudioPlayer
from .card_dialog import CardDialog
from .cardview import CardView
from .theme import LIGHT, Colors

# Keys as data, in one place (as Anki's reviewer keeps them).
SHOW_ANSWER_KEYS = ("Space", "Return", "Enter")
RATING_KEYS = {1: "1", 2: "2", 3: "3", 4: "4"}
UNDO_KEYS = ("U",)  # Ctrl+Z is the window's Edit > Undo, which comes here while reviewing
BURY_KEYS = ("-", "B")
SUSPEND_KEYS = ("@", "!")
# The card scrolls under these; on the buttons they would walk focus out of the review into the sidebar.
SCROLL_KEYS = {"Down": QAbstractSlider.SliderAction.SliderSingleStepAdd,
               "Up": QAbstractSlider.SliderAction.SliderSingleStepSub,
               "PgDown": QAbstractSlider.SliderAction.SliderPageStepAdd,
               "PgUp": QAbstractSlider.SliderAction.SliderPageStepSub}  # fmt: skip
STAY_KEYS = ("Left", "Right")  # taken here and ignored (the type-in box still has them: it asks first)
REPLAY_KEYS = ("R", "F5")
EDIT_KEYS = ("E",)  # as in Anki  # Anki's keys to hear a card's audio again
LEAVE_KEYS = ("Escape",)


class ElidedLabel(QLabel):
    """One line of text cut with "…" to the room it has (whole in its tooltip), instead of claiming it."""

    def __init__(self) -> None:
        super().__init__()
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(60)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self.setToolTip(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


class ReviewScreen(QWidget):
    """The window's face of the core's review flow (cards/review.py): it draws what the session shows.

    Emits leave when the learner is done, message_posted for the status bar.
    """

    leave = Signal()
    message_posted = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.colors: Colors = LIGHT
        self.deck_id: int | None = None
        self.session: ReviewSession | None = None
        self.counts: QueueCounts | None = None
        self.timer = QElapsedTimer()

        self.deck_label = ElidedLabel()  # a long deck name gives way to the actions beside it
        self.deck_label.setObjectName("subtitle")
        self.counts_label = QLabel()
        self.counts_label.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.addWidget(self.deck_label, 1)
        self.tools = QHBoxLayout()  # the review's actions with their keys, filled in below
        top.addLayout(self.tools)
        top.addSpacing(16)
        top.addWidget(self.counts_label)

        self.view = CardView(media=store.media)
        self._answer_drawn = False  # the answer side has been painted since it was shown
        self.view.painted.connect(self._drawn)
        self.view.anchorClicked.connect(self._link_clicked)
        self.audio = AudioPlayer(store.media, self)
        self.audio.problem.connect(self.message_posted)
        self.typed = QLineEdit()  # for a card that asks for its answer to be typed (Anki's type-in cards)
        self.typed.setPlaceholderText("Type the answer, then Enter")
        self.typed.returnPressed.connect(self.reveal)
        self.typed.hide()
        self.show_button = QPushButton("Show answer   (Space)")
        self.show_button.setObjectName("primary")
        self.show_button.clicked.connect(self.reveal)
        self.rating_buttons: dict[int, QPushButton] = {}
        ratings = QWidget()
        row = QHBoxLayout(ratings)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch()
        for rating, name in RATING_NAMES.items():
            button = QPushButton(name)
            button.setObjectName(name.lower())
            button.setMinimumWidth(110)
            button.clicked.connect(lambda _=False, r=rating: self.rate(r))
            self.rating_buttons[rating] = button
            row.addWidget(button)
        row.addStretch()
        show_row = QWidget()
        show_layout = QHBoxLayout(show_row)
        show_layout.setContentsMargins(0, 0, 0, 0)
        show_layout.addStretch()
        show_layout.addWidget(self.show_button)
        show_layout.addStretch()
        self.bottom = QStackedWidget()
        self.bottom.addWidget(show_row)
        self.bottom.addWidget(ratings)
        self.bottom.setFixedHeight(56)

        self.study_page = QWidget()
        study = QVBoxLayout(self.study_page)
        study.setContentsMargins(28, 18, 28, 18)
        study.addLayout(top)
        study.addWidget(self.view, 1)
        study.addWidget(self.typed)
        study.addWidget(self.bottom)

        self.done_title = QLabel()
        self.done_title.setObjectName("title")
        self.done_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_text = QLabel()
        self.done_text.setObjectName("subtitle")
        self.done_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_text.setWordWrap(True)
        back = QPushButton("Back to decks")
        back.setObjectName("primary")
        back.clicked.connect(self.leave.emit)
        self.done_page = QWidget()
        done = QVBoxLayout(self.done_page)
        done.addStretch()
        done.addWidget(self.done_title)
        done.addWidget(self.done_text)
        done.addSpacing(16)
        done.addWidget(back, 0, Qt.AlignmentFlag.AlignCenter)
        done.addStretch()

        self.pages = QStackedWidget()
        self.pages.addWidget(self.study_page)
        self.pages.addWidget(self.done_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self._add_action("Show answer", SHOW_ANSWER_KEYS, self._space)
        for rating, key in RATING_KEYS.items():
            self._add_action(RATING_NAMES[rating], (key,), lambda _checked=False, r=rating: self._rate_key(r))
        edit = self._add_action("Edit", EDIT_KEYS, self.edit)
        bury = self._add_action("Bury", BURY_KEYS, self.bury)
        suspend = self._add_action("Suspend", SUSPEND_KEYS, self.suspend)
        self.undo_action = self._add_action("Undo", UNDO_KEYS, self.undo)
        self.tool_actions = (edit, bury, suspend, self.undo_action)
        for action in self.tool_actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys do it; focus stays with the card's buttons
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setObjectName("tool")
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # never cut to "Bu..."
            self.tools.addWidget(button)
        self._add_action("Replay audio", REPLAY_KEYS, self.replay)
        for key, step in SCROLL_KEYS.items():
            self._add_action(f"Scroll the card ({key})", (key,), lambda _=False, s=step: self._scroll(s))
        self._add_action("Stay on the card", STAY_KEYS, lambda: None)
        self._add_action("Back to decks", LEAVE_KEYS, self.leave.emit)

    def _add_action(self, text: str, keys: tuple[str, ...], slot) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setToolTip(f"{text}  ({', '.join(keys)})")
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # Each action's key beside its name where there is room ("Bury  -"); the name alone where not (the
        # tooltip keeps the key), so that no button is cut to "Bu...".
        wide = self.width() >= 900
        for action in self.tool_actions:
            action.setIconText(f"{action.text()}  {action.shortcut().toString()}" if wide else action.text())

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.view.set_colors(colors)
        if self.counts is not None:
            self.show_counts(self.counts)

    # ------------------------------------------------------------------ flow (the core's ReviewSession)

    def start(self, deck_id: int | None) -> None:
        self.deck_id = deck_id
        self.session = ReviewSession(self.store, self, deck_id, timer=self._elapsed_seconds)
        self.deck_label.setText(self.session.deck_name)
        self.timer.start()
        self.session.start()

    def _elapsed_seconds(self) -> float:
        return self.timer.elapsed() / 1000

    @property
    def reviewed(self) -> int:
        return self.session.reviewed if self.session else 0

    def _space(self) -> None:
        if self.card is None:
            return
        if self.answer_shown:
            self.rate(3)  # as in Anki: Space on the answer side means Good
        else:
            self.reveal()

    def reveal(self) -> None:
        """Space, Enter or the button: turn the card over."""
        if self.session is not None and self._studying():
            self.session.reveal()

    def rate(self, rating: int) -> None:
        if self.session is None or not self._studying():
            return
        try:
            self.session.rate(rating)  # before the answer is shown, the session says so and rates nothing
        except StudyPlannerError as exc:
            # The answer stays on screen; the learner can try again once the cause is fixed.
            QMessageBox.warning(self, "Answer not saved", f"Your answer was not saved: {exc}")

    def _rate_key(self, rating: int) -> None:
        """A rating key counts once the answer is on the screen: one typed ahead while the answer was
        still being drawn would rate a card whose answer the learner never saw."""
        if self._answer_drawn:
            self.rate(rating)

    def _drawn(self) -> None:
        self._answer_drawn = self.answer_shown

    def undo(self) -> None:
        if self.session is not None:
            self.session.undo()

    def redo(self) -> None:
        if self.session is not None:
            self.session.redo()

    def bury(self) -> None:
        if self.session is not None and self._studying():
            self.session.bury()

    def suspend(self) -> None:
        if self.session is not None and self._studying():
            self.session.suspend()

    def edit(self) -> None:
        """E: the card under review in the edit dialog; saved, it is shown again as it now is."""
        if self.session is None or not self._studying():
            return
        dialog = CardDialog(self.store, parent=self, card=self.card)
        if dialog.exec():
            self.session.edited()

    def replay(self) -> None:
        """R or F5: the card's audio again, the question's and, once shown, the answer's (as Anki does)."""
        if self.card is not None and self._studying():
            self.audio.play(sounds(self.card.question) + (sounds(self.card.answer) if self.answer_shown else []))

    def _scroll(self, step: QAbstractSlider.SliderAction) -> None:
        self.view.verticalScrollBar().triggerAction(step)

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == "sound":  # a ▶ link the card shows for each of its sounds
            self.audio.play([url.path()])

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self.audio.stop()  # left for another screen, by any way: the card's audio stops with it

    def _studying(self) -> bool:
        return self.card is not None and self.pages.currentWidget() is self.study_page

    # ------------------------------------------------------------------ the view the session draws on

    @property
    def card(self) -> Card | None:
        return self.session.card if self.session else None

    @property
    def answer_shown(self) -> bool:
        return bool(self.session and self.session.answer_shown)

    def show_question(self, card: Card) -> None:
        self.pages.setCurrentWidget(self.study_page)
        self.view.show_markdown(card.question)
        self.bottom.setCurrentIndex(0)
        self.typed.clear()
        self.typed.setEnabled(True)
        self.typed.setVisible(asks_to_type(card.question))
        (self.typed if self.typed.isVisible() else self.show_button).setFocus()
        self.audio.play(sounds(card.question))
        if may_have_math(card.answer):  # its formulas typeset while the question is read
            self.view.prepare(answer_side(card.question, card.answer))

    def focusInEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().focusInEvent(event)
        if self.typed.isVisible() and self.typed.isEnabled():  # the screen given focus: the answer box takes it
            self.typed.setFocus()

    def show_answer(self, card: Card, intervals: dict[int, timedelta]) -> None:
        checked = (
            typed_answer_html(self.typed.text(), card.answer, self.colors.good, self.colors.again)
            if self.typed.isVisible()
            else ""
        )
        self._answer_drawn = False
        self.typed.setEnabled(False)  # the answer is out: the typed text stays, for the record
        self.view.show_markdown(answer_side(card.question, card.answer, checked))
        for rating, delta in intervals.items():
            self.rating_buttons[rating].setText(f"{RATING_NAMES[rating]}\n{format_interval(delta)}")
            self.rating_buttons[rating].setToolTip(f"{RATING_NAMES[rating]}  (key {RATING_KEYS[rating]})")
        self.bottom.setCurrentIndex(1)
        self.rating_buttons[3].setFocus()
        self.audio.play(sounds(card.answer))

    def show_counts(self, counts: QueueCounts) -> None:
        self.counts = counts
        c = self.colors
        self.counts_label.setText(
            f"<span style='color:{c.new}'><b>{counts.new}</b> new</span>&nbsp;&nbsp;&nbsp;"
            f"<span style='color:{c.learning}'><b>{counts.learning}</b> learning</span>&nbsp;&nbsp;&nbsp;"
            f"<span style='color:{c.due}'><b>{counts.due}</b> due</span>"
        )

    def message(self, text: str) -> None:
        self.message_posted.emit(text)

    def finished(self, summary: ReviewSummary) -> None:
        self.audio.stop()
        self.pages.setCurrentWidget(self.done_page)
        self.done_title.setText("All done for now" if summary.reviewed else "Nothing to study right now")
        lines = []
        if summary.reviewed:
            lines.append(
                f"You answered {plural(summary.reviewed, 'card')} in {summary.deck_name}"
                f" (about {summary.minutes} min at your pace)."
            )
        if summary.next_due is not None:
            lines.append(f"The next card is due {summary.next_due.astimezone():%A %d %B at %H:%M}.")
        if summary.new_done_for_today and summary.reviewed:
            lines.append("Today's new cards are done; more arrive tomorrow.")
        self.done_text.setText("\n".join(lines) or "Add cards or import a deck to get started.")
