"""The Markdown deck format: parsing, errors with lines, round trip, reload keeping history."""

from __future__ import annotations

import pytest

from cards import ops
from cards.deckfile import DeckCard, DeckFile, derived_key, parse_deck, parse_deck_bytes, write_deck
from cards.errors import FileFormatError
from cards.loading import REMOVED_TAG, load_deck
from tests.conftest import DATA

GOOD = """# My deck
key: mine
description: A test deck.

## First question?
key: first
tags: a b::c

### Answer
First answer.

## Second question
tags: b

More question text.

```python
## not a card: inside a fence
### Answer
```

### Answer
Second answer with a table:

| a | b |
|---|---|
| 1 | 2 |
"""


def test_parse_header_cards_keys_tags():
    deck = parse_deck(GOOD, "mine.md")
    assert (deck.name, deck.key, deck.description) == ("My deck", "mine", "A test deck.")
    first, second = deck.cards
    assert (first.key, first.tags, first.answer) == ("first", ["a", "b::c"], "First answer.")
    assert second.key == derived_key("mine", second.question)
    assert second.question.startswith("Second question\n\nMore question text.")
    assert "## not a card" in second.question
    assert second.answer.startswith("Second answer")
    assert second.line == 12


def test_round_trip_is_exact():
    deck = parse_deck(GOOD, "mine.md")
    again = parse_deck(write_deck(deck), "again.md")
    assert again == DeckFile(
        deck.name,
        deck.key,
        deck.description,
        [DeckCard(c.question, c.answer, c.key, c.tags, again.cards[i].line) for i, c in enumerate(deck.cards)],
    )
    assert write_deck(again) == write_deck(deck)


def test_derived_key_ignores_spacing_and_case():
    assert derived_key("d", "What is  X?") == derived_key("d", "what is x?")
    assert derived_key("d", "What is X?") != derived_key("e", "What is X?")


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("key: k\n\n## Q\n### Answer\nA\n", 1, "starts with '# Deck name'"),
        ("# Name\n\n## Q\n### Answer\nA\n", 1, "no 'key:' line"),
        ("# Name\nkey: k\n\n## Q\n\nno answer marker\n", 4, "has no '### Answer' line"),
        ("# Name\nkey: k\n\n## Q\n### Answer\n\n## R\n### Answer\nB\n", 5, "empty answer"),
        ("# Name\nkey: k\n\n## Q\nkey: x\n### Answer\nA\n\n## R\nkey: x\n### Answer\nB\n", 9, "duplicate card key 'x'"),
        ('# Name\nkey: k\n\n## Q\ntags: ok "bad\n### Answer\nA\n', 5, "bad tag"),
        ("# Name\nkey: bad key\n", 2, "bad deck key"),
        ("# Name\nkey: k\nnonsense here\n", 3, "unexpected line"),
        ("# Name\nkey: k\n\n## \n### Answer\nA\n", 4, "question after '## ' is empty"),
    ],
)
def test_malformed_files_name_the_line(text, line, message):
    with pytest.raises(FileFormatError) as caught:
        parse_deck(text, "bad.md")
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"bad.md, line {line}:")


def test_bad_encoding_names_the_line():
    data = b"# Name\nkey: k\n\n## Q\n### Answer\ncaf" + b"\xe9\n"
    with pytest.raises(FileFormatError, match=r"bad.md, line 6: the file is not UTF-8"):
        parse_deck_bytes(data, "bad.md")


def test_reload_updates_in_place_and_keeps_history(store, clock):
    deck = store.deck_by_name("small")
    card = store.cards(deck.id)[0]
    ops.answer(store, card.id, 3)
    answered = store.card(card.id)
    history = store.db.execute("SELECT * FROM review").fetchall()

    edited = (DATA / "small.md").read_text().replace("What is 2 + 2?", "What is two plus two?")
    edited = edited.replace("## Name the formula", "## Write the formula")
    summary = load_deck(store, parse_deck(edited, "small.md"))
    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (0, 2, 1, 0)
    after = store.card(card.id)
    assert after.question == "What is two plus two?"
    assert (after.state, after.stability, after.due_ms, after.reps) == (
        answered.state,
        answered.stability,
        answered.due_ms,
        1,
    )
    assert store.db.execute("SELECT * FROM review").fetchall() == history


def test_a_card_removed_from_the_file_is_suspended_not_deleted(store):
    deck = store.deck_by_name("small")
    text = (DATA / "small.md").read_text()
    without = text[: text.index("## Name the formula")]
    summary = load_deck(store, parse_deck(without, "small.md"))
    assert summary.removed == 1
    gone = next(c for c in store.cards(deck.id) if c.key == "attention")
    assert gone.queue == -1 and REMOVED_TAG in gone.tag_list
    # Put back in the file: unsuspended, same card.
    summary = load_deck(store, parse_deck(text, "small.md"))
    back = store.card(gone.id)
    assert back.queue == 0 and (summary.returned, summary.updated) == (1, 0)


def test_a_failed_load_loads_nothing(store):
    before = store.cards()
    bad = parse_deck(GOOD, "mine.md")
    bad.name = "Small test deck"  # clashes with the existing deck's name
    with pytest.raises(Exception, match="already named"):
        load_deck(store, bad)
    assert store.cards() == before and len(store.decks()) == 1


def test_an_unclosed_code_fence_is_an_error_at_its_line_not_a_deck_of_fewer_cards():
    """An unclosed fence in one answer made every later card part of its code: 5 of 6 cards vanished on
    re-import, without a word."""
    import pytest

    from cards.deckfile import parse_deck
    from cards.errors import FileFormatError

    text = "# D\nkey: d\n\n## Q1\n\n### Answer\n```python\nx = 1\n\n## Q2\n\n### Answer\nA2\n"
    with pytest.raises(FileFormatError, match="never closed") as error:
        parse_deck(text, "d.md")
    assert error.value.line == 7
