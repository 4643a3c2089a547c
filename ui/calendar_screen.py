"""Calendar: running plans on a month view, the day's tasks to tick, weekly progress, catching up."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QTextCharFormat
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cards.changes import Changes
from cards.errors import StudyPlannerError
from cards.store import Store
from cards.wording import plural, sentence
from planner import plans
from planner.ics import plans_to_ics
from planner.readiness import Group, week_topics

from . import theme
from .plan_tasks import task_item
from .readiness_panel import ReadinessPanel
from .theme import LIGHT, Colors
from .workers import StoreWorker


def _confirm(parent: QWidget, title: str, text: str, risky: bool = True) -> bool:
    """Yes or No; No is the default (Enter) when going on is risky."""
    no, yes = QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes
    return QMessageBox.question(parent, title, text, yes | no, no if risky else yes) == yes


def to_date(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def to_qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def style_calendar(calendar: QCalendarWidget, colors: Colors) -> None:
    """Weekends in the theme's red, which reads on its backgrounds (Qt's pure #ff0000 is 4:1)."""
    weekend = QTextCharFormat()
    weekend.setForeground(QColor(colors.again))
    for day in (Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday):
        calendar.setWeekdayTextFormat(day, weekend)


def date_picker(day: date, colors: Colors) -> QDateEdit:
    """A date field whose calendar pops up whole: Qt sized the popup for rows shorter than the font, and
    cut off its last week."""
    picker = QDateEdit(to_qdate(day))
    picker.setCalendarPopup(True)
    picker.setDisplayFormat("ddd dd MMM yyyy")  # as every date the app writes: "Tue 01 Dec 2026"
    popup = picker.calendarWidget()
    style_calendar(popup, colors)
    row = popup.fontMetrics().height() + 8
    popup.setMinimumHeight(7 * row + 30)  # the day names and six weeks, below the month bar
    popup.setMinimumWidth(7 * popup.fontMetrics().horizontalAdvance("Wed") + 40)
    return picker


class PlanCalendar(QCalendarWidget):
    """A month view whose cells show each day's plan tasks, progress and cards due."""

    def __init__(self) -> None:
        super().__init__()
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setHorizontalHeaderFormat(QCalendarWidget.HorizontalHeaderFormat.ShortDayNames)
        self.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.tasks: dict[date, list[plans.TaskItem]] = {}
        self.due: dict[date, int] = {}
        self.today: date | None = None
        self.exams: set[date] = set()
        self.colors: Colors = LIGHT
        view = self.findChild(QTableView)
        if view is not None:  # a slim weekday header; the week rows share the rest
            header = view.verticalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(0, 26)

    def paintCell(self, painter: QPainter, rect: QRect, qdate: QDate) -> None:  # noqa: N802
        day = to_date(qdate)
        c = self.colors
        painter.save()
        in_month = qdate.month() == self.monthShown()
        selected = qdate == self.selectedDate()
        painter.fillRect(rect, QColor(c.surface if in_month else c.window))
        if selected:
            painter.fillRect(rect.adjusted(1, 1, -1, -1), QColor(c.accent).lighter(185 if c.name == "light" else 60))
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        number_rect = QRect(rect.left() + 4, rect.top() + 2, 22, 18)
        if day == self.today:
            painter.setBrush(QColor(c.accent))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(number_rect.adjusted(0, 0, 0, 2))
            painter.setPen(QColor(c.on_accent))
        else:
            painter.setPen(QColor(c.text if in_month else c.muted))
        painter.drawText(number_rect, Qt.AlignmentFlag.AlignCenter, str(day.day))
        tasks = self.tasks.get(day, [])
        if self.due.get(day):
            painter.setPen(QColor(c.due))
            # Right of the day's number (never over it): shortened to the count when the cell is narrow.
            space = QRect(number_rect.right() + 4, rect.top() + 3, rect.right() - number_rect.right() - 9, 16)
            text = f"{self.due[day]} {'to study' if day == self.today else 'due'}"
            if painter.fontMetrics().horizontalAdvance(text) > space.width():
                text = str(self.due[day])
            painter.drawText(space, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, text)
        if day in self.exams:
            painter.setPen(QColor(c.again))
            painter.drawText(rect.adjusted(4, 0, 0, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             "Exam")  # fmt: skip
        if tasks:
            done = sum(t.done for t in tasks)
            y = rect.top() + 22
            line = painter.fontMetrics().height() + 1
            by_run: dict[int, list[plans.TaskItem]] = {}
            for t in tasks:
                by_run.setdefault(t.run_id, []).append(t)
            runs = list(by_run.values())
            for index, items in enumerate(runs):
                lines = (rect.bottom() - 14 - y) // line
                if lines < 1:
                    break
                # One line per plan; the last (most days: the only one) wraps its title into the room left,
                # so that a narrow cell reads "Foundations: linear…" rather than "Foun…".
                lines = lines if index == len(runs) - 1 else 1
                painter.fillRect(QRect(rect.left() + 4, y + 2, 3, line * lines - 4), QColor(items[0].color))
                painter.setPen(QColor(c.text if in_month else c.muted))
                box = QRect(rect.left() + 10, y, rect.width() - 12, line * lines)
                painter.save()
                painter.setClipRect(box)
                painter.drawText(box, _wrapped_title_flags(lines), _title_in(painter, items[0], box, lines))
                painter.restore()
                y += line * lines
            late = day < self.today and done < len(tasks)
            painter.setPen(QColor(c.again if late else (c.due if done == len(tasks) else c.muted)))
            status = f"{done}/{len(tasks)}" + ("  late" if late else ("  ✓" if done == len(tasks) else ""))
            painter.drawText(
                rect.adjusted(0, 0, -5, -3), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, status
            )
        painter.restore()


def _wrapped_title_flags(lines: int) -> int:
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
    return int(flags | Qt.TextFlag.TextWordWrap) if lines > 1 else int(flags)


def _title_in(painter: QPainter, task: plans.TaskItem, box: QRect, lines: int) -> str:
    """The day's title as it fits the box: whole if it can be, else its own subject without the phase
    ("Fine-tuning — when and how" -> "when and how" only when the whole does not fit), else cut at a word
    with "…"; a word is never cut by the box's edge."""
    metrics = painter.fontMetrics()
    flags = _wrapped_title_flags(lines)

    def fits(text: str) -> bool:
        widest = max((metrics.horizontalAdvance(word) for word in text.split()), default=0)
        return widest <= box.width() and metrics.boundingRect(box, flags, text).height() <= box.height()

    for text in dict.fromkeys((task.day_title, task.day_subject)):
        if fits(text):
            return text
    words = task.day_subject.split()
    while len(words) > 1:  # drop words from the end until the rest and "…" fit
        words.pop()
        if fits(shorter := " ".join(words) + "…"):
            return shorter
    return metrics.elidedText(task.day_subject, Qt.TextElideMode.ElideRight, box.width())


class WeekBars(QWidget):
    """Weekly progress as bars: tasks done of planned, with cards and time beside them."""

    def __init__(self) -> None:
        super().__init__()
        self.weeks: list[plans.WeekProgress] = []
        self.topics: list[Group] = []
        self.colors: Colors = LIGHT
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_weeks(self, weeks: list[plans.WeekProgress], topics: list[Group]) -> None:
        self.weeks = weeks[-6:]
        self.topics = topics[-6:]
        self.setMinimumHeight(self._height())
        self.setToolTip("\n".join(_week_text(w, t) for w, t in zip(self.weeks, self.topics)))
        self.update()

    LABEL_WIDTH, COUNT_WIDTH = 56, 74

    def _lines(self, week: plans.WeekProgress, topics: Group) -> list[QRect]:
        """Where the week's two lines of figures go below its bar: wrapped at words to the width."""
        width = max(40, self.width() - self.LABEL_WIDTH)
        metrics = self.fontMetrics()
        return [metrics.boundingRect(QRect(0, 0, width, 1000), int(Qt.TextFlag.TextWordWrap), text)
                for text in (_cards_text(week), _topics_text(topics))]  # fmt: skip

    def _height(self) -> int:
        rows = [22 + sum(r.height() for r in self._lines(w, t)) + 8 for w, t in zip(self.weeks, self.topics)]
        return 8 + (sum(rows) if rows else 110)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.setMinimumHeight(self._height())  # narrower: the figures wrap onto more lines

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = self.colors
        if not self.weeks:
            painter.setPen(QColor(c.muted))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Progress appears once a plan has begun.")
            return
        label_width, count_width, y = self.LABEL_WIDTH, self.COUNT_WIDTH, 4
        bar_width = self.width() - label_width - count_width - 8
        for week, topics in zip(self.weeks, self.topics):
            painter.setPen(QColor(c.muted))
            painter.drawText(QRect(0, y, label_width, 18), Qt.AlignmentFlag.AlignVCenter, week.start.strftime("%d %b"))
            share = week.tasks_done / week.tasks_planned if week.tasks_planned else 0
            track = QRect(label_width, y + 4, bar_width, 10)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.border))
            painter.drawRoundedRect(track, 5, 5)
            painter.setBrush(QColor(c.accent))
            painter.drawRoundedRect(QRect(track.left(), track.top(), int(bar_width * share), 10), 5, 5)
            painter.setPen(QColor(c.text))
            painter.drawText(QRect(track.right() + 8, y, count_width, 18), Qt.AlignmentFlag.AlignVCenter,
                             f"{week.tasks_done}/{week.tasks_planned} tasks")  # fmt: skip
            painter.setPen(QColor(c.muted))
            y += 18
            for text, box in zip((_cards_text(week), _topics_text(topics)), self._lines(week, topics)):
                painter.drawText(box.translated(label_width, y), int(Qt.TextFlag.TextWordWrap), text)
                y += box.height()
            y += 12


def _cards_text(w: plans.WeekProgress) -> str:
    retention = f"{w.retention:.0%} recalled" if w.retention is not None else "no reviews"
    answers = f"{plural(w.cards_reviewed, 'answer')}"
    return f"{w.cards_introduced} new · {answers} · {retention} · {w.minutes_spent} min"


def _topics_text(t: Group) -> str:
    if not t.cards:
        return "no topic cards this week"
    return f"{t.learned} of {t.cards} topic cards learned · readiness {t.recall:.0%}"


def _week_text(w: plans.WeekProgress, t: Group) -> str:
    return f"Week of {w.start:%d %b} ({t.name or 'no topics'}): {w.tasks_done}/{w.tasks_planned} tasks · " \
           f"{_cards_text(w)} · {_topics_text(t)}"


class StartPlanDialog(QDialog):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Start a plan")
        self.plan = QComboBox()
        for info in plans.plans(store):
            self.plan.addItem(f"{info.name}  ({info.days} days, {info.minutes / 60:.0f} h)", info.key)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("muted")
        tomorrow = store.today().day + timedelta(days=1)
        self.start = date_picker(tomorrow, theme.current())
        self.has_exam = QCheckBox("I have an exam or interview on")
        self.exam = date_picker(tomorrow + timedelta(days=30), theme.current())
        self.exam.setEnabled(False)
        self.has_exam.toggled.connect(self.exam.setEnabled)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Plan", self.plan)
        form.addRow("", self.description)
        form.addRow("First day", self.start)
        form.addRow(self.has_exam, self.exam)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start plan")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        for signal in (
            self.plan.currentIndexChanged,
            self.start.dateChanged,
            self.exam.dateChanged,
            self.has_exam.toggled,
        ):
            signal.connect(self._update)
        self._update()

    def chosen(self) -> tuple[str, date, date | None]:
        exam = to_date(self.exam.date()) if self.has_exam.isChecked() else None
        return self.plan.currentData(), to_date(self.start.date()), exam

    def _update(self) -> None:
        key, start, exam = self.chosen()
        if key is None:
            self.summary.setText("No plan to start: import one first.")
            return
        info = plans.plan_by_key(self.store, key)
        self.description.setText(info.description)
        end = plans.lay_out(start, info.days, info.rest_weekday)[-1]
        warnings = plans.start_warnings(self.store, key, start, exam)
        text = f"The plan runs from {start:%a %d %b} to {end:%a %d %b %Y}."
        self.summary.setText(text + "".join(f"\n⚠ {w}" for w in warnings))


class CalendarScreen(QWidget):
    study_requested = Signal(int)

    def __init__(self, store: Store, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.readiness = ReadinessPanel(worker)
        self.colors: Colors = LIGHT
        self._loaded = (date.min, date.min)  # the days whose tasks and due counts are read (refresh)
        title = QLabel("Calendar")
        title.setObjectName("title")
        self.start_button = QPushButton("Start a plan…")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start_plan)
        self.ics_button = QPushButton("Export .ics…")
        self.ics_button.clicked.connect(self.export_ics)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch()
        header.addWidget(self.ics_button)
        self.stop_button = QPushButton("Stop a plan…")
        self.stop_button.clicked.connect(self.stop_plan)
        self.ahead_button = QPushButton("Study ahead…")
        self.ahead_button.setToolTip("Pull a later day's topic in now: its new cards come from today")
        self.ahead_button.clicked.connect(self.study_ahead)
        header.addWidget(self.ahead_button)
        header.addWidget(self.stop_button)
        header.addWidget(self.start_button)

        self.runs_label = QLabel()
        self.runs_label.setTextFormat(Qt.TextFormat.RichText)
        self.runs_label.setWordWrap(True)
        self.behind = QFrame()
        self.behind.setObjectName("panel")
        self.behind_text = QLabel()
        self.behind_text.setWordWrap(True)
        self.shift_button = QPushButton("Shift the rest of the plan…")
        self.spread_button = QPushButton("Spread missed tasks…")
        self.shift_button.clicked.connect(self.shift)
        self.spread_button.clicked.connect(self.spread)
        behind_row = QHBoxLayout(self.behind)
        behind_row.addWidget(self.behind_text, 1)
        behind_row.addWidget(self.shift_button)
        behind_row.addWidget(self.spread_button)

        self.calendar = PlanCalendar()
        self.calendar.selectionChanged.connect(self.show_day)
        self.calendar.currentPageChanged.connect(lambda *_: self.refresh())

        self.day_title = QLabel()
        self.day_title.setObjectName("subtitle")
        self.day_tasks = QListWidget()
        self.day_tasks.setWordWrap(True)  # long tasks wrap instead of scrolling sideways
        self.day_tasks.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.day_tasks.itemChanged.connect(self._ticked)
        self.study_button = QPushButton("Study today's cards")
        self.study_button.clicked.connect(lambda: self.study_requested.emit(-1))
        self.run_choice = QComboBox()
        self.run_choice.currentIndexChanged.connect(lambda _: self._show_progress())
        self.weeks = WeekBars()
        side = QVBoxLayout()
        side.addWidget(self.day_title)
        side.addWidget(self.day_tasks, 1)
        side.addWidget(self.study_button)
        progress_title = QLabel("Weekly progress")
        progress_title.setObjectName("subtitle")
        side.addWidget(progress_title)
        side.addWidget(self.run_choice)
        side.addWidget(self.weeks)
        side.addWidget(self.readiness)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMinimumWidth(300)
        side_widget.setMaximumWidth(420)

        body = QHBoxLayout()
        body.addWidget(self.calendar, 3)
        body.addWidget(side_widget, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.runs_label)
        layout.addWidget(self.behind)
        layout.addLayout(body, 1)

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.calendar.colors = colors
        style_calendar(self.calendar, colors)
        self.weeks.colors = colors
        self.calendar.update()

    # ------------------------------------------------------------------ data

    def redraw(self, changes: Changes) -> None:
        if changes & (Changes.PLANS | Changes.STUDY_QUEUE | Changes.SETTINGS | Changes.DECKS):
            self.refresh()

    def refresh(self) -> None:
        today = self.store.today().day
        if self.calendar.today != today:  # first show, or a new study day: select today
            self.calendar.today = today
            self.calendar.setSelectedDate(to_qdate(today))
        first = date(self.calendar.yearShown(), self.calendar.monthShown(), 1) - timedelta(days=7)
        last = first + timedelta(days=50)
        self._loaded = (first, last)
        self.calendar.tasks = plans.tasks_between(self.store, first, last)
        self.calendar.due = plans.cards_due_on(self.store, [first + timedelta(days=i) for i in range(51)])
        running = plans.runs(self.store)
        self.calendar.exams = {r.exam for r in running if r.exam}
        self.runs_label.setText(
            "   ".join(
                f"<span style='color:{r.color}'>●</span> <b>{r.plan_name}</b> "
                f"{r.start:%d %b} – {r.end:%d %b}" + (f", exam {r.exam:%d %b}" if r.exam else "")
                + (f" <span style='color:{self.colors.again}'>(ends after the exam)</span>"
                   if r.exam and r.end > r.exam else "")
                for r in running
            )
            or "No plan is running. Start one to see each day's tasks here."
        )
        self._update_behind(running)
        self.stop_button.setVisible(bool(running))
        self.ahead_button.setVisible(any(plans.later_topics(self.store, r.id) for r in running))
        current = self.run_choice.currentData()
        self.run_choice.blockSignals(True)
        self.run_choice.clear()
        for r in running:
            self.run_choice.addItem(r.plan_name, r.id)
        self.run_choice.setCurrentIndex(max(0, self.run_choice.findData(current)))
        self.run_choice.blockSignals(False)
        self.run_choice.setVisible(len(running) > 1)
        self._show_progress()
        self.readiness.refresh()
        self.calendar.update()
        self.show_day()

    def _update_behind(self, running: list[plans.Run]) -> None:
        lagging = [(r, plans.days_behind(self.store, r.id)) for r in running]
        lagging = [(r, n) for r, n in lagging if n]
        self.behind.setVisible(bool(lagging))
        if not lagging:
            return
        run, days = lagging[0]
        self._behind_run = run.id
        text = f"<b>{run.plan_name}</b> is {plural(days, 'day')} behind."
        if run.exam:
            text += f" Your exam is on {run.exam:%a %d %b}."
            end = plans.plan_shift(self.store, run.id).end
            if end > run.exam:
                text += f" Shifting would end the plan on {end:%a %d %b}, after it."
        self.behind_text.setText(text)

    def show_day(self) -> None:
        day = to_date(self.calendar.selectedDate())
        self.day_title.setText(day.strftime("%A %d %B"))
        self.day_tasks.blockSignals(True)
        self.day_tasks.clear()
        if not self._loaded[0] <= day <= self._loaded[1]:  # paged away from the selected day: read it
            self.calendar.tasks |= plans.tasks_between(self.store, day, day)
            self.calendar.due |= plans.cards_due_on(self.store, [day])
        due = self.calendar.due.get(day)
        if due is not None:
            item = QListWidgetItem(
                f"Study today's cards ({due})" if day == self.store.today().day else f"Reviews due ({due})"
            )
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.day_tasks.addItem(item)
        for task in self.calendar.tasks.get(day, []):
            self.day_tasks.addItem(task_item(task))
        if self.day_tasks.count() == 0:
            item = QListWidgetItem("Nothing planned.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.day_tasks.addItem(item)
        self.day_tasks.blockSignals(False)
        self.study_button.setVisible(day == self.store.today().day and bool(due))

    def _show_progress(self) -> None:
        run_id = self.run_choice.currentData()
        if run_id is None:
            self.weeks.set_weeks([], [])
            return
        weeks = plans.weekly_progress(self.store, run_id)
        run = plans.run(self.store, run_id)
        self.weeks.set_weeks(weeks, [week_topics(self.store, run, w.start) for w in weeks])

    # ------------------------------------------------------------------ actions

    def _ticked(self, item: QListWidgetItem) -> None:
        task_id = item.data(Qt.ItemDataRole.UserRole)
        if task_id is None:
            return
        plans.set_done(self.store, [task_id], done=item.checkState() == Qt.CheckState.Checked)

    def start_plan(self) -> None:
        dialog = StartPlanDialog(self.store, self)
        while True:  # a warning answered No goes back to the dialog, to change the plan or the date
            if not dialog.exec():
                return
            key, start, exam = dialog.chosen()
            warnings = plans.start_warnings(self.store, key, start, exam)
            if not warnings or _confirm(self, "Start the plan?", "\n\n".join([*warnings, "Start it anyway?"])):
                break
        try:
            run = plans.start_plan(self.store, key, on=start, exam=exam).value
        except StudyPlannerError as exc:
            QMessageBox.warning(self, "Plan not started", sentence(str(exc)))
            return
        self.calendar.setSelectedDate(to_qdate(run.start))

    def stop_plan(self) -> None:
        """Stop a running plan (Edit > Undo starts it again): its tasks leave the calendar."""
        running = plans.runs(self.store)
        if not running:
            return
        names = [f"{r.plan_name} ({r.start:%d %b} – {r.end:%d %b})" for r in running]
        if len(running) == 1:
            choice = names[0]
            answer = QMessageBox.question(
                self, "Stop the plan", f"Stop {choice}? Its tasks leave the calendar; Edit > Undo brings them back."
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        else:
            choice, ok = QInputDialog.getItem(self, "Stop a plan", "Plan to stop:", names, 0, False)
            if not ok:
                return
        plans.stop_run(self.store, running[names.index(choice)].id)

    def shift(self) -> None:
        """Shows what would move, then shifts (Edit > Undo puts the days back)."""
        shift = plans.plan_shift(self.store, self._behind_run)
        if not shift.moves:
            return
        if _confirm(self, "Shift the plan", shift.text() + "\n\nShift it?", risky="after your exam" in shift.text()):
            plans.shift_remaining(self.store, shift)

    def study_ahead(self) -> None:
        """Pick a later day's topic: its new cards come from today on (Edit > Undo takes it back)."""
        running = plans.runs(self.store)
        choices = [(r, t) for r in running for t in plans.later_topics(self.store, r.id)]
        if not choices:
            return
        new = plans.new_cards_of_topics(self.store, [t for _, t in choices])
        names = [
            f"{t}: {plural(new[t], 'new card')}" + (f"  ({r.plan_name})" if len(running) > 1 else "")
            for r, t in choices
        ]
        choice, ok = QInputDialog.getItem(self, "Study ahead", "Topic to study from today:", names, 0, False)
        if ok:
            run, topic = choices[names.index(choice)]
            plans.study_ahead(self.store, run.id, topic)

    def spread(self) -> None:
        """Shows each day's tasks and minutes within the daily budget, then spreads (undoable)."""
        spread = plans.plan_spread(self.store, self._behind_run)
        if not spread.moves:
            return
        question = spread.text() + "\n\nSpread them like this?"
        if _confirm(self, "Spread missed tasks", question, risky="does not fit" in spread.text()):
            plans.spread_missed(self.store, spread)

    def export_ics(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plans", "study-plans.ics", "iCalendar (*.ics)")
        if not path:
            return
        try:
            with open(path, "wb") as fh:
                fh.write(plans_to_ics(self.store))
        except OSError as exc:
            QMessageBox.warning(self, "Not exported", f"Cannot write {path}: {exc.strerror}")
