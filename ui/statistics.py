"""Statistics: a year of reviews as a heatmap, the 30-day forecast in cards and minutes, true retention."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from cards import catchup, optimizer
from cards.changes import Changes
from cards.stats import RANGES, Report, report
from cards.store import Store
from cards.wording import plural

from .theme import LIGHT, Colors
from .workers import StoreWorker, Task


def _say_empty(widget: QWidget, painter: QPainter, text: str, color: str) -> None:
    """A chart with nothing to draw says so, instead of showing a blank area."""
    painter.setPen(QColor(color))
    painter.drawText(widget.rect(), Qt.AlignmentFlag.AlignCenter, text)


AXIS_WIDTH = 40  # room left of a bar chart for its scale's figures


def _nice_peak(peak: int) -> int:
    """The top of a scale: 1, 2 or 5 times a power of ten, at or above the tallest bar."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= factor * step:
                return factor * step
        step *= 10


def _draw_scale(painter: QPainter, plot: QRect, top: int, colors: Colors) -> None:
    """Gridlines at 0, half and the top of the scale, their figures left of the plot."""
    for share in (0.0, 0.5, 1.0):
        y = int(plot.bottom() - plot.height() * share)
        painter.setPen(QColor(colors.border))
        painter.drawLine(plot.left(), y, plot.right(), y)
        painter.setPen(QColor(colors.muted))
        value = top * share
        text = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
        painter.drawText(QRect(0, y - 8, AXIS_WIDTH - 6, 16), Qt.AlignmentFlag.AlignRight, text)


def _draw_legend(painter: QPainter, widget: QWidget, names: tuple[str, ...], colors: list[str], muted: str) -> None:
    """Each series' colour and name, right-aligned above the plot."""
    metrics = painter.fontMetrics()
    x = widget.width() - 4
    for name, color in reversed(list(zip(names, colors))):
        x -= metrics.horizontalAdvance(name)
        painter.setPen(QColor(muted))
        painter.drawText(x, 12, name)
        x -= 14
        painter.fillRect(QRect(x, 3, 10, 10), QColor(color))
        x -= 14


class Heatmap(QWidget):
    """53 weeks by 7 days, darker for more answers, with the months above and the weekdays left; hover
    shows the day's count."""

    TOP, LEFT = 16, 30  # room for the month names and the weekday names

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self.colors: Colors = LIGHT
        self.setMouseTracking(True)
        self.setFixedHeight(self.TOP + 7 * 14 + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def _cells(self):
        if self.report is None:
            return []
        size = max(6, min(14, (self.width() - self.LEFT - 4) // 53))
        end = self.report.today
        start = end - timedelta(days=7 * 52 + end.weekday())
        cells, day = [], start
        while day <= end:
            column, row = (day - start).days // 7, day.weekday()
            cells.append((QRect(self.LEFT + column * size, self.TOP + row * size, size - 2, size - 2), day))
            day += timedelta(days=1)
        return cells

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.report is None:
            return
        painter = QPainter(self)
        peak = max(self.report.reviews_per_day.values(), default=1)
        base, empty = QColor(self.colors.due), QColor(self.colors.border)
        for rect, day in self._cells():
            count = self.report.reviews_per_day.get(day, 0)
            if count:
                color = QColor(base)
                color.setAlphaF(0.25 + 0.75 * count / peak)
            else:
                color = empty
            painter.fillRect(rect, color)
        painter.setPen(QColor(self.colors.muted))
        cells = self._cells()
        size = cells[0][0].width() + 2 if cells else 14
        for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
            painter.drawText(QRect(0, self.TOP + row * size - 2, self.LEFT - 4, size + 4),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)  # fmt: skip
        shown = -100
        for rect, day in cells:  # a month's name over the week its first day falls in
            if day.day <= 7 and day.weekday() == 0 and rect.left() - shown > 30:
                painter.drawText(rect.left(), self.TOP - 4, f"{day:%b}")
                shown = rect.left()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for rect, day in self._cells():
            if rect.contains(event.position().toPoint()):
                count = self.report.reviews_per_day.get(day, 0) if self.report else 0
                QToolTip.showText(event.globalPosition().toPoint(), f"{day:%a %d %b %Y}: {count} answers", self)
                return
        QToolTip.hideText()


class ForecastBars(QWidget):
    """Cards due per day for 30 days (today with the backlog), with minutes on hover."""

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self.preview: list[tuple] | None = None
        self.colors: Colors = LIGHT
        self.setMouseTracking(True)
        self.setFixedHeight(150)

    def _bars(self):
        if self.report is None or not self.report.forecast:
            return []
        plot = self._plot()
        peak = _nice_peak(max(c for _, c in self.report.forecast))
        width = plot.width() / len(self.report.forecast)
        height = plot.height()
        return [
            (
                QRect(
                    int(plot.left() + i * width),
                    int(plot.top() + height * (1 - count / peak)),
                    max(2, int(width) - 3),
                    int(height * count / peak),
                ),
                day,
                count,
            )  # fmt: skip
            for i, (day, count) in enumerate(self.report.forecast)
        ]

    def _plot(self) -> QRect:
        return QRect(AXIS_WIDTH, 18, self.width() - AXIS_WIDTH - 4, self.height() - 40)

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.report is None:
            return
        painter = QPainter(self)
        painter.setPen(QColor(self.colors.muted))
        if not any(count for _, count in self.report.forecast):
            _say_empty(self, painter, "Nothing due in the next 30 days.", self.colors.muted)
            return
        plot = self._plot()
        peak = _nice_peak(max(c for _, c in self.report.forecast))
        _draw_scale(painter, plot, peak, self.colors)
        names, swatches = ("today, overdue included", "due later"), [self.colors.again, self.colors.accent]
        if self.preview:
            names, swatches = (*names, "after catching up"), [*swatches, self.colors.good]
        _draw_legend(painter, self, names, swatches, self.colors.muted)
        painter.setPen(QColor(self.colors.muted))
        for index, (rect, day, _count) in enumerate(self._bars()):
            painter.fillRect(rect, QColor(self.colors.again if index == 0 else self.colors.accent))
            if index % 7 == 0:
                painter.drawText(QRect(rect.left(), self.height() - 18, 60, 16), Qt.AlignmentFlag.AlignLeft,
                                 day.strftime("%d %b"))  # fmt: skip
        if self.preview:  # what a catch-up would make of the next days, drawn over the bars
            width = plot.width() / max(1, len(self.report.forecast))
            for i, (_day, count) in enumerate(self.preview[: len(self._bars())]):
                top = int(plot.top() + plot.height() * (1 - min(count, peak) / peak))
                painter.fillRect(QRect(int(plot.left() + i * width), top, max(2, int(width) - 3), 3),
                                 QColor(self.colors.good))  # fmt: skip

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for rect, day, count in self._bars():
            column = QRect(rect.left(), 0, rect.width() + 3, self.height())
            if column.contains(event.position().toPoint()) and self.report:
                minutes = round(count * self.report.seconds_per_card / 60)
                QToolTip.showText(
                    event.globalPosition().toPoint(), f"{day:%a %d %b}: {count} cards, about {minutes} min", self
                )
                return
        QToolTip.hideText()


class StackedBars(QWidget):
    """Vertical bars, each a stack of values, with the figures on hover."""

    def __init__(self, names: tuple[str, ...], empty: str, height: int = 130) -> None:
        super().__init__()
        self.names, self.empty = names, empty
        self.colors: Colors = LIGHT
        self.data: list[tuple[str, tuple[int, ...]]] = []
        self.palette_colors: list[str] = []
        self.setMouseTracking(True)
        self.setFixedHeight(height + 18)  # and a line for the legend

    def set_data(self, data: list[tuple[str, tuple[int, ...]]], colors: list[str]) -> None:
        self.data, self.palette_colors = data, colors
        self.update()

    def _plot(self) -> QRect:
        return QRect(AXIS_WIDTH, 18, self.width() - AXIS_WIDTH - 4, self.height() - 40)

    def _geometry(self):
        width = self._plot().width() / max(1, len(self.data))
        peak = _nice_peak(max([sum(values) for _, values in self.data] + [1]))
        return width, peak, self._plot().height()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        if not any(sum(values) for _, values in self.data):
            _say_empty(self, painter, self.empty, self.palette().color(QPalette.ColorRole.PlaceholderText).name())
            return
        width, peak, height = self._geometry()
        plot = self._plot()
        _draw_scale(painter, plot, peak, self.colors)
        _draw_legend(painter, self, self.names, self.palette_colors, self.colors.muted)
        for i, (_label, values) in enumerate(self.data):
            bottom = plot.bottom()
            for value, color in zip(values, self.palette_colors):
                size = int(height * value / peak)
                x = int(plot.left() + i * width)
                painter.fillRect(QRect(x, bottom - size, max(1, int(width) - 1), size), QColor(color))
                bottom -= size
        painter.setPen(QColor(self.palette().color(self.foregroundRole())))
        metrics = painter.fontMetrics()
        if len(self.data) <= 12:  # buckets: each bar named, centred under it
            for i, (label, _) in enumerate(self.data):
                text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(width))
                painter.drawText(QRect(int(plot.left() + i * width), self.height() - 18, int(width), 16),
                                 Qt.AlignmentFlag.AlignHCenter, text)  # fmt: skip
            return
        step = max(1, len(self.data) // 6)  # days: a date every few bars, none cut at the right edge
        for i in range(0, len(self.data), step):
            x, label = int(plot.left() + i * width), self.data[i][0]
            if x + metrics.horizontalAdvance(label) <= self.width():
                painter.drawText(x, self.height() - 4, label)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.data:
            return
        width, _, _ = self._geometry()
        index = int((event.position().x() - self._plot().left()) // max(width, 1))
        if 0 <= index < len(self.data):
            label, values = self.data[index]
            parts = ", ".join(f"{v} {n}" for v, n in zip(values, self.names))
            QToolTip.showText(event.globalPosition().toPoint(), f"{label}: {parts}", self)


class CalibrationChart(QWidget):
    """Predicted recall (across) against recalled (up), one dot per 10% bin sized by its answers;
    dots on the diagonal mean FSRS's predictions hold."""

    def __init__(self) -> None:
        super().__init__()
        self.bins: list[tuple[float, int, int]] = []
        self.colors: Colors = LIGHT
        self.setMouseTracking(True)
        self.setFixedSize(240, 240)

    def _plot(self) -> QRect:
        return QRect(40, 10, self.width() - 62, self.height() - 36)  # room for the axis figures

    def _dots(self):
        plot, most = self._plot(), max([n for _, n, _ in self.bins] + [1])
        for mean, n, passed in self.bins:
            x = plot.left() + plot.width() * mean
            y = plot.bottom() - plot.height() * passed / n
            radius = 3 + 7 * (n / most) ** 0.5
            yield QRect(int(x - radius), int(y - radius), int(2 * radius), int(2 * radius)), mean, n, passed

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        plot = self._plot()
        painter.setPen(QColor(self.colors.border))
        painter.drawRect(plot)
        painter.drawLine(plot.bottomLeft(), plot.topRight())  # where predicted = recalled
        painter.setPen(QColor(self.colors.muted))
        for share in (0, 0.5, 1):
            y = int(plot.bottom() - plot.height() * share)
            painter.drawText(QRect(0, y - 8, 36, 16), Qt.AlignmentFlag.AlignRight, f"{share:.0%}")
            x = int(plot.left() + plot.width() * share)
            painter.drawText(QRect(x - 20, plot.bottom() + 4, 40, 16), Qt.AlignmentFlag.AlignHCenter, f"{share:.0%}")
        dot = QColor(self.colors.accent)
        dot.setAlphaF(0.7)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot)
        for rect, *_ in self._dots():
            painter.drawEllipse(rect)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for rect, mean, n, passed in self._dots():
            if rect.adjusted(-3, -3, 3, 3).contains(event.position().toPoint()):
                text = f"predicted {mean:.0%}, recalled {passed / n:.0%} ({n} answers)"
                QToolTip.showText(event.globalPosition().toPoint(), text, self)
                return
        QToolTip.hideText()


class StatisticsScreen(QWidget):
    def __init__(self, store: Store, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.colors: Colors = LIGHT
        self.report: Report | None = None
        self.worker = worker
        self._tasks: list = []
        self._preview_tasks: list = []
        self._catch_up: catchup.CatchUp | None = None
        title = QLabel("Statistics")
        title.setObjectName("title")
        self.deck_filter = QComboBox()
        self.deck_filter.currentIndexChanged.connect(lambda _: self.refresh(reload_decks=False))
        self.range_filter = QComboBox()
        for name, days in RANGES.items():
            self.range_filter.addItem(f"Last {name}" if days else "All time", days)
        self.range_filter.setCurrentIndex(1)
        self.range_filter.currentIndexChanged.connect(lambda _: self.refresh(reload_decks=False))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch()
        self.fit_button = QPushButton("Fit FSRS to my reviews…")
        self.fit_button.setToolTip("Fit the 21 FSRS parameters to your own review log")
        self.fit_button.clicked.connect(self.fit_parameters)
        header.addWidget(self.fit_button)
        header.addWidget(self.range_filter)
        header.addWidget(self.deck_filter)
        # Work on the cards from this screen: a busy bar and the step under way (fitting and rescheduling
        # take seconds on a large log), then the outcome, which stays (the summary line is the report's).
        self.work_row = QWidget()
        self.work_step = QLabel()
        self.work_step.setObjectName("muted")
        self.work_busy = QProgressBar()
        self.work_busy.setRange(0, 0)
        self.work_busy.setMaximumWidth(160)
        self.work_busy.setTextVisible(False)
        row = QHBoxLayout(self.work_row)
        row.setContentsMargins(0, 4, 0, 0)
        row.addStretch()
        row.addWidget(self.work_step)
        row.addWidget(self.work_busy)
        self.work_cancel = QPushButton("Cancel")
        self.work_cancel.clicked.connect(self.cancel_work)
        row.addWidget(self.work_cancel)
        self.work_row.hide()
        self._work: Task | None = None
        self.summary = QLabel("Counting…")
        self.summary.setObjectName("subtitle")
        self.summary.setWordWrap(True)
        self.heatmap = Heatmap()
        self.forecast = ForecastBars()
        self.forecast_label = QLabel()
        self.forecast_label.setObjectName("muted")
        self.forecast_label.setWordWrap(True)
        self.catch_up_box = QWidget()
        self.catch_up_text = QLabel()
        self.catch_up_text.setWordWrap(True)
        self.catch_up_days = QSpinBox()
        self.catch_up_days.setRange(2, 30)
        self.catch_up_days.setValue(5)
        self.catch_up_days.setSuffix(" days")
        self.catch_up_days.valueChanged.connect(lambda _: self.preview_catch_up())
        self.catch_up_button = QPushButton("Spread the backlog")
        self.catch_up_button.clicked.connect(self.apply_catch_up)
        row = QHBoxLayout(self.catch_up_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.catch_up_text, 1)
        row.addWidget(self.catch_up_days)
        row.addWidget(self.catch_up_button)
        self.catch_up_box.hide()
        self.retention = QGridLayout()
        self.counts = QLabel()
        self.counts.setObjectName("muted")
        self.counts.setWordWrap(True)
        self.kinds = StackedBars(("learning", "young", "mature"), "No answers in this range yet.")
        self.intervals = StackedBars(("cards",), "No cards in review yet.", height=110)
        self.stabilities = StackedBars(("cards",), "No cards in review yet.", height=110)
        self.calibration_chart = CalibrationChart()
        self.calibration = QLabel()
        self.calibration.setTextFormat(Qt.TextFormat.RichText)
        self.calibration.setWordWrap(True)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 24, 28, 0)
        outer.addLayout(header)
        outer.addWidget(self.work_row)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        outer.addWidget(scroll, 1)
        layout = QVBoxLayout(body)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)  # scroll, never squeeze the charts
        layout.setContentsMargins(0, 0, 12, 20)
        layout.setSpacing(10)
        layout.addWidget(self.summary)
        layout.addWidget(self._heading("Answers per day, last 12 months"))
        layout.addWidget(self.heatmap)
        layout.addWidget(self._heading("Due in the next 30 days"))
        layout.addWidget(self.forecast)
        layout.addWidget(self.forecast_label)
        layout.addWidget(self.catch_up_box)
        layout.addWidget(self._heading("True retention: review answers recalled (learning steps left out)"))
        layout.addLayout(self.retention)
        layout.addWidget(self.counts)
        layout.addWidget(self._heading("Answers per day: learning, young (interval under 21 days), mature"))
        layout.addWidget(self.kinds)
        layout.addWidget(self._heading("Calibration: FSRS's predicted recall against what you recalled"))
        calibration = QHBoxLayout()
        calibration.addWidget(self.calibration_chart)
        calibration.addWidget(self.calibration, 1, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(calibration)
        distributions = QHBoxLayout()
        for title, chart in (("Intervals of review cards", self.intervals), ("Stability (days)", self.stabilities)):
            column = QVBoxLayout()
            column.addWidget(self._heading(title))
            column.addWidget(chart)
            distributions.addLayout(column)
        layout.addLayout(distributions)
        layout.addStretch()
        scroll.setWidget(body)  # after its layout is filled, as QScrollArea requires

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("font-weight: 600;")
        return label

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.heatmap.colors = colors
        self.forecast.colors = colors
        self.calibration_chart.colors = colors
        for chart in (self.kinds, self.intervals, self.stabilities):
            chart.colors = colors
        self.update()

    def redraw(self, changes: Changes) -> None:
        if changes & (Changes.STUDY_QUEUE | Changes.DECKS | Changes.SETTINGS | Changes.CARD_CONTENT):
            self.refresh(reload_decks=bool(changes & Changes.DECKS))

    def refresh(self, reload_decks: bool = True) -> None:
        if reload_decks:
            current = self.deck_filter.currentData()
            self.deck_filter.blockSignals(True)
            self.deck_filter.clear()
            self.deck_filter.addItem("All decks", None)
            for deck in self.store.decks():
                self.deck_filter.addItem(deck.name, deck.id)
            self.deck_filter.setCurrentIndex(max(0, self.deck_filter.findData(current)))
            self.deck_filter.blockSignals(False)
        deck_id = self.deck_filter.currentData()
        range_days = self.range_filter.currentData()
        # On the worker: a year of a large log takes longer than a frame.
        self._tasks = [self.worker.run(
            lambda store: report(store, deck_id, range_days), self._show, lambda message: self.summary.setText(message)
        )]  # fmt: skip

    def _show(self, r: Report) -> None:
        self.report = r
        self.heatmap.report = r
        self.forecast.report = r
        reviews_today = r.reviews_per_day.get(r.today, 0)
        self.summary.setText(
            f"{plural(reviews_today, 'answer')} today  ·  "
            f"streak {plural(r.streak, 'day')} "
            f"(longest {r.longest_streak})  ·  studied on {r.days_studied} of the last 365 days"
        )
        backlog = r.forecast[0][1] if r.forecast else 0
        week = sum(c for _, c in r.forecast[:7])
        self.forecast_label.setText(
            f"Today {backlog} cards (overdue included), about {round(backlog * r.seconds_per_card / 60)} min; "
            f"next 7 days {week} cards, about {round(week * r.seconds_per_card / 60)} min "
            f"at your median {r.seconds_per_card:.0f} s a card."
        )
        while self.retention.count():
            item = self.retention.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for column, (period, (passed, answered)) in enumerate(r.retention.items()):
            name = QLabel(period.capitalize())
            name.setObjectName("muted")
            value = QLabel(f"{passed / answered:.1%}" if answered else "–")
            value.setStyleSheet("font-size: 18px; font-weight: 600;")
            value.setToolTip(f"{passed} of {answered} review answers recalled")
            self.retention.addWidget(name, 0, column)
            self.retention.addWidget(value, 1, column)
        desired = QLabel(f"Desired {r.desired_retention:.0%}")
        desired.setObjectName("muted")
        self.retention.addWidget(desired, 1, len(r.retention))
        self.counts.setText("Cards: " + ", ".join(f"{n} {state}" for state, n in r.card_counts.items()))
        c = self.colors
        days = [r.today - timedelta(days=i) for i in range(r.range_days - 1, -1, -1)]
        self.kinds.set_data([(f"{d:%d %b}", r.reviews_by_kind.get(d, (0, 0, 0))) for d in days],
                            [c.learning, c.easy, c.good])  # fmt: skip
        self.intervals.set_data([(label, (n,)) for label, n in r.intervals], [c.accent])
        self.stabilities.set_data([(label, (n,)) for label, n in r.stabilities], [c.accent])
        rows = [
            f"<tr><td>predicted {mean:.0%}</td><td>&nbsp;recalled {passed / n:.0%}</td>"
            f"<td>&nbsp;({n} answers)</td></tr>"
            for mean, n, passed in r.calibration
            if n
        ]
        self.calibration.setText(f"<table>{''.join(rows)}</table>" if rows else "No review answers in this range yet.")
        self.calibration_chart.bins = r.calibration
        self.calibration_chart.setVisible(bool(rows))
        self.calibration_chart.update()
        self._offer_catch_up()
        self.heatmap.update()
        self.forecast.update()

    # ------------------------------------------------------------------ personal parameters

    def fit_parameters(self) -> None:
        self._start_work("Reading the review log…", optimizer.fit, self._fitted)

    def _start_work(self, step: str, fn, done) -> None:
        """Work that takes seconds, on the worker, with its steps shown and a Cancel button."""
        self.fit_button.setEnabled(False)
        self.work_step.setText(step)
        self.work_busy.show()
        self.work_cancel.show()
        self.work_row.show()
        self._work = self.worker.run(
            fn, done, self._work_failed, progress=self.work_step.setText,
            cancelled=lambda: self._work_done("Cancelled; nothing was changed."),
        )  # fmt: skip
        self._tasks = [self._work]

    def cancel_work(self) -> None:
        if self._work is not None:
            self._work.cancel()
            self.work_step.setText("Cancelling…")

    def _work_done(self, outcome: str = "") -> None:
        """Work over; the outcome, if any, stays in the work row."""
        self._work = None
        self.fit_button.setEnabled(True)
        self.work_busy.hide()
        self.work_cancel.hide()
        self.work_step.setText(outcome)
        self.work_row.setVisible(bool(outcome))

    def _work_failed(self, message: str) -> None:
        self._work_done()
        QMessageBox.information(self, "FSRS parameters", message[0].upper() + message[1:] + ".")

    def _fitted(self, result: optimizer.Fit) -> None:
        self._work_done()
        text = (
            f"Fitted on {result.train_reviews:,} of your answers and checked on the newest "
            f"{result.test_reviews:,}:\n\nLog loss: {result.log_loss_before:.4f} now, "
            f"{result.log_loss_after:.4f} fitted"
            f"\nRMSE: {result.rmse_before:.4f} now, {result.rmse_after:.4f} fitted (lower is better)."
        )
        if not result.better:
            QMessageBox.information(self, "FSRS parameters", text + "\n\nThe fit is no better; nothing changes.")
            return
        answer = QMessageBox.question(self, "FSRS parameters", text + "\n\nUse them and reschedule your cards?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        def done(moved: int) -> None:
            self._work_done(f"New parameters in use; {moved} review cards rescheduled.")

        # On the worker: rescheduling a large collection takes seconds.
        parameters = result.parameters
        self._start_work(
            "Rescheduling your cards with the new parameters…",
            lambda store, report: optimizer.apply(store, parameters, report).value,
            done,
        )

    # ------------------------------------------------------------------ catching up

    def _offer_catch_up(self) -> None:
        limit = self.store.settings().reviews_per_day
        overdue = catchup.backlog(self.store)
        self.catch_up_box.setVisible(overdue > limit)
        if overdue > limit:
            self.catch_up_text.setText(
                f"<b>{overdue} reviews are due</b>, more than your daily limit of {limit}. Keep today's {limit} "
                "least likely to be recalled and spread the rest over the next days. Memory state is not changed; "
                "the green marks preview the new forecast."
            )
            self.preview_catch_up()

    def preview_catch_up(self) -> None:
        """On the worker (257 ms at 20,000 cards on the GUI thread); the newest spin-box value wins."""
        days = self.catch_up_days.value()
        for task in self._preview_tasks:
            task.cancelled = True
        self.catch_up_button.setEnabled(False)
        self._preview_tasks = [
            self.worker.run(lambda store: catchup.plan_catch_up(store, days), self._previewed, self._work_failed)
        ]

    def _previewed(self, plan: catchup.CatchUp) -> None:
        self._catch_up = plan
        self.forecast.preview = plan.after
        self.forecast.update()
        self.catch_up_button.setEnabled(True)

    def apply_catch_up(self) -> None:
        if self._catch_up is None:
            return
        moved = catchup.apply_catch_up(self.store, self._catch_up).value
        self._catch_up = None
        self.forecast.preview = None
        self._work_done(f"Moved {moved} reviews to the next {self.catch_up_days.value() - 1} days.")
