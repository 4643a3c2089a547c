"""Loading deck files into the store: built-in decks on first start, and reloads.

Cards are matched by their stable key, so a reload updates text in place and the
review history stays. A card no longer in the file is suspended and tagged, never
deleted.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from . import schema, undo
from .changes import Changes
from .deckfile import DeckFile, parse_deck_bytes, parse_deck_header
from .errors import StoreError, StudyPlannerError
from .queue import tags_text
from .scheduling import QUEUE_SUSPENDED, queue_for_state
from .store import Store
from .timeutil import to_ms

REMOVED_TAG = "removed-from-deck-file"


@dataclass(frozen=True)
class LoadSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # no longer in the file: suspended and tagged, history kept
    returned: int = 0  # removed before, back in the file now: unsuspended, untagged
    skipped: int = 0  # rows an import could not use (said why in its summary)
    deck_id: int = 0


FINGERPRINT_KEY = "builtin_decks"


def builtin_files() -> list[tuple[str, bytes]]:
    """The deck files shipped in the `decks` package, by name."""
    items = sorted(resources.files("decks").iterdir(), key=lambda p: p.name)
    return [(item.name, item.read_bytes()) for item in items if item.name.endswith(".md")]


def refresh_builtin_decks(store: Store, files: list[tuple[str, bytes]] | None = None) -> bool:
    """Load the built-in decks when the shipped files differ from those last loaded: a new store, or an
    app update with new or corrected cards. A deck loaded before that the learner deleted stays deleted;
    a deck new in this version is added. True when anything was loaded."""
    files = builtin_files() if files is None else files
    fingerprint = _fingerprint(files)
    seen = store.get_value(FINGERPRINT_KEY)
    if isinstance(seen, dict) and seen.get("files") == fingerprint:
        return False
    known = set(seen.get("decks", [])) if isinstance(seen, dict) else set()
    present = {d.key for d in store.decks()}
    parsed = [(name, parse_deck_bytes(data, f"decks/{name}")) for name, data in files]
    wanted = [(name, deck) for name, deck in parsed if deck.key in present or deck.key not in known]
    if wanted:
        load_builtin_decks(store, wanted)
    store.set_value(FINGERPRINT_KEY, {"files": fingerprint, "decks": sorted(known | {d.key for _, d in parsed})})
    return bool(wanted)


def refresh_builtin_decks_when_possible(store: Store) -> None:
    """refresh_builtin_decks on opening, which must not stop the store from opening: a read-only or
    busy store waits for an open that can write; a damaged one is for the window to find (and offer a
    backup for)."""
    try:
        refresh_builtin_decks(store)
    except StoreError:
        pass
    except sqlite3.DatabaseError as exc:
        if not schema.is_damage(exc):
            raise


def decline_builtin_decks(store: Store) -> None:
    """A store made without the built-in decks: later opens do not add them."""
    files = builtin_files()
    keys = sorted(parse_deck_header(data, f"decks/{name}").key for name, data in files)
    store.set_value(FINGERPRINT_KEY, {"files": _fingerprint(files), "decks": keys})


def _fingerprint(files: list[tuple[str, bytes]]) -> str:
    return hashlib.sha1(b"".join(name.encode() + b"\0" + data for name, data in files)).hexdigest()


def load_builtin_decks(
    store: Store, parsed: list[tuple[str, DeckFile]] | None = None
) -> dict[str, LoadSummary]:
    """Load (or reload) built-in decks (all of them by default). A card that moved to another built-in
    deck file keeps its history: matched by its key across the built-in decks, it moves with its log."""
    if parsed is None:
        parsed = [(name, parse_deck_bytes(data, f"decks/{name}")) for name, data in builtin_files()]
    _move_between_builtin_decks(store, [deck for _, deck in parsed])
    return {deck.name: load_deck(store, deck, source=f"builtin:{name}") for name, deck in parsed}


def _move_between_builtin_decks(store: Store, decks: list[DeckFile]) -> None:
    home = {card.key: deck for deck in decks for card in deck.cards}
    with store.operation(Changes.CARD_CONTENT | Changes.DECKS | Changes.STUDY_QUEUE) as db:
        builtin = dict(db.execute("SELECT id, key FROM deck WHERE source LIKE 'builtin:%'").fetchall())
        for card_id, key, deck_id in db.execute(
            "SELECT id, key, deck_id FROM card WHERE deck_id IN (SELECT id FROM deck WHERE source LIKE 'builtin:%')"
        ).fetchall():
            target = home.get(key)
            if target is None or builtin[deck_id] == target.key:
                continue
            row = db.execute("SELECT id FROM deck WHERE key = ?", (target.key,)).fetchone()
            target_id = row[0] if row else db.execute(
                "INSERT INTO deck (key, name, source) VALUES (?, ?, 'builtin:')", (target.key, target.name)
            ).lastrowid  # fmt: skip
            if db.execute("SELECT 1 FROM card WHERE deck_id = ? AND key = ?", (target_id, key)).fetchone():
                continue  # already there (a copy loaded by an earlier version): the file's load updates it
            db.execute("UPDATE card SET deck_id = ? WHERE id = ?", (target_id, card_id))
            db.execute("UPDATE review SET deck_id = ? WHERE card_id = ?", (target_id, card_id))


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "deck"


def new_deck_key(db: sqlite3.Connection, name: str) -> str:
    """A key for a new deck: its name in ASCII letters and digits, with a short hash of the whole name
    when that is taken or says nothing, so that 日本語::語彙 and 日本語::文法, or ML::Basics and ML Basics,
    stay two decks (a key found another deck's, and the import renamed and filled it)."""
    base = slug(name)
    if re.search(r"[a-z0-9]", name.lower()) and not db.execute("SELECT 1 FROM deck WHERE key = ?", (base,)).fetchone():
        return base
    digest = hashlib.sha1(name.encode()).hexdigest()
    for length in range(8, len(digest) + 1, 4):
        key = f"{base}-{digest[:length]}"
        if not db.execute("SELECT 1 FROM deck WHERE key = ?", (key,)).fetchone():
            return key
    raise StudyPlannerError(f"no free key for a deck named {name!r}")


def add_parent_decks(db: sqlite3.Connection, name: str, now_ms: int) -> None:
    """The decks above A::B::C that do not exist yet (A, A::B), as Anki makes them: studying a deck
    studies its subdecks too, and the deck list shows each under its parent."""
    parts = name.split("::")
    for depth in range(1, len(parts)):
        parent = "::".join(parts[:depth])
        if not db.execute("SELECT 1 FROM deck WHERE name = ?", (parent,)).fetchone():
            db.execute(
                "INSERT INTO deck (key, name, created_ms) VALUES (?, ?, ?)", (new_deck_key(db, parent), parent, now_ms)
            )



def load_deck(store: Store, parsed: DeckFile, source: str = "", remove_missing: bool = True) -> LoadSummary:
    """Create or update a deck from a parsed deck file, in one transaction (a new store's built-in decks,
    or a deck file reloaded: not a learner's action to undo)."""
    with store.operation(Changes.CARD_CONTENT | Changes.DECKS | Changes.STUDY_QUEUE) as db:
        return upsert_deck(db, parsed, source, to_ms(store.clock.now()), remove_missing)


def upsert_deck(
    db: sqlite3.Connection, parsed: DeckFile, source: str, now_ms: int, remove_missing: bool
) -> LoadSummary:
    """Create or update a deck inside the caller's transaction, matching cards by key.

    Cards keep their review history when their text changes. With remove_missing,
    cards no longer in the file are suspended and tagged, never deleted.
    """
    added = updated = unchanged = removed = returned = 0
    row = db.execute("SELECT id FROM deck WHERE key = ?", (parsed.key,)).fetchone()
    if row:
        deck_id = row[0]
        clash = db.execute("SELECT 1 FROM deck WHERE name = ? AND id != ?", (parsed.name, deck_id)).fetchone()
        if clash:
            raise StudyPlannerError(f"another deck is already named {parsed.name!r}")
        db.execute(
            "UPDATE deck SET name = ?, description = ?, source = ? WHERE id = ?",
            (parsed.name, parsed.description, source, deck_id),
        )
        add_parent_decks(db, parsed.name, now_ms)
    else:
        if db.execute("SELECT 1 FROM deck WHERE name = ?", (parsed.name,)).fetchone():
            raise StudyPlannerError(f"another deck is already named {parsed.name!r}")
        add_parent_decks(db, parsed.name, now_ms)
        deck_id = db.execute(
            "INSERT INTO deck (key, name, description, source, created_ms) VALUES (?, ?, ?, ?, ?)",
            (parsed.key, parsed.name, parsed.description, source, now_ms),
        ).lastrowid
    existing = {
        r[0]: r[1:]
        for r in db.execute(
            "SELECT key, id, question, answer, tags, position, queue, state FROM card WHERE deck_id = ?", (deck_id,)
        )
    }
    # A whole deck file sets the order; a partial import appends its new cards.
    (last,) = db.execute("SELECT coalesce(max(position), 0) FROM card WHERE deck_id = ?", (deck_id,)).fetchone()
    base = 0 if remove_missing else last
    new_rows: list[tuple] = []
    for index, card in enumerate(parsed.cards, start=1):
        tags = tags_text(card.tags)
        old = existing.pop(card.key, None)
        position = base + index if old is None or remove_missing else old[4]
        if old is None:
            new_rows.append((deck_id, card.key, card.question, card.answer, tags, position, now_ms, now_ms))
            continue
        card_id, question, answer, old_tags, old_position, queue, state = old
        was_removed = f" {REMOVED_TAG} " in old_tags
        if (question, answer, old_tags, old_position) == (card.question, card.answer, tags, position):
            unchanged += 1
            continue
        db.execute(
            "UPDATE card SET question = ?, answer = ?, tags = ?, position = ?, modified_ms = ?, queue = ? WHERE id = ?",
            (card.question, card.answer, tags, position, now_ms,
             queue_for_state(state) if was_removed else queue, card_id),
        )  # fmt: skip
        if was_removed:
            returned += 1
        else:
            updated += 1
    with undo.bulk_insert(db, "card"):
        db.executemany(
            "INSERT INTO card (deck_id, key, question, answer, tags, position, created_ms, modified_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            new_rows,
        )
    added = len(new_rows)
    for card_id, _question, _answer, old_tags, _position, _queue, _state in existing.values() if remove_missing else ():
        if f" {REMOVED_TAG} " in old_tags:
            continue
        db.execute(
            "UPDATE card SET queue = ?, tags = ?, modified_ms = ? WHERE id = ?",
            (QUEUE_SUSPENDED, old_tags + REMOVED_TAG + " ", now_ms, card_id),
        )
        removed += 1
    return LoadSummary(added=added, updated=updated, unchanged=unchanged, removed=removed, returned=returned,
                       deck_id=deck_id)
