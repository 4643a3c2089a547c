"""Today: every deck with today's New / Learning / Due counts, and a summary of the day."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cards import ops
from cards.changes import Changes
from cards.errors import StudyPlannerError
from cards.queue import DeckCounts, DeckRow, QueueCounts
from cards.stats import streak_days, study_minutes
from cards.store import Store
from cards.wording import plural, sentence
from planner import plans

from .deck_options import DeckOptionsDialog
from .plan_tasks import task_item
from .readiness_panel import ReadinessPanel
from .theme import LIGHT, Colors
from .workers import StoreWorker

Index = QModelIndex | QPersistentModelIndex


def _breakdown(counts: QueueCounts) -> str:
    return ", ".join(f"{n} {kind}" for n, kind in ((counts.new, "new"), (counts.learning, "learning"),
                                                     (counts.due, "due")) if n)  # fmt: skip


class DeckTableModel(QAbstractTableModel):
    HEADERS = ("Deck", "New", "Learning", "Due")

    def __init__(self) -> None:
        super().__init__()
        self.decks: list[DeckCounts] = []  # in list order, a deck's counts those of its subtree
        self.rows: list[DeckRow] = []
        self.colors: Colors = LIGHT

    def set_rows(self, rows: list[DeckRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.decks = [row.counts for row in self.rows]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.decks)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole and section:
            return "What studying this deck (and its subdecks) brings today; the line above counts Study all"
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        deck = row.counts
        values = ("    " * row.depth + row.label, deck.new, deck.learning, deck.due)
        if role == Qt.ItemDataRole.DisplayRole:
            return values[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return f"{deck.name}: {plural(deck.total, 'card')} in all"
        if role == Qt.ItemDataRole.TextAlignmentRole and column:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column:
            if values[column] == 0:
                return QColor(self.colors.muted)
            return QColor((self.colors.new, self.colors.learning, self.colors.due)[column - 1])
        if role == Qt.ItemDataRole.FontRole and column and values[column]:
            font = QFont()
            font.setBold(True)
            return font
        return None


class DeckTable(QTableView):
    activated_deck = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_deck.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class TodayScreen(QWidget):
    """Emits study_requested(deck_id), or -1 for all decks."""

    study_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, store: Store, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.readiness = ReadinessPanel(worker)
        self.counts: QueueCounts | None = None  # what is left today, as of the last refresh
        self.title = QLabel("Today")
        self.title.setObjectName("title")
        self.summary = QLabel()
        self.summary.setObjectName("subtitle")
        self.summary.setWordWrap(True)  # the day's figures wrap on a narrow window instead of being cut
        self.model = DeckTableModel()
        self.table = DeckTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().setDefaultSectionSize(38)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, 96)
        self.table.doubleClicked.connect(lambda index: self._study_row(index.row()))
        self.table.activated_deck.connect(self._study_row)
        # A deck's own actions: right-click, or F2 and Delete on the selected deck.
        self.rename_action = QAction("Rename deck…", self.table, shortcut=QKeySequence("F2"))
        self.delete_action = QAction("Delete deck…", self.table, shortcut=QKeySequence.StandardKey.Delete)
        self.export_action = QAction("Export deck…", self.table)
        self.options_action = QAction("Deck options…", self.table)
        for action, slot in ((self.rename_action, self.rename_deck), (self.delete_action, self.delete_deck),
                             (self.export_action, self._export), (self.options_action, self.deck_options)):  # fmt: skip
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.table.addAction(action)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.study_all = QPushButton("Study all")
        self.study_all.setObjectName("primary")
        self.study_all.clicked.connect(lambda: self.study_requested.emit(-1))
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self._export)
        self.study_deck = QPushButton("Study deck")
        self.study_deck.clicked.connect(lambda: self._study_row(self.table.currentIndex().row()))
        self.plan_title = QLabel("Today's plan")
        self.plan_title.setObjectName("subtitle")
        self.plan_tasks = QListWidget()
        self.plan_tasks.setWordWrap(True)  # long tasks wrap instead of scrolling sideways
        self.plan_tasks.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.plan_tasks.setMaximumHeight(150)
        self.plan_tasks.itemChanged.connect(self._ticked)
        hint = QLabel("Enter or double-click studies a deck; right-click for more.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)  # on a narrow window it takes two lines rather than going under the buttons
        hint.setMinimumWidth(120)

        buttons = QHBoxLayout()
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.study_deck)
        buttons.addWidget(self.study_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.readiness)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.plan_title)
        layout.addWidget(self.plan_tasks)

    def set_colors(self, colors: Colors) -> None:
        self.model.colors = colors
        self.table.viewport().update()

    def redraw(self, changes: Changes) -> None:
        """Everything here follows from the queue, the decks, the plans and the settings."""
        self.refresh()

    def refresh(self) -> None:
        current = self.table.currentIndex().row()
        listed = self.store.deck_list()
        decks = listed.rows
        self.model.set_rows(decks)
        if decks:
            self.table.selectRow(min(max(current, 0), len(decks) - 1))
        counts = self.counts = listed.total
        streak = streak_days(self.store)
        today = self.store.today().day
        tasks = plans.tasks_between(self.store, today, today).get(today, [])
        task_minutes = sum(t.minutes for t in tasks if not t.done)
        if counts.total:
            minutes = study_minutes(self.store, listed.study_all, counts)
            text = f"{plural(counts.total, 'card')} to study today ({_breakdown(counts)}): about {minutes} min of cards"
        else:
            text = "No cards left to study today"
        if task_minutes:
            text += f" and {task_minutes} min of plan tasks"
        text += f"  ·  streak: {plural(streak, 'day')}"
        self.summary.setText(text)
        self.study_all.setEnabled(counts.total > 0)
        self.study_deck.setEnabled(bool(decks))
        self._show_plan_tasks(tasks)
        self.readiness.refresh()

    def _show_plan_tasks(self, tasks: list[plans.TaskItem]) -> None:
        """The running plans' tasks for today, to tick off here as on the calendar."""
        self.plan_tasks.blockSignals(True)
        self.plan_tasks.clear()
        for task in tasks:
            self.plan_tasks.addItem(task_item(task))
        self.plan_tasks.blockSignals(False)
        done = sum(t.done for t in tasks)
        self.plan_title.setText(f"Today's plan: {done} of {len(tasks)} tasks done" if tasks else "")
        self.plan_title.setVisible(bool(tasks))
        self.plan_tasks.setVisible(bool(tasks))

    def _ticked(self, item: QListWidgetItem) -> None:
        plans.set_done(self.store, [item.data(Qt.ItemDataRole.UserRole)], item.checkState() == Qt.CheckState.Checked)

    def _export(self) -> None:
        self.export_requested.emit(self.current_deck_id() or -1)

    def deck_options(self) -> None:
        deck_id = self.current_deck_id()
        if deck_id is not None:
            DeckOptionsDialog(self.store, deck_id, self).exec()

    def rename_deck(self) -> None:
        deck_id = self.current_deck_id()
        if deck_id is None:
            return
        old = self.store.deck(deck_id).name
        name, ok = QInputDialog.getText(self, "Rename deck", "New name:", text=old)
        if not ok or name.strip() == old:
            return
        try:
            ops.rename_deck(self.store, deck_id, name)
        except StudyPlannerError as exc:
            QMessageBox.warning(self, "Not renamed", sentence(str(exc)))

    def delete_deck(self) -> None:
        deck_id = self.current_deck_id()
        if deck_id is None:
            return
        deck = next(d for d in self.model.decks if d.deck_id == deck_id)
        below = len(self.store.subtree(deck_id)) - 1
        subdecks = f" and its {plural(below, 'subdeck')}" if below else ""
        answer = QMessageBox.question(
            self,
            "Delete deck",
            f"Delete {deck.name}{subdecks} with its {plural(deck.total, 'card')} and their "
            "review history? Edit > Undo (Ctrl+Z) brings them back.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            ops.delete_deck(self.store, deck_id)

    def current_deck_id(self) -> int | None:
        row = self.table.currentIndex().row()
        return self.model.decks[row].deck_id if 0 <= row < len(self.model.decks) else None

    def _study_row(self, row: int) -> None:
        if 0 <= row < len(self.model.decks):
            self.study_requested.emit(self.model.decks[row].deck_id)
