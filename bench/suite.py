"""`make bench`: every benchmark, this app beside the `anki` library on the same machine in the same run.

Core operations at 1,000, 10,000 and 100,000 cards (ten answers per card in the log), each side in a
process of its own (bench/core_side.py); import and export of 10,000 cards (bench/bench_import.py);
whole-process starts (bench/bench_startup.py); the first answer with math (bench/bench_first_answer.py);
every statistics figure and the optimizer (bench/bench_stats.py); the upgrade of a large store to the smaller
review log (bench/bench_upgrade.py); one backup, and a year of them (bench/bench_backup.py). Prints one table
and how each cost grows; saves bench/results/suite.json and suite.md (the table as the README shows it).
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_backup, bench_first_answer, bench_import, bench_startup, bench_stats, bench_upgrade  # noqa: E402
from bench.common import RESULTS, save  # noqa: E402
from cards.wording import size  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
CORE = {
    "open_and_counts": "open + today's counts, all decks",
    "next_card": "next card",
    "answer_and_next": "answer (schedule + commit) + next card",
    "undo": "undo an answer",
    "statistics": "statistics screen, a year of the log",
}


def side(name: str, cards: int) -> dict:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "core_side.py"), name, str(cards)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def growth(costs: list[float]) -> str:
    """How a cost grows over sizes ten times apart: the exponent k of cost ~ size**k."""
    k = math.log10(max(costs[-1], 1e-6) / max(costs[0], 1e-6)) / math.log10(SIZES[-1] / SIZES[0])
    kind = "constant" if k < 0.25 else "sublinear" if k < 0.75 else "linear" if k < 1.25 else "superlinear"
    return f"{kind} (k={k:.2f})"


def ratio(ours: float, anki: float) -> str:
    return f"{ours / anki:.2f}" if anki else "–"


def build_all() -> None:
    """Both sides' collections, built (or found cached) before any side is measured, so that a side's
    peak memory is its work's, not the building's. Run in a process of its own: on Linux a child
    process starts with its parent's peak memory, so building here would be counted in every side."""
    import tempfile

    from bench.anki_twin import build_collection
    from bench.common import build_store

    with tempfile.TemporaryDirectory() as tmp:
        for cards in SIZES:
            build_store(Path(tmp) / "ours.db", cards, cards * 10)
            build_collection(Path(tmp) / "anki.anki2", cards, cards * 10)


def main() -> None:
    subprocess.run([sys.executable, __file__, "--build-only"], check=True, cwd=ROOT)
    core = {cards: {name: side(name, cards) for name in ("ours", "anki")} for cards in SIZES}
    print("core done", flush=True)
    imports = bench_import.run()
    startup = bench_startup.run(SIZES[-1])
    stats = bench_stats.run()
    first_answer = bench_first_answer.run()
    upgrade = bench_upgrade.run(SIZES[-1])
    backups = bench_backup.run()
    results = {"core": core, "import_export": imports, "startup": startup, "statistics": stats,
               "first_answer": first_answer, "upgrade": upgrade, "backups": backups}  # fmt: skip
    saved = save("suite", results)

    lines = [
        f"Measured {date.today()} on {platform.machine()}, {platform.system()}, Python {platform.python_version()},"
        f" anki {_anki_version()}; milliseconds, median / p99; ratio = ours / Anki (below 1: we are faster).",
        "",
        "| operation | cards | ours | Anki | ratio | peak memory ours / Anki |",
        "|---|---|---|---|---|---|",
    ]
    for key, label in CORE.items():
        for cards in SIZES:
            o, a = core[cards]["ours"], core[cards]["anki"]
            lines.append(
                f"| {label} | {cards:,} | {o[key]['median_ms']:.2f} / {o[key]['p99_ms']:.2f} | "
                f"{a[key]['median_ms']:.2f} / {a[key]['p99_ms']:.2f} | "
                f"{ratio(o[key]['median_ms'], a[key]['median_ms'])} "
                f"| {o['peak_rss_mb']:.0f} / {a['peak_rss_mb']:.0f} MB |"
            )
    for key, label in (("next_new_card_plan_running", "next new card, a study plan running (ours only)"),
                       ("counts_plan_running", "today's counts, a study plan running (ours only)")):  # fmt: skip
        for cards in SIZES:
            plan = core[cards]["ours"].get(key)
            if plan:
                lines.append(
                    f"| {label} | {cards:,} | {plan['median_ms']:.2f} / {plan['p99_ms']:.2f} | – | – | |"
                )
    for cards in SIZES:
        o, a = core[cards]["ours"], core[cards]["anki"]
        lines.append(
            f"| file size per card | {cards:,} | {o['bytes_per_card']:,} B | {a['bytes_per_card']:,} B | "
            f"{ratio(o['bytes_per_card'], a['bytes_per_card'])} | |"
        )
    for op, row in imports.items():
        lines.append(
            f"| {op.replace('_', ' ')} | 10,000 | {row['ours_ms']:.0f} | {row['anki_ms']:.0f} | {row['ratio']:.2f} | |"
        )
    cli, anki_start, paint = startup["cli_decks"], startup["anki_process_counts"], startup["window_first_paint"]
    lines += [
        f"| whole process: `studyplanner decks` / Anki opening and counting | 100,000 | {cli['median_ms']:.0f} / "
        f"{cli['p99_ms']:.0f} | {anki_start['median_ms']:.0f} / {anki_start['p99_ms']:.0f} | "
        f"{ratio(cli['median_ms'], anki_start['median_ms'])} | |",
        f"| window, launch to first paint | 100,000 | {paint['median_ms']:.0f} / {paint['p99_ms']:.0f} | – | – | |",
        f"| FSRS optimizer, 100,000 answers | 10,000 | {stats['optimizer_100k_s'] * 1000:.0f} | – | – | |",
        f"| upgrade of a schema-5 store (backup, smaller log, compaction), {upgrade['lines_told']} progress lines, "
        f"at most {upgrade['longest_silence_s'] * 1000:.0f} ms apart | {upgrade['cards']:,} | "
        f"{upgrade['seconds'] * 1000:.0f} | – | – | |",
        f"| file size per card, schema 5 → after that upgrade | {upgrade['cards']:,} | "
        f"{upgrade['bytes_per_card_before']:,} → {upgrade['bytes_per_card_after']:,} B | – | – | |",
    ]
    one, year, big = backups["one_backup"], backups["year"], backups["year_at_100k"]
    lines += [
        f"| one backup (copy, integrity_check, zstd {one['level']}, read back): time | {one['cards']:,} | "
        f"{one['backup_s'] * 1000:.0f} | – | – | |",
        f"| one backup: size (the store: {size(one['store_bytes'])}) | {one['cards']:,} | {size(one['backup_bytes'])} "
        "| – | – | |",
        f"| backups folder after a simulated year of daily study ({year['backups_made']:,} backups, default "
        f"retention and space) | {year['cards']:,} | {size(year['left_bytes'])} ({year['left']} backups) | – | – | |",
        f"| the same year's backups at {one['cards']:,} cards: before (uncompressed, no space set) → now "
        f"| {one['cards']:,} | {size(big['before_bytes'])} → {size(big['within_budget_bytes'])} "
        f"({big['within_budget']} backups) | – | – | |",
    ]
    for case, row in first_answer.items():
        lines.append(f"| first math answer, Space to screen ({case}) | built-in | {row['median_ms']:.0f} / "
                     f"{row['p99_ms']:.0f} | – | – | |")  # fmt: skip
    figures = stats["figures_1m"]
    slowest = max(figures, key=lambda name: figures[name]["median_ms"] if name != "whole report" else 0)
    lines += [
        "",
        f"Each statistics figure at 1,000,000 answers: at most {figures[slowest]['median_ms']:.0f} ms ({slowest}).",
        "",
        "How each cost grows from 1,000 to 100,000 cards (cost ~ cards^k):",
        "",
    ]
    for key, label in CORE.items():
        ours = growth([core[c]["ours"][key]["median_ms"] for c in SIZES])
        anki = growth([core[c]["anki"][key]["median_ms"] for c in SIZES])
        lines.append(f"- {label}: ours {ours}, Anki {anki}")
    table = "\n".join(lines)
    (RESULTS / "suite.md").write_text(table + "\n")
    print(table)
    print("\nsaved", saved, "and", RESULTS / "suite.md")


def _anki_version() -> str:
    from anki.buildinfo import version

    return version


if __name__ == "__main__":
    build_all() if sys.argv[1:] == ["--build-only"] else main()
