"""Restore from a backup: the list of backups with their dates, card/review counts and sizes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cards import backup
from cards.errors import StudyPlannerError
from cards.store import Store
from cards.wording import sentence, size
from planner import plans

from .workers import wait_on_thread


class BackupsDialog(QDialog):
    def __init__(self, store: Store, parent: QWidget | None = None, reason: str = "") -> None:
        super().__init__(parent)
        self.store = store
        self.restored = False
        self.setWindowTitle("Restore from a backup")
        self.resize(640, 420)
        intro = QLabel(
            (reason + "\n\n" if reason else "")
            + "Backups are written when you close the app and every 30 minutes while it is open. "
            "Restoring first backs up the store as it is now, so nothing is lost."
        )
        intro.setWordWrap(True)
        self.backups = backup.list_backups(store.path)
        self.table = QTableWidget(len(self.backups), 4)
        self.table.setHorizontalHeaderLabels(["Written", "Cards", "Reviews", "Size"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, b in enumerate(self.backups):
            why = f" ({b.why})" if b.why else ""
            self.table.setItem(row, 0, QTableWidgetItem(f"{b.created.astimezone():%A %d %B %Y, %H:%M:%S}{why}"))
            cards = "unreadable" if b.cards is None else f"{b.cards:,}"
            reviews = "" if b.reviews is None else f"{b.reviews:,}"
            for column, text in enumerate((cards, reviews, size(b.size)), start=1):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)  # under their headings, as Today's counts
                self.table.setItem(row, column, item)
        if self.backups:
            self.table.selectRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(bool(self.backups))
        self.restore_button.clicked.connect(self.restore)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        self.usage = QLabel(backup.usage_text(store.backup_usage()))
        self.usage.setObjectName("muted")
        self.usage.setWordWrap(True)
        layout.addWidget(self.usage)
        layout.addWidget(buttons)

    def restore(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        chosen = self.backups[rows[0].row()]
        answer = QMessageBox.question(
            self,
            "Restore",
            f"Replace your cards and reviews by the backup of {chosen.created.astimezone():%d %B %H:%M:%S}?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            safety = plans.restore(self.store, chosen.path, run=self._off_this_thread).value
        except StudyPlannerError as exc:
            QMessageBox.warning(self, "Not restored", sentence(str(exc)))
            return
        self.restored = True
        QMessageBox.information(self, "Restored", f"Restored. The store as it was is kept in {safety.name}.")
        self.accept()

    def _off_this_thread(self, work: Callable[[], Path]) -> Path:
        """The restore's file work (a backup of the store, the chosen one decompressed and copied in: seconds
        for a large store) on a thread, while the window's events go on behind a busy notice."""
        return wait_on_thread(work, "Restoring the backup (the store as it is now is backed up first)…", self)
