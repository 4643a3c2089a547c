"""A million cards in one import: time and peak memory, ours against the `anki` library's, each in a
process of its own (`studyplanner import` and a script of Anki's import calls).

The files: a CSV of 1,000,000 rows, and an .apkg of 1,000,000 notes of the size issue 19's attack used
(short fields; the collection without its indexes, as a crafted package would be, so it fits under the
256 MiB a member may unpack to).

    python bench/bench_big_import.py [ROWS]
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import save

ROOT = Path(__file__).resolve().parent.parent

ANKI_IMPORT = textwrap.dedent("""
    import os, sys, tempfile
    from anki.collection import (Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest,
                                 ImportCsvRequest)
    col = Collection(os.path.join(tempfile.mkdtemp(), "c.anki2"))
    path = sys.argv[1]
    if path.endswith(".csv"):
        col.import_csv(ImportCsvRequest(path=path, metadata=col.get_csv_metadata(path=path, delimiter=None)))
    else:
        options = ImportAnkiPackageOptions(with_scheduling=False)
        col.import_anki_package(ImportAnkiPackageRequest(package_path=path, options=options))
    assert col.card_count() == int(sys.argv[2]), col.card_count()
    col.close()
""")


def make_csv(path: Path, rows: int) -> None:
    with path.open("w") as fh:
        fh.writelines(f"What is item {i}?,It is number {i}.\n" for i in range(rows))


def make_apkg(path: Path, rows: int, work: Path) -> None:
    """One basic note made by Anki, then copied in SQL to `rows` notes and cards."""
    from anki.collection import Collection

    col_path = work / "source.anki2"
    col = Collection(str(col_path))
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "seed", "seed"
    col.add_note(note, col.decks.id("Bench"))
    col.close(downgrade=False)
    db = sqlite3.connect(col_path)
    db.create_collation("unicase", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
    (nid, mid), (cid, did) = db.execute("SELECT id, mid FROM notes").fetchone(), db.execute(
        "SELECT id, did FROM cards"
    ).fetchone()
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('notes', 'cards') AND sql IS NOT NULL"
    ).fetchall():
        db.execute(f"DROP INDEX {name}")
    db.execute("DELETE FROM cards")
    db.execute("DELETE FROM notes")
    db.executemany(
        "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) "
        "VALUES (?, ?, ?, 0, -1, '', ?, ?, 0, 0, '')",
        ((nid + i, f"g{i}", mid, f"What is item {i}?\x1fIt is number {i}.", f"What is item {i}?") for i in range(rows)),
    )
    db.executemany(
        "INSERT INTO cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, "
        "odid, flags, data) VALUES (?, ?, ?, 0, 0, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')",
        ((cid + i, nid + i, did, i) for i in range(rows)),
    )
    db.commit()
    db.execute("VACUUM")
    db.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("meta", b"\x08\x03")  # PackageMetadata: version 3, the zstd collection
        archive.writestr("collection.anki21b", zstandard.ZstdCompressor(level=3).compress(col_path.read_bytes()))
        archive.writestr("media", zstandard.ZstdCompressor().compress(b""))


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = {"csv": work / "big.csv", "apkg": work / "big.apkg"}
        make_csv(files["csv"], rows)
        make_apkg(files["apkg"], rows, work)
        print(f"{rows:,} cards; .apkg {files['apkg'].stat().st_size / 2**20:.0f} MiB, "
              f".csv {files['csv'].stat().st_size / 2**20:.0f} MiB")  # fmt: skip
        print(f"{'import':<8} {'ours s':>8} {'Anki s':>8} {'ratio':>6} {'ours MB':>8} {'Anki MB':>8}")
        for kind, path in files.items():
            store = work / f"{kind}.db"
            ours = measure([sys.executable, "-m", "studyplanner", "--db", str(store), "import", str(path)])
            anki = measure([sys.executable, "-c", ANKI_IMPORT, str(path), str(rows)])
            results[kind] = {"ours_s": ours[0], "anki_s": anki[0], "ours_mb": ours[1], "anki_mb": anki[1]}
            ratio = ours[0] / anki[0]
            print(f"{kind:<8} {ours[0]:>8.1f} {anki[0]:>8.1f} {ratio:>6.2f} {ours[1]:>8.0f} {anki[1]:>8.0f}")
    save("big_import", {"rows": rows, **results})


if __name__ == "__main__":
    main()
