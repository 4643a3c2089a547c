"""Help: the keyboard shortcuts (read off the window's own actions, so the list is always right), the
deck and plan file formats, and About."""

from __future__ import annotations

import platform
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from cards import app_version

DOCS = Path(__file__).resolve().parent.parent / "docs"  # the project's docs, beside the packages
FORMATS = (("&Deck file format", "deck-format.md"), ("&Plan file format", "plan-format.md"))


def shortcut_rows(groups: list[tuple[str, list[QAction]]]) -> str:
    """Markdown tables of each group's actions that have keys: what they do and the keys."""
    parts = []
    for title, actions in groups:
        rows = [
            (action.text().replace("&", "").rstrip("…"), ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                                                                     for k in action.shortcuts()))
            for action in actions
            if action.shortcuts()
        ]  # fmt: skip
        if rows:
            table = "\n".join(f"| {action} | {keys} |" for action, keys in rows)
            parts.append(f"### {title}\n\n| Action | Keys |\n|---|---|\n{table}")
    return "\n\n".join(parts)


def show_text(parent: QWidget, title: str, markdown: str) -> None:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.resize(760, 620)
    text = QTextBrowser()
    text.setOpenExternalLinks(False)
    text.setMarkdown(markdown)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.exec()


def doc_text(name: str) -> str | None:
    path = DOCS / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def about(parent: QWidget, store_path: Path) -> None:
    QMessageBox.about(
        parent,
        "About Study Planner",
        f"<h3>Study Planner {app_version()}</h3>"
        "<p>Flashcards scheduled with FSRS and study plans on a calendar, for AI/ML engineering interviews.</p>"
        f"<p>Your store: {store_path}</p>"
        f"<p>Python {platform.python_version()} · Qt for Python {pyside_version}</p>",
    )
