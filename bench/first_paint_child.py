"""Child process of bench_startup: start the window as `studyplanner` does, report its first paint."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The console script's module first, as `studyplanner` starts: the core loads before Qt does.
import studyplanner.cli  # noqa: F401

# isort: split
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from planner.plans import open_store
from ui.app import open_window


class FirstPaint(QObject):
    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            print("painted", flush=True)
            # Gone at once: the backup a real close writes (the whole store) would still be
            # going to disk while the next sample starts, and slow it.
            os._exit(0)
        return False


app = QApplication(sys.argv)
store = open_store(sys.argv[1])
window = open_window(store)
watcher = FirstPaint()
window.today.table.viewport().installEventFilter(watcher)
window.show()
app.exec()
