"""Import a deck file: pick it, preview the first cards and the column mapping, import, see a summary."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cards import formats
from cards.render import one_line
from cards.store import Store
from cards.wording import plural

from . import theme
from .workers import StoreWorker, Task


def file_filter(extensions: tuple[str, ...]) -> str:
    """A file dialog's filter from the core's format registry."""
    chosen = [f for f in formats.FORMATS if f.extension in extensions]
    every = " ".join(f"*{f.extension}" for f in chosen)
    return ";;".join([f"Decks ({every})", *(f"{f.name} (*{f.extension})" for f in chosen), "All files (*)"])


ROLES = (("question", "Question"), ("answer", "Answer"), ("tags", "Tags"))


class ImportDialog(QDialog):
    def __init__(self, worker: StoreWorker, path: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.path: Path | None = None
        self.preview: formats.Preview | None = None
        self.summary: formats.ImportSummary | None = None
        self._tasks: list = []
        self.setWindowTitle("Import a deck")
        self.resize(820, 560)

        self.file_label = QLabel("No file chosen")
        self.file_label.setObjectName("muted")
        choose = QPushButton("Choose file…")
        choose.clicked.connect(self.choose_file)
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(choose)

        self.deck_name = QLineEdit()
        self.deck_name.setPlaceholderText("deck name")
        self.header = QCheckBox("The first row names the columns")
        self.header.toggled.connect(lambda _: self.load_preview())
        self.columns: dict[str, QComboBox] = {}
        mapping_row = QHBoxLayout()
        for role, label in ROLES:
            combo = QComboBox()
            combo.currentIndexChanged.connect(lambda _: self.load_preview(keep_mapping=True))
            self.columns[role] = combo
            mapping_row.addWidget(QLabel(label))
            mapping_row.addWidget(combo, 1)
        self.mapping_widget = QWidget()
        self.mapping_widget.setLayout(mapping_row)
        self.history = QCheckBox("Bring the review history along (FSRS state carries over)")
        self.history.setChecked(True)
        form = QFormLayout()
        form.addRow("Into deck", self.deck_name)
        form.addRow("", self.header)
        self.columns_label = QLabel("Columns")
        form.addRow(self.columns_label, self.mapping_widget)
        form.addRow("", self.history)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Question", "Answer", "Tags"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.buttons.rejected.connect(self.cancel)
        self._importing: Task | None = None

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self._show_options(None)
        if path:
            self.set_path(path)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a deck", "", file_filter(formats.IMPORTABLE))
        if path:
            self.set_path(path)

    def set_path(self, path: str | Path) -> None:
        self.path = Path(path)
        self.file_label.setText(str(self.path))
        self.deck_name.setText(self.path.stem)
        self.header.blockSignals(True)
        self.header.setChecked(False)
        self.header.blockSignals(False)
        self._auto_header = True
        self.load_preview()

    def _mapping(self) -> dict[str, int] | None:
        mapping = {role: combo.currentData() for role, combo in self.columns.items() if combo.currentData() is not None}
        if self.preview is not None:  # columns found and not offered here (deck, key, Anki's guid) stay
            taken = set(mapping.values())
            mapping |= {r: c for r, c in self.preview.mapping.items() if r not in self.columns and c not in taken}
        return mapping if {"question", "answer"} <= mapping.keys() else None

    def load_preview(self, keep_mapping: bool = False) -> None:
        if self.path is None:
            return
        path = self.path
        mapping = self._mapping() if keep_mapping else None
        has_header = None if self._auto_header and not keep_mapping else self.header.isChecked()
        self._auto_header = False
        self.status.setText("Reading the file…")
        self.import_button.setEnabled(False)
        self.progress.show()
        self._tasks = [
            self.worker.run(
                lambda _store: formats.preview_file(path, mapping, has_header), self._previewed, self._failed
            )
        ]

    def _previewed(self, preview: formats.Preview) -> None:
        self.progress.hide()
        self.preview = preview
        self._show_options(preview)
        self.table.setRowCount(len(preview.cards))
        for row, card in enumerate(preview.cards):
            for column, text in enumerate((card.question, card.answer, " ".join(card.tags))):
                item = QTableWidgetItem(one_line(text, 300))
                item.setToolTip(one_line(text, 1000))
                self.table.setItem(row, column, item)
        if preview.kind == "apkg" and len(preview.decks) > 1:
            self.deck_name.setText("")
            self.deck_name.setPlaceholderText(f"keep the package's {len(preview.decks)} decks")
        elif preview.decks:
            self.deck_name.setText(preview.decks[0])
        shown = f" The first {len(preview.cards)} are shown." if len(preview.cards) < preview.total else ""
        self.status.setText(f"{plural(preview.total, 'card')} to import.{shown}")
        self.import_button.setEnabled(preview.total > 0)

    def _show_options(self, preview: formats.Preview | None) -> None:
        is_table = preview is not None and preview.kind == "table"
        self.header.setVisible(is_table)
        self.mapping_widget.setVisible(is_table)
        self.columns_label.setVisible(is_table)  # the form's label too: "Columns" beside nothing otherwise
        self.history.setVisible(preview is not None and preview.kind == "apkg")
        if not is_table:
            return
        assert preview is not None
        self.header.blockSignals(True)
        self.header.setChecked(preview.header is not None)
        self.header.blockSignals(False)
        for role, combo in self.columns.items():
            combo.blockSignals(True)
            combo.clear()
            if role == "tags":
                combo.addItem("(none)", None)
            for column in range(preview.columns):
                name = preview.header[column] if preview.header and column < len(preview.header) else ""
                combo.addItem(f"{column + 1}: {name}".rstrip(": "), column)
            chosen = preview.mapping.get(role)
            combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen is not None else 0)
            combo.blockSignals(False)

    def _failed(self, message: str) -> None:
        self._importing = None
        self.progress.hide()
        self.status.setText(f"<span style='color:{theme.current().again}'>{html.escape(message)}</span>")
        self.import_button.setEnabled(False)
        self.table.setRowCount(0)

    def start_import(self) -> None:
        if self.path is None or self.preview is None:
            return
        path = self.path
        deck = self.deck_name.text().strip() or None
        mapping = self._mapping() if self.preview.kind == "table" else None
        has_header = self.header.isChecked() if self.preview.kind == "table" else None
        with_history = self.history.isChecked()
        self.import_button.setEnabled(False)
        self.progress.show()
        self.status.setText("Importing…")

        def work(store: Store, report, ask_first: bool = True) -> formats.ImportSummary:
            return formats.import_file(
                store, path, deck=deck, mapping=mapping, has_header=has_header, with_history=with_history,
                progress=report, ask_first=ask_first,
            ).value  # fmt: skip

        def settled(summary: formats.ImportSummary) -> None:
            """An import that would change cards already here was rolled back: it says exactly how, and asks."""
            if summary.applied:
                self._imported(summary)
                return
            self.progress.hide()  # nothing is being written while the learner decides
            self.status.setText("Nothing is changed until you answer.")
            if not self._agreed(summary):
                self._importing = None
                self.status.setText("Nothing was imported.")
                self.import_button.setEnabled(True)
            else:
                self.progress.show()
                self.status.setText("Importing…")
                self._run(lambda store, report: work(store, report, ask_first=False), self._imported)

        self._run(work, settled)

    def _run(self, work, done) -> None:
        self._importing = self.worker.run(
            work, done, self._failed, progress=self.status.setText, cancelled=self._cancelled
        )
        self._tasks = [self._importing]

    def _agreed(self, planned: formats.ImportSummary) -> bool:
        answer = QMessageBox.question(
            self,
            "Change cards you have?",
            f"{planned.rehearsal_text()}\n\nCards keep their review history when their text changes; "
            "suspended cards can be brought back in Browse, and Edit > Undo takes the whole import back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def cancel(self) -> None:
        """Cancel (or Escape): during an import, stop it (nothing is changed) and stay; else close."""
        if self._importing is None:
            self.reject()
            return
        self._importing.cancel()
        self.status.setText("Cancelling…")

    def _cancelled(self) -> None:
        self._importing = None
        self.progress.hide()
        self.status.setText("Cancelled: nothing was imported.")
        self.import_button.setEnabled(self.preview is not None and self.preview.total > 0)

    def _imported(self, summary: formats.ImportSummary) -> None:
        self._importing = None
        self.progress.hide()
        self.summary = summary
        self.status.setText(summary.text())
        self.buttons.clear()
        done = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        done.clicked.connect(self.accept)
        self.table.setDisabled(True)
        for widget in (self.deck_name, self.header, self.mapping_widget, self.history):
            widget.setEnabled(False)

    def reject(self) -> None:
        """Escape and the window's close button: an import under way is stopped first, never left behind."""
        if self._importing is not None:
            self.cancel()
            return
        super().reject()
