"""The one store worker: a single thread with its own connection, for store work longer than a frame.

Import, export, backup, statistics, the optimizer, rescheduling, the catch-up
preview and the card search run here, one after another, on a sibling of the
window's store (same undo stack and change listeners, its own SQLite connection).
Results come back to the GUI thread by signal; the GUI thread never waits on it.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from cards.errors import Cancelled, StudyPlannerError
from cards.store import Store


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)
    progress = Signal(str)
    cancelled = Signal()  # stopped by cancel() before it finished: it changed nothing
    finished = Signal()  # after done, failed or cancelled


class Task(QRunnable):
    """fn(store) on the worker; done(result), failed(message) or cancelled() on the GUI thread."""

    def __init__(self, worker: StoreWorker, fn: Callable[..., Any], with_progress: bool) -> None:
        super().__init__()
        self.worker, self.fn, self.with_progress = worker, fn, with_progress
        self.signals = _Signals()
        self.cancelled = False

    def cancel(self) -> None:
        """Stop it: at its next progress step, or at once in the middle of SQL (its transaction rolls back).
        Work that finished before it could be stopped still reports done."""
        self.cancelled = True
        self.worker.interrupt()

    def run(self) -> None:
        try:
            if self.cancelled:
                self.signals.cancelled.emit()
            else:
                self._run()
        finally:
            self.signals.finished.emit()

    def _report(self, step: str) -> None:
        if self.cancelled:
            raise Cancelled()
        self.signals.progress.emit(step)

    def _run(self) -> None:
        try:
            store = self.worker.connection()
            result = self.fn(store, self._report) if self.with_progress else self.fn(store)
        except Exception as exc:  # reported to the learner, not lost on a console
            if self.cancelled:
                self.signals.cancelled.emit()
                return
            if not isinstance(exc, StudyPlannerError):  # ours say what went wrong; a bug's trace is for us
                traceback.print_exc()
            self.signals.failed.emit(str(exc) or type(exc).__name__)
            return
        self.signals.done.emit(result)


class StoreWorker:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)  # one thread: the store's work is done in order, never at once
        self.pool.setExpiryTimeout(-1)  # the thread (and its connection) stays for the window's life
        self._sibling: Store | None = None
        self._pending: set[Task] = set()  # held until delivered: the pool does not own them (no auto-delete)

    def connection(self) -> Store:
        """The worker's own store (made on the worker thread at first use, and again after a restore)."""
        if self._sibling is None or self._sibling.closed:
            self._sibling = self.store.sibling()
        return self._sibling

    def run(
        self,
        fn: Callable[..., Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None],
        progress: Callable[[str], None] | None = None,
        cancelled: Callable[[], None] | None = None,
    ) -> Task:
        """Run fn(store) (or fn(store, report) with `progress`: report(step) shows the step, and stops the
        work with Cancelled once task.cancel() was called) on the worker."""
        task = Task(self, fn, progress is not None)
        task.setAutoDelete(False)  # its signals must outlive run() until the GUI thread has them
        self._pending.add(task)
        task.signals.finished.connect(lambda: self._pending.discard(task))
        if progress is not None:
            task.signals.progress.connect(progress)
        task.signals.done.connect(done)
        task.signals.failed.connect(failed)
        if cancelled is not None:
            task.signals.cancelled.connect(cancelled)
        self.pool.start(task)
        return task

    def interrupt(self) -> None:
        """Abort the SQL the worker runs now (from any thread; SQLite allows it)."""
        if self._sibling is not None and not self._sibling.closed:
            self._sibling.db.interrupt()

    def close(self) -> None:
        """Wait for the work under way, then close the worker's connection."""
        self.pool.waitForDone()
        if self._sibling is not None:
            self._sibling.close()
            self._sibling = None


def wait_on_thread(fn: Callable[[], Any], label: str, parent: QWidget | None = None) -> Any:
    """fn() on a thread of its own while this thread's events go on (a busy notice shows after 300 ms);
    its value, or its exception raised here. For file work on a store the worker must not hold (a restore)."""
    outcome: dict[str, Any] = {}
    ended = QEventLoop()

    def work() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # raised again on the calling thread, below
            outcome["error"] = exc
        finally:
            outcome["done"] = True

    thread = threading.Thread(target=work, name="wait-on-thread", daemon=True)
    notice = QProgressDialog(label, "", 0, 0, parent)
    notice.setWindowTitle("Study Planner")
    notice.setCancelButton(None)
    notice.setWindowModality(Qt.WindowModality.ApplicationModal)  # nothing else is clicked meanwhile
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: ended.quit() if "done" in outcome else None)
    thread.start()
    poll.start()
    QTimer.singleShot(300, ended, notice.show)
    while "done" not in outcome:
        ended.exec()  # a quit of the application ends it early: the thread is waited for all the same
        if "done" not in outcome:
            thread.join(0.05)
    poll.stop()
    thread.join()
    notice.close()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
