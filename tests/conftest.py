from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cards import ops
from cards.deckfile import parse_deck_bytes
from cards.loading import load_deck
from cards.store import Store
from cards.timeutil import FixedClock

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Keep every test away from the learner's real store and settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("STUDYPLANNER_DB", raising=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path, clock):
    """A store with the three-card test deck, fuzz off, in UTC."""
    s = Store.open(tmp_path / "store.db", clock=clock, tz=UTC, load_builtin=False)
    ops.update_settings(s, fuzz=False)
    load_deck(s, parse_deck_bytes((DATA / "small.md").read_bytes(), "small.md"))
    yield s
    s.close()


def add_deck_with_cards(store: Store, name: str, count: int) -> int:
    deck = ops.add_deck(store, name).value
    for i in range(count):
        ops.add_card(store, deck.id, f"{name} question {i}", f"answer {i}")
    return deck.id
