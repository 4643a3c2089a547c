"""Built-in decks after an app update: corrected and new cards reach an existing store, and no answer is
lost when a card moves between deck files or is split."""

from __future__ import annotations

from datetime import UTC

from cards import ops
from cards.loading import builtin_files, refresh_builtin_decks
from cards.store import Store


def deck(name: str, key: str, *cards: tuple[str, str, str]) -> bytes:
    body = "".join(f"## {q}\nkey: {k}\ntags: t\n\n### Answer\n{a}\n\n" for k, q, a in cards)
    return f"# {name}\nkey: {key}\n\n{body}".encode()


def history(store: Store, key: str) -> tuple[str, int]:
    (deck_key, answers) = store.db.execute(
        "SELECT d.key, (SELECT count(*) FROM review r WHERE r.card_id = c.id) FROM card c "
        "JOIN deck d ON d.id = c.deck_id WHERE c.key = ?",
        (key,),
    ).fetchone()
    return deck_key, answers


def test_an_update_reaches_an_existing_store_and_keeps_every_answer(tmp_path, clock):
    store = Store.open(tmp_path / "s.db", clock=clock, tz=UTC, load_builtin=False)
    store.db.execute("DELETE FROM setting")  # as a store made before the shipped decks were fingerprinted
    v1 = [
        ("1-a.md", deck("Alpha", "a", ("moves", "Which deck?", "A"), ("split", "Two things?", "Both"))),
        ("2-b.md", deck("Beta", "b", ("stays", "Stay?", "Yes"))),
    ]
    assert refresh_builtin_decks(store, v1)
    for key in ("moves", "split", "stays"):
        ops.answer(store, next(c for c in store.cards() if c.key == key).id, 3)
    assert not refresh_builtin_decks(store, v1)  # unchanged files: nothing to do
    v2 = [
        ("1-a.md", deck("Alpha", "a", ("split", "The first thing?", "One"), ("split-2", "The second thing?", "Two"))),
        ("2-b.md", deck("Beta", "b", ("stays", "Stay, corrected?", "Yes"), ("moves", "Which deck?", "B"))),
        ("3-c.md", deck("Gamma", "c", ("fresh", "New in this version?", "Yes"))),
    ]
    assert refresh_builtin_decks(store, v2)
    assert history(store, "moves") == ("b", 1)  # moved to another deck file, with its answer
    assert history(store, "split") == ("a", 1)  # the half that keeps the key keeps the history
    assert history(store, "split-2") == ("a", 0)
    assert history(store, "stays") == ("b", 1)
    assert store.card(next(c.id for c in store.cards() if c.key == "stays")).question == "Stay, corrected?"
    assert {d.key for d in store.decks()} == {"a", "b", "c"}  # a deck new in this version is added
    assert store.db.execute("SELECT count(*) FROM card WHERE key = 'moves'").fetchone()[0] == 1  # no copy


def test_a_deleted_built_in_deck_stays_deleted(tmp_path, clock):
    store = Store.open(tmp_path / "s.db", clock=clock, tz=UTC, load_builtin=False)
    store.db.execute("DELETE FROM setting")
    v1 = [("1-a.md", deck("Alpha", "a", ("x", "X?", "x"))), ("2-b.md", deck("Beta", "b", ("y", "Y?", "y")))]
    refresh_builtin_decks(store, v1)
    ops.delete_deck(store, store.deck_by_name("Beta").id)
    v2 = [("1-a.md", deck("Alpha", "a", ("x", "X, corrected?", "x"))), v1[1]]
    assert refresh_builtin_decks(store, v2)
    assert [d.key for d in store.decks()] == ["a"]
    assert store.cards()[0].question == "X, corrected?"


def test_a_store_made_without_the_built_in_decks_never_gets_them(tmp_path, clock):
    Store.open(tmp_path / "s.db", clock=clock, tz=UTC, load_builtin=False).close()
    with Store.open(tmp_path / "s.db", clock=clock, tz=UTC) as store:
        assert store.decks() == []


def test_a_read_only_store_still_opens_when_the_shipped_decks_changed(tmp_path, clock):
    from cards.loading import refresh_builtin_decks_when_possible

    store = Store.open(tmp_path / "s.db", clock=clock, tz=UTC)
    store.db.execute("DELETE FROM setting WHERE key = 'pref:builtin_decks'")  # as before an app update
    store.db.execute("PRAGMA query_only = ON")  # what a read-only file does to writes (root ignores chmod)
    refresh_builtin_decks_when_possible(store)  # no error: the update waits for an open that can write
    assert len(store.decks()) == len(builtin_files())
    store.db.execute("PRAGMA query_only = OFF")
    store.close()
