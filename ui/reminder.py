"""The daily reminder: at the hour the learner chose, while the app runs, a notification of what today
holds (due cards, open plan tasks), through the desktop's tray where it has one."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from cards.store import Store
from cards.wording import plural
from planner import plans

REMINDER_KEY = "reminder_hour"  # None: off; else the hour of the day, 0-23
CHECK_EVERY_MS = 60_000


def reminder_text(store: Store) -> str | None:
    """What today still holds, in a line; None when nothing does."""
    counts = store.queue_counts()
    today = store.today().day
    open_tasks = [t for t in plans.tasks_between(store, today, today).get(today, []) if not t.done]
    parts = []
    if counts.total:
        parts.append(f"{plural(counts.total, 'card')} to study")
    if open_tasks:
        parts.append(f"{plural(len(open_tasks), 'plan task')} ({sum(t.minutes for t in open_tasks)} min)")
    return " and ".join(parts) + " today." if parts else None


class Reminder(QObject):
    """Checks each minute; reminds once a study day, at or after the chosen hour. Emits reminded(text)."""

    reminded = Signal(str)

    def __init__(self, store: Store, window: QWidget) -> None:
        super().__init__(window)
        self.store = store
        self.window = window
        self.tray: QSystemTrayIcon | None = None
        self._last_day = None
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.check)
        self.apply()

    @property
    def hour(self) -> int | None:
        value = self.store.get_value(REMINDER_KEY, None)
        return value if isinstance(value, int) and 0 <= value <= 23 else None

    def apply(self) -> None:
        """Start or stop, after the setting changed."""
        if self.hour is None:
            self.timer.stop()
            if self.tray is not None:
                self.tray.hide()
            return
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.window.windowIcon(), self)
            self.tray.setToolTip("Study Planner")
            menu = QMenu(self.window)
            menu.addAction("Open Study Planner", self._raise_window)
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(lambda _reason: self._raise_window())
            self.tray.messageClicked.connect(self._raise_window)
        if self.tray is not None:
            self.tray.show()
        self.timer.start()
        self.check()

    def check(self) -> None:
        hour = self.hour
        now = self.store.clock.now().astimezone(self.store.tz)
        day = self.store.today().day
        if hour is None or now.hour < hour or self._last_day == day:
            return
        self._last_day = day
        text = reminder_text(self.store)
        if text is None:
            return
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage("Study Planner", text, QSystemTrayIcon.MessageIcon.Information, 15_000)
        else:  # no tray: the window's taskbar entry asks for attention
            QApplication.alert(self.window)
        self.reminded.emit(text)

    def _raise_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
