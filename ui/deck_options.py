"""A deck's own options: each setting a deck may override, its own value or the global one."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cards import ops
from cards.errors import StudyPlannerError
from cards.settings import DECK_OVERRIDABLE, format_value, parse_value, spec
from cards.store import Store
from cards.wording import sentence


class DeckOptionsDialog(QDialog):
    """One row a setting: "own value" ticked, the deck's value; unticked, the global value shown greyed.
    Saved in one operation (undoable, as the command line's `settings --deck`)."""

    def __init__(self, store: Store, deck_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.deck_id = store, deck_id
        self.setWindowTitle(f"Options for {store.deck(deck_id).name}")
        own, every = store.deck_overrides(deck_id), store.settings()
        self.own: dict[str, QCheckBox] = {}
        self.values: dict[str, QLineEdit] = {}
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Own value</b>"), 0, 0)
        for row, name in enumerate(DECK_OVERRIDABLE, start=1):
            s = spec(name)
            check = QCheckBox(s.label)
            check.setChecked(name in own)
            field = QLineEdit(format_value(name, own.get(name, getattr(every, name))))
            field.setToolTip(f"{s.range_text()}; everywhere else: {format_value(name, getattr(every, name))}")
            field.setEnabled(name in own)
            check.toggled.connect(field.setEnabled)
            unit = QLabel("" if s.is_steps else s.unit.strip())  # steps read "1m 10m" already
            unit.setObjectName("muted")
            grid.addWidget(check, row, 0)
            grid.addWidget(field, row, 1)
            grid.addWidget(unit, row, 2)
            self.own[name], self.values[name] = check, field
        note = QLabel("Unticked, a setting follows Settings. Subdecks keep their own options; studying a deck "
                      "also holds its subdecks to its daily limits.")  # fmt: skip
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        changes: dict[str, object] = {}
        try:
            for name in DECK_OVERRIDABLE:
                changes[name] = parse_value(name, self.values[name].text()) if self.own[name].isChecked() else None
            ops.set_deck_overrides(self.store, self.deck_id, **changes)
        except StudyPlannerError as exc:
            self.error.setText(sentence(str(exc)))
            return
        self.accept()
