"""Statistics over a 1,000,000-answer log, and the FSRS optimizer on 100,000 answers.

Targets (issue: statistics): every figure <= 300 ms; optimizer <= 10 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, build_store, save, summary, timed
from cards import optimizer, stats
from cards.store import Store
from cards.timeutil import FixedClock


def run() -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = build_store(Path(tmp) / "big.db", 100_000, 1_000_000)
        store = Store.open(path, clock=FixedClock(NOW), tz=UTC)
        year_ago = store.today().day - timedelta(days=364)
        figures = {
            "answers per day, by kind, retention (a year)": lambda: stats.daily_figures(store, 365),
            "calibration (a year)": lambda: stats.calibration(store, year_ago),
            "answers per day etc., one deck (a year)": lambda: stats.daily_figures(store, 365, deck_id=3),
            "calibration, one deck (a year)": lambda: stats.calibration(store, year_ago, deck_id=3),
            "forecast (30 days)": lambda: stats.forecast(store, 30),
            "card counts by state": lambda: stats.card_counts(store),
            "interval and stability spreads": lambda: stats.distributions(store),
            "streak (the Today screen)": lambda: stats.streak_days(store),
            "whole report": lambda: stats.report(store),
        }
        results["figures_1m"] = {name: summary(timed(fn, 5)) for name, fn in figures.items()}
        store.close()

        small = build_store(Path(tmp) / "opt.db", 10_000, 100_000)
        store = Store.open(small, clock=FixedClock(NOW), tz=UTC)
        start = time.perf_counter()
        fit = optimizer.fit(store)
        results["optimizer_100k_s"] = round(time.perf_counter() - start, 2)
        results["optimizer_log_loss"] = [round(fit.log_loss_before, 4), round(fit.log_loss_after, 4)]
        store.close()
    return results


def main() -> None:
    results = run()
    print("1,000,000 answers, 100,000 cards (median of 5)")
    for name, r in results["figures_1m"].items():
        print(f"  {name:<44} {r['median_ms']:8.1f} ms")
    print(f"optimizer on 100,000 answers: {results['optimizer_100k_s']} s, log loss {results['optimizer_log_loss']}")
    print("saved", save("stats", results))


if __name__ == "__main__":
    main()
