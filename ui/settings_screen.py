"""Settings: scheduling and appearance. Every change applies at once."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cards import ops
from cards.changes import Changes
from cards.errors import StudyPlannerError
from cards.settings import format_steps, parse_steps
from cards.store import Store

THEMES = (("Follow the system", "system"), ("Light", "light"), ("Dark", "dark"))
RETENTION_HELP = (
    "The share of reviews you want to recall. Higher means more reviews for fewer lapses: "
    "0.90 is a good balance; above 0.95 the workload climbs steeply."
)


class SettingsScreen(QWidget):
    theme_changed = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        title = QLabel("Settings")
        title.setObjectName("title")

        self.retention = QDoubleSpinBox()
        self.retention.setRange(0.70, 0.99)
        self.retention.setSingleStep(0.01)
        self.retention.setDecimals(2)
        retention_help = QLabel(RETENTION_HELP)
        retention_help.setObjectName("muted")
        retention_help.setWordWrap(True)
        self.new_per_day = QSpinBox()
        self.new_per_day.setRange(0, 9999)
        self.reviews_per_day = QSpinBox()
        self.reviews_per_day.setRange(0, 99999)
        self.day_start = QSpinBox()
        self.day_start.setRange(0, 23)
        self.day_start.setSuffix(":00")
        self.learning_steps = QLineEdit()
        self.relearning_steps = QLineEdit()
        self.maximum_interval = QSpinBox()
        self.maximum_interval.setRange(1, 36500)
        self.maximum_interval.setSuffix(" days")
        self.theme = QComboBox()
        for text, value in THEMES:
            self.theme.addItem(text, value)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #dc2626;")
        self.error.setWordWrap(True)

        for field in (self.retention, self.new_per_day, self.reviews_per_day, self.day_start, self.learning_steps,
                      self.relearning_steps, self.maximum_interval, self.theme):  # fmt: skip
            field.setFixedWidth(220)
        retention_help.setMaximumWidth(520)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Desired retention", self.retention)
        form.addRow("", retention_help)
        form.addRow("New cards per day", self.new_per_day)
        form.addRow("Maximum reviews per day", self.reviews_per_day)
        form.addRow("A new day starts at", self.day_start)
        form.addRow("Learning steps", self.learning_steps)
        form.addRow("Relearning steps", self.relearning_steps)
        form.addRow("Maximum interval", self.maximum_interval)
        form.addRow("Theme", self.theme)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch()

        self.load()
        self.retention.valueChanged.connect(lambda v: self._apply(desired_retention=round(v, 2)))
        self.new_per_day.valueChanged.connect(lambda v: self._apply(new_per_day=v))
        self.reviews_per_day.valueChanged.connect(lambda v: self._apply(reviews_per_day=v))
        self.day_start.valueChanged.connect(lambda v: self._apply(day_start_hour=v))
        self.maximum_interval.valueChanged.connect(lambda v: self._apply(maximum_interval=v))
        self.learning_steps.editingFinished.connect(lambda: self._apply_steps("learning_steps", self.learning_steps))
        self.relearning_steps.editingFinished.connect(
            lambda: self._apply_steps("relearning_steps", self.relearning_steps)
        )
        self.theme.currentIndexChanged.connect(self._apply_theme)

    def redraw(self, changes: Changes) -> None:
        if changes & Changes.SETTINGS:
            self.load()

    def load(self) -> None:
        s = self.store.settings()
        widgets = (self.retention, self.new_per_day, self.reviews_per_day, self.day_start, self.maximum_interval,
                   self.learning_steps, self.relearning_steps, self.theme)  # fmt: skip
        for widget in widgets:
            widget.blockSignals(True)
        self.retention.setValue(s.desired_retention)
        self.new_per_day.setValue(s.new_per_day)
        self.reviews_per_day.setValue(s.reviews_per_day)
        self.day_start.setValue(s.day_start_hour)
        self.maximum_interval.setValue(s.maximum_interval)
        self.learning_steps.setText(format_steps(s.learning_steps))
        self.relearning_steps.setText(format_steps(s.relearning_steps))
        self.theme.setCurrentIndex(max(0, self.theme.findData(self.store.get_value("theme", "system"))))
        for widget in widgets:
            widget.blockSignals(False)

    def _apply(self, **changes: object) -> None:
        try:
            ops.update_settings(self.store, **changes)
        except StudyPlannerError as exc:
            self.error.setText(str(exc).capitalize())
            return
        self.error.clear()

    def _apply_steps(self, name: str, field: QLineEdit) -> None:
        try:
            steps = parse_steps(field.text())
        except StudyPlannerError as exc:
            self.error.setText(str(exc).capitalize())
            return
        if steps != getattr(self.store.settings(), name):
            self._apply(**{name: steps})

    def _apply_theme(self) -> None:
        mode = self.theme.currentData()
        self.store.set_value("theme", mode)
        self.theme_changed.emit(mode)
