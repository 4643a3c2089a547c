"""Add or edit a card: deck, question and answer in Markdown with a live preview, tags."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from cards import ops
from cards.errors import StudyPlannerError
from cards.render import one_line
from cards.rows import Card
from cards.store import Store
from cards.wording import plural, sentence

from .cardview import CardView


class CardDialog(QDialog):
    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        card: Card | None = None,
        deck_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.card = card
        self.saved: Card | None = None
        self.setWindowTitle("Edit card" if card else "Add card")
        self.resize(1080, 640)  # room for the preview to show a card as wide as the review does

        self.deck = QComboBox()
        for deck in store.decks():
            self.deck.addItem(deck.name, deck.id)
        wanted = card.deck_id if card else deck_id
        if wanted is not None:
            self.deck.setCurrentIndex(max(0, self.deck.findData(wanted)))
        self.question = QPlainTextEdit(card.question if card else "")
        self.question.setPlaceholderText("The question, in Markdown")
        self.answer = QPlainTextEdit(card.answer if card else "")
        self.answer.setPlaceholderText("The answer, in Markdown: **bold**, `code`, ```python blocks, $math$, tables")
        self.tags = QLineEdit(" ".join(card.tag_list) if card else "")
        self.tags.setPlaceholderText("space-separated tags")
        self.preview = CardView(media=store.media)

        form = QFormLayout()
        form.addRow("Deck", self.deck)
        form.addRow("Question", self.question)
        form.addRow("Answer", self.answer)
        form.addRow("Tags", self.tags)
        preview_box = QVBoxLayout()
        heading = QLabel("Preview")
        heading.setObjectName("muted")
        preview_box.addWidget(heading)
        preview_box.addWidget(self.preview, 1)
        columns = QHBoxLayout()
        columns.addLayout(form, 1)
        columns.addLayout(preview_box, 1)
        # Adding, as in Anki: each card added clears the question and answer for the next (deck and tags
        # stay), until Close. Editing: Save closes.
        if card is None:
            self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            add = self.buttons.addButton("Add", QDialogButtonBox.ButtonRole.AcceptRole)
            add.setShortcut(QKeySequence("Ctrl+Return"))
            add.setToolTip("Add the card and start the next one (Ctrl+Enter)")
            add.setDefault(False)
        else:
            self.buttons = QDialogButtonBox(
                QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
            )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.message = QLabel()  # what was added, or why the card was not saved: here, not in a box
        self.message.setWordWrap(True)
        self.added = 0
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.update_preview)
        self.question.textChanged.connect(self._timer.start)
        self.answer.textChanged.connect(self._timer.start)
        for field in (self.question, self.answer):  # a complaint goes once the learner is fixing it
            field.textChanged.connect(self._clear_error)
        self.update_preview()

    def _clear_error(self) -> None:
        if self.message.objectName() == "error":
            self.message.clear()

    def update_preview(self) -> None:
        question = self.question.toPlainText().strip()
        answer = self.answer.toPlainText().strip()
        self.preview.show_markdown(f"{question}\n\n<hr>\n\n{answer}" if answer else question)

    def save(self) -> None:
        deck_id = self.deck.currentData()
        if deck_id is None:
            self.message.setObjectName("error")
            self.message.setText("There is no deck to put it in: create or import a deck first.")
            self.message.style().polish(self.message)
            return
        tags = self.tags.text().split()
        try:
            if self.card is None:
                self.saved = ops.add_card(
                    self.store, deck_id, self.question.toPlainText(), self.answer.toPlainText(), tags
                ).value
            else:
                self.saved = ops.edit_card(
                    self.store,
                    self.card.id,
                    question=self.question.toPlainText(),
                    answer=self.answer.toPlainText(),
                    tags=tags,
                    deck_id=deck_id,
                ).value
        except StudyPlannerError as exc:
            self.message.setObjectName("error")
            self.message.setText(sentence(str(exc)))
            self.message.style().polish(self.message)
            return
        if self.card is not None:
            self.accept()
            return
        self.added += 1
        self.message.setObjectName("muted")
        self.message.setText(f"Added “{one_line(self.saved.question, 60)}” ({plural(self.added, 'card')} so far)."
                             " Ctrl+Z in the window undoes it.")  # fmt: skip
        self.message.style().polish(self.message)
        self.question.clear()
        self.answer.clear()
        self.question.setFocus()
