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
