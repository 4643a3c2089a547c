"""The main window: a sidebar of screens, a status line with today's due count."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEventLoop, QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QStackedWidget,
    QWidget,
)

from cards import formats, ops, sync
from cards.changes import Changes
from cards.errors import NothingToUndo
from cards.queue import QueueCounts
from cards.store import Store
from cards.wording import plural, sentence

from . import help, theme
from .backups_dialog import BackupsDialog
from .browse import BrowseScreen
from .calendar_screen import CalendarScreen
from .import_dialog import ImportDialog, file_filter
from .reminder import Reminder
from .review import ReviewScreen
from .settings_screen import SettingsScreen
from .statistics import StatisticsScreen
from .sync_dialog import SyncLogin, choose_full_sync
from .today import TodayScreen
from .workers import StoreWorker, Task

SCREENS = ("Today", "Calendar", "Browse", "Statistics", "Settings")


def app_icon() -> QIcon:
    """A stack of two cards, drawn so no image file is needed."""
    pixmap = QPixmap(128, 128)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#93b4ff"))
    painter.drawRoundedRect(30, 14, 84, 96, 14, 14)
    painter.setBrush(QColor("#3a6ff7"))
    painter.drawRoundedRect(14, 28, 84, 96, 14, 14)
    painter.setBrush(QColor("#ffffff"))
    for y, width in ((52, 52), (68, 40), (84, 48)):
        painter.drawRoundedRect(30, y, width, 7, 3, 3)
    painter.end()
    return QIcon(pixmap)


class ChangeNotices(QObject):
    """The store's change notices as a Qt signal: delivered on the GUI thread, from any thread."""

    changed = Signal(object)


class MainWindow(QMainWindow):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.worker = StoreWorker(store)
        self.notices = ChangeNotices()
        self._stale: dict[QWidget, Changes] = {}  # hidden screens: what changed since they were last drawn
        self._listener = self.notices.changed.emit  # kept: the same callable is removed on close
        store.listen(self._listener)
        self.notices.changed.connect(self.on_changes)
        self.setWindowTitle("Study Planner")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(760, 540)
        self.setAcceptDrops(True)
        self._closed = False

        self.today = TodayScreen(store, self.worker)
        self.review = ReviewScreen(store)
        self.browse = BrowseScreen(store, self.worker)
        self.settings_screen = SettingsScreen(store)
        self.calendar = CalendarScreen(store, self.worker)
        self.statistics = StatisticsScreen(store, self.worker)
        self.stack = QStackedWidget()
        self.pages = {
            "Today": self.today,
            "Calendar": self.calendar,
            "Browse": self.browse,
            "Statistics": self.statistics,
            "Settings": self.settings_screen,
        }
        for page in (*self.pages.values(), self.review):
            self.stack.addWidget(page)
        self._stale = dict.fromkeys(self.pages.values(), Changes.ALL)  # none is drawn yet
        self._steps_seen = len(store.undo_stack.steps)

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(172)
        for name in SCREENS:
            self.sidebar.addItem(QListWidgetItem(name))
        self.sidebar.currentRowChanged.connect(self._go)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.due_label = QLabel()
        self.statusBar().addPermanentWidget(self.due_label)

        self.today.study_requested.connect(self.start_review)
        self.today.export_requested.connect(lambda deck_id: self.export_deck(deck_id if deck_id >= 0 else None))
        self.review.leave.connect(lambda: self.show_screen("Today"))
        self.review.message_posted.connect(lambda text: self.statusBar().showMessage(text, 3000))
        self.calendar.study_requested.connect(self.start_review)
        self.settings_screen.theme_changed.connect(self.apply_theme)
        self.reminder = Reminder(store, self)
        self.reminder.reminded.connect(lambda text: self.statusBar().showMessage(f"Today: {text}", 15_000))
        self.settings_screen.reminder_changed.connect(self.reminder.apply)
        self._sync_task: Task | None = None
        self._make_menus()

        # The study day can roll over while the window stays open.
        self._day_timer = QTimer(self)
        self._day_timer.setInterval(60_000)
        self._day_timer.timeout.connect(self._check_day)
        self._day = store.today().day
        self._day_timer.start()
        if store.get_value(sync.AUTO_KEY, False) is True:  # once the window has shown itself
            QTimer.singleShot(500, lambda: self.sync_now(quiet=True))
        # A backup every 30 minutes when something changed (and one on close).
        self._backup_timer = QTimer(self)
        self._backup_timer.setInterval(30 * 60_000)
        self._backup_timer.timeout.connect(self.backup_if_changed)
        self._backup_timer.start()

        self.apply_theme(str(store.get_value("theme", "system")))
        self._restore_geometry()
        # Called directly, not through the sidebar's signal: an error reading the
        # first screen (a damaged store) then reaches whoever builds the window.
        self.sidebar.blockSignals(True)
        self.sidebar.setCurrentRow(0)
        self.sidebar.blockSignals(False)
        self._go(0)

    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        import_action = QAction("&Import deck…", self, shortcut=QKeySequence("Ctrl+I"))
        import_action.triggered.connect(lambda: self.import_deck())
        file_menu.addAction(import_action)
        export_action = QAction("&Export deck…", self, shortcut=QKeySequence("Ctrl+E"))
        export_action.triggered.connect(lambda: self.export_deck())
        file_menu.addAction(export_action)
        restore_action = QAction("&Restore from backup…", self)
        restore_action.triggered.connect(lambda: self.restore_backup())
        file_menu.addAction(restore_action)
        add = QAction("&Add card…", self, shortcut=QKeySequence("Ctrl+N"))
        add.triggered.connect(self.browse.add_card)
        file_menu.addAction(add)
        file_menu.addSeparator()
        self.sync_action = QAction("&Sync with Anki", self, shortcut=QKeySequence("Ctrl+Y"))
        self.sync_action.triggered.connect(self._sync_or_stop)
        file_menu.addAction(self.sync_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = QAction("Undo", self, shortcut=QKeySequence.StandardKey.Undo)
        self.undo_action.setProperty("help", "Undo the last change")  # its text says which change
        self.undo_action.triggered.connect(self.undo)
        edit_menu.addAction(self.undo_action)
        # Ctrl+Shift+Z, as Anki has it, wherever the platform's Redo is: on Windows that is Ctrl+Y, File > Sync.
        self.redo_action = QAction("Redo", self, shortcut=QKeySequence("Ctrl+Shift+Z"))
        self.redo_action.setProperty("help", "Do again the change undone last")
        self.redo_action.triggered.connect(self.redo)
        edit_menu.addAction(self.redo_action)
        self._show_undo_label()
        go = self.menuBar().addMenu("&Go")
        for number, name in enumerate(SCREENS, start=1):
            action = QAction(name, self, shortcut=QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, n=name: self.show_screen(n))
            go.addAction(action)
        self.help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self, shortcuts=[QKeySequence("F1"), QKeySequence("Ctrl+/")])
        keys.triggered.connect(self.show_shortcuts)
        self.help_menu.addAction(keys)
        for title, name in help.FORMATS:
            if (help.DOCS / name).is_file():  # the docs sit beside the packages in a source install (make run)
                action = QAction(title, self)
                action.triggered.connect(lambda _=False, t=title, n=name: help.show_doc(self, t.replace("&", ""), n))
                self.help_menu.addAction(action)
        self.help_menu.addSeparator()
        about = QAction("&About Study Planner", self)
        about.triggered.connect(lambda: help.about(self, self.store.path))
        self.help_menu.addAction(about)

    def shortcut_text(self) -> str:
        """Every key of the window and the review, read off their actions."""
        groups = [(menu.title().replace("&", ""), [a for a in menu.actions() if not a.isSeparator()])
                  for menu in (action.menu() for action in self.menuBar().actions()) if menu is not None]  # fmt: skip
        groups.append(("Reviewing", self.review.actions()))
        return help.shortcut_rows(groups)

    def show_shortcuts(self) -> None:
        help.show_text(self, "Keyboard shortcuts", self.shortcut_text())

    # ------------------------------------------------------------------ screens

    def show_screen(self, name: str) -> None:
        self.sidebar.setCurrentRow(SCREENS.index(name))
        self._go(SCREENS.index(name))

    def _go(self, row: int) -> None:
        page = self.pages[SCREENS[row]]
        stale = self._stale.pop(page, Changes.NONE)
        if page is self.today:  # its counts follow the clock too (learning cards fall due)
            stale = Changes.ALL
        if stale:
            page.redraw(stale)  # type: ignore[attr-defined]
        if page is self.today:
            self.today.table.setFocus()
        self.stack.setCurrentWidget(page)
        self.update_status(self.today.counts if page is self.today else None)

    def on_changes(self, changes: Changes) -> None:
        """An operation committed: the shown screen redraws what it shows of it, hidden ones when shown."""
        self._show_undo_label()
        steps = len(self.store.undo_stack.steps)
        if steps > self._steps_seen and self.stack.currentWidget() is not self.review:  # the review says its own
            label = self.store.undo_label or ""
            self.statusBar().showMessage(f"Done: {label}. Edit > Undo (Ctrl+Z) takes it back.", 6000)
        self._steps_seen = steps
        if changes & (Changes.STUDY_QUEUE | Changes.DECKS | Changes.SETTINGS | Changes.CARD_CONTENT):
            self.update_status()
        if changes == Changes.ALL and self.stack.currentWidget() is self.review:
            # Everything changed under the review (a restore): its card and counts were the store's before,
            # and an answer to that card would go to a store that may hold it in another state.
            self.show_screen("Today")
        shown = self.stack.currentWidget()
        for page in self.pages.values():
            if page is shown:
                page.redraw(changes)  # type: ignore[attr-defined]
            else:
                self._stale[page] = self._stale.get(page, Changes.NONE) | changes

    def undo(self) -> None:
        """Edit > Undo (Ctrl+Z): while reviewing, the review flow's undo (the card comes back)."""
        if self.stack.currentWidget() is self.review and self.review.session is not None:
            self.review.undo()
            return
        try:
            step = ops.undo(self.store).value
        except NothingToUndo as exc:
            self.statusBar().showMessage(sentence(str(exc)), 4000)
            return
        self.statusBar().showMessage(f"Undone: {step.label}. Edit > Redo (Ctrl+Shift+Z) does it again.", 5000)

    def redo(self) -> None:
        """Edit > Redo (Ctrl+Shift+Z): while reviewing, the review flow's redo (on to the next card)."""
        if self.stack.currentWidget() is self.review and self.review.session is not None:
            self.review.redo()
            return
        try:
            step = ops.redo(self.store).value
        except NothingToUndo as exc:
            self.statusBar().showMessage(sentence(str(exc)), 4000)
            return
        self.statusBar().showMessage(f"Redone: {step.label}.", 4000)

    def _show_undo_label(self) -> None:
        label, redo = self.store.undo_label, self.store.redo_label
        self.undo_action.setText(f"&Undo {label}" if label else "&Undo")
        self.undo_action.setEnabled(label is not None)
        self.redo_action.setText(f"&Redo {redo}" if redo else "&Redo")
        self.redo_action.setEnabled(redo is not None)

    def _check_day(self) -> None:
        """The study day can roll over while the window stays open: buried cards come back, counts renew."""
        today = self.store.today().day
        if today != self._day:
            self._day = today
            ops.begin_day(self.store)
            self.on_changes(Changes.STUDY_QUEUE)

    def start_review(self, deck_id: int) -> None:
        self.sidebar.blockSignals(True)  # studying belongs to Today
        self.sidebar.setCurrentRow(SCREENS.index("Today"))
        self.sidebar.blockSignals(False)
        self.stack.setCurrentWidget(self.review)
        self.review.start(None if deck_id < 0 else deck_id)
        self.review.setFocus()

    def update_status(self, counts: QueueCounts | None = None) -> None:
        """The status bar's count of what is left today (given, when a screen has just counted)."""
        counts = counts if counts is not None else self.store.queue_counts()
        left = f"{plural(counts.total, 'card')} to study today" if counts.total else "No cards left today"
        self.due_label.setText(left)

    def apply_theme(self, mode: str) -> None:
        colors = theme.apply(QApplication.instance(), mode)
        for screen in (self.today, self.review, self.browse, self.calendar, self.statistics):
            screen.set_colors(colors)

    # ------------------------------------------------------------------ files

    def backup_if_changed(self) -> None:
        if self.store.changed_since_backup():
            self._backup_task = self.worker.run(
                lambda store: store.backup(),
                lambda path: self.statusBar().showMessage(f"Backed up to {path.name}", 5000),
                lambda message: self.statusBar().showMessage(f"Backup failed: {message}", 10000),
            )

    def restore_backup(self, reason: str = "") -> None:
        self.worker.close()  # the store's file is about to be replaced: no work may hold it open
        # The restore runs on a thread while events go on: nothing timed may reach for the store meanwhile.
        timers = [t for t in (self._day_timer, self._backup_timer, self.reminder.timer) if t.isActive()]
        for timer in timers:
            timer.stop()
        try:
            dialog = BackupsDialog(self.store, self, reason)
            dialog.exec()
        finally:
            for timer in timers:
                timer.start()

    def import_deck(self, path: str | None = None) -> None:
        dialog = ImportDialog(self.worker, path, self)
        if path is None:
            dialog.choose_file()
            if dialog.path is None:
                return
        dialog.exec()
        if dialog.summary is not None:
            self.statusBar().showMessage(dialog.summary.text(), 8000)

    def export_deck(self, deck_id: int | None = None) -> None:
        if deck_id is None:
            deck_id = self.today.current_deck_id()
        if deck_id is None:
            QMessageBox.information(self, "Export", "Choose a deck in Today first.")
            return
        deck = self.store.deck(deck_id)
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {deck.name}", f"{deck.key}.md", file_filter(formats.EXPORTABLE)
        )
        if not path:
            return
        if Path(path).suffix.lower() not in formats.EXPORTABLE:
            path += ".md"
        self.statusBar().showMessage(f"Exporting {deck.name}…")
        self._export_task = self.worker.run(
            lambda store: formats.export_deck(store, deck_id, path, with_history=path.endswith(".apkg")),
            lambda count: self.statusBar().showMessage(
                f"Exported {plural(count, 'card')} of {deck.name} to {path}.", 8000
            ),
            lambda message: QMessageBox.warning(self, "Not exported", message),
        )

    def _sync_or_stop(self) -> None:
        """Ctrl+Y syncs; during a sync, it stops it after the step under way (a stop loses nothing: the
        store changes only in each step's own transaction, and the next sync takes up what is left)."""
        if self._sync_task is not None:
            self._sync_task.cancel()
            self.statusBar().showMessage("Stopping the sync after this step…")
        else:
            self.sync_now()

    def _sync_ended(self) -> None:
        self._sync_task = None
        self.sync_action.setText("&Sync with Anki")

    def sync_now(
        self, password: str | None = None, full: str | None = None, ask: str = "", quiet: bool = False,
        typed: tuple[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Sync on the worker; the first sync (or a refused password) asks for the server, user and password.
        quiet (the sync on opening): nothing is asked, and what goes wrong goes to the status bar."""
        if quiet and not sync.can_sync_unasked(self.store):
            return
        server, user = typed or (self.store.get_value(sync.SERVER_KEY), self.store.get_value(sync.USER_KEY))
        if password is None and (ask or not server or not user):
            login = SyncLogin(self, str(server or "") or None, str(user or "") or None, ask)
            if login.exec() != QDialog.DialogCode.Accepted:
                return
            server, user, password = login.chosen_server(), login.user.text().strip(), login.password.text()

        def work(store: Store, report) -> object:
            try:
                kwargs = {"server": server, "user": user, "password": password, "full": full, "progress": report}
                return sync.sync(store, **kwargs).value  # type: ignore[arg-type]
            except (sync.NeedsPassword, sync.FullSyncChoice) as exc:
                return exc  # a question for the learner, asked on the GUI thread

        def done(outcome: object) -> None:
            self._sync_ended()
            if quiet and isinstance(outcome, sync.SyncError):
                self.statusBar().showMessage(f"Not synced: {outcome} (File > Sync with Anki to see why).", 10_000)
            elif isinstance(outcome, sync.NeedsPassword):
                self.sync_now(ask=sentence(str(outcome)))
            elif isinstance(outcome, sync.FullSyncChoice):
                chosen = choose_full_sync(self)
                if chosen is not None:
                    self.sync_now(password, full=chosen)
                else:
                    self.statusBar().showMessage("Not synced.", 5000)
            else:
                self.statusBar().showMessage(f"Synced: {outcome.text()}.", 8000)  # type: ignore[attr-defined]

        def failed(message: str) -> None:
            self._sync_ended()
            self.statusBar().clearMessage()
            if quiet:
                self.statusBar().showMessage(f"Not synced: {message}.", 10_000)
            elif "refused the user name or password" in message:  # asked again, with what was typed
                self.sync_now(ask=sentence(message), typed=(str(server or ""), str(user or "")))
            else:
                QMessageBox.warning(self, "Not synced", sentence(message))

        def stopped() -> None:
            self._sync_ended()
            self.statusBar().showMessage("Sync stopped; the next one takes up what is left.", 8000)

        self.statusBar().showMessage("Syncing…")
        self._sync_task = self.worker.run(work, done, failed, progress=self.statusBar().showMessage, cancelled=stopped)
        self.sync_action.setText("&Stop the sync")  # one sync at a time: the same key stops it

    def _sync_before_closing(self) -> None:
        """The closing sync: on the worker, with a busy box that shows its steps; the window waits for it."""
        box = QProgressDialog("Syncing with Anki before closing…", "", 0, 0, self)
        box.setCancelButton(None)
        box.setWindowTitle("Study Planner")
        box.setMinimumDuration(0)
        ended = QEventLoop()
        problems: list[str] = []

        def work(store: Store, report) -> None:
            sync.sync(store, progress=report)

        def failed(message: str) -> None:
            problems.append(message)
            ended.quit()

        def step(text: str) -> None:
            box.setLabelText(f"Syncing with Anki before closing:\n{text}")

        self.worker.run(work, lambda _: ended.quit(), failed, progress=step)
        box.show()
        ended.exec()
        box.close()
        if problems:
            QMessageBox.warning(self, "Not synced", sentence(problems[0]))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(Path(u.toLocalFile()).suffix.lower() in formats.IMPORTABLE for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if Path(url.toLocalFile()).suffix.lower() in formats.IMPORTABLE:
                event.acceptProposedAction()
                self.import_deck(url.toLocalFile())
                return

    # ------------------------------------------------------------------ geometry

    def _restore_geometry(self) -> None:
        saved = self.store.get_value("window_geometry")
        if not (isinstance(saved, str) and self.restoreGeometry(QByteArray.fromBase64(saved.encode()))):
            self.resize(1100, 720)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._closed:  # closing twice must not touch the store again
            event.accept()
            return
        self._closed = True
        self._day_timer.stop()
        self._backup_timer.stop()
        if self.store.get_value(sync.AUTO_KEY, False) is True and sync.can_sync_unasked(self.store):
            self._sync_before_closing()
        self.worker.close()
        self.store.unlisten(self._listener)
        QThreadPool.globalInstance().waitForDone()
        studied = self.store.changed_since_backup()  # before the geometry is saved: that alone is no reason
        self.store.set_value("window_geometry", bytes(self.saveGeometry().toBase64()).decode())
        if studied:
            self._backup_before_closing()
        super().closeEvent(event)

    def _backup_before_closing(self) -> None:
        """The closing backup (seconds for a large store: copied, checked, compressed, read back) on the worker,
        while the window is gone and events go on; a short notice shows when it takes a moment. It is
        waited for even when the application quits meanwhile: the worker's close waits for it to end."""
        self.hide()
        notice = QProgressDialog("Backing up your cards before closing…", "", 0, 0)
        notice.setWindowTitle("Study Planner")
        notice.setCancelButton(None)  # a backup half-made is no backup: it ends, or fails and says so
        ended = QEventLoop()
        problems: list[str] = []
        task = self.worker.run(lambda store: store.backup(), lambda _: None, problems.append)
        task.signals.finished.connect(ended.quit)  # queued to this thread: delivered once the loop runs
        QTimer.singleShot(300, ended, notice.show)  # only while the loop runs: a quick backup shows nothing
        ended.exec()  # a quit of the application ends it early: the worker's close below waits all the same
        self.worker.close()
        notice.close()
        if problems:
            QMessageBox.warning(self, "Backup failed", sentence(problems[0]))
