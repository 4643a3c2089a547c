"""Help: the keyboard shortcuts (read off the window's own actions, so the list is always right), the
deck and plan file formats, and About."""

from __future__ import annotations

import platform
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QVBoxLayout, QWidget

from cards import app_version

from .cardview import CardView

DOCS = Path(__file__).resolve().parent.parent / "docs"  # the project's docs, beside the packages
FORMATS = (("&Deck file format", "deck-format.md"), ("&Plan file format", "plan-format.md"))


def shortcut_rows(groups: list[tuple[str, list[QAction]]]) -> str:
    """One Markdown table of every action that has keys, by group: what it does and its keys. An action
    names itself by its "help" property where its text changes (Edit > Undo says what it would undo)."""
    rows = []
    for title, actions in groups:
        keyed = [a for a in actions if a.shortcuts()]
        if keyed:
            rows.append(f"| **{title}** | |")
        for action in keyed:
            name = action.property("help") or action.text().replace("&", "").rstrip("…")
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            rows.append(f"| {name} | {keys} |")
    return "| Action | Keys |\n|---|---|\n" + "\n".join(rows)


def show_text(parent: QWidget, title: str, markdown: str) -> None:
    """A help page in a dialog, drawn as cards are (tables, code boxes, the theme's colours)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.resize(780, 640)
    page = CardView()
    page.setObjectName("help")
    page.show_markdown(markdown)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(page)
    layout.addWidget(buttons)
    dialog.exec()


def doc_text(name: str) -> str | None:
    path = DOCS / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def show_doc(parent: QWidget, title: str, name: str) -> None:
    """A doc page, read when asked for (not at every start)."""
    show_text(parent, title, doc_text(name) or f"{name} is not installed with this copy of Study Planner.")


def about(parent: QWidget, store_path: Path) -> None:
    QMessageBox.about(
        parent,
        "About Study Planner",
        f"<h3>Study Planner {app_version()}</h3>"
        "<p>Flashcards scheduled with FSRS and study plans on a calendar, for AI/ML engineering interviews.</p>"
        f"<p>Your store: {store_path}</p>"
        f"<p>Python {platform.python_version()} · Qt for Python {pyside_version}</p>",
    )
