"""Sync time through Anki's own sync server on 127.0.0.1: the first sync of a large store (everything goes
up), then an incremental sync after 100 answers, then one with nothing to send.

    python bench/bench_sync.py [CARDS] [REVIEWS]      # 100,000 cards and 1,000,000 answers by default
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import build_store, save
from cards import ops, sync
from cards.store import Store
from cards.timeutil import FixedClock


def start_server(base: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SYNC_USER1": "bench:bench", "SYNC_BASE": str(base), "SYNC_HOST": "127.0.0.1",
           "SYNC_PORT": str(port)}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "anki.syncserver"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}/"


def main() -> None:
    cards = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    reviews = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "study.db"
        build_store(path, cards, reviews)  # a copy of the cached store
        server, url = start_server(work / "server")
        try:
            clock = FixedClock(datetime.now(UTC))
            store = Store.open(path, load_builtin=False, clock=clock, tz=UTC)
            steps: list[tuple[str, float]] = []

            def timed(label: str) -> sync.SyncSummary:
                started = time.perf_counter()
                summary = sync.sync(store, server=url, user="bench", password="bench").value
                steps.append((label, time.perf_counter() - started))
                print(f"  {label:<34} {steps[-1][1]:>7.1f} s   {summary.text()}", flush=True)
                return summary

            print(f"{cards:,} cards, {reviews:,} answers")
            timed("first sync (all of it goes up)")
            due = [card_id for (card_id,) in store.db.execute("SELECT id FROM card WHERE state = 2 LIMIT 100")]
            for card_id in due:
                clock.advance(seconds=5)
                ops.answer(store, card_id, 3)
            timed("after 100 answers")
            timed("nothing to send")
            store.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    save("sync", {"cards": cards, "reviews": reviews, **{label: round(s, 2) for label, s in steps}})


if __name__ == "__main__":
    main()
