"""Counts in words, the same on every screen and in the terminal."""


def plural(count: int, word: str) -> str:
    """"1 card", "2 cards", "12,000 cards"."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def sentence(text: str) -> str:
    """An error of the core ("the disk is full") as a sentence for a window: capitalised, with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def size(count: int) -> str:
    """Bytes for a reader, in the decimal units the settings use: "812 bytes", "48.2 MB", "1.35 GB"."""
    if count < 1000:
        return plural(count, "byte")
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale * 0.9995 or unit == "kB":
            value = count / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")
