"""A card shown as rendered Markdown: sanitized HTML, local images only."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from cards.render import render_html

from . import theme
from .theme import Colors, card_css


class CardView(QTextBrowser):
    """Shows card Markdown. Images come only from the rendered card (math) and the
    store (media) — a resource it was not given is never fetched."""

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
        self._images: dict[str, QImage] = {}

    def set_colors(self, colors: Colors) -> None:
        self.colors = colors
        self.document().setDefaultStyleSheet(card_css(colors))
        if self._markdown:
            self.show_markdown(self._markdown)

    def show_markdown(self, text: str) -> None:
        self._markdown = text
        rendered = render_html(
            text, color=self.colors.text, code_style="monokai" if self.colors.name == "dark" else "friendly"
        )
        self.document().setDefaultStyleSheet(card_css(self.colors))
        # setHtml clears a document's own resources, so loadResource hands the images out.
        self._images = {name: QImage.fromData(png) for name, png in rendered.images.items()}
        for name in rendered.media:
            data = self.media_source(name) if self.media_source else None
            if data is not None:
                self._images[f"media:{name}"] = QImage.fromData(data)
        self.setHtml(rendered.html)

    def loadResource(self, kind: int, name: QUrl):  # noqa: N802 (Qt's name)
        # Only the card's own images; anything else (a remote or file URL) loads as nothing.
        if kind == QTextDocument.ResourceType.ImageResource.value or kind == QTextDocument.ResourceType.ImageResource:
            return self._images.get(name.toString())
        return None
