"""Soak: random operations from several processes on one store, with kill -9 at random moments.

Workers (threads, each driving `studyplanner` processes) review, import, export, back up, restore the
newest backup, count and read the plan until the time is up; a review or an import is killed with SIGKILL
at random now and then. Afterwards: every acknowledged answer (the next question was shown; one refused
because another review answered that card first is not) is in the log, looked for by its card and moment,
or, when a restore has put an older store in place since, in the copy that restore kept of the store it
replaced; the store passes integrity_check; and replaying each card's log gives the state the store holds.

    python bench/soak.py [SECONDS] [WORKERS]      # 30 minutes and 4 workers by default
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cards import backup, ops  # noqa: E402
from cards.store import Store  # noqa: E402
from planner.plans import open_store  # noqa: E402

REFUSED = "not answered twice"
ID_SLACK_MS = 1000
RESTORE_EVERY_S = 20


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Soak:
    def __init__(self, path: Path, seed: int) -> None:
        self.path = path
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.acknowledged = 0  # answers shown as saved (the next question came)
        self.in_flight = 0  # answers sent to a review killed before it said
        self.answers: list[tuple[str, int, int]] = []  # each acknowledged answer: question, sent and shown (ms)
        self.kept_by_restores: list[Path] = []  # the store as it was before each restore
        self.folder = path.parent

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "studyplanner", "--db", str(self.path), *args],
                              input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip

    def note(self, what: str, answers: int = 0, in_flight: int = 0) -> None:
        with self.lock:
            self.counts[what] += 1
            self.acknowledged += answers
            self.in_flight += in_flight

    def review(self, rng: random.Random) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "studyplanner", "--db", str(self.path), "review"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
            bufsize=1,
        )  # fmt: skip
        assert proc.stdin and proc.stdout

        def next_question() -> tuple[str | None, bool]:
            """Read on to the next card shown: its question (None at the end), and whether a refusal was printed
            on the way (the answer was not saved, and said so)."""
            refused = False
            line = proc.stdout.readline()
            while line and not line.lstrip("\n").startswith("---"):
                refused = refused or REFUSED in line
                if line.startswith("Reviewed"):
                    return None, refused
                line = proc.stdout.readline()
            if not line:
                return None, refused
            return proc.stdout.readline().strip(), refused

        question, _ = next_question()
        acknowledged: list[tuple[str, int, int]] = []
        kill = rng.random() < 0.5
        for _ in range(rng.randint(1, 15)):
            if question is None:
                break
            sent = _now_ms()
            proc.stdin.write("\n" + rng.choice("1234") + "\n")
            proc.stdin.flush()
            shown, refused = next_question()
            if shown is None:
                break
            if not refused:  # the next question was shown: the answer is acknowledged
                acknowledged.append((question, sent, _now_ms()))
            question = shown
        if kill and question is not None:
            proc.stdin.write("\n" + rng.choice("1234") + "\n")  # one more in flight when the kill comes
            proc.stdin.flush()
            time.sleep(rng.random() * 0.05)
            proc.send_signal(signal.SIGKILL)
        else:
            try:
                proc.stdin.write("q\n")
                proc.stdin.flush()
            except BrokenPipeError:
                pass
        proc.wait()
        with self.lock:
            self.answers.extend(acknowledged)
        self.note("review killed" if kill else "review", answers=len(acknowledged), in_flight=1 if kill else 0)

    def restore(self, _rng: random.Random) -> None:
        """Put the newest backup in place while the others work; the store as it was is kept beside it."""
        result = self.cli("restore", str(self._newest_backup() or self.path))
        if result.returncode == 0:
            kept = result.stdout.split("The store as it was is in ")[1].strip().rstrip(".")
            with self.lock:
                self.kept_by_restores.append(self.folder / kept if not Path(kept).is_absolute() else Path(kept))
        self.note("restore" if result.returncode == 0 else "restore refused")

    def _newest_backup(self) -> Path | None:
        made = [b.path for b in backup.list_backups(self.path, counts=False)]  # compressed, or older plain ones
        backups = sorted(made, key=lambda p: p.stat().st_mtime)
        return backups[-1] if backups else None

    def import_(self, rng: random.Random) -> None:
        path = self.folder / f"soak-{threading.get_ident()}-{rng.randrange(10**9)}.csv"
        path.write_text("question,answer\n" + "".join(f"Soak {rng.randrange(10**9)}?,A\n" for _ in range(20)))
        proc = subprocess.Popen([sys.executable, "-m", "studyplanner", "--db", str(self.path), "import", str(path),
                                 "--deck", "Soak", "--yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                cwd=ROOT)  # fmt: skip
        if rng.random() < 0.3:
            time.sleep(rng.random() * 0.4)
            proc.send_signal(signal.SIGKILL)
            self.note("import killed")
        else:
            self.note("import")
        proc.wait()
        path.unlink(missing_ok=True)

    def run(self, seconds: float, workers: int) -> dict:
        deadline = time.monotonic() + seconds
        def command(name: str, *args: str):
            def run_it(_rng: random.Random) -> None:
                self.cli(*args)
                self.note(name)

            return run_it

        operations = [
            (self.review, 5),
            (self.import_, 2),
            (command("export", "export", "Soak", str(self.folder / "out.csv")), 1),
            (command("backup", "backup"), 1),
            (command("stats", "stats", "--json"), 1),
            (command("plan show", "plan", "show", "--json"), 1),
        ]
        choices, weights = zip(*operations)

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                rng.choices(choices, weights)[0](rng)

        def restorer() -> None:  # a restore every few seconds, whatever the draw: at least six a run
            interval = min(RESTORE_EVERY_S, seconds / 7)
            while time.monotonic() + interval < deadline:
                time.sleep(interval)
                self.restore(self.rng)

        threads = [threading.Thread(target=worker, args=(self.rng.randrange(10**9),)) for _ in range(workers)]
        threads.append(threading.Thread(target=restorer))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self.check()

    def check(self) -> dict:
        db = sqlite3.connect(self.path)
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        logged = db.execute("SELECT count(*) FROM review").fetchone()[0]
        db.close()
        # An acknowledged answer is kept when its card has an answer logged between its sending and the next
        # question: in the store, or in the copy a restore kept of the store it replaced. A log id is its
        # moment in ms, moved on by one when another answer already has it: in a burst, a few ms late.
        kept: set[tuple[str, int]] = set()
        for n, path in enumerate([self.path, *self.kept_by_restores]):
            if n:  # a kept copy is a backup: compressed (a damaged store's copy is a plain file)
                path = backup.decompress(path, self.folder / f"kept-{n}.plain")
            copy = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
            kept.update(copy.execute("SELECT c.question, r.id FROM review r JOIN card c ON c.id = r.card_id"))
            copy.close()
        by_question: dict[str, list[int]] = {}
        for question, moment in kept:
            by_question.setdefault(question, []).append(moment)
        lost = [(q, sent) for q, sent, shown in self.answers
                if not any(sent <= moment <= shown + ID_SLACK_MS for moment in by_question.get(q, ()))]  # fmt: skip
        mismatched = []
        with Store.open(self.path, load_builtin=False) as store:
            answered = [row[0] for row in store.db.execute("SELECT DISTINCT card_id FROM review")]
            for card_id in answered:
                held, replayed = store.card(card_id), store.replay(card_id)
                same = (held.state, held.reps, held.lapses, held.due_ms) == (
                    replayed.state, replayed.reps, replayed.lapses, replayed.due_ms
                ) and abs((held.stability or 0) - (replayed.stability or 0)) < 1e-6
                if not same:
                    mismatched.append(card_id)
        return {
            "operations": dict(self.counts),
            "acknowledged_answers": self.acknowledged,
            "acknowledged_answers_lost": len(lost),
            "answers_in_flight_at_a_kill": self.in_flight,
            "answers_in_log": logged,
            "integrity": integrity,
            "cards_replayed": len(answered),
            "replay_mismatches": len(mismatched),
        }


def run(seconds: float, workers: int, folder: Path, seed: int = 7) -> dict:
    path = folder / "soak.db"
    with open_store(path, load_builtin=False) as store:
        ops.update_settings(store, new_per_day=9999, reviews_per_day=99999)
        deck = ops.add_deck(store, "Soak").value
        for i in range(600):
            ops.add_card(store, deck.id, f"Soak question {i}?", f"answer {i}")
    return Soak(path, seed).run(seconds, workers)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1800
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        result = run(seconds, workers, Path(tmp))
    result["seconds"] = round(time.monotonic() - started)
    print(json.dumps(result, indent=2))
    ok = result["integrity"] == "ok" and result["replay_mismatches"] == 0 and result["acknowledged_answers_lost"] == 0
    print("held" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    main()
