"""A card shown as rendered Markdown: sanitized HTML, local images only."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from cards.render import render_html

from . import theme
from .theme import CARD_TEXT_PX, Colors, card_css

MIN_FORMULA_SCALE = 0.6  # a formula drawn smaller than this to fit the card cannot be read
_IMG = re.compile(r'<img src="([^"]+)"[^>]*>')


def _at_ratio(image: QImage, ratio: float) -> QImage:
    image.setDevicePixelRatio(ratio)  # the document lays it out at its size in logical pixels
    return image


class CardView(QTextBrowser):
    """Shows card Markdown. Images come only from the rendered card (math) and the
    store (media) — a resource it was not given is never fetched. Emits painted once what it
    was last given to show is on the screen."""

    painted = Signal()

    def __init__(self, parent: QWidget | None = None, media: Callable[[str], bytes | None] | None = None) -> None:
        super().__init__(parent)
        self.media_source = media  # the store's pictures, by name
        self.setObjectName("card")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.setFont(font)
        self.document().setDocumentMargin(22)
        self.colors: Colors = theme.current()
        self._markdown = ""
        self._html = ""
        self._shown_width = 0
        self._refit_pending = False
        self._images: dict[str, QImage] = {}

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.document().setDefaultStyleSheet(card_css(colors))
        if self._markdown:
            self.show_markdown(self._markdown)

    def _render_options(self) -> dict:
        text_font = QFont(self.font())
        text_font.setPixelSize(CARD_TEXT_PX)  # the card's text as its style sheet sets it, whatever the DPI
        return {
            "color": self.colors.text,
            "code_style": "monokai" if self.colors.name == "dark" else "friendly",
            "text_px": CARD_TEXT_PX,  # formulas at the size of the text around them,
            "x_height": QFontMetricsF(text_font).xHeight(),  # and on its baseline
            "scale": self.devicePixelRatioF(),  # drawn for the screen's pixels: crisp at 2x
        }

    def prepare(self, text: str) -> None:
        """Typeset what will be shown next (the answer, while the question is read) on a thread of its own:
        its formulas are cached by then, and it appears at once."""
        options = {**self._render_options(), "budget": None}  # read here: widgets belong to the GUI thread
        # No budget here: every formula is typeset ahead, so the card shows whole within its own budget.
        threading.Thread(target=render_html, args=(text,), kwargs=options, name="typeset-ahead", daemon=True).start()

    def show_markdown(self, text: str) -> None:
        self._markdown = text
        scale = self.devicePixelRatioF()
        rendered = render_html(text, **self._render_options())
        self.document().setDefaultStyleSheet(card_css(self.colors))
        # setHtml clears a document's own resources, so loadResource hands the images out.
        self._images = {name: _at_ratio(QImage.fromData(png), scale) for name, png in rendered.images.items()}
        for name in rendered.media:
            data = self.media_source(name) if self.media_source else None
            if data is not None:
                self._images[f"media:{name}"] = QImage.fromData(data)
        self._html = rendered.html
        self._shown_width = self.viewport().width()
        self.setHtml(self._fitted(rendered.html))

    def _fitted(self, html: str) -> str:
        """The HTML with each formula wider than the card drawn smaller to fit, so that a long display
        formula is read whole instead of through a sideways scroll bar."""
        room = self.viewport().width() - 2 * self.document().documentMargin() - 8
        if room <= 0:
            return html

        def fit(match: re.Match) -> str:
            image = self._images.get(match.group(1))
            if image is None:
                return match.group(0)
            size = image.deviceIndependentSize()  # in the card's (logical) pixels
            if size.width() <= room:
                return match.group(0)
            scale = max(room / size.width(), MIN_FORMULA_SCALE)  # smaller is unreadable: scroll instead
            width, height = round(size.width() * scale), round(size.height() * scale)
            return match.group(0)[:-1] + f' width="{width}" height="{height}">'

        return _IMG.sub(fit, html)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._markdown and self.viewport().width() != self._shown_width and not self._refit_pending:
            # Later, not now: a scroll bar that comes or goes while setHtml lays the card out resizes the
            # view in the middle of that call, and a nested setHtml then showed the text twice.
            self._refit_pending = True
            QTimer.singleShot(0, self._refit)

    def _refit(self) -> None:
        self._refit_pending = False
        if self.viewport().width() == self._shown_width:
            return
        self._shown_width = self.viewport().width()
        position = self.verticalScrollBar().value()
        self.setHtml(self._fitted(self._html))
        self.verticalScrollBar().setValue(position)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        self.painted.emit()

    def loadResource(self, kind: int, name: QUrl):  # noqa: N802 (Qt's name)
        # Only the card's own images; anything else (a remote or file URL) loads as nothing.
        if kind == QTextDocument.ResourceType.ImageResource.value or kind == QTextDocument.ResourceType.ImageResource:
            return self._images.get(name.toString())
        return None
