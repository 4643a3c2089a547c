"""Importing and exporting decks: our Markdown format, CSV/TSV/TXT, and Anki .apkg.

An import is one transaction: it either lands whole or changes nothing, and any
problem is a FileFormatError naming the file and the line or record.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import re
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import nh3

from ..changes import Changes, OpResult
from ..deckfile import DeckCard, DeckFile, derived_key, parse_deck_bytes, write_deck
from ..errors import FileFormatError, StudyPlannerError
from ..history import PastAnswer, append_history
from ..loading import LoadSummary, new_deck_key, upsert_deck
from ..rows import Deck
from ..sanitize import ALLOWED_ATTRIBUTES, ALLOWED_STYLES, ALLOWED_TAGS
from ..scheduling import QUEUE_SUSPENDED
from ..store import Rehearsal, Store
from ..timeutil import to_ms

if TYPE_CHECKING:
    from .apkg import AnkiPackage
from ..wording import plural
from . import delimited

MAX_FILE_BYTES = 512 * 1024 * 1024
SHOWN_PROBLEMS = 5  # an import summary names this many skipped records, then counts the rest
_LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!]")
_MEDIA_SRC = re.compile(r'src="([^":/]+)"')  # a picture the store holds: a plain file name
_SOUND = re.compile(r"\[sound:([^\]:/]+)\]")  # Anki's audio, a file the store holds
# Anki's revlog type of an answer, from our card state before it: learn, review, relearn.
REVLOG_KIND = {0: 0, 1: 0, 2: 1, 3: 2}


@dataclass(frozen=True)
class ImportSummary:
    decks: list[str]
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    returned: int = 0  # cards an earlier import of the file suspended (gone from it), back in it: unsuspended
    reviews: int = 0  # answers of imported history
    media: int = 0
    problems: tuple[str, ...] = ()  # why cards were skipped, each naming its record
    applied: bool = True  # False: rolled back, to ask the learner first (import_file's ask_first)

    @property
    def changes_existing(self) -> bool:
        """It would change cards the store has (their text, or suspend those the file no longer has, or
        unsuspend those back in it)."""
        return bool(self.updated or self.removed or self.returned)

    def rehearsal_text(self) -> str:
        """What an import not yet applied would do, in the learner's words."""
        parts = [plural(self.added, "new card")]
        if self.updated:
            parts.append(f"{plural(self.updated, 'card')} changed")
        if self.removed:
            parts.append(f"{plural(self.removed, 'card')} no longer in the file, to be suspended")
        if self.returned:
            parts.append(f"{plural(self.returned, 'card')} back in the file, to be unsuspended")
        if self.unchanged:
            parts.append(f"{self.unchanged:,} unchanged")
        if self.skipped:
            parts.append(f"{self.skipped:,} skipped")
        return f"Into {', '.join(self.decks)}: {', '.join(parts)}."

    def text(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged",
                 f"{self.skipped} skipped"]  # fmt: skip
        if self.removed:
            parts.append(f"{self.removed} no longer in the file (suspended)")
        if self.returned:
            parts.append(f"{self.returned} back in the file (unsuspended)")
        if self.reviews:
            parts.append(f"{self.reviews} past answers")
        if self.media:
            parts.append(f"{self.media} media files")
        text = f"Imported into {', '.join(self.decks)}: {', '.join(parts)}."
        if self.problems:
            shown = "; ".join(self.problems[:SHOWN_PROBLEMS])
            more = len(self.problems) - SHOWN_PROBLEMS
            text += f" Skipped: {shown}" + (f"; and {more} more." if more > 0 else ".")
        return text


@dataclass
class Preview:
    """What the import dialog shows before importing: the first cards and the column mapping."""

    kind: str
    cards: list[DeckCard]
    total: int
    header: list[str] | None = None
    columns: int = 0
    mapping: dict[str, int] = field(default_factory=dict)
    decks: list[str] = field(default_factory=list)


def check_readable(path: str | Path) -> Path:
    """A file the app is asked to read: a regular file of sane size, or a clear error before any read (a
    named pipe made `import` wait forever, and a device like /dev/zero was read without end)."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise FileFormatError(str(path), None, f"cannot read the file: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileFormatError(str(path), None, "this is not a regular file (a folder, a pipe or a device?)")
    if info.st_size > MAX_FILE_BYTES:
        raise FileFormatError(str(path), None, f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    return path


def read_file(path: str | Path) -> bytes:
    path = check_readable(path)
    try:
        return path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise FileFormatError(str(path), None, f"cannot read the file: {exc.strerror}") from None


def _bulk(fn):
    """Whole-deck work runs with the cyclic garbage collector paused.

    An import or export makes tens of thousands of short-lived objects that form
    no cycles; every few hundred of them would otherwise set off a collection that
    walks the whole process (a fifth of a 10,000-note .apkg import).
    """

    @functools.wraps(fn)
    def paused(*args, **kwargs):
        if not gc.isenabled():  # already paused, by the caller or another thread
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return paused


def preview_file(
    path: str | Path, mapping: dict[str, int] | None = None, has_header: bool | None = None, limit: int = 20
) -> Preview:
    path = check_readable(path)
    preview = format_of(path, "import").preview
    assert preview is not None  # every importable format has a previewer
    return preview(path, mapping, has_header, limit)


def _preview_apkg(path: Path, mapping: dict[str, int] | None, has_header: bool | None, limit: int) -> Preview:
    from .apkg import read_apkg

    package = read_apkg(path)
    cards = [DeckCard(c.question, c.answer, c.key, c.tags) for c in package.cards[:limit]]
    return Preview("apkg", cards, len(package.cards), decks=sorted({c.deck for c in package.cards}))


def _preview_markdown(path: Path, mapping: dict[str, int] | None, has_header: bool | None, limit: int) -> Preview:
    deck = parse_deck_bytes(read_file(path), str(path))
    return Preview("md", deck.cards[:limit], len(deck.cards), decks=[deck.name])


def _preview_table(path: Path, mapping: dict[str, int] | None, has_header: bool | None, limit: int) -> Preview:
    table = delimited.read_table(read_file(path), str(path), mapping, has_header)
    cards, _ = delimited.cards_from_table(table, str(path))
    decks = sorted({card.deck or path.stem for card in cards})
    return Preview("table", cards[:limit], len(cards), table.header, table.columns, table.mapping, decks)


IMPORT_CHANGES = Changes.CARD_CONTENT | Changes.DECKS | Changes.STUDY_QUEUE
Progress = Callable[[str], None]


def _silent(step: str) -> None:
    pass


@_bulk
def import_file(
    store: Store,
    path: str | Path,
    *,
    deck: str | None = None,
    mapping: dict[str, int] | None = None,
    has_header: bool | None = None,
    with_history: bool = True,
    progress: Progress = _silent,
    ask_first: bool = False,
) -> OpResult[ImportSummary]:
    """Import a deck file into the store, all or nothing (and undoable). `deck` names the deck to fill.

    progress(step) is told each step; it may raise Cancelled, which rolls everything back. With
    ask_first, an import that would change or suspend cards the store already has is rolled back
    instead of committed, and its summary (applied False) says exactly what it would do: the caller
    asks the learner, then imports again. Any other import is done in that one pass.
    """
    path = check_readable(path)
    importer = format_of(path, "import").importer
    assert importer is not None
    label = f"import {path.name}"
    progress(f"Reading {path.name}…")
    with store.rehearsal() if ask_first else contextlib.nullcontext() as trial:
        summary = importer(
            store, path, label, deck=deck, mapping=mapping, has_header=has_header, with_history=with_history,
            progress=progress, trial=trial,
        )  # fmt: skip
    return OpResult(summary, IMPORT_CHANGES if summary.applied else Changes(0), label)


def _settled(summary: ImportSummary, trial: Rehearsal | None) -> ImportSummary:
    """Inside the import's transaction: whether a tentative import (ask_first) commits."""
    if trial is None:
        return summary
    trial.keep = not summary.changes_existing
    return replace(summary, applied=trial.keep)


def _import_markdown(
    store: Store, path: Path, label: str, *, deck: str | None, progress: Progress, trial: Rehearsal | None,
    **_: object,
) -> ImportSummary:  # fmt: skip
    parsed = parse_deck_bytes(read_file(path), str(path))
    if deck:
        parsed.name = deck
    progress(f"Writing {plural(len(parsed.cards), 'card')}…")
    with store.operation(IMPORT_CHANGES, label) as db:
        result = upsert_deck(db, parsed, f"file:{path}", to_ms(store.clock.now()), remove_missing=True)
        return _settled(_summary([parsed.name], [result]), trial)


def _import_table(
    store: Store, path: Path, label: str, *, deck: str | None, mapping: dict[str, int] | None,
    has_header: bool | None, progress: Progress, trial: Rehearsal | None, **_: object,
) -> ImportSummary:  # fmt: skip
    table = delimited.read_table(read_file(path), str(path), mapping, has_header)
    cards, skipped = delimited.cards_from_table(table, str(path))
    clean = anki_side if table.anki.get("html", "").lower() == "true" else _clean  # Anki's HTML export
    by_deck: dict[str, list[DeckCard]] = {}
    for card in cards:  # a row may name its deck (Anki's deck column); the learner's choice wins
        by_deck.setdefault(deck or card.deck or path.stem, []).append(card)
    progress(f"Writing {plural(len(cards), 'card')}…")
    results = []
    with store.operation(IMPORT_CHANGES, label) as db:
        for name, deck_cards in by_deck.items():
            key = _deck_key(store, name)
            seen: set[str] = set()
            for card in deck_cards:
                card.question, card.answer = clean(card.question), clean(card.answer)
                if not card.key:  # a question asked again with another answer is another card, not a loss
                    card.key = derived_key(key, card.question)
                    if card.key in seen:
                        card.key = derived_key(key, f"{card.question}\x1f{card.answer}")
                seen.add(card.key)
            skipped += _drop_duplicates(deck_cards)
            deck_file = DeckFile(name, key, "", deck_cards)
            results.append(upsert_deck(db, deck_file, f"file:{path}", to_ms(store.clock.now()), remove_missing=False))
        return _settled(_summary(list(by_deck), results, skipped=skipped), trial)


def _import_apkg(
    store: Store, path: Path, label: str, *, deck: str | None, with_history: bool, progress: Progress,
    trial: Rehearsal | None, **_: object,
) -> ImportSummary:  # fmt: skip
    from .apkg import read_apkg

    if path.exists() and path.stat().st_size > MAX_FILE_BYTES:
        raise FileFormatError(str(path), None, f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    package = read_apkg(path)
    return bring_in_anki_cards(store, package, f"file:{path}", label, deck=deck, with_history=with_history,
                               progress=progress, trial=trial)  # fmt: skip


def bring_in_anki_cards(
    store: Store, package: AnkiPackage, origin: str, label: str, *, deck: str | None = None,
    with_history: bool = True, progress: Progress = _silent, trial: Rehearsal | None = None,
) -> ImportSummary:  # fmt: skip
    """Anki's cards (a package's, or those a sync found in its mirror collection) into the store, in one
    operation: their decks, text, history replayed, due dates and suspensions. origin is where they came
    from ("file:…", "sync"), as a deck records it."""
    from .apkg import GUID_LENGTH, note_guid

    now_ms = to_ms(store.clock.now())
    problems = list(package.skipped)
    by_deck: dict[str, list] = {}
    for card in package.cards:
        card.question, card.answer = anki_side(card.question), anki_side(card.answer)
        if not card.question:  # Anki makes no card of an empty front either; an empty back is kept, as there
            problems.append(f"{card.record}: its front is empty")
            continue
        by_deck.setdefault(deck or card.deck, []).append(card)
    # A note that went from here to Anki and back keeps the key it had here (its guid is made from it).
    # Only our guids are 12 characters (Anki's own are at most 10): without one, no key is hashed
    # (148 ms at 100,000 cards).
    ours = (
        {note_guid(key): key for (key,) in store.db.execute("SELECT key FROM card")}
        if any(len(card.guid) == GUID_LENGTH for card in package.cards)
        else {}
    )
    for card in package.cards if ours else ():
        if card.guid in ours and card.key == f"anki-{card.guid}-0":
            card.key = ours[card.guid]
    results, reviews = [], 0
    progress(f"Writing {plural(len(package.cards), 'card')}…")
    with store.operation(IMPORT_CHANGES, label) as db:
        media = _media_kept_apart(db, package.media)
        for name, anki_cards in by_deck.items():
            key = _deck_key(store, name)
            cards = [DeckCard(_renamed(c.question, media), _renamed(c.answer, media), c.key, c.tags, 0)
                     for c in anki_cards]  # fmt: skip
            result = upsert_deck(db, DeckFile(name, key, "", cards), origin, now_ms, remove_missing=False)
            results.append(result)
            if with_history:
                settings = store.settings(result.deck_id)
                ids = dict(db.execute("SELECT key, id FROM card WHERE deck_id = ?", (result.deck_id,)).fetchall())
                carried = [source for source in anki_cards if source.reviews or source.due_ms is not None]
                for done, source in enumerate(carried):  # a new card has nothing to carry over
                    if done % 1000 == 0:
                        progress(f"Replaying past answers: {name}, card {done:,} of {len(carried):,}…")
                    answers = [PastAnswer(r.id_ms, r.ease, r.duration_ms) for r in source.reviews]
                    reviews += append_history(db, ids[source.key], answers, settings, store.tz)
                    if source.due_ms is not None:  # Anki's due date, not one our replay guesses
                        db.execute(
                            "UPDATE card SET due_ms = ? WHERE id = ? AND state != 0", (source.due_ms, ids[source.key])
                        )
            suspended = [(source.key,) for source in anki_cards if source.queue == QUEUE_SUSPENDED]
            db.executemany(
                f"UPDATE card SET queue = {QUEUE_SUSPENDED} WHERE deck_id = {result.deck_id} AND key = ?", suspended
            )  # buried cards are not: Anki brings them back on the next day, long gone by the time of an import
        for name, data in package.media.items():
            db.execute(
                "INSERT INTO media (name, data, sha1) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET data = excluded.data, sha1 = excluded.sha1",
                (media.get(name, name), data, hashlib.sha1(data).hexdigest()),
            )
        summary = _summary(list(by_deck), results, skipped=len(problems), reviews=reviews, media=len(package.media))
        return _settled(replace(summary, problems=tuple(problems)), trial)


@_bulk
def export_deck(store: Store, deck_id: int, path: str | Path, with_history: bool = False) -> int:
    """Write a deck to a file; the format follows the extension. Returns how many cards."""
    path = Path(path)
    exporter = format_of(path, "export").exporter
    assert exporter is not None
    return exporter(store, store.deck(deck_id), path, with_history)


def _export_table(store: Store, deck: Deck, path: Path, with_history: bool) -> int:
    deck_id = deck.id
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    # The deck and each card's key go along: the file imported back updates its cards instead of
    # doubling them in a deck named after the file.
    # A field starting = + - or @ is a formula to a spreadsheet (one that can run commands): it gets a
    # leading ', which spreadsheets hide and our import takes off again.
    safe = [delimited.formula_safe_sql(column) for column in ("question", "answer", "trim(tags)")]
    line = delimited.quoted_line_sql([*safe, "?3", "key"])  # a key is letters, digits, - _ . : never one
    # UTF-8 bytes straight from SQLite: the deck is never decoded and encoded again.
    sql = f"SELECT CAST({line} AS BLOB) FROM card WHERE deck_id = ?2 ORDER BY position, id"
    lines = [row[0] for row in store.db.execute(sql, (delimiter, deck_id, delimited.formula_safe(deck.name)))]
    header = delimiter.join(['"question"', '"answer"', '"tags"', '"deck"', '"key"']).encode()
    data = b"\n".join([header, *lines, b""])
    _write_atomically(path, lambda tmp: tmp.write_bytes(data))
    return len(lines)


def _deck_rows(store: Store, deck_id: int) -> list[tuple]:
    """Plain rows, not Card objects: exports of large decks stay fast."""
    return store.db.execute(
        "SELECT id, key, question, answer, tags FROM card WHERE deck_id = ? ORDER BY position, id", (deck_id,)
    ).fetchall()


def _export_markdown(store: Store, deck: Deck, path: Path, with_history: bool) -> int:
    cards = _deck_rows(store, deck.id)
    deck_cards = [DeckCard(q, a, key, tags.split()) for _, key, q, a, tags in cards]
    data = write_deck(DeckFile(deck.name, deck.key, deck.description, deck_cards)).encode()
    _write_atomically(path, lambda tmp: tmp.write_bytes(data))
    return len(cards)


def _export_apkg(store: Store, deck: Deck, path: Path, with_history: bool) -> int:
    from .apkg import AnkiReview, ExportCard, write_apkg

    deck_id = deck.id
    cards = _deck_rows(store, deck_id)
    history: dict[int, list[AnkiReview]] = {}
    if with_history:
        for card_id, at, rating, duration, state_before in store.db.execute(
            "SELECT r.card_id, r.id, r.rating, r.duration_ms, r.state_before FROM review r "
            "JOIN card c ON c.id = r.card_id WHERE c.deck_id = ? ORDER BY r.id",
            (deck_id,),
        ):
            history.setdefault(card_id, []).append(AnkiReview(at, rating, duration, REVLOG_KIND[state_before]))
    due = dict(store.db.execute("SELECT id, due_ms FROM card WHERE deck_id = ? AND state = 2", (deck_id,)).fetchall())
    export = [ExportCard(key, q, a, tags.split(), history.get(card_id, []), due.get(card_id) if with_history else None)
              for card_id, key, q, a, tags in cards]  # fmt: skip
    names = {n for _, _, q, a, _ in cards if 'src="' in q or 'src="' in a for n in _MEDIA_SRC.findall(q + a)}
    names |= {n for _, _, q, a, _ in cards if "[sound:" in q or "[sound:" in a for n in _SOUND.findall(q + a)}
    media = {n: data for n in names if (data := store.media(n)) is not None}
    _write_atomically(path, lambda tmp: write_apkg(tmp, deck.name, export, media))
    return len(cards)


# --------------------------------------------------------------------- the formats

Previewer = Callable[[Path, "dict[str, int] | None", "bool | None", int], Preview]
Importer = Callable[..., ImportSummary]
Exporter = Callable[[Store, Deck, Path, bool], int]


@dataclass(frozen=True)
class Format:
    """One file format: what the import dialog, the export dialog and the command line offer comes from here."""

    extension: str
    name: str
    preview: Previewer | None = None
    importer: Importer | None = None
    exporter: Exporter | None = None


FORMATS = (
    Format(".md", "Markdown deck", _preview_markdown, _import_markdown, _export_markdown),
    Format(".csv", "CSV", _preview_table, _import_table, _export_table),
    Format(".tsv", "TSV", _preview_table, _import_table, _export_table),
    Format(".txt", "Text, tab- or comma-separated", _preview_table, _import_table),
    Format(".apkg", "Anki package", _preview_apkg, _import_apkg, _export_apkg),
    # A whole collection, as Anki backs one up: the same zip of a collection and its media.
    Format(".colpkg", "Anki collection", _preview_apkg, _import_apkg),
)
IMPORTABLE = tuple(f.extension for f in FORMATS if f.importer)
EXPORTABLE = tuple(f.extension for f in FORMATS if f.exporter)


def format_of(path: Path, direction: str) -> Format:
    """The format a file's extension names, for "import" or "export"; a clear error for any other."""
    kind = path.suffix.lower()
    for f in FORMATS:
        if f.extension == kind and (f.importer if direction == "import" else f.exporter):
            return f
    allowed = IMPORTABLE if direction == "import" else EXPORTABLE
    if direction == "import":
        raise FileFormatError(str(path), None, f"cannot import {kind or 'this'} files: use {', '.join(allowed)}")
    raise StudyPlannerError(f"cannot export to {kind or 'a file without extension'}: use {', '.join(allowed)}")


def _write_atomically(path: Path, write) -> None:
    """Write beside the target and rename, so a failed export leaves no half file."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        write(tmp)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StudyPlannerError(f"cannot write {path}: {exc.strerror}") from None


def _media_kept_apart(db: sqlite3.Connection, media: dict[str, bytes]) -> dict[str, str]:
    """New names for the package's files whose name the store already holds with other bytes: another
    deck's image.png must not be overwritten (its cards would show this one)."""
    renamed = {}
    for name, data in media.items():
        row = db.execute("SELECT sha1 FROM media WHERE name = ?", (name,)).fetchone()
        digest = hashlib.sha1(data).hexdigest()
        if row and row[0] != digest:
            stem, dot, extension = name.rpartition(".")
            renamed[name] = f"{stem}-{digest[:10]}.{extension}" if dot else f"{name}-{digest[:10]}"
    return renamed


def _renamed(html_text: str, media: dict[str, str]) -> str:
    """A side with its pictures and sounds under the names _media_kept_apart gave them."""
    if not media:
        return html_text
    html_text = _MEDIA_SRC.sub(lambda m: f'src="{media.get(m.group(1), m.group(1))}"', html_text)
    return _SOUND.sub(lambda m: f"[sound:{media.get(m.group(1), m.group(1))}]", html_text)


def _deck_key(store: Store, name: str) -> str:
    row = store.db.execute("SELECT key FROM deck WHERE name = ?", (name,)).fetchone()
    return row[0] if row else new_deck_key(store.db, name)


# What Markdown would read differently from HTML: its marks or a line break anywhere (one character
# class: a fast scan), or a heading, quote, table or list at the start of the (single) line.
_MARKDOWN_MARK = re.compile(r"[\\`*_<\[\]~\n]")
_LIST_START = re.compile(r"\s*(?:[-+#>|]|\d+[.)])")


def anki_side(text: str) -> str:
    """An Anki card's side, which is HTML (a "#" or "1." in it is text, and whitespace collapses), kept as a
    block of HTML that our Markdown passes through untouched (plain words go in as they are)."""
    text = _clean(text) if "<" in text else text.strip()  # plain text (most fields): no call to make
    changed = _MARKDOWN_MARK.search(text) or _LIST_START.match(text)
    return f'<div class="anki">\n{text}\n</div>' if changed else text


# Elements whose text is the card's controls, not its content ("Toggle Masks" on an occlusion card).
_UI_ONLY = {"script", "style", "button", "select", "textarea", "template"}


def _clean(text: str) -> str:
    """Imported HTML loses scripts, event handlers and remote URLs, and the indentation of its lines
    (which means nothing in HTML, and makes Markdown show a line indented four spaces as code: every
    card of an indented Anki template came out as its source); plain text stays as it is."""
    text = text.strip()
    if "<" not in text or not _LOOKS_LIKE_HTML.search(text):
        return text
    text = nh3.clean(
        text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=set(), link_rel=None,
        filter_style_properties=ALLOWED_STYLES,
        clean_content_tags=_UI_ONLY,
    )  # fmt: skip
    if "<pre" not in text:
        text = "\n".join(line.strip() for line in text.split("\n"))
    return text.strip()


def _drop_duplicates(cards: list[DeckCard]) -> int:
    """The same card twice in one file (the same question and answer, or the same Anki note): the first
    one is kept. Returns how many were dropped."""
    first: dict[str, DeckCard] = {}
    for card in cards:
        first.setdefault(card.key, card)
    kept = list(first.values())
    dropped = len(cards) - len(kept)
    cards[:] = kept
    return dropped


def _summary(
    names: list[str], results: list[LoadSummary], skipped: int = 0, reviews: int = 0, media: int = 0
) -> ImportSummary:
    return ImportSummary(
        decks=names,
        added=sum(r.added for r in results),
        updated=sum(r.updated for r in results),
        unchanged=sum(r.unchanged for r in results),
        skipped=skipped,
        removed=sum(r.removed for r in results),
        returned=sum(r.returned for r in results),
        reviews=reviews,
        media=media,
    )
