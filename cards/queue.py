"""Reading the study queue: what to study next, today's counts, the intervals a rating would give.

Nothing here writes. The Store inherits these reads (store.next_card(), store.deck_counts()...);
they run plain SQL on the store's connection, each a read of one small index range, so their
cost does not grow with the collection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from fsrs import State

from .errors import StudyPlannerError, UnknownCard, UnknownDeck
from .rows import CARD_COLUMNS, CARD_SELECT, DECK_SELECT, Card, Deck, card_from_row, deck_from_row
from .scheduling import NEW, QUEUE_LEARNING, QUEUE_NEW, QUEUE_REVIEW, fsrs_card, study_day_scheduler
from .scheduling import queue_for_state as queue_for_state
from .timeutil import Clock, from_ms, to_ms

if TYPE_CHECKING:
    from fsrs import Card as FsrsCard

    from .history import EarlierText
    from .settings import SchedulingSettings

LEARN_AHEAD = timedelta(minutes=20)  # as Anki: a learning card due this soon is shown when nothing else is left
_POSITION = CARD_COLUMNS.index("position")


@dataclass(frozen=True)
class QueueCounts:
    new: int = 0
    learning: int = 0
    due: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.due


@dataclass(frozen=True)
class DeckCounts:
    deck_id: int
    name: str
    total: int
    new: int
    learning: int
    due: int


@dataclass(frozen=True)
class DeckRow:
    """A deck as the deck list shows it: under its parent (A::B under A), its counts those of its whole
    subtree (studying a deck studies its subdecks)."""

    counts: DeckCounts
    label: str  # the name under its parent ("B" for A::B)
    depth: int


@dataclass(frozen=True)
class DeckList:
    """The day's deck list (Store.deck_list)."""

    rows: list[DeckRow]  # each deck with its subdecks, as Study deck brings it
    study_all: list[DeckCounts]  # per deck, what Study all brings from it (they add up to total)
    total: QueueCounts  # what Study all brings


def deck_tree(rows: list[DeckCounts]) -> list[DeckRow]:
    """The decks in list order, each followed by its subdecks, with the subdecks' counts added in."""
    names = {row.name for row in rows}
    children: dict[str, list[DeckCounts]] = {}
    for row in rows:
        parent = row.name.rpartition("::")[0]
        while parent and parent not in names:  # a missing parent: hang it on the nearest one there is
            parent = parent.rpartition("::")[0]
        children.setdefault(parent, []).append(row)
    out: list[DeckRow] = []

    def place(row: DeckCounts, parent: str, depth: int) -> tuple[int, int, int, int]:
        index = len(out)
        out.append(DeckRow(row, row.name, depth))
        sums = (row.total, row.new, row.learning, row.due)
        for child in children.get(row.name, []):
            below = place(child, row.name, depth + 1)
            sums = (sums[0] + below[0], sums[1] + below[1], sums[2] + below[2], sums[3] + below[3])
        label = row.name[len(parent) + 2 :] if parent else row.name
        total, new, learning, due = sums
        out[index] = DeckRow(replace(row, total=total, new=new, learning=learning, due=due), label, depth)
        return sums

    for row in children.get("", []):
        place(row, "", 0)
    return out


@dataclass(frozen=True)
class Pacing:
    """Which new cards a day brings, by their topics (tags); set by a layer above (a running study plan)."""

    today: list[str]  # topics whose new cards come first
    earlier: list[str]  # topics whose new cards come next (a plan's missed days, caught up)
    held: list[str]  # topics whose new cards wait for a later day
    others_wait: bool = False  # new cards of no topic named here wait too (else they come after)

    @property
    def first(self) -> list[str]:
        return self.today + self.earlier

    @property
    def named(self) -> list[str]:
        return self.first + self.held


@dataclass(frozen=True)
class StudyDay:
    day: date
    start_ms: int
    end_ms: int


class StudyQueue:
    """The reads of a Store (see store.py for the connection they run on)."""

    db: sqlite3.Connection
    clock: Clock
    tz: tzinfo | None
    new_card_pacing: Callable[[date], Pacing | None] | None
    _topic_search: tuple[object, dict[tuple[str, ...], dict[int, int | None]]]
    _edits: int

    def settings(self, deck_id: int | None = None) -> SchedulingSettings:
        raise NotImplementedError  # defined by Store

    def today(self) -> StudyDay:
        raise NotImplementedError  # defined by Store

    # ----------------------------------------------------------------- decks and cards

    def decks(self) -> list[Deck]:
        return [deck_from_row(row) for row in self.db.execute(DECK_SELECT + " ORDER BY id")]

    def deck(self, deck_id: int) -> Deck:
        row = self.db.execute(DECK_SELECT + " WHERE id = ?", (deck_id,)).fetchone()
        if row is None:
            raise StudyPlannerError(f"no deck with id {deck_id}")
        return deck_from_row(row)

    def deck_by_name(self, name: str) -> Deck:
        """A deck by its name (case-insensitive) or key."""
        for deck in self.decks():
            if name.casefold() in (deck.name.casefold(), deck.key.casefold()):
                return deck
        raise UnknownDeck(name)

    def subtree(self, deck_id: int) -> list[int]:
        """The deck and its subdecks (A::B and A::B::C under A), in deck order."""
        name = self.deck(deck_id).name + "::"
        return [d for (d,) in self.db.execute(
            "SELECT id FROM deck WHERE id = ? OR substr(name, 1, ?) = ? ORDER BY id", (deck_id, len(name), name)
        )]  # fmt: skip

    def card(self, card_id: int) -> Card:
        row = self.db.execute(CARD_SELECT + " WHERE id = ?", (card_id,)).fetchone()
        if row is None:
            raise UnknownCard(card_id)
        return card_from_row(row)

    def earlier_texts(self, card_id: int) -> list[EarlierText]:
        """The card's text as it was before syncs replaced it (the edits that lost), newest first."""
        from .history import earlier_texts

        return earlier_texts(self.db, card_id)

    def cards(self, deck_id: int | None = None) -> list[Card]:
        args: tuple[int, ...]
        sql, args = CARD_SELECT, ()
        if deck_id is not None:
            sql, args = sql + " WHERE deck_id = ?", (deck_id,)
        return [card_from_row(row) for row in self.db.execute(sql + " ORDER BY deck_id, position, id", args)]

    def media(self, name: str) -> bytes | None:
        """A picture an imported card shows, or None when the store has no file of that name."""
        row = self.db.execute("SELECT data FROM media WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    # ----------------------------------------------------------------- counts

    def deck_counts(self, together: bool = True) -> list[DeckCounts]:
        """Every deck with its total and today's new / learning / due counts, limits applied.

        together (the default): what studying all decks brings from each one today, so the rows add
        up to the day's total under the global limits (new cards in the order they come, reviews in
        due order). Otherwise each deck as if studied alone (its own limits only).
        """
        today = self.today()
        done, paced = self._done_today(today), self._paced_new(today.day)
        alone = self._alone(today, done, paced)
        return self._together(today, alone, done, paced) if together else alone

    def deck_list(self) -> DeckList:
        """Today's deck list, counted as Anki counts it: each deck with its subdecks as Study deck brings it
        (what queue_counts(deck) says: its own limits, its subtree's and the global ones), so the rows need
        not add up to the day's total; and that total, what Study all brings."""
        today = self.today()
        done, paced = self._done_today(today), self._paced_new(today.day)
        alone = self._alone(today, done, paced)
        together = self._together(today, alone, done, paced)
        total = QueueCounts(sum(c.new for c in together), sum(c.learning for c in together),
                            sum(c.due for c in together))  # fmt: skip
        names = [c.name for c in alone]
        ids = [c.deck_id for c in alone]
        rows = []
        for row in deck_tree(alone):
            prefix = row.counts.name + "::"
            subtree = [i for i, name in zip(ids, names) if name == row.counts.name or name.startswith(prefix)]
            rows.append(replace(row, counts=self._limited(row.counts, subtree, done)))
        return DeckList(rows, together, total)

    def _limited(self, counts: DeckCounts, subtree: list[int], done: dict[int, tuple[int, int]]) -> DeckCounts:
        """A deck's counts summed over its subtree, held to the global limits and, for a deck with
        subdecks, to its own limits for the whole subtree."""
        settings, own = self.settings(), self.settings(counts.deck_id)
        new_left = max(0, settings.new_per_day - sum(d[0] for d in done.values()))
        due_left = max(0, settings.reviews_per_day - sum(d[1] for d in done.values()))
        if len(subtree) > 1:  # the deck's own limits hold for its whole subtree too
            new_left = min(new_left, max(0, own.new_per_day - sum(done.get(d, (0, 0))[0] for d in subtree)))
            due_left = min(due_left, max(0, own.reviews_per_day - sum(done.get(d, (0, 0))[1] for d in subtree)))
        return replace(counts, new=min(counts.new, new_left), due=min(counts.due, due_left))

    def _alone(
        self, today: StudyDay, done: dict[int, tuple[int, int]], paced: dict[int, list[int]] | None
    ) -> list[DeckCounts]:
        """Every deck as if studied alone: its own limits only."""
        # Two reads of the (deck, queue, due) index: totals per queue, and what is due today.
        per_queue: dict[int, dict[int, int]] = {}
        for deck_id, queue, count in self.db.execute(
            "SELECT deck_id, queue, count(*) FROM card GROUP BY deck_id, queue"
        ):
            per_queue.setdefault(deck_id, {})[queue] = count
        due_today: dict[int, dict[int, int]] = {}
        # "deck_id IN" makes SQLite seek the (deck, queue, due) index deck by deck, reading the index
        # alone; by the (queue, due) index it would read every due card's row for its deck (20x slower).
        for deck_id, queue, count in self.db.execute(
            "SELECT deck_id, queue, count(*) FROM card WHERE deck_id IN (SELECT id FROM deck) "
            "AND queue IN (1, 2) AND due_ms < ? GROUP BY deck_id, queue",
            (today.end_ms,),
        ):
            due_today.setdefault(deck_id, {})[queue] = count
        result = []
        for deck in self.decks():
            queues, due_now = per_queue.get(deck.id, {}), due_today.get(deck.id, {})
            total, new = sum(queues.values()), queues.get(QUEUE_NEW, 0)
            if paced is not None:
                new = sum(paced.get(deck.id, ()))
            learning, due = due_now.get(QUEUE_LEARNING, 0), due_now.get(QUEUE_REVIEW, 0)
            settings = self.settings(deck.id)
            done_new, done_reviews = done.get(deck.id, (0, 0))
            result.append(
                DeckCounts(
                    deck_id=deck.id,
                    name=deck.name,
                    total=total,
                    new=min(new, max(0, settings.new_per_day - done_new)),
                    learning=learning,
                    due=min(due, max(0, settings.reviews_per_day - done_reviews)),
                )
            )
        return result

    def _together(
        self,
        today: StudyDay,
        alone: list[DeckCounts],
        done: dict[int, tuple[int, int]],
        paced: dict[int, list[int]] | None,
    ) -> list[DeckCounts]:
        """The rows Study all brings: the global limits taken as next_card takes them."""
        settings = self.settings()
        new_left = max(0, settings.new_per_day - sum(d[0] for d in done.values()))
        due_left = max(0, settings.reviews_per_day - sum(d[1] for d in done.values()))
        new = {c.deck_id: c.new for c in alone}
        due = {c.deck_id: c.due for c in alone}
        if sum(new.values()) > new_left:
            # New cards: by the plan's classes when one paces them (its day's topics, earlier days',
            # then the rest), each class deck by deck; else deck by deck.
            room, new = dict(new), dict.fromkeys(new, 0)
            classes = range(3) if paced is not None else range(1)
            for kind in classes:
                for deck_id in room:
                    available = paced.get(deck_id, [0, 0, 0])[kind] if paced is not None else room[deck_id]
                    take = min(available, room[deck_id] - new[deck_id], new_left)
                    new[deck_id] += take
                    new_left -= take
        if sum(due.values()) > due_left:
            room, due = dict(due), dict.fromkeys(due, 0)
            for (deck_id,) in self.db.execute(
                "SELECT deck_id FROM card WHERE queue = 2 AND due_ms < ? ORDER BY due_ms", (today.end_ms,)
            ):
                if due_left == 0:
                    break
                if due.get(deck_id, 0) < room.get(deck_id, 0):
                    due[deck_id] += 1
                    due_left -= 1
        return [replace(c, new=new[c.deck_id], due=due[c.deck_id]) for c in alone]

    def _paced_new(self, day: date) -> dict[int, list[int]] | None:
        """Per deck, the new cards a running plan lets come today, in the order they come: of the day's
        topics, of its earlier days' topics, of no plan topic (None: no plan paces them)."""
        pacing = self.new_card_pacing(day) if self.new_card_pacing else None
        if pacing is None:
            return None
        today, earlier, named = set(pacing.today), set(pacing.earlier), set(pacing.named)
        counts: dict[int, list[int]] = {}
        # One pass over the index of new cards (it holds their tags), grouped by tag list (few distinct
        # ones), each classified once. At 100,000 cards with the 12-week plan: a LIKE per topic per card
        # took 80 ms; SQLite's own choice of index, 17; this one, 4.
        for deck_id, tags, count in self.db.execute(
            "SELECT deck_id, tags, count(*) FROM card INDEXED BY card_deck_new WHERE queue = 0 GROUP BY deck_id, tags"
        ):
            own = set(tags.split())
            kind = 0 if own & today else 1 if own & earlier else 2 if not (pacing.others_wait or own & named) else None
            if kind is not None:
                counts.setdefault(deck_id, [0, 0, 0])[kind] += count
        return counts

    def _done_today(self, today: StudyDay) -> dict[int, tuple[int, int]]:
        """Per deck: new cards introduced and review cards answered today."""
        return {
            row[0]: (row[1], row[2])
            for row in self.db.execute(
                "SELECT deck_id, sum(state_before = 0), sum(state_before = 2) FROM review WHERE id >= ? GROUP BY 1",
                (today.start_ms,),
            )
        }

    def queue_counts(self, deck_id: int | None = None, deck_counts: list[DeckCounts] | None = None) -> QueueCounts:
        """What is left to study today: in all decks, the sum of deck_counts() (given when the caller
        has them); in one deck, that deck studied alone, under the global limits too."""
        if deck_id is None:
            every = deck_counts if deck_counts is not None else self.deck_counts()
            return QueueCounts(sum(c.new for c in every), sum(c.learning for c in every), sum(c.due for c in every))
        subtree = self.subtree(deck_id)
        mine = [c for c in self.deck_counts(together=False) if c.deck_id in subtree]
        summed = DeckCounts(deck_id, "", sum(c.total for c in mine), sum(c.new for c in mine),
                            sum(c.learning for c in mine), sum(c.due for c in mine))  # fmt: skip
        limited = self._limited(summed, subtree, self._done_today(self.today()))
        return QueueCounts(limited.new, limited.learning, limited.due)

    # ----------------------------------------------------------------- the next card

    def next_card(self, deck_id: int | None = None) -> Card | None:
        """The card to study now: learning due now, then reviews due today, then new cards. A deck's
        subdecks are studied with it."""
        today = self.today()
        now_ms = to_ms(self.clock.now())
        scope, args = self._scope(deck_id)
        row = self.db.execute(
            CARD_SELECT + f" WHERE queue = 1 AND due_ms <= ? {scope} ORDER BY due_ms LIMIT 1", (now_ms, *args)
        ).fetchone()
        if row:
            return card_from_row(row)
        quotas = self._quotas(today, deck_id)
        review_decks = [d for d, (_, reviews) in quotas.items() if reviews > 0]
        if review_decks:
            # Walk the due index in order; name the decks only when some are over their limit.
            limited = len(review_decks) < len(quotas) or deck_id is not None
            marks = f"AND deck_id IN ({','.join('?' * len(review_decks))})" if limited else ""
            row = self.db.execute(
                CARD_SELECT + f" WHERE queue = 2 AND due_ms < ? {marks} ORDER BY due_ms LIMIT 1",
                (today.end_ms, *(review_decks if limited else ())),
            ).fetchone()
            if row:
                return card_from_row(row)
        pacing = self.new_card_pacing(today.day) if self.new_card_pacing else None
        for topics in (pacing.today, pacing.earlier) if pacing else ():
            if topics:
                row = self._first_topic_card(today.day, topics, [d for d, (new, _) in quotas.items() if new > 0])
                if row:
                    return card_from_row(row)
        if not (pacing and pacing.others_wait):
            # Deck order; while a plan paces the new cards, the cards of its later days wait.
            held, patterns = _not_tagged(pacing.held if pacing else [])
            for deck, (new, _) in quotas.items():
                if new > 0:
                    row = self.db.execute(
                        CARD_SELECT + f" WHERE deck_id = ? AND queue = 0 {held} ORDER BY position LIMIT 1",
                        (deck, *patterns),
                    ).fetchone()
                    if row:
                        return card_from_row(row)
        row = self.db.execute(
            CARD_SELECT + f" WHERE queue = 1 AND due_ms <= ? {scope} ORDER BY due_ms LIMIT 1",
            (now_ms + LEARN_AHEAD // timedelta(milliseconds=1), *args),
        ).fetchone()
        return card_from_row(row) if row else None

    def _first_topic_card(self, day: date, topics: list[str], decks: list[int]) -> tuple | None:
        """The first new card, in deck order, tagged with one of the day's plan topics.

        Answers only take cards out of the new queue, so each deck's search resumes at the
        position of the card it found last, and a deck found to have none is not searched
        again, until an edit or another connection's commit may have changed the new cards.
        """
        key = (day, self._edits, self.db.execute("PRAGMA data_version").fetchone()[0])
        if self._topic_search[0] != key:
            self._topic_search = (key, {})
        resume = self._topic_search[1].setdefault(tuple(topics), {})
        tagged = " OR ".join("tags LIKE ?" for _ in topics)
        patterns = [f"% {tag} %" for tag in topics]
        for deck in decks:
            if deck in resume and resume[deck] is None:
                continue
            row = self.db.execute(
                CARD_SELECT + f" WHERE deck_id = ? AND queue = 0 AND position >= ? AND ({tagged}) "
                "ORDER BY position LIMIT 1",
                (deck, resume.get(deck, 0), *patterns),
            ).fetchone()
            resume[deck] = row[_POSITION] if row else None
            if row:
                return row
        return None

    def _scope(self, deck_id: int | None) -> tuple[str, tuple[int, ...]]:
        """SQL (and its parameters) for "in this deck or one of its subdecks"."""
        if deck_id is None:
            return "", ()
        ids = tuple(self.subtree(deck_id))
        return f"AND deck_id IN ({','.join('?' * len(ids))})", ids

    def _quotas(self, today: StudyDay, deck_id: int | None) -> dict[int, tuple[int, int]]:
        """Per deck in study order: new cards and reviews still allowed today."""
        done = self._done_today(today)
        deck_ids = (
            self.subtree(deck_id)
            if deck_id is not None
            else [r[0] for r in self.db.execute("SELECT id FROM deck ORDER BY id")]
        )
        quotas = {}
        for d in deck_ids:
            s = self.settings(d)
            done_new, done_reviews = done.get(d, (0, 0))
            quotas[d] = (max(0, s.new_per_day - done_new), max(0, s.reviews_per_day - done_reviews))
        if deck_id is None:  # the global limits cap the sum over all decks
            s = self.settings()
            left_new = max(0, s.new_per_day - sum(v[0] for v in done.values()))
            left_reviews = max(0, s.reviews_per_day - sum(v[1] for v in done.values()))
            quotas = {d: (min(n, left_new), min(r, left_reviews)) for d, (n, r) in quotas.items()}
        elif len(deck_ids) > 1:  # a deck studied with its subdecks: its own limits cap them all
            s = self.settings(deck_id)
            left_new = max(0, s.new_per_day - sum(done.get(d, (0, 0))[0] for d in deck_ids))
            left_reviews = max(0, s.reviews_per_day - sum(done.get(d, (0, 0))[1] for d in deck_ids))
            quotas = {d: (min(n, left_new), min(r, left_reviews)) for d, (n, r) in quotas.items()}
        return quotas

    def next_due(self, deck_id: int | None = None) -> datetime | None:
        """When the next card of a deck (or any deck) becomes due after today's are done."""
        scope, args = self._scope(deck_id)
        row = self.db.execute(
            f"SELECT min(due_ms) FROM card WHERE queue IN (1, 2) AND due_ms > ? {scope}",
            (to_ms(self.clock.now()), *args),
        ).fetchone()
        return from_ms(row[0]) if row and row[0] is not None else None

    def preview(self, card_id: int) -> dict[int, timedelta]:
        """The interval each rating (1-4) would give the card now."""
        card = self.card(card_id)
        now = self.clock.now()
        return study_day_scheduler(self.settings(card.deck_id), self.tz, fuzz=False).preview(fsrs_state(card, now), now)

    # ----------------------------------------------------------------- the log

    def replay(self, card_id: int) -> Card:
        """The card's scheduling state recomputed from its review log alone."""
        card = self.card(card_id)
        settings = self.settings(card.deck_id)
        scheduler = study_day_scheduler(settings, self.tz, fuzz=False)
        state, reps, lapses = None, 0, 0
        for review_id, rating, due_after in self.db.execute(
            "SELECT id, rating, due_after_ms FROM review WHERE card_id = ? ORDER BY id", (card_id,)
        ):
            when = from_ms(review_id)
            if state is None:
                state = fsrs_card(card_id, NEW, None, None, None, None, None, when)
            elif state.state == State.Review and rating == 1:
                lapses += 1
            state = scheduler.review(state, rating, when)
            # The logged due is the truth: fuzz is random, and an exam may have brought it forward.
            state.due = from_ms(due_after)
            reps += 1
        if state is None:
            return replace(card, state=NEW, step=None, stability=None, difficulty=None, due_ms=None,
                           last_review_ms=None, reps=0, lapses=0, queue=min(card.queue, QUEUE_NEW))  # fmt: skip
        return replace(
            card,
            state=int(state.state),
            queue=card.queue if card.queue < 0 else queue_for_state(int(state.state)),
            step=state.step,
            stability=state.stability,
            difficulty=state.difficulty,
            due_ms=to_ms(state.due),
            last_review_ms=to_ms(state.last_review) if state.last_review else None,
            reps=reps,
            lapses=lapses,
        )


def _not_tagged(topics: list[str]) -> tuple[str, list[str]]:
    """SQL (and its parameters) for "tagged with none of these topics"."""
    if not topics:
        return "", []
    return "AND NOT (" + " OR ".join("tags LIKE ?" for _ in topics) + ")", [f"% {t} %" for t in topics]


def fsrs_state(card: Card, now: datetime) -> FsrsCard:
    """The card as an fsrs Card, for the scheduler."""
    return fsrs_card(
        card.id, card.state, card.step, card.stability, card.difficulty, card.due_ms, card.last_review_ms, now
    )


def tags_text(tags: Iterable[str]) -> str:
    """Tags as stored: each word once, in order, with a space on both sides (" a b ") for LIKE '% a %'."""
    unique = dict.fromkeys(" ".join(tags).split())
    return " " + " ".join(unique) + " " if unique else " "
