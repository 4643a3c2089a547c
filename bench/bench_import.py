"""Import and export at 10,000 cards, side by side with the `anki` library on the same files.

Each operation runs on a fresh store (or collection) several times; the table
shows medians and the ratio this/Anki (below 1.0: we are faster).
"""

from __future__ import annotations

import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, save, sentence
from cards import formats
from cards.store import Store
from cards.timeutil import FixedClock

CARDS = 10_000
REPEAT = 9  # short operations: enough runs that the median holds still


def make_csv(path: Path) -> None:
    rng = random.Random(11)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["question", "answer", "tags"])
        for i in range(CARDS):
            writer.writerow([f"{sentence(rng, 10)} #{i}?", sentence(rng, 35) + ".", "bench imported"])


def median_ms(fn, repeat: int = REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def ours(tmp: Path, source_csv: Path) -> dict[str, float]:
    counter = iter(range(10_000))

    def fresh() -> Store:
        return Store.open(tmp / f"ours-{next(counter)}.db", clock=FixedClock(NOW), tz=UTC, load_builtin=False)

    def import_csv() -> None:
        with fresh() as store:
            formats.import_file(store, source_csv, deck="Bench")

    results = {"import_csv": median_ms(import_csv)}
    store = fresh()
    formats.import_file(store, source_csv, deck="Bench")
    deck_id = store.deck_by_name("Bench").id
    results["export_csv"] = median_ms(lambda: formats.export_deck(store, deck_id, tmp / "ours-out.csv"))
    results["export_apkg"] = median_ms(lambda: formats.export_deck(store, deck_id, tmp / "ours-out.apkg"))
    store.close()

    def import_apkg(package: Path) -> None:
        with fresh() as target:
            formats.import_file(target, package)

    results["import_apkg"] = median_ms(lambda: import_apkg(tmp / "anki-out.apkg"))
    return results


def anki(tmp: Path, source_csv: Path) -> dict[str, float]:
    from anki.collection import (
        Collection,
        DeckIdLimit,
        ExportAnkiPackageOptions,
        ImportAnkiPackageOptions,
        ImportAnkiPackageRequest,
        ImportCsvRequest,
    )

    counter = iter(range(10_000))

    def fresh() -> Collection:
        return Collection(str(tmp / f"anki-{next(counter)}.anki2"))

    def import_csv(col: Collection) -> None:
        metadata = col.get_csv_metadata(str(source_csv), None)
        metadata.deck_id = col.decks.id("Bench")
        col.import_csv(ImportCsvRequest(path=str(source_csv), metadata=metadata))

    def timed_import_csv() -> None:
        col = fresh()
        import_csv(col)
        col.close()

    results = {"import_csv": median_ms(timed_import_csv)}
    col = fresh()
    import_csv(col)
    limit = DeckIdLimit(col.decks.id("Bench"))
    results["export_csv"] = median_ms(lambda: col.export_note_csv(
        out_path=str(tmp / "anki-out.csv"), limit=limit, with_html=True, with_tags=True, with_deck=False,
        with_notetype=False, with_guid=False))  # fmt: skip
    options = ExportAnkiPackageOptions(with_scheduling=True, with_media=True, legacy=False)
    results["export_apkg"] = median_ms(
        lambda: col.export_anki_package(out_path=str(tmp / "anki-out.apkg"), options=options, limit=limit)
    )
    col.close()

    def import_apkg() -> None:
        target = fresh()
        options = ImportAnkiPackageOptions(with_scheduling=True)
        target.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp / "anki-out.apkg"), options=options))
        target.close()

    results["import_apkg"] = median_ms(import_apkg)
    return results


def run() -> dict[str, dict[str, float]]:
    """Per operation: our median, Anki's, and the ratio."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        source = tmp / "cards.csv"
        make_csv(source)
        theirs = anki(tmp, source)  # first: it writes the .apkg both sides import
        mine = ours(tmp, source)
    return {op: {"ours_ms": mine[op], "anki_ms": theirs[op], "ratio": round(mine[op] / theirs[op], 2)} for op in mine}


def main() -> None:
    rows = run()
    print(f"{CARDS:,} cards, median of {REPEAT}")
    print(f"  {'operation':<12} {'ours ms':>9} {'anki ms':>9} {'ratio':>6}")
    for op, r in rows.items():
        print(f"  {op:<12} {r['ours_ms']:>9.1f} {r['anki_ms']:>9.1f} {r['ratio']:>6.2f}")
    print("saved", save("import_export", {"cards": CARDS, "operations": rows}))


if __name__ == "__main__":
    main()
