"""Study plans: layout on dates, plan-driven new cards, progress, catching up, ics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from cards import ops
from cards.errors import FileFormatError, StudyPlannerError
from planner import plans
from planner.ics import plans_to_ics
from planner.planfile import parse_plan, parse_plan_bytes
from tests.conftest import DATA

PLAN = (DATA / "plan.md").read_text()


@pytest.fixture
def planned(store):
    """The test store with the planner attached and the test plan imported."""
    plans.attach(store)
    plans.import_plan(store, parse_plan(PLAN, "plan.md"))
    return store


def at(clock, day: date, hour: int = 12) -> None:
    clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))


# ------------------------------------------------------------------ layout


@pytest.mark.parametrize("weekday", range(7))
def test_layout_skips_the_rest_day_from_any_weekday(weekday):
    start = date(2026, 3, 2) + timedelta(days=weekday)  # 2 March 2026 is a Monday
    dates = plans.lay_out(start, 12, rest_weekday=6)
    assert len(dates) == 12
    assert dates[0] == (start if weekday != 6 else start + timedelta(days=1))  # a start on the rest day moves on
    assert all(d.weekday() != 6 for d in dates)
    assert dates == sorted(set(dates))
    span = [dates[0] + timedelta(days=i) for i in range((dates[-1] - dates[0]).days + 1)]
    assert [d for d in span if d.weekday() != 6] == dates  # no study day skipped but the rest days


def test_layout_crosses_month_and_year_ends():
    dates = plans.lay_out(date(2026, 12, 29), 5, rest_weekday=None)
    assert dates == [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    assert plans.lay_out(date(2027, 2, 27), 3, 0)[-1] == date(2027, 3, 2)  # Monday 1 March skipped


def test_start_defaults_to_tomorrow_and_respects_rest(planned, clock):
    at(clock, date(2026, 3, 13))  # a Friday
    run = plans.start_plan(planned, "test-plan").value
    assert run.start == date(2026, 3, 14)
    tasks = plans.tasks_between(planned, run.start, run.end)
    assert sorted(tasks) == [date(2026, 3, 14), date(2026, 3, 16), date(2026, 3, 17), date(2026, 3, 18),
                             date(2026, 3, 19)]  # fmt: skip
    assert run.end == date(2026, 3, 19)


def test_exam_before_start_is_refused(planned):
    with pytest.raises(StudyPlannerError, match="before the plan's start"):
        plans.start_plan(planned, "test-plan", on=date(2026, 4, 1), exam=date(2026, 3, 30))
    assert plans.runs(planned) == []


def test_unknown_plan_key(planned):
    with pytest.raises(StudyPlannerError, match="no plan with key 'nope'"):
        plans.start_plan(planned, "nope")


def test_two_plans_at_once_have_their_own_colours(planned):
    first = plans.start_plan(planned, "test-plan", on=date(2026, 3, 11)).value
    second = plans.start_plan(planned, "test-plan", on=date(2026, 3, 12)).value
    assert first.color != second.color
    day = plans.tasks_between(planned, date(2026, 3, 12), date(2026, 3, 12))[date(2026, 3, 12)]
    assert {t.run_id for t in day} == {first.id, second.id}


# ------------------------------------------------------------------ cards follow the plan


def test_new_cards_of_the_days_topics_come_first(planned, clock):
    plans.start_plan(planned, "test-plan", on=date(2026, 3, 11))
    at(clock, date(2026, 3, 10))
    assert planned.next_card().key == "two-plus-two"  # no plan day yet: deck order
    at(clock, date(2026, 3, 12))  # day 2: pytorch
    assert planned.next_card().key == "transpose"
    at(clock, date(2026, 3, 13))  # day 3: attention
    assert planned.next_card().key == "attention"


def test_topic_cards_are_found_after_answers_edits_and_other_connections(planned, clock, tmp_path):
    from cards.store import Store

    plans.start_plan(planned, "test-plan", on=date(2026, 3, 11))
    at(clock, date(2026, 3, 13))  # day 3: attention
    deck = planned.deck_by_name("small").id
    assert planned.next_card().key == "attention"
    question = "What does the softmax in attention do?"
    second = ops.add_card(planned, deck, question, "Normalises scores", tags=["attention"]).value
    ops.answer(planned, planned.next_card().id, 3)  # the first attention card leaves the new queue
    assert planned.next_card().id == second.id  # an edit (a card added) was seen
    ops.answer(planned, second.id, 3)
    assert planned.next_card().key == "two-plus-two"  # none left: deck order again
    with Store.open(planned.path, clock=clock, tz=UTC, load_builtin=False) as other:
        question = "Why scale attention scores?"
        third = ops.add_card(other, deck, question, "Keep softmax gradients alive", tags=["attention"]).value
    assert planned.next_card().id == third.id  # another connection's commit was seen


def test_tasks_tick_and_untick(planned, clock):
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10)).value
    (first, _second) = plans.tasks_between(planned, run.start, run.start)[run.start]
    plans.set_done(planned, [first.id])
    day = plans.tasks_between(planned, run.start, run.start)[run.start]
    assert [t.done for t in day] == [True, False]
    plans.set_done(planned, [first.id], done=False)
    assert not plans.tasks_between(planned, run.start, run.start)[run.start][0].done
    with pytest.raises(StudyPlannerError, match="no plan task with id 999"):
        plans.set_done(planned, [999])


def test_cards_due_counts_today_and_forecast(planned, clock):
    card = planned.next_card()
    ops.answer(planned, card.id, 4)  # review card due in some days
    due_day = datetime.fromtimestamp(planned.card(card.id).due_ms / 1000, UTC).date()
    days = [planned.today().day + timedelta(days=i) for i in range(30)]
    due = plans.cards_due_on(planned, days)
    assert due[planned.today().day] == 2  # the two new cards left
    assert due[due_day] == 1 and sum(due.values()) == 3


# ------------------------------------------------------------------ behind schedule


def test_days_behind_shift_and_spread(planned, clock):
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10), exam=date(2026, 3, 20)).value
    at(clock, date(2026, 3, 12))  # days 1 and 2 passed, nothing done
    assert plans.days_behind(planned, run.id) == 2
    preview = plans.plan_shift(planned, run.id)
    assert [(n, new) for n, _, new in preview.moves][:2] == [(1, date(2026, 3, 12)), (2, date(2026, 3, 13))]
    assert plans.days_behind(planned, run.id) == 2  # a preview changes nothing
    shifted = plans.shift_remaining(planned, preview).value
    assert plans.days_behind(planned, run.id) == 0
    today = plans.tasks_between(planned, date(2026, 3, 12), date(2026, 3, 12))[date(2026, 3, 12)]
    assert {t.day for t in today} == {1}
    assert shifted.end == date(2026, 3, 17) == preview.end  # 12, 13, 14, (15 is Sunday), 16, 17


def test_spread_fills_each_day_up_to_the_budget(planned, clock):
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 9)).value
    at(clock, date(2026, 3, 12))  # days 1-3 missed: 20+10, 45, 30+15 minutes; day 4 (30) is on the 12th
    spread = plans.plan_spread(planned, run.id, budget=60)
    assert plans.days_behind(planned, run.id) == 3  # a preview changes nothing
    assert [(d.date.day, d.tasks, d.minutes, d.planned_minutes) for d in spread.days] == [
        (12, 2, 30, 30),  # 30 min already planned (day 4): the 20 and the 10 fit
        # the 13th is full (the 60-min mock of day 5)
        (14, 1, 45, 0),  # 45 + the next 30 would pass 60
        # the 15th is a Sunday, the plan's rest day
        (16, 2, 45, 0),
    ]  # fmt: skip
    assert "over 3 days, at most 60 min" in spread.text()
    assert plans.spread_missed(planned, spread).value == 5
    assert plans.days_behind(planned, run.id) == 0


def test_shift_warns_through_the_end_date(planned, clock):
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10), exam=date(2026, 3, 15)).value
    at(clock, date(2026, 3, 14))
    shift = plans.plan_shift(planned, run.id)
    assert "after your exam" in shift.text()
    shifted = plans.shift_remaining(planned, shift).value
    assert shifted.end > shifted.exam


# ------------------------------------------------------------------ progress


def test_weekly_progress_counts_tasks_cards_and_time(planned, clock):
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10)).value
    at(clock, date(2026, 3, 10))
    day1 = plans.tasks_between(planned, run.start, run.start)[run.start]
    plans.set_done(planned, [day1[0].id])  # 20 min
    card = planned.next_card()
    assert card.key == "two-plus-two"
    ops.answer(planned, card.id, 4, duration_ms=60_000)
    (week,) = plans.weekly_progress(planned, run.id)
    assert (week.tasks_done, week.tasks_planned) == (1, 7)
    assert week.cards_introduced == 1 and week.cards_reviewed == 1
    assert week.retention is None  # no review-state answers yet
    assert week.minutes_spent == 21
    clock.advance(days=3)
    ops.answer(planned, card.id, 3)  # an early review, inside the week
    (week,) = plans.weekly_progress(planned, run.id)
    assert week.cards_reviewed == 2 and week.retention == 1.0


# ------------------------------------------------------------------ files


def test_plan_file_errors_name_the_line(planned):
    cases = [
        (PLAN.replace("## Day 2:", "## Day 3:"), 11, "out of order"),
        (PLAN.replace("rest: sunday", "rest: someday"), 4, "rest must be a weekday"),
        (PLAN.replace("- implement:", "- dance:"), 13, "unknown task kind"),
        (PLAN.replace("key: test-plan\n", ""), 1, "no 'key:' line"),
        (PLAN.replace("- review: Review everything so far (30 min)\n", ""), 20, "day 4 has no task"),
    ]
    for text, line, message in cases:
        with pytest.raises(FileFormatError) as caught:
            parse_plan(text, "p.md")
        assert caught.value.line == line and message in str(caught.value), (message, str(caught.value))


def test_unknown_topic_is_refused_and_nothing_imported(planned):
    before = plans.plans(planned)
    bad = parse_plan(PLAN.replace("key: test-plan", "key: other").replace("topics: pytorch", "topics: cooking"), "x.md")
    with pytest.raises(FileFormatError, match=r"x.md, line 12: unknown deck topic 'cooking'"):
        plans.import_plan(planned, bad, path="x.md")
    assert plans.plans(planned) == before


def test_bad_encoding():
    with pytest.raises(FileFormatError, match="not UTF-8"):
        parse_plan_bytes(b"# Plan\nkey: k\n\xff\n", "p.md")


def test_started_plan_cannot_be_replaced(planned):
    plans.start_plan(planned, "test-plan")
    with pytest.raises(StudyPlannerError, match="has been started"):
        plans.import_plan(planned, parse_plan(PLAN, "plan.md"))


def test_ics_parses_back(planned, clock):
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10), exam=date(2026, 3, 20)).value
    calendar = Calendar.from_ical(plans_to_ics(planned))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 6  # five plan days and the exam
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart") == run.start
    assert str(first.get("summary")) == "Test plan: day 1, Arithmetic"
    assert "Read about addition (20 min)" in str(first.get("description"))
    assert any("Exam" in str(e.get("summary")) and e.decoded("dtstart") == date(2026, 3, 20) for e in events)


# ------------------------------------------------------------------ readiness


def test_readiness_is_predicted_recall_on_the_exam_morning(planned, clock):
    from cards.scheduling import recall_curve
    from cards.timeutil import day_bounds, from_ms, study_day
    from planner.readiness import readiness

    at(clock, date(2026, 3, 10))
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10), exam=date(2026, 3, 30)).value
    card = next(c for c in planned.cards() if c.key == "two-plus-two")
    ops.answer(planned, card.id, 4)  # Easy: a review card due in some days
    learned = planned.card(card.id)
    ready = readiness(planned, run)
    # By hand: FSRS's curve R = (1 + factor * days / stability) ** decay at the exam day's start, the days
    # counted as study days (20 here, where 24-hour periods would give 19).
    factor, decay = recall_curve(planned.settings())
    morning = day_bounds(date(2026, 3, 30), 4, UTC)[0]
    days = (date(2026, 3, 30) - study_day(from_ms(learned.last_review_ms), 4, UTC)).days
    assert days == 20 and (morning - from_ms(learned.last_review_ms)).days == 19
    expected = (1 + factor * days / learned.stability) ** decay
    assert [(t.name, t.cards, t.learned) for t in ready.topics][-1] == ("arithmetic", 1, 1)  # the strongest last
    assert ready.topics[-1].recall == pytest.approx(expected)
    assert ready.overall == pytest.approx(expected / 3)  # the two other topic cards are not learned: 0
    assert ready.decks[0].name == "Small test deck" and ready.decks[0].learned == 1
    # Keeping to the reviews due before the exam (answered Good on their day) can only raise recall.
    assert expected / 3 < ready.on_schedule <= 1 / 3


def test_weekly_topics_learned_and_readiness(planned, clock):
    from planner.readiness import week_topics

    at(clock, date(2026, 3, 10))
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10)).value  # no exam: recall now
    ops.answer(planned, next(c for c in planned.cards() if c.key == "transpose").id, 4)
    week = week_topics(planned, run, date(2026, 3, 10))
    assert week.name == "arithmetic, pytorch, attention"
    assert (week.cards, week.learned) == (3, 1)
    assert week.recall == pytest.approx(1 / 3)  # just answered: recall 1 now; the two others 0
    assert week_topics(planned, run, date(2026, 3, 17)).cards == 0  # after the plan's days


def test_a_plan_day_brings_its_topics_cards_and_later_days_wait(planned, clock):
    plans.start_plan(planned, "test-plan", on=date(2026, 3, 10))
    at(clock, date(2026, 3, 10))  # day 1: arithmetic; pytorch and attention come on days 2 and 3
    assert [(c.name, c.new) for c in planned.deck_counts()] == [("Small test deck", 1)]
    assert planned.next_card().key == "two-plus-two"
    ops.answer(planned, planned.next_card().id, 4)
    assert planned.next_card() is None  # the later days' cards wait
    deck = planned.deck_by_name("small").id
    ops.add_card(planned, deck, "Boil an egg?", "Ten minutes", tags=["cooking"])  # no plan covers it
    assert planned.next_card().tag_list == ["cooking"]  # by default: after the plan's cards
    ops.update_settings(planned, new_outside_plan="wait")
    assert planned.next_card() is None and planned.queue_counts().new == 0
    at(clock, date(2026, 3, 12))  # day 3 (the 11th was day 2): attention first, then the missed pytorch
    assert [planned.next_card().key, planned.queue_counts().new] == ["attention", 2]


def test_seven_days_of_the_12_week_plan_bring_only_the_plans_topics_so_far(tmp_path, clock):
    from planner.plans import open_store

    store = open_store(tmp_path / "s.db", clock=clock, tz=UTC)
    ops.update_settings(store, fuzz=False, new_outside_plan="wait")
    start = store.today().day
    run = plans.start_plan(store, "research-engineer-12-weeks", on=start).value
    introduced: dict[int, list[str]] = {}
    for k in range(7):
        day = start + timedelta(days=k)
        at(clock, day)
        while (card := store.next_card()) is not None:
            if card.state == 0:
                introduced.setdefault(k, []).append(card.tags)
            ops.answer(store, card.id, 4)  # Easy: out of the day's way
        allowed = set()
        for d in range(k + 1):
            allowed |= set(plans.topics_of_run_on(store, run.id, start + timedelta(days=d)))
        assert all(set(tags.split()) & allowed for tags in introduced.get(k, [])), k
    assert sum(map(len, introduced.values())) > 0
    store.close()


def test_day_one_of_the_12_week_plan_brings_its_own_cards_not_another_plan_s(tmp_path, clock):
    """With the default setting (cards outside the plan come after its own), the built-in cards of topics
    only another plan names wait for that plan: day 1 brings its five maths cards, not BERT or RAG."""
    from planner.plans import open_store

    store = open_store(tmp_path / "s.db", clock=clock, tz=UTC)
    ops.update_settings(store, fuzz=False)
    plans.start_plan(store, "research-engineer-12-weeks", on=store.today().day)
    new = []
    while (card := store.next_card()) is not None:
        new.append(card.tag_list)
        ops.answer(store, card.id, 4)
    assert new and all(tags == ["vectors-and-matrices"] for tags in new) and len(new) == 5
    deck = ops.add_deck(store, "Mine").value
    ops.add_card(store, deck.id, "My own question?", "My own answer")  # a learner's deck, no plan's topic
    assert store.next_card().question == "My own question?"  # comes after the plan's, by default
    store.close()


def test_study_ahead_pulls_a_later_topic_in_now_and_undo_puts_it_back(planned, clock):
    run = plans.start_plan(planned, "test-plan", on=date(2026, 3, 10)).value
    at(clock, date(2026, 3, 10))  # day 1: arithmetic
    assert plans.later_topics(planned, run.id) == ["pytorch", "attention"]
    plans.study_ahead(planned, run.id, "attention")
    assert planned.queue_counts().new == 2 and plans.later_topics(planned, run.id) == ["pytorch"]
    ops.answer(planned, planned.next_card().id, 4)  # the day's own topic first
    assert planned.next_card().key == "attention"
    with pytest.raises(StudyPlannerError, match="no later topic"):
        plans.study_ahead(planned, run.id, "arithmetic")
    ops.undo(planned)  # the answer
    ops.undo(planned)  # the study ahead
    assert plans.later_topics(planned, run.id) == ["pytorch", "attention"]


def test_planner_schema_1_is_upgraded_with_its_runs(tmp_path, clock):
    from cards.store import Store
    from planner import schema

    store = Store.open(tmp_path / "old.db", clock=clock, tz=UTC, load_builtin=False)
    with store.transaction() as db:  # the planner's tables as version 1 made them, with a run
        schema.MIGRATIONS[0](db)
        store.put_value(db, schema.VERSION_KEY, 1)
        db.execute("INSERT INTO plan (key, name) VALUES ('p', 'P')")
        db.execute("INSERT INTO plan_run (plan_id, start, color, created_ms) VALUES (1, '2026-03-10', '#000', 42)")
    plans.attach(store)
    assert int(store.get_value(schema.VERSION_KEY)) == schema.SCHEMA_VERSION == 3
    # v2 added what was studied ahead; v3 when each run last changed (for a sync: its start, to begin with)
    assert store.db.execute("SELECT start, ahead, changed_ms FROM plan_run").fetchall() == [("2026-03-10", "", 42)]
    store.close()


def test_no_review_jumps_over_the_exam_and_normal_fsrs_resumes_after_it(planned, clock):
    from cards.timeutil import from_ms, study_day

    at(clock, date(2026, 3, 10))
    exam = date(2026, 3, 20)
    plans.start_plan(planned, "test-plan", on=date(2026, 3, 10), exam=exam)
    card = next(c for c in planned.cards() if c.key == "two-plus-two")
    due_days = []
    for _ in range(4):  # Easy each time it comes back: FSRS's intervals grow past the exam
        ops.answer(planned, card.id, 4)
        due = study_day(from_ms(planned.card(card.id).due_ms), 4, UTC)
        due_days.append(due)
        if due >= exam - timedelta(days=1):
            break
        at(clock, due)
    assert all(d < exam for d in due_days)  # never after the exam
    assert due_days[-1] == exam - timedelta(days=1)  # the final window: 3 cards at 200 a day, one day
    at(clock, exam + timedelta(days=1))  # after the exam: FSRS as usual
    ops.answer(planned, card.id, 4)
    assert study_day(from_ms(planned.card(card.id).due_ms), 4, UTC) > exam + timedelta(days=5)
    assert planned.replay(card.id).due_ms == planned.card(card.id).due_ms  # the log keeps the cut dates


def test_a_damaged_plan_entry_from_another_device_is_left_alone(planned):
    from planner import synced

    good = synced.outgoing(planned)
    assert synced.incoming(planned, {"version": synced.VERSION, "runs": [{"plan": "test-plan"}, 7, None]}) == 0
    assert synced.incoming(planned, {"version": 99, "runs": []}) == 0 and synced.incoming(planned, "junk") == 0
    assert synced.outgoing(planned) == good
