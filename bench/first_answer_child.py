"""Child process of bench_first_answer: the window as `studyplanner` starts it; `wait` ms after its first
paint the learner opens the review, reads the question for `read` ms and presses Space; prints how long the
answer took to reach the screen. "cold": without the start-up warm-up and the answer typeset ahead."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import studyplanner.cli  # noqa: F401  (as `studyplanner` starts: the core before Qt)

# isort: split
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from planner.plans import open_store
from ui.app import open_window, warm_up_math

path, deck_id, wait_ms, read_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
warm = sys.argv[5] == "warm"
if not warm:
    from ui.cardview import CardView

    CardView.prepare = lambda self, text: None  # type: ignore[method-assign]
app = QApplication(sys.argv)
store = open_store(path)
window = open_window(store)
assert window is not None
review = window.review
pressed = 0.0


def answer_painted() -> None:
    if review.answer_shown:
        print(f"answer {(time.perf_counter() - pressed) * 1000:.1f}", flush=True)
        os._exit(0)  # at once: a real close would write a backup


def press_space() -> None:
    global pressed
    pressed = time.perf_counter()
    review.reveal()  # what Space does


def study() -> None:
    window.start_review(deck_id)
    QTimer.singleShot(read_ms, press_space)  # the question drawn and read, then Space


class FirstPaint(QObject):
    seen = False

    def eventFilter(self, obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True
            if warm:
                warm_up_math()  # as ui/app.run does after the first paint
            QTimer.singleShot(wait_ms, study)
        return False


review.view.painted.connect(answer_painted)
watcher = FirstPaint()
window.today.table.viewport().installEventFilter(watcher)
window.show()
app.exec()
