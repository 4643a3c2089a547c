"""Typeset math: what the learner sees is the formula that was written."""

from __future__ import annotations

import io

from PIL import Image

from cards.render import typeset


def ink_rows(tex: str) -> list[list[int]]:
    image = Image.open(io.BytesIO(typeset(tex, "#000000", False))).convert("RGBA")
    alpha = image.getchannel("A")
    width, height = image.size
    return [[x for x in range(width // 2, width) if alpha.getpixel((x, y)) > 128] for y in range(height)]


def test_the_transpose_sign_keeps_its_bar():
    """mathtext cut the bar of \\top off the image, so K^\\top read as "K |": the topmost ink of the
    superscript must be a bar, not the stem alone."""
    top = next(row for row in ink_rows(r"K^\top") if row)
    assert max(top) - min(top) >= 3
