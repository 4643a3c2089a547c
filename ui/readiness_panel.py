"""Exam readiness, as Today and the Calendar show it: computed by the core on the worker."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from cards.wording import plural
from planner.readiness import Readiness, readiness_of_running

from .workers import StoreWorker


class ReadinessPanel(QLabel):
    """One line a running plan with an exam date: what you would recall then, and the weakest topics."""

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.setWordWrap(True)
        self.setObjectName("muted")
        self.hide()
        self._tasks: list = []

    def refresh(self) -> None:
        self._tasks = [self.worker.run(readiness_of_running, self.show_readiness, lambda _: self.hide())]

    def show_readiness(self, found: list[Readiness]) -> None:
        self.setText("<br>".join(_line(r) for r in found))
        self.setVisible(bool(found))


def _line(r: Readiness) -> str:
    text = (f"<b>Exam {r.exam:%a %d %b}</b> ({r.run.plan_name}): you would recall <b>{r.overall:.0%}</b> of its "
            f"cards, {r.on_schedule:.0%} if you keep to your reviews until then.")  # fmt: skip
    weakest = r.topics[:3]
    if weakest:
        names = ", ".join(f"{g.name} {g.recall:.0%}" for g in weakest)
        first = weakest[0]
        unlearned = first.cards - first.learned
        todo = (f"learn its {plural(unlearned, 'new card')}" if unlearned
                else "review its cards (Browse, tag filter)")  # fmt: skip
        text += f" Weakest: {names}. Next: {first.name}, {todo}."
    return text
