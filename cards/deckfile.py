"""The Markdown deck format (docs/deck-format.md): parse and write.

Parsing never half-succeeds: any problem raises FileFormatError naming the file
and line, and nothing has been loaded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .errors import FileFormatError

KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# A card's key may also hold what an Anki note's guid holds ("anki-f|J3#x-0"): an .md export of an
# imported deck must read back. Never a space: a key is one word on its line.
CARD_KEY_RE = re.compile(r"^[A-Za-z0-9][^\s]*$")
TAG_RE = re.compile(r"^[^\s\"]+$")
ANSWER_MARK = "### Answer"
MAX_FIELD_CHARS = 100_000


@dataclass
class DeckCard:
    question: str
    answer: str
    key: str = ""
    tags: list[str] = field(default_factory=list)
    line: int = 0  # where the card starts in its file
    deck: str | None = None  # the deck a table row names (Anki's deck column); None: the import's deck


@dataclass
class DeckFile:
    name: str
    key: str
    description: str = ""
    cards: list[DeckCard] = field(default_factory=list)


def derived_key(deck_key: str, question: str) -> str:
    """A card key from its deck and question, for cards the file gives no key."""
    normal = " ".join(question.split()).lower()
    return "q-" + hashlib.sha1(f"{deck_key}\n{normal}".encode()).hexdigest()[:12]


def decode_utf8(data: bytes, path: str) -> str:
    """UTF-8 text, with or without a BOM; anything else is refused with the line it breaks on."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileFormatError(path, line, "the file is not UTF-8 text: save it as UTF-8 and try again") from None


def parse_deck_bytes(data: bytes, path: str) -> DeckFile:
    return parse_deck(decode_utf8(data, path), path)


def parse_deck_header(data: bytes, path: str) -> DeckFile:
    """The deck's name, key and description without its cards (a header holds no code fence)."""
    header = data.split(b"\n## ", 1)[0]
    return _parse_header(decode_utf8(header, path).replace("\r\n", "\n").replace("\r", "\n").split("\n"), path)


def parse_deck(text: str, path: str) -> DeckFile:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fence: str | None = None
    fence_line = 0
    # Split into the header and card sections, at "## " lines outside code fences.
    sections: list[tuple[int, list[str]]] = [(1, [])]
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence, fence_line = stripped[:3], number
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and line.startswith("## "):
            sections.append((number, [line]))
            continue
        sections[-1][1].append(line)
    if fence is not None:  # everything after it would be code: the cards below would vanish into it
        raise FileFormatError(path, fence_line, f"the code block opened here with {fence} is never closed")

    deck = _parse_header(sections[0][1], path)
    seen: dict[str, int] = {}
    for start, section in sections[1:]:
        card = _parse_card(section, start, deck.key, path)
        if card.key in seen:
            raise FileFormatError(path, start, f"duplicate card key {card.key!r} (first used on line {seen[card.key]})")
        seen[card.key] = start
        deck.cards.append(card)
    return deck


def _parse_header(lines: list[str], path: str) -> DeckFile:
    name = key = description = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if name is None:
            if not line.startswith("# "):
                raise FileFormatError(path, number, "a deck file starts with '# Deck name'")
            name = line[2:].strip()
            if not name:
                raise FileFormatError(path, number, "the deck name after '# ' is empty")
        elif line.startswith("key:"):
            key = line[4:].strip()
            if not KEY_RE.match(key):
                raise FileFormatError(path, number, f"bad deck key {key!r}: use letters, digits, '-', '_' or '.'")
        elif line.startswith("description:"):
            description = line[12:].strip()
        else:
            raise FileFormatError(path, number, f"unexpected line in the deck header: {line.strip()[:60]!r}")
    if name is None:
        raise FileFormatError(path, 1, "the deck has no '# Deck name' line")
    if key is None:
        raise FileFormatError(path, 1, "the deck header has no 'key:' line")
    return DeckFile(name=name, key=key, description=description or "")


def _parse_card(lines: list[str], start: int, deck_key: str, path: str) -> DeckCard:
    first = lines[0][3:].strip()
    if not first:
        raise FileFormatError(path, start, "the card's question after '## ' is empty")
    key, tags = "", []
    body_start = 1
    for offset in range(1, len(lines)):
        line = lines[offset]
        if line.startswith("key:"):
            key = line[4:].strip()
            if not CARD_KEY_RE.match(key):
                raise FileFormatError(
                    path, start + offset, f"bad card key {key!r}: use letters, digits, '-', '_' or '.'"
                )
        elif line.startswith("tags:"):
            tags = line[5:].replace(",", " ").split()
            bad = [t for t in tags if not TAG_RE.match(t)]
            if bad:
                raise FileFormatError(path, start + offset, f"bad tag {bad[0]!r}")
        else:
            break
        body_start = offset + 1
    try:
        mark = next(
            i for i in range(body_start, len(lines)) if lines[i].rstrip() == ANSWER_MARK and _outside_fence(lines, i)
        )
    except StopIteration:
        raise FileFormatError(path, start, f"the card {first[:50]!r} has no '{ANSWER_MARK}' line") from None
    question = "\n".join([first, *lines[body_start:mark]]).strip()
    answer = "\n".join(lines[mark + 1 :]).strip()
    if not answer:
        raise FileFormatError(path, start + mark, f"the card {first[:50]!r} has an empty answer")
    for text in (question, answer):
        if len(text) > MAX_FIELD_CHARS:
            raise FileFormatError(path, start, f"a field is longer than {MAX_FIELD_CHARS} characters")
    return DeckCard(question=question, answer=answer, key=key or derived_key(deck_key, question), tags=tags, line=start)


def _outside_fence(lines: list[str], index: int) -> bool:
    fence = None
    for line in lines[:index]:
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
    return fence is None


def _escape_structure(text: str) -> str:
    """Backslash lines that would read as structure ('## ' or '### Answer') outside code fences.

    Markdown shows a backslashed '#' as itself, so the card reads the same; cards
    written in this format never contain such lines and round-trip exactly.
    """
    out, fence = [], None
    for line in text.split("\n"):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and (line.startswith("## ") or line.rstrip() == ANSWER_MARK):
            line = "\\" + line
        out.append(line)
    return "\n".join(out)


def write_deck(deck: DeckFile) -> str:
    """The deck as Markdown in this format; parse_deck(write_deck(d)) == d."""
    out = [f"# {deck.name}", f"key: {deck.key}"]
    if deck.description:
        out.append(f"description: {deck.description}")
    for card in deck.cards:
        first, _, rest = _escape_structure(card.question).partition("\n")
        out += ["", f"## {first}", f"key: {card.key}"]
        if card.tags:
            out.append("tags: " + " ".join(card.tags))
        if rest.strip():
            out += ["", rest.strip()]
        out += ["", ANSWER_MARK, _escape_structure(card.answer)]
    return "\n".join(out) + "\n"
