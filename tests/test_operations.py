"""One way through the code: every change is an operation that says what changed, and undo is exact.

Each undoable operation is run on a real store, undone, and the whole store
(every row of every table) compared with what it was before.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest

from cards import catchup, formats, ops
from cards.changes import Changes
from cards.errors import NothingToUndo, StudyPlannerError
from cards.store import Store
from planner import plans
from planner.planfile import parse_plan

DATA = Path(__file__).parent / "data"


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    tables = [r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: sorted(map(repr, store.db.execute(f"SELECT rowid, * FROM {t}"))) for t in tables}  # type: ignore[misc]


@pytest.fixture
def planned(store):
    plans.attach(store)
    plans.import_plan(store, parse_plan((DATA / "plan.md").read_text(), "plan.md"))
    store.undo_stack.clear()
    return store


def _first(store):
    return store.next_card().id


def _answered(store):
    card = _first(store)
    ops.answer(store, card, 4)
    return card


def _csv(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("question,answer,tags\nWhat is 3+3?,6,math\nWhat is 2+2?,4,math\n")
    return path


def _behind(store, clock):
    return plans.start_plan(store, "test-plan", on=store.today().day - timedelta(days=3)).value


UNDOABLE = {
    "answer": lambda s, c, t: ops.answer(s, _first(s), 3),
    "answer a review card": lambda s, c, t: (_answered(s), c.advance(days=30), ops.answer(s, _first(s), 1))[-1],
    "bury": lambda s, c, t: ops.bury(s, [_first(s)]),
    "suspend": lambda s, c, t: ops.suspend(s, [_first(s)]),
    "unsuspend": lambda s, c, t: (ops.suspend(s, [1, 2]), ops.unsuspend(s, [1]))[-1],
    "add card": lambda s, c, t: ops.add_card(s, 1, "New question?", "New answer", ["new"]),
    "edit card": lambda s, c, t: ops.edit_card(s, 1, question="Edited?", tags=["edited"]),
    "move card with its history": lambda s, c, t: (
        _answered(s), ops.edit_card(s, 1, deck_id=ops.add_deck(s, "Other").value.id)
    )[-1],
    "move cards": lambda s, c, t: (_answered(s), ops.move_cards(s, [1, 2], ops.add_deck(s, "Other").value.id))[-1],
    "delete cards with their history": lambda s, c, t: (_answered(s), ops.delete_cards(s, [1, 2]))[-1],
    "add deck": lambda s, c, t: ops.add_deck(s, "Fresh"),
    "rename deck": lambda s, c, t: ops.rename_deck(s, 1, "Renamed"),
    "delete deck with cards and history": lambda s, c, t: (_answered(s), ops.delete_deck(s, 1))[-1],
    "settings": lambda s, c, t: ops.update_settings(s, new_per_day=5, desired_retention=0.85),
    "deck options": lambda s, c, t: ops.set_deck_overrides(s, 1, new_per_day=2),
    "import csv into an existing deck": lambda s, c, t: formats.import_file(s, _csv(t), deck="Small test deck"),
    "import a new markdown deck": lambda s, c, t: formats.import_file(s, DATA / "small.md", deck="Copy"),
    "import plan": lambda s, c, t: plans.import_plan(
        s, parse_plan((DATA / "plan.md").read_text().replace("test-plan", "other-plan"), "p.md")
    ),
    "start plan": lambda s, c, t: plans.start_plan(s, "test-plan"),
    "stop plan": lambda s, c, t: (
        plans.start_plan(s, "test-plan"), plans.stop_run(s, plans.runs(s)[0].id)
    )[-1],
    "tick tasks": lambda s, c, t: (
        plans.start_plan(s, "test-plan", on=s.today().day),
        plans.set_done(s, [t.id for t in plans.tasks_between(s, s.today().day, s.today().day)[s.today().day]]),
    )[-1],
    "study a later topic ahead": lambda s, c, t: (
        plans.start_plan(s, "test-plan", on=s.today().day), plans.study_ahead(s, plans.runs(s)[0].id, "attention")
    )[-1],
    "shift plan": lambda s, c, t: plans.shift_remaining(s, plans.plan_shift(s, _behind(s, c).id)),
    "spread missed tasks": lambda s, c, t: plans.spread_missed(s, plans.plan_spread(s, _behind(s, c).id, 30)),
}


@pytest.mark.parametrize("name", list(UNDOABLE))
def test_every_undoable_operation_is_undone_exactly(planned, clock, tmp_path, name):
    steps = len(planned.undo_stack.steps)
    heard: list[Changes] = []
    planned.listen(heard.append)
    before_all = snapshot(planned)
    result = UNDOABLE[name](planned, clock, tmp_path)
    assert result.undo_label, "an undoable operation names itself"
    assert result.changes and heard[-1] == result.changes  # returned, and told to the listeners
    assert planned.undo_label == result.undo_label
    assert snapshot(planned) != before_all
    while len(planned.undo_stack.steps) > steps:  # set-up steps inside the case are undone too
        ops.undo(planned)
    assert snapshot(planned) == before_all


@pytest.mark.parametrize("name", list(UNDOABLE))
def test_every_undone_operation_is_redone_exactly_and_undone_again(planned, clock, tmp_path, name):
    steps = len(planned.undo_stack.steps)
    before_all = snapshot(planned)
    result = UNDOABLE[name](planned, clock, tmp_path)
    after_all = snapshot(planned)
    undone = 0
    while len(planned.undo_stack.steps) > steps:
        ops.undo(planned)
        undone += 1
    assert planned.redo_label is not None
    heard: list[Changes] = []
    planned.listen(heard.append)
    for _ in range(undone):
        redone = ops.redo(planned)
        assert heard[-1] == redone.changes
    assert planned.redo_label is None and planned.undo_label == result.undo_label
    assert snapshot(planned) == after_all
    for _ in range(undone):
        ops.undo(planned)
    assert snapshot(planned) == before_all


def test_a_new_change_after_an_undo_ends_what_could_be_redone(store):
    ops.answer(store, store.next_card().id, 3)
    ops.undo(store)
    assert store.redo_label == "answer"
    ops.rename_deck(store, 1, "Renamed")
    assert store.redo_label is None
    with pytest.raises(NothingToUndo, match="nothing to redo"):
        ops.redo(store)


def test_undo_walks_back_several_steps_in_order(store):
    first = snapshot(store)
    ops.answer(store, store.next_card().id, 3)
    second = snapshot(store)
    ops.delete_cards(store, [2])
    third = snapshot(store)
    ops.rename_deck(store, 1, "Renamed")
    assert store.undo_label == "rename deck"
    assert ops.undo(store).value.label == "rename deck" and snapshot(store) == third
    assert ops.undo(store).value.label == "delete 1 card" and snapshot(store) == second
    assert ops.undo(store).value.label == "answer" and snapshot(store) == first
    with pytest.raises(NothingToUndo):
        ops.undo(store)


def test_a_failed_operation_changes_nothing_and_leaves_no_step(store):
    before = snapshot(store)
    with pytest.raises(StudyPlannerError):
        ops.rename_deck(store, 1, "   ")
    with pytest.raises(StudyPlannerError):
        ops.move_cards(store, [1, 99999], 1)  # the first card moves, then the second is unknown: all rolled back
    assert snapshot(store) == before
    assert store.undo_label is None


def test_another_programs_change_ends_the_undo_history(store, clock):

    ops.answer(store, store.next_card().id, 3)
    with Store.open(store.path, clock=clock, tz=UTC, load_builtin=False) as other:
        ops.rename_deck(other, 1, "Changed elsewhere")
    with pytest.raises(NothingToUndo, match="changed by another program"):
        ops.undo(store)
    assert store.undo_label is None
    assert store.deck(1).name == "Changed elsewhere"  # nothing was written over


def test_work_done_on_the_worker_connection_is_undone_from_the_window(store, tmp_path):
    worker = store.sibling()
    try:
        before = snapshot(store)
        summary = formats.import_file(worker, _csv(tmp_path), deck="From the worker").value
        assert summary.added == 2
        assert store.undo_label == "import extra.csv"
        ops.undo(store)
        assert snapshot(store) == before
    finally:
        worker.close()


def test_operations_that_cannot_be_undone_end_the_history(store, clock):
    ops.answer(store, store.next_card().id, 1)
    clock.advance(days=40)
    overdue = catchup.plan_catch_up(store, days=3, per_day=0)
    ops.answer(store, store.next_card().id, 3)
    assert store.undo_label == "answer"
    catchup.apply_catch_up(store, overdue)  # undoable itself
    assert store.undo_label.startswith("spread")
    from fsrs_rs_python import DEFAULT_PARAMETERS

    from cards import optimizer

    optimizer.apply(store, tuple(DEFAULT_PARAMETERS))  # rewrites every review card: not undoable
    assert store.undo_label is None


def test_reading_never_writes(store, clock):
    ops.bury(store, [1])
    clock.advance(days=1)
    changes_before = store.db.total_changes
    store.today(), store.deck_counts(), store.next_card(), store.queue_counts()
    assert store.db.total_changes == changes_before
    assert store.card(1).queue == -2  # still buried until the day change is applied
    assert ops.begin_day(store).value == 1
    assert store.card(1).queue == 0


def test_the_answered_card_is_the_card_as_stored(store):
    answered = ops.answer(store, store.next_card().id, 1).value
    assert answered == store.card(answered.id)


def test_the_worker_connection_shares_backups_and_is_closed_by_a_restore(store, tmp_path):
    worker = store.sibling()
    store.backup()
    assert not store.changed_since_backup()
    ops.answer(worker, worker.next_card().id, 3)  # a change on the worker's connection counts too
    assert store.changed_since_backup()
    first = worker.backup()
    assert not store.changed_since_backup()
    ops.answer(store, store.next_card().id, 3)
    plans.restore(store, first)  # the file is replaced: the worker's connection must not write to the old one
    assert worker.closed
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == 1


def test_undo_recording_leaves_nothing_in_the_store_file(store, tmp_path):
    formats.import_file(store, _csv(tmp_path), deck="Bulk")
    formats.import_file(store, _csv(tmp_path), deck="Bulk")  # nothing new: an empty bulk insert
    ops.undo(store)
    ops.undo(store)
    assert store.db.execute("SELECT count(*) FROM main.sqlite_master WHERE type = 'trigger'").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM temp.sqlite_master WHERE type = 'trigger'").fetchone()[0] > 0
    assert "Bulk" not in [d.name for d in store.decks()]


def test_a_cancelled_import_changes_nothing(store, tmp_path):
    from cards.errors import Cancelled

    steps = []

    def stop_at_writing(step: str) -> None:
        steps.append(step)
        if step.startswith("Writing"):
            raise Cancelled()

    before = snapshot(store)
    with pytest.raises(Cancelled):
        formats.import_file(store, _csv(tmp_path), deck="Stopped", progress=stop_at_writing)
    assert steps == ["Reading extra.csv…", "Writing 2 cards…"]
    assert snapshot(store) == before and store.undo_label is None
