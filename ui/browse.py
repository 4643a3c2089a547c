"""Browse: every card in a searchable, sortable table that stays smooth at 100,000 cards.

The model holds only the matching card ids; rows are fetched a page at a time
when the view asks for them. Searching runs off the GUI thread.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cards import browse, ops
from cards.browse import BrowseRow, CardQuery
from cards.changes import Changes
from cards.errors import StudyPlannerError
from cards.render import answer_side, one_line
from cards.store import Store
from cards.timeutil import from_ms
from cards.wording import plural, sentence

from .card_dialog import CardDialog
from .cardview import CardView
from .theme import LIGHT, Colors
from .workers import StoreWorker

Index = QModelIndex | QPersistentModelIndex
PAGE = 200


class CardTableModel(QAbstractTableModel):
    COLUMNS = (("deck", "Deck"), ("question", "Question"), ("tags", "Tags"), ("state", "State"),
               ("due", "Due"), ("interval", "Interval"), ("lapses", "Lapses"))  # fmt: skip

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.ids: list[int] = []
        self._rows: dict[int, BrowseRow] = {}
        self.colors: Colors = LIGHT

    def set_ids(self, ids: list[int]) -> None:
        self.beginResetModel()
        self.ids = ids
        self._rows.clear()
        self.endResetModel()

    def refresh_rows(self) -> None:
        """Drop cached rows (after an edit) and repaint."""
        self._rows.clear()
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, len(self.COLUMNS) - 1))

    def row(self, row: int) -> BrowseRow:
        card_id = self.ids[row]
        if card_id not in self._rows:
            start = row - row % PAGE
            self._rows.update(browse.rows(self.store.db, self.ids[start : start + PAGE]))
        return self._rows[card_id]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.row(index.row())
        column = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(r, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == "question":
            return one_line(r.question, 500)
        if role == Qt.ItemDataRole.ForegroundRole and (r.suspended or r.state == "buried"):
            return QColor(self.colors.muted)
        return None


def _display(r: BrowseRow, column: str) -> str:
    if column == "question":
        return one_line(r.question)
    if column == "due":
        if r.due_ms is None:
            return "new"
        return datetime.fromtimestamp(r.due_ms / 1000).strftime("%Y-%m-%d")
    if column == "interval":
        if r.interval_days is None:
            return ""
        return f"{r.interval_days:.0f}d" if r.interval_days >= 1 else f"{r.interval_days * 1440:.0f}m"
    return str(getattr(r, column))


class BrowseScreen(QWidget):
    def __init__(self, store: Store, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.worker = worker
        self.query = CardQuery()
        self._searching = False
        self._pending = False
        self._tasks: list = []

        title = QLabel("Browse")
        title.setObjectName("title")
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search questions and answers…")
        self.search_box.setClearButtonEnabled(True)
        self.deck_filter = QComboBox()
        self.tag_filter = QComboBox()
        self.state_filter = QComboBox()
        self.search_box.setMinimumWidth(180)
        for combo in (self.deck_filter, self.tag_filter):  # a long deck or tag name never squeezes the search
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        self.state_filter.addItem("All states", "")
        for state in browse.STATE_FILTERS:
            self.state_filter.addItem(state.capitalize(), state)
        self.count_label = QLabel()
        self.count_label.setObjectName("muted")
        self.count_label.setMinimumWidth(110)

        self.model = CardTableModel(store)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)  # over the text
        for column, width in ((0, 170), (2, 130), (3, 86), (4, 96), (5, 76), (6, 72)):
            header.resizeSection(column, width)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._sort)
        self.table.doubleClicked.connect(lambda _: self.edit_selected())
        self.table.installEventFilter(self)  # its own width, once laid out, decides the columns

        self.add_button = QPushButton("Add card…")
        self.edit_button = QPushButton("Edit…")
        self.suspend_button = QPushButton("Suspend")
        self.suspend_button.setToolTip("Suspend the selected cards, or unsuspend them when all are suspended")
        self.move_button = QPushButton("Move…")
        self.move_button.setToolTip("Move the selected cards, with their history, to another deck")
        self.move_button.clicked.connect(self.move_selected)
        self.delete_button = QPushButton("Delete…")
        self.add_button.clicked.connect(self.add_card)
        self.edit_button.clicked.connect(self.edit_selected)
        self.suspend_button.clicked.connect(self.toggle_suspend)
        self.delete_button.clicked.connect(self.delete_selected)

        filters = QHBoxLayout()
        filters.addWidget(self.search_box, 2)
        filters.addWidget(self.deck_filter, 1)
        filters.addWidget(self.tag_filter, 1)
        filters.addWidget(self.state_filter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label)
        buttons.addStretch()
        for button in (self.add_button, self.edit_button, self.move_button, self.suspend_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        # The card under the cursor, as the review shows it (question, rule, answer), below the list.
        self.preview = CardView(media=store.media)
        self.preview.setMinimumHeight(110)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_preview())
        self.model.modelReset.connect(self.show_preview)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.search)
        self.search_box.textChanged.connect(lambda _: self._debounce.start())
        for combo in (self.deck_filter, self.tag_filter, self.state_filter):
            combo.currentIndexChanged.connect(lambda _: self.search())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.table and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return False

    def _fit_columns(self) -> None:
        """Deck and Tags give up width on a narrow list, and Interval and Lapses hide below 800 px (the
        preview has them), so the question stays readable."""
        width = self.table.width()
        header = self.table.horizontalHeader()
        header.resizeSection(0, max(90, min(170, width // 6)))
        header.resizeSection(2, max(80, min(130, width // 8)))
        for column in (5, 6):
            header.setSectionHidden(column, width < 800)

    def set_colors(self, colors: Colors) -> None:
        self.model.colors = colors
        self.preview.set_colors(colors)

    def show_preview(self) -> None:
        """The selected card as the review shows it; with several selected, how many."""
        ids = self.selected_ids()
        if len(ids) != 1:
            hint = f"*{plural(len(ids), 'card')} selected*" if ids else "*Select a card to see it here.*"
            self.preview.show_markdown(hint)
            return
        card = self.store.card(ids[0])
        text = answer_side(card.question, card.answer)
        for earlier in self.store.earlier_texts(card.id):  # edits a sync replaced: kept, and shown here
            when = from_ms(earlier.replaced_ms).astimezone()
            text += (f"\n\n---\n\n*Earlier text, {earlier.why} ({when:%d %b %Y %H:%M}):*\n\n"
                     f"{earlier.question}\n\n{earlier.answer}")  # fmt: skip
        self.preview.show_markdown(text)

    def redraw(self, changes: Changes) -> None:
        if changes & (Changes.DECKS | Changes.CARD_CONTENT):
            self.refresh()  # decks or tags to filter by, and which cards match, may have changed
        elif changes & (Changes.STUDY_QUEUE | Changes.SETTINGS):
            self.model.refresh_rows()  # the same cards; their state, due date or interval moved

    def refresh(self) -> None:
        """Reload the filter choices and search again."""
        for combo, first, items in (
            (self.deck_filter, "All decks", [(d.name, d.id) for d in self.store.decks()]),
            (self.tag_filter, "All tags", [(t, t) for t in browse.all_tags(self.store.db)]),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(first, None)
            for text, data in items:
                combo.addItem(text, data)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)
        self.search()

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        self.query = replace(self.query, sort=CardTableModel.COLUMNS[column][0],
                             descending=order == Qt.SortOrder.DescendingOrder)  # fmt: skip
        self.search()

    def search(self) -> None:
        """Search on a worker with its own read connection; the newest request wins."""
        self.query = CardQuery(
            text=self.search_box.text(),
            deck_id=self.deck_filter.currentData(),
            tag=self.tag_filter.currentData() or "",
            state=self.state_filter.currentData() or "",
            sort=self.query.sort,
            descending=self.query.descending,
        )
        if self._searching:
            self._pending = True
            return
        self._searching = True
        query = self.query
        self._tasks = [self.worker.run(lambda store: browse.search(store.db, query), self._found, self._failed)]

    def _found(self, ids: list[int]) -> None:
        self._searching = False
        if self._pending:
            self._pending = False
            self.search()
            return
        self.model.set_ids(ids)
        self.count_label.setText(plural(len(ids), "card"))

    def _failed(self, message: str) -> None:
        self._searching = False
        QMessageBox.warning(self, "Search failed", message)

    def selected_ids(self) -> list[int]:
        return [self.model.ids[i.row()] for i in self.table.selectionModel().selectedRows()]

    def add_card(self) -> None:
        dialog = CardDialog(self.store, parent=self, deck_id=self.deck_filter.currentData())
        dialog.exec()

    def edit_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        dialog = CardDialog(self.store, parent=self, card=self.store.card(ids[0]))
        dialog.exec()

    def toggle_suspend(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        if all(self.store.card(i).queue == -1 for i in ids):
            ops.unsuspend(self.store, ids)
        else:
            ops.suspend(self.store, ids)

    def move_selected(self) -> None:
        """The selected cards, with their history, to another deck (Edit > Undo moves them back)."""
        ids = self.selected_ids()
        if not ids:
            return
        decks = self.store.decks()
        name, ok = QInputDialog.getItem(
            self, "Move cards", f"Move {plural(len(ids), 'card')} to:", [d.name for d in decks], 0,
            False,
        )  # fmt: skip
        if ok:
            ops.move_cards(self.store, ids, next(d.id for d in decks if d.name == name))

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        answer = QMessageBox.question(
            self,
            "Delete cards",
            f"Delete {plural(len(ids), 'card')} and their review history? "
            "Edit > Undo (Ctrl+Z) brings them back.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            ops.delete_cards(self.store, ids)
        except StudyPlannerError as exc:
            QMessageBox.warning(self, "Not deleted", sentence(str(exc)))
