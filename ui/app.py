"""Starting the window: `studyplanner` with no command, or `make run`."""

from __future__ import annotations

import contextlib
import hashlib
import queue
import sqlite3
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QLockFile
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from cards.errors import StudyPlannerError
from cards.render import typeset
from cards.schema import percent_done
from cards.store import Store, default_path
from cards.wording import sentence
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
        if not _wake_first_window(path):  # it came to the front: nothing more to say
            QMessageBox.information(None, "Study Planner", f"Study Planner is already open on this store:\n{path}")
        return 0
    try:
        store = open_with_notice(path)
    except StudyPlannerError as exc:
        QMessageBox.critical(None, "Study Planner", f"The store could not be opened.\n\n{sentence(str(exc))}")
        return 1
    sys.excepthook = _show_unexpected_error
    window = open_window(store)
    if window is None:
        store.close()
        return 1
    server = _listen_for_second_window(path, window)
    window.show()
    _check_integrity_in_background(window)
    warm_up_math()
    try:
        return app.exec()
    finally:
        server.close()
        store.close()
        lock.unlock()


def open_with_notice(path: Path, **options) -> Store:
    """open_store on a thread of its own while the screen stays live: an upgrade of the store (seconds on a
    large one: a backup, then its answers replayed) shows what it does over a moving bar."""
    said: queue.SimpleQueue[str] = queue.SimpleQueue()
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["store"] = open_store(path, progress=said.put, **options)
        except BaseException as exc:  # raised again on this thread, below
            outcome["error"] = exc

    opening = threading.Thread(target=work, name="open-store", daemon=True)
    opening.start()
    notice: QProgressDialog | None = None
    while opening.is_alive():
        opening.join(0.03)  # returns at once when the store is open: a plain start waits for nothing
        while not said.empty():
            if notice is None:
                notice = QProgressDialog("", "", 0, 0)  # no maximum: a bar that moves back and forth
                notice.setWindowTitle("Study Planner")
                notice.setCancelButton(None)  # a half-done upgrade is rolled back, but never on request
                notice.setMinimumDuration(0)
                notice.setMinimumWidth(notice.fontMetrics().averageCharWidth() * 80)  # lines that grow: no jumps
                notice.show()
            line = said.get()
            notice.setLabelText(line)
            done = percent_done(line)  # a bar that fills for a step of known length, else one that moves
            notice.setRange(0, 0 if done is None else 100)
            notice.setValue(done or 0)
        QApplication.processEvents()
    if notice is not None:
        notice.close()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["store"]  # type: ignore[return-value]


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


def _wake_first_window(path: Path) -> bool:
    """Ask the window already open on this store to come to the front; whether it heard."""
    socket = QLocalSocket()
    socket.connectToServer(_server_name(path))
    heard = socket.waitForConnected(500)
    socket.close()
    return heard


def _check_integrity_in_background(window: MainWindow) -> None:
    """SQLite's quick_check after the first paint; a damaged store is never written over."""
    def check(store: Store) -> str:
        return store.db.execute("PRAGMA quick_check").fetchone()[0]

    def done(result: str) -> None:
        if result != "ok":
            window.restore_backup(reason=f"The store is damaged ({result}). Restore the latest good backup.")

    window.integrity_task = window.worker.run(check, done, lambda message: done(message))


def warm_up_math() -> None:
    """matplotlib's import and its first formula take about half a second: done on a thread of their own
    after the first paint, the first answer with math appears at once instead of that much later."""

    def warm() -> None:
        with contextlib.suppress(Exception):  # only a head start: a failure shows, as before, on a card
            typeset("x^2", "#000000", False)

    threading.Thread(target=warm, name="warm-up-math", daemon=True).start()


def _show_unexpected_error(kind, value, tb) -> None:
    """A bug reaches the learner as a message in the window, not only on a console."""
    traceback.print_exception(kind, value, tb)
    text = str(value) if isinstance(value, StudyPlannerError) else f"{kind.__name__}: {value}"
    QMessageBox.critical(QApplication.activeWindow(), "Study Planner", f"Something went wrong.\n\n{text}")
