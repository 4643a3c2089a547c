"""Counts in words, the same on every screen and in the terminal."""


def plural(count: int, word: str) -> str:
    """"1 card", "2 cards", "12,000 cards"."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"

