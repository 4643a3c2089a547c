"""Starting the window: `studyplanner` with no command, or `make run`."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QLockFile
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from cards.errors import StudyPlannerError
from cards.store import Store, default_path
from planner.plans import open_store

from .backups_dialog import BackupsDialog
from .main_window import MainWindow, app_icon


def run(db: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Study Planner")
    app.setOrganizationName("studyplanner")
    app.setWindowIcon(app_icon())
    path = Path(db).expanduser() if db else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(path) + ".lock")
    lock.setStaleLockTime(0)  # never stale by age: only a lock whose process is gone is taken over
    if not lock.tryLock(200):
        _wake_first_window(path)
        QMessageBox.information(None, "Study Planner", f"Study Planner is already open on this store:\n{path}")
        return 0
    upgrading: list[QLabel] = []
    try:
        store = open_store(path, progress=lambda text: upgrading.append(_busy(text)))
    except StudyPlannerError as exc:
        QMessageBox.critical(None, "Study Planner", f"The store could not be opened.\n\n{exc}")
        return 1
    finally:
        for dialog in upgrading:
            dialog.close()
    sys.excepthook = _show_unexpected_error
    window = open_window(store)
    if window is None:
        store.close()
        return 1
    server = _listen_for_second_window(path, window)
    window.show()
    _check_integrity_in_background(window)
    try:
        return app.exec()
    finally:
        server.close()
        store.close()
        lock.unlock()


def _busy(text: str) -> QLabel:
    """A window that says what the seconds before the main window are spent on (an upgrade of the store).
    A message, not a bar: nothing could move it while the upgrade holds the thread."""
    notice = QLabel(text)
    notice.setWindowTitle("Study Planner")
    notice.setMargin(24)
    notice.show()
    deadline = time.monotonic() + 0.3  # until the window manager has shown it and it is painted
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    notice.repaint()
    return notice


def open_window(store: Store) -> MainWindow | None:
    """The main window; a store too damaged to show is never written over: a backup is offered."""
    try:
        return MainWindow(store)  # it reads the first screen's figures: a damaged store shows here, unshown
    except sqlite3.DatabaseError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            # Not damage (a missing table, a locked or unreadable file): restoring would not help.
            QMessageBox.critical(None, "Study Planner", f"The store {store.path} could not be read.\n\n{exc}")
            return None
        dialog = BackupsDialog(store, None, reason=f"The store is damaged ({exc}). Restore the latest good backup.")
        dialog.exec()
        if not dialog.restored:
            QMessageBox.critical(None, "Study Planner", f"The store {store.path} is damaged and was left as it is.")
            return None
        return MainWindow(store)


def _server_name(path: Path) -> str:
    return "studyplanner-" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]


def _listen_for_second_window(path: Path, window: MainWindow) -> QLocalServer:
    """A second start on the same store asks this window to come forward."""
    server = QLocalServer(window)
    QLocalServer.removeServer(_server_name(path))
    server.listen(_server_name(path))

    def raise_window() -> None:
        connection = server.nextPendingConnection()
        if connection is not None:
            connection.close()
        window.showNormal()
        window.raise_()
        window.activateWindow()

    server.newConnection.connect(raise_window)
    return server


def _wake_first_window(path: Path) -> None:
    socket = QLocalSocket()
    socket.connectToServer(_server_name(path))
    socket.waitForConnected(500)
    socket.close()


def _check_integrity_in_background(window: MainWindow) -> None:
    """SQLite's quick_check after the first paint; a damaged store is never written over."""
    def check(store: Store) -> str:
        return store.db.execute("PRAGMA quick_check").fetchone()[0]

    def done(result: str) -> None:
        if result != "ok":
            window.restore_backup(reason=f"The store is damaged ({result}). Restore the latest good backup.")

    window.integrity_task = window.worker.run(check, done, lambda message: done(message))


def _show_unexpected_error(kind, value, tb) -> None:
    """A bug reaches the learner as a message in the window, not only on a console."""
    traceback.print_exception(kind, value, tb)
    text = str(value) if isinstance(value, StudyPlannerError) else f"{kind.__name__}: {value}"
    QMessageBox.critical(QApplication.activeWindow(), "Study Planner", f"Something went wrong.\n\n{text}")
