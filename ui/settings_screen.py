"""Settings: scheduling and appearance. Every change applies at once (and Edit > Undo takes it back).

The scheduling fields are made from the settings' one declaration (cards/settings.py):
label, range, unit and help come from there, never written here again.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cards import backup, ops, sync
from cards.changes import Changes
from cards.errors import StudyPlannerError
from cards.settings import SHOWN, format_value, parse_value, spec
from cards.store import Store
from cards.wording import sentence

from .reminder import REMINDER_KEY

THEMES = (("Follow the system", "system"), ("Light", "light"), ("Dark", "dark"))
FIELD_WIDTH = 220
CHOICE_TEXT = {"after": "Come after the plan's cards", "wait": "Wait until the plan is over"}


class WindowUndo(QObject):
    """Ctrl+Z in a field is Edit > Undo: a field's own text undo would take the key, and the change
    is already saved (and undone as one step by the window)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        undo_keys = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)
        overridden = event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
        # Not accepted here (consumed unseen): the window's shortcut gets the key.
        return overridden and any(event.matches(key) for key in undo_keys)  # type: ignore[union-attr]


class ScrollPast(QObject):
    """The mouse wheel over a field the learner has not clicked scrolls the page: a spin box or a list under
    the pointer took it, and a setting changed, saved, without a word."""

    def __init__(self, page: QScrollArea) -> None:
        super().__init__(page)
        self.page = page

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            QApplication.sendEvent(self.page.verticalScrollBar(), event)
            return True
        return False


class SettingsScreen(QWidget):
    theme_changed = Signal(str)
    reminder_changed = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        title = QLabel("Settings")
        title.setObjectName("title")
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.fields: dict[str, QWidget] = {}
        for name in SHOWN:
            widget = self._field(name)
            widget.setFixedWidth(FIELD_WIDTH)
            self.fields[name] = widget
            form.addRow(spec(name).label, widget)
            if spec(name).help:
                _add_help(form, spec(name).help)
            if name == "backup_space_mb":  # what they take now, under the space set for them
                self.backup_usage = _add_help(form, "")
        self.theme = QComboBox()
        for text, value in THEMES:
            self.theme.addItem(text, value)
        self.theme.setFixedWidth(FIELD_WIDTH)
        form.addRow("Theme", self.theme)
        self.reminder = QComboBox()
        self.reminder.addItem("Off", None)
        for hour in range(6, 23):
            self.reminder.addItem(f"{hour:02d}:00", hour)
        self.reminder.setFixedWidth(FIELD_WIDTH)
        form.addRow("Daily reminder", self.reminder)
        _add_help(form, "While the app is open, a notification at this hour of the cards and plan tasks today "
                        "holds (in the tray, where the desktop has one).")  # fmt: skip
        self.auto_sync = QCheckBox("When the window opens and closes")
        form.addRow("Sync with Anki", self.auto_sync)
        _add_help(form, "Syncs with the server of your last File > Sync with Anki (Ctrl+Y), without asking; the "
                        "first sync is made from that menu.")  # fmt: skip
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        page = QWidget()  # in a scroll area: on a short window the form scrolls instead of squeezing its help
        content = QVBoxLayout(page)
        content.setContentsMargins(28, 24, 28, 20)
        content.setSpacing(12)
        content.addWidget(title)
        content.addLayout(form)
        content.addWidget(self.error)
        content.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.load()
        self._window_undo = WindowUndo(self)
        scroll_past = ScrollPast(scroll)
        for widget in (*self.fields.values(), self.theme, self.reminder):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not focused by the wheel, either
            widget.installEventFilter(scroll_past)
        for name, widget in self.fields.items():
            self._connect(name, widget)
            widget.installEventFilter(self._window_undo)
            if isinstance(widget, QSpinBox | QDoubleSpinBox):
                widget.lineEdit().installEventFilter(self._window_undo)
        self.theme.currentIndexChanged.connect(self._apply_theme)
        self.reminder.currentIndexChanged.connect(self._apply_reminder)
        self.auto_sync.toggled.connect(self._apply_auto_sync)

    def _field(self, name: str) -> QWidget:
        s = spec(name)
        value = getattr(self.store.settings(), name)
        if s.choices:
            combo = QComboBox()
            for choice in s.choices:
                combo.addItem(CHOICE_TEXT.get(choice, choice), choice)
            return combo
        if s.is_steps or not isinstance(value, (int, float)):
            return QLineEdit()
        box: QSpinBox | QDoubleSpinBox
        if isinstance(value, float):
            box = QDoubleSpinBox()
            box.setDecimals(s.decimals)
            box.setSingleStep(10**-s.decimals)
        else:
            box = QSpinBox()
        box.setKeyboardTracking(False)  # typing "35" saves 35 when done, not 3 on the way
        box.setRange(s.minimum or 0, s.maximum or 0)  # type: ignore[arg-type]
        box.setSuffix(s.unit)
        return box

    def _connect(self, name: str, widget: QWidget) -> None:
        """After the first load: a value set while building the form is no change of the learner's."""
        if isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(lambda _: self._apply(**{name: widget.currentData()}))
        elif isinstance(widget, QLineEdit):
            widget.editingFinished.connect(lambda: self._apply_text(name, widget))
        elif isinstance(widget, QDoubleSpinBox):
            decimals = widget.decimals()
            widget.valueChanged.connect(lambda v: self._apply(**{name: round(v, decimals)}))
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(lambda v: self._apply(**{name: v}))

    def redraw(self, changes: Changes) -> None:
        if changes & Changes.SETTINGS:
            self.load()

    def load(self) -> None:
        settings = self.store.settings()
        for name, widget in self.fields.items():
            widget.blockSignals(True)
            value = getattr(settings, name)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value)))
            elif isinstance(widget, QLineEdit):
                widget.setText(format_value(name, value))
            else:
                widget.setValue(value)  # type: ignore[attr-defined]
            widget.blockSignals(False)
        self.theme.blockSignals(True)
        self.theme.setCurrentIndex(max(0, self.theme.findData(self.store.get_value("theme", "system"))))
        self.theme.blockSignals(False)
        self.reminder.blockSignals(True)
        self.reminder.setCurrentIndex(max(0, self.reminder.findData(self.store.get_value(REMINDER_KEY, None))))
        self.reminder.blockSignals(False)
        self.auto_sync.blockSignals(True)
        self.auto_sync.setChecked(self.store.get_value(sync.AUTO_KEY, False) is True)
        self.auto_sync.blockSignals(False)
        if self.isVisible():  # a new space for backups changes the line; a hidden screen reads it when shown
            self.show_backup_usage()

    def show_backup_usage(self) -> None:
        """What the backups take now (a look at the backups folder's file sizes: no file is opened)."""
        self.backup_usage.setText(backup.usage_text(self.store.backup_usage()))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        self.show_backup_usage()  # a backup may have been written, or pruned, since
        super().showEvent(event)

    def _apply(self, **changes: object) -> None:
        try:
            ops.update_settings(self.store, **changes)
        except StudyPlannerError as exc:
            self.error.setText(sentence(str(exc)))
            return
        self.error.clear()

    def _apply_text(self, name: str, field: QLineEdit) -> None:
        try:
            value = parse_value(name, field.text())
        except StudyPlannerError as exc:
            self.error.setText(sentence(str(exc)))
            return
        if value != getattr(self.store.settings(), name):
            self._apply(**{name: value})

    def _apply_auto_sync(self, on: bool) -> None:
        self.store.set_value(sync.AUTO_KEY, on)
        if on and not sync.can_sync_unasked(self.store):
            self.error.setText("Sync once from File > Sync with Anki (Ctrl+Y) first: then it runs on its own.")
        else:
            self.error.clear()

    def _apply_reminder(self) -> None:
        self.store.set_value(REMINDER_KEY, self.reminder.currentData())
        self.reminder_changed.emit()

    def _apply_theme(self) -> None:
        mode = self.theme.currentData()
        self.store.set_value("theme", mode)
        self.theme_changed.emit(mode)


def _add_help(form: QFormLayout, text: str) -> QLabel:
    """A setting's explanation, in muted text under its field."""
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    label.setMaximumWidth(520)
    form.addRow("", label)
    return label
