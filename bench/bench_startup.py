"""Whole-process start on a 100,000-card store: `studyplanner decks`, and the window to its first paint.

Each run is a fresh process; the time is from launch to the line the process
prints when done (the deck table, or the window's first paint of the deck list).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import build_store, save, summary  # noqa: E402


def time_until_output(cmd: list[str], marker: str, env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    for line in proc.stdout:
        if marker in line:
            elapsed = (time.perf_counter() - start) * 1000
            break
    else:
        raise RuntimeError(f"{cmd} never printed {marker!r}")
    proc.wait()
    return elapsed


# Anki has no command line: its nearest is a process that opens the collection and counts every deck.
ANKI_COUNTS = (
    "import sys; from anki.collection import Collection; col = Collection(sys.argv[1]); "
    "col.sched.deck_due_tree(); print('Deck'); col.close(downgrade=False)"
)


def run(cards: int, repeat: int = 10) -> dict:
    from bench.anki_twin import build_collection

    with tempfile.TemporaryDirectory() as tmp:
        db = build_store(Path(tmp) / "bench.db", cards, cards * 10)
        collection = build_collection(Path(tmp) / "bench.anki2", cards, cards * 10)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        cli = [sys.executable, "-m", "studyplanner", "--db", str(db), "decks"]
        anki = [sys.executable, "-c", ANKI_COUNTS, str(collection)]
        window = [sys.executable, str(ROOT / "bench" / "first_paint_child.py"), str(db)]
        time_until_output(window, "painted", env)  # warm the OS file cache once
        return {
            "cards": cards,
            "cli_decks": summary([time_until_output(cli, "Deck", env) for _ in range(repeat)]),
            "anki_process_counts": summary([time_until_output(anki, "Deck", env) for _ in range(repeat)]),
            "window_first_paint": summary([time_until_output(window, "painted", env) for _ in range(repeat)]),
        }


def main() -> None:
    cards = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    results = run(cards)
    print(f"{cards:,} cards")
    for key in ("cli_decks", "anki_process_counts", "window_first_paint"):
        print(f"  {key:<20} median {results[key]['median_ms']:8.1f} ms   p99 {results[key]['p99_ms']:8.1f} ms")
    print("saved", save("startup", results))


if __name__ == "__main__":
    main()
