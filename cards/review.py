"""The review flow, once for every face: the window and the terminal each implement a ReviewView.

The session decides what is shown and when (question, then answer with the four
intervals, then a rating); the view only draws. No rating counts before its
answer was shown, an undone answer brings its card back, and the day change's
unbury happens here, as an explicit step, when a session sees a new study day.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from . import ops
from .errors import AnsweredElsewhere, NothingToUndo
from .queue import QueueCounts
from .rows import Card
from .stats import estimated_minutes
from .store import Store
from .wording import sentence


@dataclass(frozen=True)
class ReviewSummary:
    reviewed: int
    deck_name: str
    minutes: int  # what the answers took at the learner's usual pace
    next_due: datetime | None
    new_done_for_today: bool  # today's new cards are all introduced


class ReviewView(Protocol):
    def show_question(self, card: Card) -> None: ...
    def show_answer(self, card: Card, intervals: dict[int, timedelta]) -> None: ...
    def show_counts(self, counts: QueueCounts) -> None: ...
    def finished(self, summary: ReviewSummary) -> None: ...
    def message(self, text: str) -> None: ...


class ReviewSession:
    """One sitting of reviews in a deck (or all decks), driven by the learner's keys."""

    def __init__(
        self,
        store: Store,
        view: ReviewView,
        deck_id: int | None = None,
        limit: int | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.view = view
        self.deck_id = deck_id
        self.deck_name = store.deck(deck_id).name if deck_id is not None else "All decks"
        self.limit = limit
        self.timer = timer
        self.card: Card | None = None
        self.answer_shown = False
        self.reviewed = 0
        self._shown_at = 0.0
        self._day: date | None = None

    @property
    def done(self) -> bool:
        return self.card is None

    def start(self) -> None:
        self._show(self._next())

    def reveal(self) -> None:
        """Show the answer and what each rating would schedule."""
        if self.card is None:
            return
        if self.answer_shown:
            self.view.message("Rate the card: 1 Again, 2 Hard, 3 Good, 4 Easy.")
            return
        self.answer_shown = True
        self.view.show_answer(self.card, self.store.preview(self.card.id))

    def rate(self, rating: int) -> bool:
        """Answer the card shown; False (and a message) when its answer has not been shown yet."""
        if self.card is None:
            return False
        if not self.answer_shown:
            self.view.message("Show the answer before rating the card.")
            return False
        duration_ms = int((self.timer() - self._shown_at) * 1000)
        try:  # raises, leaving the card shown, if not saved
            ops.answer(self.store, self.card.id, rating, duration_ms, shown_reps=self.card.reps)
        except AnsweredElsewhere:
            # Two reviews on one store: the other answered it first. Never twice; on to the next card.
            self.view.message("This card was answered in another review meanwhile; it is not answered twice.")
            self._show(self._next())
            return False
        self.reviewed += 1
        self._show(self._next())
        return True

    def undo(self) -> bool:
        """Undo the last change; an answer, bury or suspend brings its card back to its question."""
        try:
            step = ops.undo(self.store).value
        except NothingToUndo as exc:
            self.view.message(sentence(str(exc)))
            return False
        self.view.message(f"Undone: {step.label}.")
        if step.label == "answer":
            self.reviewed = max(0, self.reviewed - 1)
        if step.card_id is not None:
            self._show(self.store.card(step.card_id))
        else:
            self._show(self._next())
        return True

    def redo(self) -> bool:
        """Do again what was undone last: an answer, bury or suspend takes its card away again."""
        try:
            step = ops.redo(self.store).value
        except NothingToUndo as exc:
            self.view.message(sentence(str(exc)))
            return False
        self.view.message(f"Redone: {step.label}.")
        if step.label == "answer":
            self.reviewed += 1
        self._show(self._next())
        return True

    def bury(self) -> None:
        if self.card is not None:
            ops.bury(self.store, [self.card.id])
            self.view.message("Card buried until tomorrow (u undoes it).")
            self._show(self._next())

    def suspend(self) -> None:
        if self.card is not None:
            ops.suspend(self.store, [self.card.id])
            self.view.message("Card suspended (u undoes it).")
            self._show(self._next())

    def edited(self) -> None:
        """The card shown was edited (text, tags or deck): show it as it is now, on the side it was on."""
        if self.card is None:
            return
        self.card = self.store.card(self.card.id)
        self.view.show_question(self.card)
        if self.answer_shown:
            self.view.show_answer(self.card, self.store.preview(self.card.id))
        self.view.message("Card saved (Ctrl+Z undoes the edit).")

    def summary(self) -> ReviewSummary:
        counts = self.store.queue_counts(self.deck_id)
        return ReviewSummary(
            reviewed=self.reviewed,
            deck_name=self.deck_name,
            minutes=estimated_minutes(self.store, self.reviewed) if self.reviewed else 0,
            next_due=self.store.next_due(self.deck_id),
            new_done_for_today=counts.new == 0,
        )

    def _next(self) -> Card | None:
        if self.limit is not None and self.reviewed >= self.limit:
            return None
        today = self.store.today().day
        if today != self._day:  # a new study day: yesterday's buried cards come back
            ops.begin_day(self.store)
            self._day = today
        return self.store.next_card(self.deck_id)

    def _show(self, card: Card | None) -> None:
        self.card = card
        self.answer_shown = False
        if card is None:
            self.view.finished(self.summary())
            return
        self.view.show_counts(self.store.queue_counts(self.deck_id))
        self.view.show_question(card)
        self._shown_at = self.timer()
