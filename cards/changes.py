"""What an operation changed: typed flags every screen and command can act on.

Every change a learner can make is one core function that returns an OpResult:
its value (the card added, the count deleted...) and the Changes it made. The
store also tells its listeners, so a screen redraws only what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, auto
from typing import Generic, TypeVar

T = TypeVar("T")


class Changes(Flag):
    NONE = 0
    STUDY_QUEUE = auto()  # what is due and when: answers, bury, suspend, schedules, the review log
    CARD_CONTENT = auto()  # a card's text or tags; cards added or deleted
    DECKS = auto()  # decks added, renamed or deleted, cards moved between them
    PLANS = auto()  # plans imported, started, stopped; tasks ticked or moved
    SETTINGS = auto()  # scheduling settings and preferences
    ALL = STUDY_QUEUE | CARD_CONTENT | DECKS | PLANS | SETTINGS


@dataclass(frozen=True)
class OpResult(Generic[T]):
    value: T
    changes: Changes
    undo_label: str | None = None  # set when the operation can be undone
