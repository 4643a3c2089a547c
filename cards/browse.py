"""Finding cards for the browser: search, filter and sort over the whole collection.

Search returns card ids only (fast even at 100,000 cards); rows for the ids on
screen are fetched on demand, so a table view stays smooth.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .scheduling import STATE_NAMES

# What the browser can sort by, as SQL over the card table.
SORT_KEYS = {
    "deck": "deck_id",
    "question": "question COLLATE NOCASE",
    "tags": "tags",
    "state": "state",
    "due": "coalesce(due_ms, 9e18)",
    "interval": "coalesce(due_ms - last_review_ms, -1)",
    "lapses": "lapses",
    "created": "id",
}
STATE_FILTERS = {
    "new": "queue = 0",
    "learning": "queue = 1",
    "review": "queue = 2",
    "suspended": "queue = -1",
    "buried": "queue = -2",
}


@dataclass(frozen=True)
class CardQuery:
    text: str = ""
    deck_id: int | None = None
    tag: str = ""
    state: str = ""  # a key of STATE_FILTERS, or "" for all
    sort: str = "created"
    descending: bool = False


@dataclass(frozen=True)
class BrowseRow:
    id: int
    deck: str
    question: str
    tags: str
    state: str
    due_ms: int | None
    interval_days: float | None
    lapses: int
    suspended: bool


def _literal(text: str) -> str:
    """Text for a LIKE pattern, matched as it is (ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(db: sqlite3.Connection, query: CardQuery) -> list[int]:
    """Ids of the cards matching the query, in the query's order."""
    args: list[str | int]
    where, args = ["1"], []
    for word in query.text.split():
        where.append("(question LIKE ? ESCAPE '\\' OR answer LIKE ? ESCAPE '\\')")
        pattern = "%" + _literal(word) + "%"
        args += [pattern, pattern]
    if query.deck_id is not None:
        where.append("deck_id = ?")
        args.append(query.deck_id)
    if query.tag:
        where.append("tags LIKE ? ESCAPE '\\'")  # a tag with % or _ in it is itself, not a wildcard
        args.append(f"% {_literal(query.tag)} %")
    if query.state:
        where.append(STATE_FILTERS[query.state])
    order = SORT_KEYS[query.sort] + (" DESC" if query.descending else "")
    sql = f"SELECT id FROM card WHERE {' AND '.join(where)} ORDER BY {order}, id"
    return [row[0] for row in db.execute(sql, args)]


def rows(db: sqlite3.Connection, ids: list[int]) -> dict[int, BrowseRow]:
    """Table rows for some card ids (those on screen)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    result = {}
    for r in db.execute(
        "SELECT c.id, d.name, c.question, c.tags, c.state, c.queue, c.due_ms, c.last_review_ms, c.lapses "
        f"FROM card c JOIN deck d ON d.id = c.deck_id WHERE c.id IN ({marks})",
        ids,
    ):
        card_id, deck, question, tags, state, queue, due_ms, last_ms, lapses = r
        interval = (due_ms - last_ms) / 86_400_000 if due_ms is not None and last_ms is not None else None
        label = {-1: "suspended", -2: "buried"}.get(queue, STATE_NAMES[state])
        result[card_id] = BrowseRow(card_id, deck, question, tags.strip(), label, due_ms, interval, lapses, queue == -1)
    return result


def all_tags(db: sqlite3.Connection) -> list[str]:
    tags: set[str] = set()
    for (text,) in db.execute("SELECT DISTINCT tags FROM card"):
        tags.update(text.split())
    return sorted(tags)
