"""Statistics: a year of reviews as a heatmap, the 30-day forecast in cards and minutes, true retention."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from cards import catchup, optimizer
from cards.stats import Report, report
from cards.store import Store

from .theme import LIGHT, Colors
from .workers import run_task


class Heatmap(QWidget):
    """53 weeks by 7 days, darker for more answers; hover shows the day's count."""

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self.colors: Colors = LIGHT
        self.setMouseTracking(True)
        self.setMinimumHeight(7 * 14 + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def _cells(self):
        if self.report is None:
            return []
        size = max(6, min(14, (self.width() - 4) // 53))
        end = self.report.today
        start = end - timedelta(days=7 * 52 + end.weekday())
        cells, day = [], start
        while day <= end:
            column, row = (day - start).days // 7, day.weekday()
            cells.append((QRect(2 + column * size, 2 + row * size, size - 2, size - 2), day))
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
        self.setMinimumHeight(150)

    def _bars(self):
        if self.report is None or not self.report.forecast:
            return []
        peak = max(max(c for _, c in self.report.forecast), 1)
        width = (self.width() - 8) / len(self.report.forecast)
        height = self.height() - 22
        return [
            (
                QRect(
                    int(4 + i * width),
                    int(4 + height * (1 - count / peak)),
                    max(2, int(width) - 3),
                    int(height * count / peak),
                ),
                day,
                count,
            )  # fmt: skip
            for i, (day, count) in enumerate(self.report.forecast)
        ]

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(QColor(self.colors.muted))
        if self.preview:  # what a catch-up would make of the next days, drawn over the bars
            peak = max(max(c for _, c in self.report.forecast), 1) if self.report else 1
            width = (self.width() - 8) / max(1, len(self.report.forecast) if self.report else 1)
            height = self.height() - 22
            outline = QColor(self.colors.good)
            for i, (day, count) in enumerate(self.preview[: len(self._bars())]):
                top = int(4 + height * (1 - min(count, peak) / peak))
                painter.fillRect(QRect(int(4 + i * width), top, max(2, int(width) - 3), 3), outline)
        for index, (rect, day, count) in enumerate(self._bars()):
            painter.fillRect(rect, QColor(self.colors.again if index == 0 else self.colors.accent))
            if index % 7 == 0:
                painter.drawText(QRect(rect.left(), self.height() - 18, 60, 16), Qt.AlignmentFlag.AlignLeft,
                                 day.strftime("%d %b"))  # fmt: skip

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


class StatisticsScreen(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.colors: Colors = LIGHT
        self.report: Report | None = None
        self._tasks: list = []
        title = QLabel("Statistics")
        title.setObjectName("title")
        self.deck_filter = QComboBox()
        self.deck_filter.currentIndexChanged.connect(lambda _: self.refresh(reload_decks=False))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch()
        self.fit_button = QPushButton("Fit FSRS to my reviews…")
        self.fit_button.setToolTip("Fit the 21 FSRS parameters to your own review log")
        self.fit_button.clicked.connect(self.fit_parameters)
        header.addWidget(self.fit_button)
        header.addWidget(self.deck_filter)
        self.summary = QLabel("Counting…")
        self.summary.setObjectName("subtitle")
        self.summary.setWordWrap(True)
        self.heatmap = Heatmap()
        self.forecast = ForecastBars()
        self.forecast_label = QLabel()
        self.forecast_label.setObjectName("muted")
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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        layout.addLayout(header)
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
        layout.addStretch()

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("font-weight: 600;")
        return label

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.heatmap.colors = colors
        self.forecast.colors = colors
        self.update()

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
        path, clock, tz = self.store.path, self.store.clock, self.store.tz

        def work() -> Report:
            # Its own connection: a year of a large log takes longer than a frame.
            with Store.open(path, clock=clock, tz=tz, load_builtin=False) as reader:
                return report(reader, deck_id)

        self._tasks = [run_task(work, self._show, lambda message: self.summary.setText(message))]

    def _show(self, r: Report) -> None:
        self.report = r
        self.heatmap.report = r
        self.forecast.report = r
        reviews_today = r.reviews_per_day.get(r.today, 0)
        self.summary.setText(
            f"{reviews_today} answers today  ·  streak {r.streak} day{'s' if r.streak != 1 else ''} "
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
        self._offer_catch_up()
        self.heatmap.update()
        self.forecast.update()

    # ------------------------------------------------------------------ personal parameters

    def fit_parameters(self) -> None:
        path, clock, tz = self.store.path, self.store.clock, self.store.tz
        self.fit_button.setEnabled(False)
        self.fit_button.setText("Fitting…")

        def work() -> optimizer.Fit:
            with Store.open(path, clock=clock, tz=tz, load_builtin=False) as reader:
                return optimizer.fit(reader)

        def failed(message: str) -> None:
            self._fit_done()
            QMessageBox.information(self, "FSRS parameters", message[0].upper() + message[1:] + ".")

        self._tasks = [run_task(work, self._fitted, failed)]

    def _fit_done(self) -> None:
        self.fit_button.setEnabled(True)
        self.fit_button.setText("Fit FSRS to my reviews…")

    def _fitted(self, result: optimizer.Fit) -> None:
        self._fit_done()
        text = (
            f"Fitted on {result.train_reviews:,} of your answers and checked on the newest "
            f"{result.test_reviews:,}:\n\nLog loss: {result.log_loss_before:.4f} now, {result.log_loss_after:.4f} fitted"
            f"\nRMSE: {result.rmse_before:.4f} now, {result.rmse_after:.4f} fitted (lower is better)."
        )
        if not result.better:
            QMessageBox.information(self, "FSRS parameters", text + "\n\nThe fit is no better; nothing changes.")
            return
        answer = QMessageBox.question(self, "FSRS parameters", text + "\n\nUse them and reschedule your cards?")
        if answer == QMessageBox.StandardButton.Yes:
            moved = optimizer.apply(self.store, result.parameters)
            self.summary.setText(f"New parameters in use; {moved} review cards rescheduled.")
            self.refresh(reload_decks=False)

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
        self._catch_up = catchup.plan_catch_up(self.store, self.catch_up_days.value())
        self.forecast.preview = self._catch_up.after
        self.forecast.update()

    def apply_catch_up(self) -> None:
        moved = catchup.apply_catch_up(self.store, self._catch_up)
        self.forecast.preview = None
        self.summary.setText(f"Moved {moved} reviews to the next {self.catch_up_days.value() - 1} days.")
        self.refresh(reload_decks=False)
