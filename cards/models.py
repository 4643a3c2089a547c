"""The store's tables as SQLModel classes: the typed rows the core hands out.

The schema itself is created and upgraded by the migrations in `schema.py`
(explicit SQL, so that an old migration never changes when these classes do);
a test checks that these classes and the migrated schema agree.
"""

from __future__ import annotations

from sqlalchemy.orm import configure_mappers
from sqlmodel import Field, SQLModel


class Deck(SQLModel, table=True):
    __tablename__ = "deck"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    name: str = Field(unique=True)
    description: str = ""
    # Where the deck came from: "builtin:<file>", "file:<path>" or "" (made in the app).
    source: str = ""
    # JSON object of per-deck setting overrides (see settings.DECK_OVERRIDABLE).
    options: str = "{}"
    created_ms: int = 0


class Card(SQLModel, table=True):
    __tablename__ = "card"

    id: int | None = Field(default=None, primary_key=True)
    deck_id: int = Field(foreign_key="deck.id")
    key: str
    question: str
    answer: str
    # Space-separated, with a leading and trailing space so " tag " matches whole tags.
    tags: str = " "
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


class Review(SQLModel, table=True):
    """One answer, append-only. The id is the review time in UTC ms (unique)."""

    __tablename__ = "review"

    # What undo, replay, statistics and sync read, and nothing they can derive (schema.CREATE_REVIEW):
    id: int = Field(primary_key=True)
    card_id: int = Field(foreign_key="card.id")
    deck_id: int | None = None  # the card's deck, moved with the card
    rating: int  # 1 Again, 2 Hard, 3 Good, 4 Easy
    duration_ms: int = 0
    state_before: int  # the card's state when answered
    interval_before_days: int | None = None  # a card in review: the interval it had (21+: mature)
    recall_before_ppm: int | None = None  # a card in review: the recall FSRS predicted when answered, in millionths
    due_after_ms: int  # the due date the answer gave


class Media(SQLModel, table=True):
    """A file an imported card shows (a picture), named as the card's HTML names it."""

    __tablename__ = "media"

    name: str = Field(primary_key=True)
    data: bytes
    sha1: str


class Setting(SQLModel, table=True):
    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: str  # JSON


# Set up the ORM mapping now: rows built straight from SQL (Store._card) are read
# before any session would otherwise have done it.
configure_mappers()
