"""The rows the core hands out: plain slotted dataclasses, built straight from SQL.

The tables themselves are declared as SQLModel classes in `models.py` and created
by the migrations in `schema.py`; a test checks that all three agree. These
classes carry no ORM, so reading a card costs a tuple unpacking, and nothing on
the way to `studyplanner decks` imports SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(slots=True)
class Deck:
    id: int
    key: str
    name: str
    description: str = ""
    # Where the deck came from: "builtin:<file>", "file:<path>" or "" (made in the app).
    source: str = ""
    options: str = "{}"  # JSON object of per-deck setting overrides (see settings.DECK_OVERRIDABLE)
    created_ms: int = 0


@dataclass(slots=True)
class Card:
    id: int
    deck_id: int
    key: str
    question: str
    answer: str
    tags: str = " "  # space-separated with a space on both sides, so " tag " matches whole tags
    position: int = 0  # order among the deck's new cards
    state: int = 0  # 0 new, 1 learning, 2 review, 3 relearning (fsrs.State values)
    queue: int = 0  # 0 new, 1 learning, 2 review, -1 suspended, -2 buried
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due_ms: int | None = None  # UTC ms; None while new
    last_review_ms: int | None = None
    buried_until_ms: int | None = None
    reps: int = 0
    lapses: int = 0
    created_ms: int = 0
    modified_ms: int = 0

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()


CARD_COLUMNS = [f.name for f in fields(Card)]
DECK_COLUMNS = [f.name for f in fields(Deck)]
CARD_SELECT = "SELECT " + ", ".join(CARD_COLUMNS) + " FROM card"
DECK_SELECT = "SELECT " + ", ".join(DECK_COLUMNS) + " FROM deck"


def card_from_row(row: tuple) -> Card:
    return Card(*row)


def deck_from_row(row: tuple) -> Deck:
    return Deck(*row)
