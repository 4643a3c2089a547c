"""Work off the GUI thread: a QRunnable whose result comes back by signal."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)
    progress = Signal(str)


class Task(QRunnable):
    """Run fn() on the global thread pool; done(result) or failed(message) on the GUI thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported to the learner, not lost on a console
            traceback.print_exc()
            self.signals.failed.emit(str(exc) or type(exc).__name__)
            return
        self.signals.done.emit(result)


def run_task(
    fn: Callable[..., Any],
    done: Callable[[Any], None],
    failed: Callable[[str], None],
    progress: Callable[[str], None] | None = None,
) -> Task:
    """With `progress`, fn is called with a function that reports a step (text) back to the GUI thread."""
    task = Task(fn)
    if progress is not None:
        task.fn = lambda: fn(task.signals.progress.emit)
        task.signals.progress.connect(progress)
    task.signals.done.connect(done)
    task.signals.failed.connect(failed)
    QThreadPool.globalInstance().start(task)
    return task
