"""The study queue and answering, with the real fsrs scheduler and a fixed clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from cards import ops
from cards.errors import NothingToUndo, StudyPlannerError
from cards.scheduling import QUEUE_BURIED, QUEUE_SUSPENDED
from cards.stats import streak_days, summary
from tests.conftest import add_deck_with_cards


def review_rows(store):
    return store.db.execute("SELECT * FROM review ORDER BY id").fetchall()


def test_new_cards_come_in_deck_order(store):
    keys = []
    card = store.next_card()
    while card is not None and card.state == 0:
        keys.append(card.key)
        ops.answer(store, card.id, 4)  # Easy: straight to review, due in days
        card = store.next_card()
    assert keys == ["two-plus-two", "transpose", "attention"]
    assert store.next_card() is None


def test_learning_before_review_before_new(store, clock):
    deck = store.deck_by_name("small")
    first, second, third = store.cards(deck.id)
    ops.answer(store, first.id, 4)  # review card, due in some days
    ops.answer(store, second.id, 1)  # learning, due in 1 minute
    clock.advance(days=30)  # the review card is due; the learning card is overdue
    assert store.next_card().id == second.id
    ops.answer(store, second.id, 4)  # second is now a review card due in days
    assert store.next_card().id == first.id
    ops.answer(store, first.id, 3)
    assert store.next_card().id == third.id  # new comes last


def test_learning_card_waits_until_due_then_learn_ahead(store, clock):
    card = store.next_card()
    ops.answer(store, card.id, 1)  # due in 1 minute
    for other in store.cards()[1:]:
        ops.suspend(store, [other.id])
    # Nothing else to study: Anki-style learn-ahead shows it before it is due.
    assert store.next_card().id == card.id
    assert store.queue_counts().learning == 1


def test_day_starts_at_four_and_limits_reset(store, clock):
    ops.update_settings(store, new_per_day=2)
    clock.set(datetime(2026, 3, 10, 3, 30, tzinfo=UTC))  # still the study day of 9 March
    assert store.today().day.isoformat() == "2026-03-09"
    for _ in range(2):
        ops.answer(store, store.next_card().id, 4)
    assert store.queue_counts().new == 0
    assert store.next_card() is None  # daily new limit reached
    clock.set(datetime(2026, 3, 10, 3, 59, 59, tzinfo=UTC))
    assert store.next_card() is None
    clock.set(datetime(2026, 3, 10, 4, 0, tzinfo=UTC))  # a new study day
    assert store.today().day.isoformat() == "2026-03-10"
    assert store.queue_counts().new == 1
    assert store.next_card().key == "attention"


def test_day_boundary_in_local_time(tmp_path, clock):
    from zoneinfo import ZoneInfo

    from cards.store import Store

    s = Store.open(tmp_path / "tz.db", clock=clock, tz=ZoneInfo("America/New_York"), load_builtin=False)
    clock.set(datetime(2026, 3, 10, 7, 59, tzinfo=UTC))  # 03:59 in New York (EDT)
    assert s.today().day.isoformat() == "2026-03-09"
    clock.set(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))  # 04:00 in New York
    assert s.today().day.isoformat() == "2026-03-10"
    s.close()


def test_review_limit_per_deck_and_global(store, clock):
    a = add_deck_with_cards(store, "Alpha", 5)
    b = add_deck_with_cards(store, "Beta", 5)
    for deck in (a, b):
        for card in store.cards(deck):
            ops.answer(store, card.id, 4)
    clock.advance(days=60)
    ops.update_settings(store, reviews_per_day=6)
    ops.set_deck_overrides(store, a, reviews_per_day=2)
    alone = {c.name: c.due for c in store.deck_counts(together=False)}
    assert alone["Alpha"] == 2 and alone["Beta"] == 5  # each deck's own limit
    together = {c.name: c.due for c in store.deck_counts()}
    assert together["Alpha"] == 2 and together["Beta"] == 4  # what Study all brings: rows add up to the total
    assert store.queue_counts().due == 6  # global cap over all decks
    assert store.queue_counts(b).due == 5  # Beta studied alone
    answered = []
    while (card := store.next_card()) is not None and card.state == 2:
        answered.append(card.deck_id)
        ops.answer(store, card.id, 3)
    assert len(answered) == 6 and answered.count(a) == 2
    assert store.queue_counts(a).due == 0


def test_answer_writes_card_and_log_together(store, clock):
    card = store.next_card()
    ops.answer(store, card.id, 3, duration_ms=4200)
    (row,) = store.db.execute("SELECT id, card_id, rating, duration_ms, state_before, due_after_ms FROM review")
    after = store.card(card.id)
    assert row[1] == card.id and row[2] == 3 and row[3] == 4200
    assert row[4] == 0  # state before: new
    assert row[5] == after.due_ms and store.replay(card.id) == after  # the card's state is its log's
    assert row[0] == after.last_review_ms


def test_a_failed_answer_leaves_nothing(store, monkeypatch):
    card = store.next_card()
    import cards.ops as ops_module

    def broken(*args, **kwargs):
        raise RuntimeError("scheduler exploded")

    monkeypatch.setattr(ops_module, "study_day_scheduler", broken)
    with pytest.raises(RuntimeError):
        ops.answer(store, card.id, 3)
    assert review_rows(store) == []
    assert store.card(card.id) == card


def test_preview_matches_what_answering_does(store, clock):
    card = store.next_card()
    ops.answer(store, card.id, 4)
    clock.advance(days=20)
    for rating in (1, 2, 3, 4):
        preview = store.preview(card.id)[rating]
        ops.answer(store, card.id, rating)
        assert store.card(card.id).due_ms - store.card(card.id).last_review_ms == preview // timedelta(milliseconds=1)
        ops.undo(store)


def test_undo_several_steps_restores_exactly(store, clock):
    before_cards = store.cards()
    ratings = [3, 1, 4, 3, 2]
    for rating in ratings:
        card = store.next_card()
        clock.advance(seconds=30)
        ops.answer(store, card.id, rating)
    assert len(review_rows(store)) == 5
    for _ in ratings:
        assert ops.undo(store).value.label == "answer"
    assert review_rows(store) == []
    assert store.cards() == before_cards
    with pytest.raises(NothingToUndo):
        ops.undo(store)


def test_undo_returns_the_card_to_show_again(store):
    card = store.next_card()
    ops.answer(store, card.id, 3)
    assert ops.undo(store).value.card_id == card.id
    assert store.next_card().id == card.id


def test_bury_until_next_day_and_undo(store, clock):
    card = store.next_card()
    ops.bury(store, [card.id])
    assert store.card(card.id).queue == QUEUE_BURIED
    assert store.next_card().id != card.id
    assert ops.undo(store).value.label == "bury card"
    assert store.next_card().id == card.id
    ops.bury(store, [card.id])
    clock.set(datetime(2026, 3, 11, 3, 59, tzinfo=UTC))
    ops.begin_day(store)  # still the study day it was buried on
    assert store.card(card.id).queue == QUEUE_BURIED or store.next_card().id != card.id
    clock.set(datetime(2026, 3, 11, 4, 0, tzinfo=UTC))
    ops.begin_day(store)  # the day change unburies
    assert store.next_card().id == card.id


def test_suspend_and_unsuspend_keep_state(store, clock):
    card = store.next_card()
    ops.answer(store, card.id, 4)
    clock.advance(days=40)
    reviewed = store.card(card.id)
    ops.suspend(store, [card.id])
    assert store.card(card.id).queue == QUEUE_SUSPENDED
    assert all(c.id != card.id for c in [store.next_card()] if c)
    with pytest.raises(StudyPlannerError):
        ops.answer(store, card.id, 3)
    ops.unsuspend(store, [card.id])
    assert store.card(card.id) == reviewed
    assert store.next_card().id == card.id


@pytest.mark.parametrize("fuzz", [False, True])
def test_replay_of_the_log_equals_stored_state(store, clock, fuzz):
    ops.update_settings(store, fuzz=fuzz)
    random.seed(99)  # fsrs draws its fuzz from the global generator
    rng = random.Random(1234)
    for _ in range(300):
        card = store.next_card()
        if card is None:
            clock.advance(hours=rng.choice([1, 8, 24, 24 * 5]))
            continue
        clock.advance(seconds=rng.randint(5, 90))
        ops.answer(store, card.id, rng.choice([1, 2, 3, 3, 3, 4]))
    assert len(review_rows(store)) > 60
    for card in store.cards():
        assert store.replay(card.id) == card


def test_limits_and_settings_are_validated(store):
    from cards.errors import SettingsError

    with pytest.raises(SettingsError, match="desired retention"):
        ops.update_settings(store, desired_retention=1.5)
    with pytest.raises(SettingsError, match="unknown setting"):
        ops.update_settings(store, colour="red")
    assert store.settings().desired_retention == 0.9
    with pytest.raises(StudyPlannerError):
        ops.answer(store, store.next_card().id, 5)


def test_deck_override_changes_the_scheduler(store, clock):
    deck = store.deck_by_name("small")
    card = store.next_card()
    ops.answer(store, card.id, 4)
    clock.advance(days=10)
    default = store.preview(card.id)[3]
    ops.set_deck_overrides(store, deck.id, desired_retention=0.8)
    assert store.preview(card.id)[3] > default
    ops.set_deck_overrides(store, deck.id, desired_retention=None)
    assert store.preview(card.id)[3] == default


def test_streak_counts_study_days_across_the_day_boundary(store, clock):
    card = store.next_card()
    # Study at 03:30 UTC on 10, 11 and 12 March: each belongs to the day before.
    for day in (10, 11, 12):
        clock.set(datetime(2026, 3, day, 3, 30, tzinfo=UTC))
        ops.answer(store, card.id, 3)
    clock.set(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    # Study days 9, 10 and 11 March; nothing yet on the 12th, so the streak still stands.
    assert streak_days(store) == 3
    clock.set(datetime(2026, 3, 13, 10, 0, tzinfo=UTC))
    assert streak_days(store) == 0
    figures = summary(store)
    assert figures["reviews_total"] == 3 and figures["cards_total"] == 3


def test_the_three_today_numbers_agree_under_the_global_limit(store, clock):
    for name in ("Alpha", "Beta", "Gamma"):
        add_deck_with_cards(store, name, 15)
    ops.update_settings(store, new_per_day=20)
    rows = store.deck_counts()
    total = store.queue_counts(deck_counts=rows)
    assert sum(r.new for r in rows) == total.new == 20  # 3 + 15 + 2: the order Study all takes them
    assert [r.new for r in rows] == [3, 15, 2, 0]
    taken = {}
    while (card := store.next_card()) is not None and card.state == 0:
        taken[card.deck_id] = taken.get(card.deck_id, 0) + 1
        ops.answer(store, card.id, 4)
    assert [taken.get(r.deck_id, 0) for r in rows] == [r.new for r in rows]  # the rows were right


def test_a_deck_is_studied_with_its_subdecks_and_listed_above_them(store):
    """A::B decks (most Anki decks): the parents are made, each deck is listed under its parent with its
    subtree's counts, studying a parent studies its subdecks under the parent's limits too, and deleting
    it takes them along (undoably)."""
    from cards.queue import deck_tree

    vocab = add_deck_with_cards(store, "Lang::Japanese::Vocab", 3)
    grammar = add_deck_with_cards(store, "Lang::Japanese::Grammar", 2)
    names = [d.name for d in store.decks()]
    assert "Lang" in names and "Lang::Japanese" in names  # made, as Anki makes them
    lang = store.deck_by_name("Lang").id
    rows = {row.counts.name: row for row in deck_tree(store.deck_counts())}
    assert [(rows[n].label, rows[n].depth) for n in ("Lang", "Lang::Japanese", "Lang::Japanese::Vocab")] == [
        ("Lang", 0), ("Japanese", 1), ("Vocab", 2)
    ]
    assert rows["Lang"].counts.total == 5 and rows["Lang"].counts.new == 5
    order = [row.counts.name for row in deck_tree(store.deck_counts())]
    assert order.index("Lang") < order.index("Lang::Japanese") < order.index("Lang::Japanese::Vocab")
    assert store.next_card(lang).deck_id == vocab and store.queue_counts(lang).new == 5
    ops.set_deck_overrides(store, lang, new_per_day=4)  # the parent's limit holds for the whole subtree
    assert store.queue_counts(lang).new == 4
    seen = set()
    while (card := store.next_card(lang)) is not None:
        seen.add(card.deck_id)
        ops.answer(store, card.id, 4)
    assert seen == {vocab, grammar} and len(review_rows(store)) == 4
    assert ops.delete_deck(store, lang).value == 5
    assert not [d for d in store.decks() if d.name.startswith("Lang")]
    ops.undo(store)
    assert len(store.cards(vocab)) == 3


def test_the_deck_list_counts_each_deck_as_study_deck_brings_it(store, clock):
    """As Anki's deck list: a deck's row is what studying it brings (its own limits and the global ones),
    not its share of Study all. Before, the second deck showed 0 new while Study deck gave it 4."""
    ops.update_settings(store, new_per_day=4)
    a = add_deck_with_cards(store, "Alpha", 6)
    b = add_deck_with_cards(store, "Beta", 6)
    c = add_deck_with_cards(store, "Beta::Gamma", 6)
    ops.set_deck_overrides(store, b, new_per_day=3)
    listed = store.deck_list()
    rows = {row.counts.name: row.counts for row in listed.rows}
    for name, deck_id in (("Alpha", a), ("Beta", b), ("Beta::Gamma", c)):
        assert rows[name].new == store.queue_counts(deck_id).new  # the row is what Study deck brings
    assert (rows["Alpha"].new, rows["Beta"].new, rows["Beta::Gamma"].new) == (4, 3, 4)  # Beta's 3 hold its subtree
    assert listed.total == store.queue_counts() and listed.total.new == 4  # Study all: the global 4
    taken = {s.name: s.new for s in listed.study_all}  # taken deck by deck, the small test deck's 3 first
    assert taken == {"Small test deck": 3, "Alpha": 1, "Beta": 0, "Beta::Gamma": 0}
    ops.answer(store, store.next_card(b).id, 3)  # one new card of Beta's subtree studied
    rows = {row.counts.name: row.counts for row in store.deck_list().rows}
    assert (rows["Alpha"].new, rows["Beta"].new) == (3, 2)  # the global limit has 3 left; Beta's own 2


def test_the_browse_tag_filter_takes_percent_and_underscore_as_themselves(store):
    """The tag filter read % and _ as wildcards: "a_b" found cards tagged "axb" too."""
    from cards.browse import CardQuery, search

    deck = ops.add_deck(store, "Tags").value
    exact = ops.add_card(store, deck.id, "Q1?", "A", tags=["a_b"]).value
    ops.add_card(store, deck.id, "Q2?", "A", tags=["axb"])
    assert search(store.db, CardQuery(tag="a_b")) == [exact.id]
