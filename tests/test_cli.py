"""The command line, end to end through a subprocess on a temp store."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cards import schema
from cards.deckfile import parse_deck_bytes
from cards.loading import load_deck
from cards.store import Store
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studyplanner", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "cli.db"
    with Store.open(path, load_builtin=False) as store:
        load_deck(store, parse_deck_bytes((DATA / "small.md").read_bytes(), "small.md"))
    return path


def review_count(path: Path) -> int:
    return sqlite3.connect(path).execute("SELECT count(*) FROM review").fetchone()[0]


def test_decks_json(db):
    result = run("--db", str(db), "decks", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"name": "Small test deck", "total": 3, "new": 3, "learning": 0, "due": 0}]


def test_decks_table(db):
    result = run("--db", str(db), "decks")
    assert "Small test deck" in result.stdout and "New" in result.stdout


def test_db_from_environment(db):
    result = run("decks", "--json", env={"STUDYPLANNER_DB": str(db)})
    assert json.loads(result.stdout)[0]["total"] == 3


def test_review_piped_answers_undo_and_quit(db):
    # Show, Good; show, Again; undo (the Again: its card comes back to its question); show, Easy; quit.
    result = run("--db", str(db), "review", stdin="\n3\n\n1\nu\n\n4\nq\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "What is 2 + 2?" in out
    assert "1 Again (1m)" in out and "3 Good (10m)" in out  # intervals shown with the answer
    assert "x = torch.ones(2, 3)" in out  # code shown as text, fences dropped
    assert "```" not in out
    assert out.rstrip().endswith("Reviewed 2 cards.")
    assert review_count(db) == 2
    assert "Undone: answer." in result.stderr


def test_review_redo_does_the_undone_answer_again(db):
    # Show, Good; undo; redo (the Good again, on to the next card); quit.
    result = run("--db", str(db), "review", stdin="\n3\nu\nr\nq\n")
    assert result.returncode == 0, result.stderr
    assert "Undone: answer." in result.stderr and "Redone: answer." in result.stderr
    assert result.stdout.rstrip().endswith("Reviewed 1 card.")
    assert review_count(db) == 1


def test_review_refuses_a_rating_before_the_answer_is_shown(db):
    result = run("--db", str(db), "review", stdin="3\n\n3\nq\n")
    assert result.returncode == 0, result.stderr
    assert "Show the answer before rating the card." in result.stderr
    assert result.stdout.rstrip().endswith("Reviewed 1 card.")
    assert review_count(db) == 1


def test_review_to_the_end_reports_what_is_next(db):
    result = run("--db", str(db), "review", "--deck", "small", stdin="\n4\n\n4\n\n4\n")
    assert result.returncode == 0
    assert "Nothing more to study now. Next card due" in result.stdout
    assert result.stdout.rstrip().endswith("Reviewed 3 cards.")


def test_review_limit(db):
    result = run("--db", str(db), "review", "--limit", "1", stdin="\n3\n\n3\n\n3\n")
    assert result.stdout.rstrip().endswith("Reviewed 1 card.")
    assert review_count(db) == 1


def test_stats_json(db):
    run("--db", str(db), "review", stdin="\n3\nq\n")
    stats = json.loads(run("--db", str(db), "stats", "--json").stdout)
    assert stats["reviews_total"] == 1 and stats["reviews_today"] == 1
    assert stats["cards_total"] == 3 and stats["streak_days"] == 1
    # Two new cards, and the one in learning (due in 10 minutes) when that is still today: in the last 10
    # minutes of a study day (it ends at 04:00) it falls due tomorrow.
    now = datetime.now().astimezone()
    day_end = now.replace(hour=4, minute=0, second=0, microsecond=0)
    day_end += timedelta(days=1) if now >= day_end else timedelta(0)
    assert stats["due_today"] == (3 if now + timedelta(minutes=10) < day_end else 2)
    for key in (
        "reviews_per_day",
        "forecast",
        "retention",
        "calibration",
        "reviews_by_kind",
        "intervals",
        "card_counts",
    ):
        assert key in stats


def expect_clean_failure(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_deck(db):
    expect_clean_failure(run("--db", str(db), "review", "--deck", "nope"), "no deck named 'nope'")


def test_bad_rating_changes_nothing(db):
    result = run("--db", str(db), "review", stdin="7\n3\n")
    assert result.returncode == 1
    assert "'7' is not a rating" in result.stderr and "Traceback" not in result.stderr
    assert review_count(db) == 0


def test_not_sqlite(tmp_path):
    path = tmp_path / "text.db"
    path.write_text("hello")
    expect_clean_failure(run("--db", str(path), "decks"), "not an SQLite file")
    assert path.read_text() == "hello"


def test_newer_schema(db):
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 5}")
    con.close()
    before = db.read_bytes()
    expect_clean_failure(run("--db", str(db), "decks"), "newer Study Planner")
    assert db.read_bytes() == before


def test_read_only_location(tmp_path):
    from tests.test_schema import read_only_folder

    expect_clean_failure(run("--db", str(read_only_folder(tmp_path) / "x.db"), "decks"), "read-only")


def test_plan_commands_end_to_end(db, tmp_path):
    from icalendar import Calendar

    result = run("--db", str(db), "plan", "import", str(DATA / "plan.md"))
    assert result.returncode == 0, result.stderr
    assert "Imported the plan 'Test plan'" in result.stdout
    listed = json.loads(run("--db", str(db), "plan", "list", "--json").stdout)
    assert any(p["key"] == "test-plan" and p["days"] == 5 for p in listed)

    today = json.loads(run("--db", str(db), "plan", "show", "--json").stdout)["today"]
    exam = (date.fromisoformat(today) + timedelta(days=700)).isoformat()
    result = run("--db", str(db), "plan", "start", "test-plan", "--on", today, "--exam", exam)
    assert result.returncode == 0 and "Started Test plan" in result.stdout
    shown = json.loads(run("--db", str(db), "plan", "show", "--json").stdout)
    first_day = shown["days"][0]
    start = shown["runs"][0]["start"]  # today, or tomorrow when today is the plan's rest day (Sunday)
    assert first_day["date"] == start
    assert first_day["cards_due"] == (1 if start == today else 0)  # day 1: its topic's card; the rest wait
    assert [(d["topics"], d["new_cards"]) for d in shown["days"][:3]] == [
        (["arithmetic"], 1), (["pytorch"], 1), (["attention"], 1)
    ]  # fmt: skip
    task_ids = [t["id"] for t in first_day["tasks"]]
    assert run("--db", str(db), "plan", "done", str(task_ids[0])).returncode == 0
    shown = json.loads(run("--db", str(db), "plan", "show", "--json").stdout)
    assert next(t["done"] for t in shown["days"][0]["tasks"]) is True
    text = run("--db", str(db), "plan", "show").stdout
    assert "[x]" in text and "Test plan" in text

    ics = tmp_path / "plans.ics"
    assert run("--db", str(db), "plan", "ics", str(ics)).returncode == 0
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert len(events) == 6


def test_plan_bad_input(db, tmp_path):
    expect_clean_failure(run("--db", str(db), "plan", "start", "nope"), "no plan with key 'nope'")
    bad = tmp_path / "bad.md"
    bad.write_text((DATA / "plan.md").read_text().replace("topics: pytorch", "topics: cooking"))
    expect_clean_failure(run("--db", str(db), "plan", "import", str(bad)), "line 12: unknown deck topic 'cooking'")
    assert run("--db", str(db), "plan", "import", str(DATA / "plan.md")).returncode == 0
    expect_clean_failure(
        run("--db", str(db), "plan", "start", "test-plan", "--on", "2030-05-02", "--exam", "2030-05-01"),
        "before the plan's start",
    )
    expect_clean_failure(run("--db", str(db), "plan", "done", "4242"), "no plan task with id 4242")
    listed = json.loads(run("--db", str(db), "plan", "show", "--json").stdout)
    assert listed["runs"] == []


def test_rename_and_delete_a_deck(db):
    assert run("--db", str(db), "deck", "rename", "small", "Arithmetic and tensors").returncode == 0
    listed = json.loads(run("--db", str(db), "decks", "--json").stdout)
    assert [d["name"] for d in listed] == ["Arithmetic and tensors"]
    result = run("--db", str(db), "deck", "delete", "Arithmetic and tensors")
    assert result.stdout.strip() == "Deleted Arithmetic and tensors and its 3 cards."
    assert json.loads(run("--db", str(db), "decks", "--json").stdout) == []
    missing = run("--db", str(db), "deck", "delete", "nothing")
    assert missing.returncode == 1 and missing.stderr.strip() == "studyplanner: no deck named 'nothing'"


def test_stop_a_plan(db):
    run("--db", str(db), "plan", "start", "transformer-mastery-2-weeks")
    shown = json.loads(run("--db", str(db), "plan", "show", "--json").stdout)
    run_id = shown["runs"][0]["id"]
    result = run("--db", str(db), "plan", "stop", str(run_id))
    assert result.returncode == 0 and result.stdout.startswith("Stopped ")
    assert json.loads(run("--db", str(db), "plan", "show", "--json").stdout)["runs"] == []


def test_settings_are_shown_and_set_from_their_declaration(db):
    listed = run("--db", str(db), "settings").stdout
    assert "Desired retention" in listed and "0.70 to 0.99" in listed and "1m 10m" in listed
    assert run("--db", str(db), "settings", "new_per_day", "5").returncode == 0
    assert json.loads(run("--db", str(db), "settings", "--json").stdout)["new_per_day"] == 5
    assert json.loads(run("--db", str(db), "decks", "--json").stdout)[0]["new"] == 3  # 3 cards, limit 5
    run("--db", str(db), "settings", "new_per_day", "1", "--deck", "small")
    assert json.loads(run("--db", str(db), "decks", "--json").stdout)[0]["new"] == 1  # the deck's own limit
    assert "(this deck's own)" in run("--db", str(db), "settings", "--deck", "small").stdout
    run("--db", str(db), "settings", "new_per_day", "default", "--deck", "small")
    assert json.loads(run("--db", str(db), "decks", "--json").stdout)[0]["new"] == 3  # the global 5 again
    bad = run("--db", str(db), "settings", "maximum_interval", "0")
    assert bad.returncode == 1 and bad.stderr.strip() == "studyplanner: maximum interval must be from 1 to 36500 days"


def test_plan_start_warns_and_asks_then_shift_and_spread_preview_first(db):
    key = "transformer-mastery-2-weeks"
    today = date.fromisoformat(json.loads(run("--db", str(db), "plan", "show", "--json").stdout)["today"])
    past = (today - timedelta(days=4)).isoformat()
    refused = run("--db", str(db), "plan", "start", key, "--on", past)
    assert refused.returncode == 1 and "start out missed" in refused.stderr and "--yes" in refused.stderr
    assert json.loads(run("--db", str(db), "plan", "show", "--json").stdout)["runs"] == []
    started = run("--db", str(db), "plan", "start", key, "--on", past, "--yes")
    assert started.returncode == 0 and "Warning: The first day is in the past" in started.stdout
    again = run("--db", str(db), "plan", "start", key)
    assert again.returncode == 1 and "already running" in again.stderr
    run_id = json.loads(run("--db", str(db), "plan", "show", "--json").stdout)["runs"][0]["id"]

    dry = run("--db", str(db), "plan", "spread", str(run_id), "--budget", "120", "--dry-run")
    assert dry.returncode == 0 and "at most 120 min of plan tasks a day" in dry.stdout and "Spread." not in dry.stdout
    shift = run("--db", str(db), "plan", "shift", str(run_id))
    assert shift.stdout.rstrip().endswith("Shifted.")
    assert "no missed task" in run("--db", str(db), "plan", "spread", str(run_id)).stdout


def test_plan_readiness_json(db):
    run("--db", str(db), "plan", "import", str(DATA / "plan.md"))
    none = run("--db", str(db), "plan", "readiness")
    assert none.returncode == 0 and "No running plan has an exam date" in none.stdout
    today = json.loads(run("--db", str(db), "plan", "show", "--json").stdout)["today"]
    exam = (date.fromisoformat(today) + timedelta(days=700)).isoformat()
    run("--db", str(db), "plan", "start", "test-plan", "--on", today, "--exam", exam, "--yes")
    ready = json.loads(run("--db", str(db), "plan", "readiness", "--json").stdout)
    assert set(ready) >= {"exam", "overall", "on_schedule", "decks", "topics"} and ready["exam"] == exam
    assert ready["overall"] == 0 and {t["name"] for t in ready["topics"]} == {"arithmetic", "pytorch", "attention"}
    assert ready["topics"][0] == {"name": ready["topics"][0]["name"], "cards": 1, "learned": 0, "recall": 0}
    text = run("--db", str(db), "plan", "readiness").stdout
    assert "you would recall 0%" in text and "Topics, weakest first" in text


def test_plan_ahead(db):
    run("--db", str(db), "plan", "import", str(DATA / "plan.md"))
    today = date.fromisoformat(json.loads(run("--db", str(db), "plan", "show", "--json").stdout)["today"])
    # From yesterday: attention (day 3) is a later topic whatever today's weekday (Sundays are rest days).
    run("--db", str(db), "plan", "start", "test-plan", "--on", (today - timedelta(days=1)).isoformat(), "--yes")
    before = json.loads(run("--db", str(db), "decks", "--json").stdout)[0]["new"]
    result = run("--db", str(db), "plan", "ahead", "attention")
    assert result.returncode == 0 and "The cards of attention come from today on" in result.stdout
    assert json.loads(run("--db", str(db), "decks", "--json").stdout)[0]["new"] == before + 1
    expect_clean_failure(run("--db", str(db), "plan", "ahead", "cooking"), "no later topic of a running plan")


def test_review_in_the_terminal_checks_a_typed_answer(tmp_path):
    from cards import ops
    from cards.render import TYPE_MARK

    path = tmp_path / "typed.db"
    store = Store.open(path, load_builtin=False)
    deck = ops.add_deck(store, "Capitals").value
    ops.add_card(store, deck.id, "Capital of France? " + TYPE_MARK, "Paris")
    store.close()
    result = run("--db", str(path), "review", stdin="Pariz\n1\nq\n")
    assert result.returncode == 0, result.stderr
    assert "(type the answer, then Enter)" in result.stdout
    assert "✗ Pariz" in result.stdout and "Expected: Paris" in result.stdout
    assert result.stdout.rstrip().endswith("Reviewed 1 card.")


def test_an_import_that_would_suspend_cards_says_so_and_waits_for_yes(tmp_path):
    """The deck-format example once used the built-in Transformers key: importing it suspended all 25
    built-in cards while saying only "2 cards to import". Now such an import says what it would do and
    changes nothing without --yes."""
    db = tmp_path / "s.db"
    deck = tmp_path / "mine.md"
    deck.write_text(
        "# My copy\nkey: transformers\n\n## What is attention?\nkey: mine-1\n\n### Answer\nA weighted sum.\n"
    )
    refused = run("--db", str(db), "import", str(deck))
    assert refused.returncode == 1
    assert "1 new card, 25 cards no longer in the file, to be suspended" in refused.stdout
    assert "run again with --yes" in refused.stderr
    assert "My copy" not in run("--db", str(db), "decks").stdout  # nothing changed
    done = run("--db", str(db), "import", str(deck), "--yes")
    assert done.returncode == 0 and "25 no longer in the file (suspended)" in done.stdout
    # The shipped file imported over them brings them back, and says so (it said "25 updated").
    shipped = run("--db", str(db), "import", str(ROOT / "decks" / "01-transformers.md"), "--yes")
    assert shipped.returncode == 0 and "25 back in the file (unsuspended)" in shipped.stdout
    assert "0 updated" in shipped.stdout


def test_the_deck_format_example_imports_as_a_deck_of_its_own(tmp_path):
    import re

    example = re.search(r"~~~~markdown\n(.*?)~~~~\n", (ROOT / "docs" / "deck-format.md").read_text(), re.S)
    path = tmp_path / "example.md"
    path.write_text(example.group(1))
    result = run("--db", str(tmp_path / "s.db"), "import", str(path))
    assert result.returncode == 0 and "Imported into My transformer notes: 2 added" in result.stdout


def test_version(tmp_path):
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("studyplanner 0.")


@pytest.mark.parametrize("command", [["decks"], ["stats", "--json"], ["plan", "show"]])
def test_a_closed_pipe_ends_quietly(tmp_path, command):
    """`studyplanner decks | head -1` printed a BrokenPipeError traceback."""
    env = dict(os.environ)
    reader = subprocess.Popen(
        [sys.executable, "-m", "studyplanner", "--db", str(tmp_path / "s.db"), *command],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
    )  # fmt: skip
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # the reader has gone before the first line is written
    errors = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 141 and "Traceback" not in errors


def test_no_display_gets_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", "studyplanner", "--db", str(tmp_path / "s.db")],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 3 and "no display to open the window on" in result.stderr
    assert "Traceback" not in result.stderr and "qt.qpa" not in result.stderr


def test_review_in_the_terminal_shows_math_as_unicode(tmp_path):
    """`review` printed raw LaTeX ($\\sqrt{d_k}$) and Markdown table pipes."""
    from cards import ops

    path = tmp_path / "math.db"
    store = Store.open(path, load_builtin=False)
    deck = ops.add_deck(store, "Maths").value
    ops.add_card(store, deck.id, r"Why divide by $\sqrt{d_k}$?", "| scale | variance |\n|---|---|\n| $1$ | $d_k$ |")
    store.close()
    result = run("--db", str(path), "review", stdin=" \n3\nq\n")
    assert result.returncode == 0, result.stderr
    assert "Why divide by √dₖ?" in result.stdout and "\\sqrt" not in result.stdout
    assert "scale  variance" in result.stdout and "|" not in result.stdout.split("Why divide")[1].split("1 Again")[0]


def test_control_sequences_in_cards_and_deck_names_never_reach_the_terminal(tmp_path):
    """`review` and `decks` printed a card's and a deck's escape sequences as they were: colours, cursor
    moves, a clipboard write (OSC 52)."""
    from cards import ops

    path = tmp_path / "esc.db"
    store = Store.open(path, load_builtin=False)
    deck = ops.add_deck(store, "Evil\x1b[2J deck").value
    ops.add_card(store, deck.id, "Q\x1b]52;c;cm0gLXJmIH4=\x07 here?\x07", "A\x1b[31m red\x1b[0m\x9b.")
    store.close()
    for command, stdin in ((["decks"], ""), (["review"], "\n3\nq\n")):
        result = run("--db", str(path), *command, stdin=stdin)
        assert result.returncode == 0, result.stderr
        assert not any(c in result.stdout for c in "\x1b\x07\x9b"), command
    assert "Q here?" in result.stdout and "A red." in result.stdout


def test_a_huge_line_in_a_piped_review_is_not_echoed_whole(db):
    """A 50 MB bad line was echoed whole into the error."""
    result = run("--db", str(db), "review", stdin="x" * 5_000_000 + "\n")
    assert result.returncode == 1 and len(result.stderr) < 400 and "is not a rating" in result.stderr


def test_out_of_range_task_ids_and_far_dates_get_one_clear_line(tmp_path):
    """`plan done 99999999999999999999` raised OverflowError, and `--exam 9999-12-31` made every later
    `plan ics` raise 'date value out of range'."""
    db = str(tmp_path / "s.db")
    result = run("--db", db, "plan", "done", "99999999999999999999")
    assert result.returncode == 2 and "is not a task id" in result.stderr and "Traceback" not in result.stderr
    result = run("--db", db, "plan", "start", "research-engineer-12-weeks", "--exam", "9999-12-31", "--yes")
    assert result.returncode == 1 and "more than 10 years from today" in result.stderr
    result = run("--db", db, "plan", "ics", str(tmp_path / "plan.ics"))
    assert result.returncode == 0 and "Traceback" not in result.stderr


@pytest.mark.parametrize("moment", ["1969-07-20 12:00:00", "2200-01-01 00:00:00", "9999-12-31 12:00:00"])
def test_a_clock_set_far_wrong_is_one_line_and_writes_nothing(tmp_path, moment):
    """Under a clock of 1969 or 9999, `review` died with OverflowError and `export x.apkg` with "ZIP does
    not support timestamps before 1980"; answers would have been dated by it. Run under libfaketime."""
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("libfaketime is not installed (.ci/run installs it)")
    db = tmp_path / "s.db"
    assert run("--db", str(db), "decks").returncode == 0
    before = db.read_bytes()
    for command in (["review", "--limit", "1"], ["export", "transformers", str(tmp_path / "t.apkg")], ["decks"]):
        result = subprocess.run([faketime, moment, sys.executable, "-m", "studyplanner", "--db", str(db), *command],
                                input="3\n", capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
        assert result.returncode == 1 and "Traceback" not in result.stderr, (command, result.stderr)
        assert "the computer's clock reads" in result.stderr and "set it to the right date" in result.stderr
    assert db.read_bytes() == before
