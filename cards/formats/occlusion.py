"""Anki's Image Occlusion cards as pictures: the masks are drawn into the image at import, one picture for
the question (the shape to recall in red, the others in yellow when the note hides all of them) and one
for the answer (that shape revealed). Anki draws them in a script on a canvas, which a card here cannot run.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image, ImageDraw, UnidentifiedImageError

# {{c2::image-occlusion:rect:left=.1:top=.2:width=.3:height=.1:oi=1}}: the properties are fractions of
# the image's width and height; oi=1 hides the other shapes too ("hide all, guess one").
_SHAPE = re.compile(r"\{\{c(\d+)::image-occlusion:(rect|ellipse|polygon):([^}]{0,2000})\}\}")
_IMAGE = re.compile(r'<img\b[^>]*?src="([^"]+)"')
ACTIVE, INACTIVE, EDGE = "#ff8e8e", "#ffeba2", "#212121"
MAX_PIXELS = 40_000_000  # a picture larger than this is left unmasked rather than decoded


@dataclass(frozen=True)
class Shape:
    number: int  # the cloze it belongs to
    kind: str
    properties: dict[str, str]


def shapes_of(text: str) -> list[Shape]:
    found = []
    for number, kind, text_properties in _SHAPE.findall(text):
        properties = dict(part.split("=", 1) for part in text_properties.split(":") if "=" in part)
        found.append(Shape(int(number), kind, properties))
    return found


def image_of(text: str) -> str | None:
    match = _IMAGE.search(text)
    return match.group(1) if match else None


def masked(picture: bytes, shapes: list[Shape], active: int, answer: bool) -> bytes | None:
    """The picture with the masks the question (or the answer) shows; None if it cannot be read."""
    try:
        opened = Image.open(io.BytesIO(picture))
        if opened.width * opened.height > MAX_PIXELS:
            return None
        image = opened.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        is_active = shape.number == active
        hides_others = shape.properties.get("oi") == "1"
        if answer and (is_active or not hides_others):
            continue  # the answer reveals its own shape, and any the question did not hide
        if not answer and not (is_active or hides_others):
            continue
        colour = ACTIVE if is_active and not answer else INACTIVE
        try:
            _draw(draw, shape, width, height, colour)
        except (KeyError, ValueError):
            continue  # a shape with a missing or broken coordinate is left out, not the card
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _draw(draw: ImageDraw.ImageDraw, shape: Shape, width: int, height: int, colour: str) -> None:
    p = shape.properties
    if shape.kind == "polygon":
        points = [tuple(float(v) for v in pair.split(",")) for pair in p["points"].split()]
        draw.polygon([(x * width, y * height) for x, y in points], fill=colour, outline=EDGE)
        return
    left, top = float(p["left"]) * width, float(p["top"]) * height
    if shape.kind == "rect":
        box = (left, top, left + float(p["width"]) * width, top + float(p["height"]) * height)
        draw.rectangle(box, fill=colour, outline=EDGE)
    else:  # ellipse: left/top and the radii rx, ry
        rx, ry = float(p["rx"]) * width, float(p["ry"]) * height
        draw.ellipse((left, top, left + 2 * rx, top + 2 * ry), fill=colour, outline=EDGE)


def picture_name(source: str, shapes: list[Shape], active: int, answer: bool) -> str:
    key = f"{source}|{active}|{answer}|" + "|".join(f"{s.number}{s.kind}{sorted(s.properties.items())}" for s in shapes)
    return f"occlusion-{hashlib.sha1(key.encode()).hexdigest()[:16]}.png"
