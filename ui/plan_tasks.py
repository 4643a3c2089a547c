"""A plan task as a line to tick, the same on Today and in the Calendar's day panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem

from planner.plans import TaskItem

from . import theme


def task_item(task: TaskItem) -> QListWidgetItem:
    """Its plan's colour as a mark (as text it would not read on every background); a done task is
    struck through."""
    item = QListWidgetItem(task.label)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if task.done else Qt.CheckState.Unchecked)
    item.setData(Qt.ItemDataRole.UserRole, task.id)
    item.setToolTip(f"{task.plan_name}, day {task.day}: {task.day_title}")
    item.setIcon(theme.swatch(task.color))
    if task.done:  # struck through, in the text's own colour: a muted grey read 2.7:1 on the dark theme
        font = item.font()
        font.setStrikeOut(True)
        item.setFont(font)
    return item
