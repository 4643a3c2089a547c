"""Starting the window: `studyplanner` with no command, or `make run`."""

from __future__ import annotations

import sys
import traceback

from PySide6.QtWidgets import QApplication, QMessageBox

from cards.errors import StudyPlannerError
from planner.plans import open_store

from .main_window import MainWindow, app_icon


def run(db: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Study Planner")
    app.setOrganizationName("studyplanner")
    app.setWindowIcon(app_icon())
    try:
        store = open_store(db)
    except StudyPlannerError as exc:
        QMessageBox.critical(None, "Study Planner", f"The store could not be opened.\n\n{exc}")
        return 1
    sys.excepthook = _show_unexpected_error
    window = MainWindow(store)
    window.show()
    try:
        return app.exec()
    finally:
        store.close()


def _show_unexpected_error(kind, value, tb) -> None:
    """A bug reaches the learner as a message in the window, not only on a console."""
    traceback.print_exception(kind, value, tb)
    text = str(value) if isinstance(value, StudyPlannerError) else f"{kind.__name__}: {value}"
    QMessageBox.critical(QApplication.activeWindow(), "Study Planner", f"Something went wrong.\n\n{text}")
