"""Light and dark themes: a Fusion palette plus one small style sheet, and card colours."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colors:
    name: str
    window: str
    surface: str  # cards, tables
    sidebar: str
    text: str
    muted: str
    accent: str
    on_accent: str  # text and check marks drawn on the accent
    border: str
    new: str  # Anki's colours for the three counts, softened
    learning: str
    due: str
    again: str
    hard: str
    good: str
    easy: str
    code_bg: str


# Every text colour reads at 4.5:1 or more on every background of its theme, and on_accent on the
# accent (WCAG AA; tests/test_ui.py computes the ratios).
LIGHT = Colors(
    name="light", window="#f5f5f7", surface="#ffffff", sidebar="#ebebef", text="#1d1d1f", muted="#68686d",
    accent="#3260d6", on_accent="#ffffff", border="#d9d9de", new="#235fe1", learning="#ba3e0b", due="#137939",
    again="#cc2323", hard="#ab4e08", good="#137939", easy="#235fe1", code_bg="#f3f4f6",
)  # fmt: skip
DARK = Colors(
    name="dark", window="#1e1f22", surface="#26272b", sidebar="#18191c", text="#e8e8ea", muted="#9a9aa2",
    accent="#7aa2ff", on_accent="#0b1020", border="#3a3b40", new="#7aa7ff", learning="#fb923c", due="#4ade80",
    again="#f87171", hard="#fbbf24", good="#4ade80", easy="#7aa7ff", code_bg="#1b1c1f",
)  # fmt: skip
TEXT_COLORS = ("text", "muted", "accent", "new", "learning", "due", "again", "hard", "good", "easy")
BACKGROUNDS = ("window", "surface", "sidebar", "code_bg")


def resolve(mode: str) -> Colors:
    """'light', 'dark' or 'system' (follows the desktop's colour scheme)."""
    if mode == "system":
        scheme = QGuiApplication.styleHints().colorScheme()
        return DARK if scheme == Qt.ColorScheme.Dark else LIGHT
    return DARK if mode == "dark" else LIGHT


_current: Colors = LIGHT


def current() -> Colors:
    """The colours of the theme in force, for widgets created after it was applied (dialogs)."""
    return _current


def apply(app: QApplication, mode: str) -> Colors:
    global _current
    colors = _current = resolve(mode)
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: colors.window,
        QPalette.ColorRole.WindowText: colors.text,
        QPalette.ColorRole.Base: colors.surface,
        QPalette.ColorRole.AlternateBase: colors.window,
        QPalette.ColorRole.Text: colors.text,
        QPalette.ColorRole.Button: colors.surface,
        QPalette.ColorRole.ButtonText: colors.text,
        QPalette.ColorRole.Highlight: colors.accent,
        QPalette.ColorRole.HighlightedText: colors.on_accent,
        QPalette.ColorRole.ToolTipBase: colors.surface,
        QPalette.ColorRole.ToolTipText: colors.text,
        QPalette.ColorRole.PlaceholderText: colors.muted,
        QPalette.ColorRole.Mid: colors.border,
        QPalette.ColorRole.Link: colors.accent,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(colors.muted))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(colors.muted))
    app.setPalette(palette)
    app.setStyleSheet(STYLE.format(c=colors, check=CHECK_MARKS[colors.name]))
    return colors


STYLE = """
QListWidget#sidebar {{
    background: {c.sidebar}; border: none; padding: 8px 6px; font-size: 14px; outline: none;
}}
QListWidget#sidebar::item {{ padding: 9px 12px; border-radius: 6px; margin: 1px 0; color: {c.text}; }}
QListWidget#sidebar::item:selected {{ background: {c.accent}; color: {c.on_accent}; }}
QListWidget#sidebar::item:hover:!selected {{ background: {c.border}; }}
QLabel#title {{ font-size: 22px; font-weight: 600; }}
QLabel#subtitle {{ color: {c.muted}; font-size: 13px; }}
QLabel#muted {{ color: {c.muted}; }}
QLabel#error {{ color: {c.again}; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QFrame#panel {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 10px; }}
QTableView {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 8px;
    gridline-color: {c.border}; selection-background-color: {c.accent};
}}
QTableView {{ outline: 0; }}
QTableView::item:selected {{ background: {c.accent}; color: {c.on_accent}; }}
QHeaderView::section {{
    background: {c.window}; color: {c.muted}; border: none; border-bottom: 1px solid {c.border};
    padding: 6px 8px; font-weight: 600;
}}
QPushButton {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 7px; padding: 7px 16px;
}}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:focus {{ border-color: {c.accent}; }}
QPushButton#primary {{ background: {c.accent}; color: {c.on_accent}; border: none; font-weight: 600; }}
QToolButton#tool {{ border: none; padding: 3px 8px; color: {c.muted}; border-radius: 5px; }}
QToolButton#tool:hover {{ background: {c.border}; color: {c.text}; }}
QPushButton#again, QPushButton#hard, QPushButton#good, QPushButton#easy {{
    min-width: 110px; padding: 6px 10px; font-size: 13px;
}}
QPushButton#again {{ border-bottom: 3px solid {c.again}; }}
QPushButton#hard {{ border-bottom: 3px solid {c.hard}; }}
QPushButton#good {{ border-bottom: 3px solid {c.good}; }}
QPushButton#easy {{ border-bottom: 3px solid {c.easy}; }}
QTextBrowser, QPlainTextEdit, QLineEdit {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px; padding: 4px;
}}
QTextBrowser#card {{ border: none; border-radius: 10px; padding: 18px; }}
QStatusBar {{ color: {c.muted}; }}
QAbstractItemView::indicator, QCheckBox::indicator {{
    width: 13px; height: 13px; border: 1px solid {c.muted}; border-radius: 3px; background: {c.surface};
}}
QAbstractItemView::indicator:checked, QCheckBox::indicator:checked {{
    background: {c.accent}; border-color: {c.accent}; image: url({check});
}}
"""
# Fusion draws a check box's edge darker than the window: on the dark theme it all but disappears.
CHECK_MARKS = {name: (Path(__file__).parent / file).as_posix() for name, file in
               (("light", "check.svg"), ("dark", "check-dark.svg"))}  # drawn in on_accent


def swatch(color: str, size: int = 10) -> QIcon:
    """A small rounded square of a colour: a plan's mark beside its tasks (its colour as text would not
    read on every background)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(0, 0, size, size, 2, 2)
    painter.end()
    return QIcon(pixmap)


CARD_TEXT_PX = 16  # a card's text size; its formulas are typeset to match it (ui/cardview.py)


def card_css(colors: Colors) -> str:
    """The card document's style sheet (QTextDocument understands a subset of CSS)."""
    return f"""
    body {{ color: {colors.text}; font-size: {CARD_TEXT_PX}px; }}
    h1, h2, h3 {{ font-weight: 600; }}
    code {{ background-color: {colors.code_bg}; font-family: monospace; }}
    pre {{ background-color: {colors.code_bg}; font-family: monospace; font-size: 14px; white-space: pre-wrap; }}
    table {{ border-collapse: collapse; }}
    th {{ background-color: {colors.code_bg}; font-weight: 600; }}
    th, td {{ padding: 4px 10px; border: 1px solid {colors.border}; }}
    td.code {{ background-color: {colors.code_bg}; border: none; padding: 10px 12px; }}
    table.code {{ margin-top: 6px; margin-bottom: 6px; }}
    hr {{ color: {colors.border}; }}
    """
