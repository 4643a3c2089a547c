"""Anki packages (.apkg): read cards, review history and media; write a deck that Anki imports.

Written from the published shape of the format, without Anki's code. A package is a zip:
a collection (an SQLite database) plus media files. Three generations exist and a package
may carry more than one collection, so the best one wins:
  collection.anki21b  zstd-compressed SQLite, schema 18: note types, fields, templates and
                      decks in tables, some settings as protobuf; media list and files zstd too
  collection.anki21   SQLite schema 11: note types and decks as JSON in the col row
  collection.anki2    the same for old clients (new packages put a dummy "please update" here)
This module knows nothing about our store: it turns a package into plain cards and back.
Every problem with the input is a FileFormatError naming the package and the note.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import sqlite3
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, NoReturn

import zstandard

from ..deckfile import MAX_FIELD_CHARS
from ..errors import FileFormatError
from . import occlusion, protobuf
from .anki_templates import (
    QUESTION,
    TemplateError,
    answer_without_front,
    field_names,
    hidden_classes,
    render,
    shown_html,
    strip_html,
)

MAX_TOTAL_BYTES = 512 * 2**20  # everything a package unpacks to
MAX_MEMBER_BYTES = 256 * 2**20  # one member (or the collection inside it) unpacked
MAX_RATIO = 200  # unpacked : packed. SQLite and text stay far below; bombs go far above
RATIO_FLOOR = 8 * 2**20  # members smaller than this may compress as well as they like
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")  # best first
NOTETYPE_NAME = "Basic (Study Planner)"
NOTETYPE_ID = 1_718_000_000_001  # fixed, so re-imports into Anki reuse the note type
_CHUNK = 1 << 16
_DAY_MS = 86_400_000
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class AnkiReview:
    """One revlog row."""

    id_ms: int  # the revlog id: epoch milliseconds of the answer
    ease: int  # 1-4
    duration_ms: int
    kind: int  # 0 learn, 1 review, 2 relearn, 3 filtered (cram)


@dataclass(slots=True)  # slots: a package can hold 100,000 of them
class AnkiCard:
    key: str  # f"anki-{note guid}-{template ord}"; for cloze the ord is the cloze number - 1
    deck: str  # full name, levels joined with "::"
    question: str
    answer: str  # the back without the front part
    tags: list[str]
    guid: str
    reviews: list[AnkiReview]
    note_id: int
    card_number: int  # 1, 2...: the template's, or the cloze's
    queue: int = 0  # Anki's: -1 suspended, -2/-3 buried, 0 new, 1/3 learning, 2 review
    due_ms: int | None = None  # when Anki has it due next (a learning card's instant, a review's day start)
    occlusion: str = ""  # an Image Occlusion card's shapes (its note's occlusion field)

    @property
    def record(self) -> str:
        """"note 1687212 card 2", for messages."""
        return f"note {self.note_id} card {self.card_number}"


@dataclass
class AnkiPackage:
    cards: list[AnkiCard]
    media: dict[str, bytes]  # file name as fields use it -> bytes
    # Cards a note could not give, each "note N card K: why" (a bad note never refuses the package).
    skipped: list[str] = field(default_factory=list)


@dataclass
class ExportCard:
    key: str
    question: str
    answer: str
    tags: list[str]  # single words, as a card's tag text splits
    reviews: list[AnkiReview] = field(default_factory=list)
    due_ms: int | None = None  # when a card in review is due here


@dataclass
class _Notetype:
    name: str
    cloze: bool
    fields: list[str] = field(default_factory=list)
    templates: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # ord -> name, qfmt, afmt
    hidden: frozenset[str] = frozenset()  # classes its CSS hides (display: none)


def _blob(value: object) -> bytes:
    """A BLOB column as bytes; anything else (a crafted collection) as no bytes."""
    return value if isinstance(value, bytes) else b""


def unsafe_member(name: str) -> bool:
    """A zip member that would land outside the folder it is unpacked into (zip slip)."""
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) is not None or ".." in parts or "\0" in name


def unsafe_media_name(name: str) -> bool:
    """A media name must be a plain file name: fields refer to it as src="name"."""
    return not name or name in (".", "..") or any(c in name for c in "/\\\0")


# --- reading ---------------------------------------------------------------------------------


# Fields Anki fills in itself; a template naming none of them renders from the note's fields alone.
SPECIAL_FIELDS = frozenset({"Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag"})


def read_apkg(path: str | Path) -> AnkiPackage:
    where = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError):
        raise FileFormatError(where, None, "not an Anki package (.apkg is a zip file)") from None
    except OSError as exc:
        raise FileFormatError(where, None, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        with archive:
            return _Reader(where, archive).package()
    except FileFormatError:
        raise
    except sqlite3.Error as exc:
        raise FileFormatError(where, None, f"the collection inside is damaged ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, zstandard.ZstdError) as exc:
        raise FileFormatError(where, None, f"the package is damaged ({exc})") from None
    except OSError as exc:
        raise FileFormatError(where, None, f"cannot read the package: {exc.strerror or exc}") from None
    except (KeyError, IndexError, ValueError, TypeError, AttributeError) as exc:
        # Values of unexpected types in a crafted collection; the specific checks come first.
        raise FileFormatError(where, None, f"the package holds data Anki does not write ({exc!r})") from None


# The moments an answer in a package may have (Unix milliseconds): others overflowed the calendar.
ANSWERED_FROM_MS, ANSWERED_UNTIL_MS = 0, 4_102_444_800_000  # 1970-01-01 to 2100-01-01


def read_collection_file(path: Path) -> AnkiPackage:
    """The cards of an Anki collection on disk (a sync's mirror, open in Anki's library meanwhile: read in
    WAL mode beside it), read as a package's are; no media."""
    db = sqlite3.connect(path)
    try:
        db.create_collation("unicase", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
        reader = _Reader(str(path), None)
        return AnkiPackage(reader.cards_from(db), {}, reader.skipped)
    finally:
        db.close()


class _Reader:
    def __init__(self, path: str, archive: zipfile.ZipFile | None) -> None:
        self.path = path
        self.zip = archive  # None: a collection file read as it is (read_collection_file)
        self.names = set(archive.namelist()) if archive else set()
        self.left = MAX_TOTAL_BYTES  # what may still be unpacked; declared sizes can lie
        # The package as a whole may unpack to MAX_RATIO times its packed size (beyond RATIO_FLOOR): the
        # member check alone let 63 members of 8 MiB of zeros through, 504 MB of media from 507 KB.
        self.packed = sum(info.compress_size for info in archive.infolist()) if archive else 0
        self.skipped: list[str] = []

    def fail(self, problem: str) -> NoReturn:
        raise FileFormatError(self.path, None, problem)

    def package(self) -> AnkiPackage:
        self.check_members()
        name = next((n for n in COLLECTIONS if n in self.names), None)
        if name is None:
            self.fail("there is no collection inside (collection.anki21b, .anki21 or .anki2): is it an Anki package?")
        latest = name == "collection.anki21b"
        cards = self.read_collection(name, latest)
        media = self.read_media(latest)
        _draw_occlusions(cards, media)
        return AnkiPackage(cards, media, self.skipped)

    def check_members(self) -> None:
        assert self.zip is not None
        total = 0
        for info in self.zip.infolist():
            if unsafe_member(info.filename):
                self.fail(f"the package holds {info.filename!r}, a path outside the package (zip slip)")
            self.check_size(info.filename, info.file_size, info.compress_size, total + info.file_size)
            total += info.file_size

    def check_size(self, name: str, size: int, packed: int, total: int) -> None:
        if size > MAX_MEMBER_BYTES:
            self.fail(f"{name!r} unpacks to more than {MAX_MEMBER_BYTES // 2**20} MiB (a zip bomb?)")
        if total > MAX_TOTAL_BYTES:
            self.fail(f"the package unpacks to more than {MAX_TOTAL_BYTES // 2**20} MiB (a zip bomb?)")
        if size > RATIO_FLOOR and size > MAX_RATIO * max(packed, 1):
            self.fail(f"{name!r} is compressed more than {MAX_RATIO}:1, as only zip bombs are")
        if total > RATIO_FLOOR and total > MAX_RATIO * max(self.packed, 1):
            self.fail(f"the package unpacks to more than {MAX_RATIO} times its size, as only zip bombs do")

    def copy(self, name: str, out: BinaryIO, zstd: bool) -> None:
        """Unpack a member into out, stopping as soon as it grows past the limits."""
        assert self.zip is not None
        info = self.zip.getinfo(name)
        written = 0
        with self.zip.open(info) as raw:
            source = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True) if zstd else raw
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                self.check_size(name, written, info.compress_size, MAX_TOTAL_BYTES - self.left + written)
                out.write(chunk)
        self.left -= written

    def read(self, name: str, zstd: bool) -> bytes:
        buffer = io.BytesIO()
        self.copy(name, buffer, zstd)
        return buffer.getvalue()

    def read_collection(self, name: str, latest: bool) -> list[AnkiCard]:
        fd, tmp = tempfile.mkstemp(prefix="studyplanner-", suffix=".anki2")
        try:
            with os.fdopen(fd, "r+b") as out:
                self.copy(name, out, zstd=latest)
                out.seek(0)
                header = out.read(20)
                if not header.startswith(_SQLITE_MAGIC):
                    self.fail(f"{name} inside the package is not an SQLite database")
                if header[18:20] == b"\x02\x02":
                    # WAL mode needs a writable -shm file even to read; the copy is ours and
                    # complete, so switch it to the rollback journal and open it read-only.
                    out.seek(18)
                    out.write(b"\x01\x01")
            db = sqlite3.connect(Path(tmp).as_uri() + "?mode=ro", uri=True)
            try:
                return self.cards_from(db)
            finally:
                db.close()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def cards_from(self, db: sqlite3.Connection) -> list[AnkiCard]:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"notes", "cards", "col"} <= tables:
            self.fail("the collection inside has no notes or cards: it is not an Anki collection")
        if "notetypes" in tables:
            notetypes, decks = self.notetypes_v18(db), self.decks_v18(db)
        else:
            notetypes, decks = self.notetypes_v11(db), self.decks_v11(db)
        crt, scheduler_version = self.collection_times(db, "config" in tables)
        reviews = self.reviews(db, scheduler_version) if "revlog" in tables else {}
        cards: list[AnkiCard] = []
        note_id: int | None = None
        values: dict[str, str] | str = {}
        query = (
            "SELECT c.nid, c.ord, c.id, c.did, c.odid, n.guid, n.mid, n.tags, n.flds, c.type, c.queue, "
            "CASE WHEN c.odid != 0 THEN c.odue ELSE c.due END "
            "FROM cards c JOIN notes n ON n.id = c.nid"
        )
        rows = db.execute(query).fetchall()
        rows.sort(key=itemgetter(0, 1))  # by note, then card type: cheaper here than SQLite sorting the fields
        special: dict[tuple[str, str, str], bool] = {}  # per template: does it name a field Anki fills in?
        keys: set[str] = set()
        for nid, ord_, card_id, did, odid, guid, mid, tags, flds, kind, queue, due in rows:
            notetype = notetypes.get(mid)
            if notetype is None:
                self.skipped.append(f"note {nid} card {ord_ + 1}: its note type ({mid}) is not in the package")
                continue
            template = notetype.templates.get(0 if notetype.cloze else ord_)
            if template is None:
                problem = f"note type {notetype.name!r} has no card type {ord_ + 1}"
                self.skipped.append(f"note {nid} card {ord_ + 1}: {problem}")
                continue
            deck = decks.get(odid or did) or decks.get(did) or "Default"  # odid: home deck of a filtered card
            tag_list = str(tags).split()
            if nid != note_id:
                note_id, values = nid, self.note_fields(nid, notetype, str(flds))
            if isinstance(values, str):  # the note's fields are unusable: each of its cards says why
                self.skipped.append(f"note {nid} card {ord_ + 1}: {values}")
                continue
            shown = values
            if template not in special:
                special[template] = bool((field_names(template[1]) | field_names(template[2])) & SPECIAL_FIELDS)
            if special[template]:
                shown = {"Tags": " ".join(tag_list), "Type": notetype.name, "Deck": deck,
                         "Subdeck": deck.split("::")[-1], "Card": template[0], "CardFlag": ""}  # fmt: skip
                shown.update(values)  # a real field wins over a special one of the same name
            cloze = ord_ + 1 if notetype.cloze else None
            try:
                question = render(template[1], shown, QUESTION, cloze).strip()
                answer = answer_without_front(template[2], shown, cloze)
                if notetype.hidden or "style" in question or "style" in answer:  # the common case skips this
                    question = shown_html(question, notetype.hidden).strip()
                    answer = shown_html(answer, notetype.hidden)
            except TemplateError as exc:
                problem = f"card type {template[0]!r} of note type {notetype.name!r}: {exc}"
                self.skipped.append(f"note {nid} card {ord_ + 1}: {problem}")
                continue
            due_ms = None if kind == 0 else self.due_ms(kind, queue, due, crt)
            key = f"anki-{guid}-{ord_}"
            if key in keys:  # two notes of one guid (a hand-made package): both come in, as in Anki
                key = f"{key}-{nid}"
            keys.add(key)
            occlusion = next((v for v in values.values() if "image-occlusion:" in v), "") if notetype.cloze else ""
            cards.append(AnkiCard(key, deck, question, answer, tag_list, str(guid),
                                  reviews.get(card_id, []), nid, ord_ + 1, queue, due_ms, occlusion))  # fmt: skip
        return cards

    def note_fields(self, nid: int, notetype: _Notetype, flds: str) -> dict[str, str] | str:
        """The note's fields by name, or why they cannot be used."""
        values = flds.split("\x1f")
        if len(values) != len(notetype.fields):
            return f"the note has {len(values)} fields but its note type {notetype.name!r} has {len(notetype.fields)}"
        if len(flds) > MAX_FIELD_CHARS and any(len(v) > MAX_FIELD_CHARS for v in values):
            return f"a field is longer than {MAX_FIELD_CHARS:,} characters"
        return dict(zip(notetype.fields, values))

    def notetypes_v11(self, db: sqlite3.Connection) -> dict[int, _Notetype]:
        try:
            models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
            notetypes = {}
            for mid, model in models.items():
                hidden = hidden_classes(str(model.get("css", "")))
                notetype = _Notetype(str(model["name"]), model.get("type") == 1, hidden=hidden)
                notetype.fields = [str(f["name"]) for f in sorted(model["flds"], key=lambda f: int(f["ord"]))]
                for t in model["tmpls"]:
                    notetype.templates[int(t["ord"])] = (str(t["name"]), str(t["qfmt"]), str(t["afmt"]))
                notetypes[int(mid)] = notetype
            return notetypes
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            self.fail(f"the note types in the collection cannot be read ({exc!r})")

    def decks_v11(self, db: sqlite3.Connection) -> dict[int, str]:
        try:
            decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
            return {int(did): str(deck["name"]) for did, deck in decks.items()}
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            self.fail(f"the decks in the collection cannot be read ({exc!r})")

    def notetypes_v18(self, db: sqlite3.Connection) -> dict[int, _Notetype]:
        notetypes: dict[int, _Notetype] = {}
        try:
            for ntid, name, config in db.execute("SELECT id, name, config FROM notetypes"):
                config = _blob(config)
                notetypes[ntid] = _Notetype(str(name), protobuf.get(config, 1) == 1,
                                            hidden=hidden_classes(protobuf.text(config, 3)))  # fmt: skip
            for ntid, name in db.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
                if ntid in notetypes:
                    notetypes[ntid].fields.append(str(name))
            for ntid, ord_, name, config in db.execute("SELECT ntid, ord, name, config FROM templates"):
                if ntid in notetypes:
                    config = _blob(config)
                    notetypes[ntid].templates[ord_] = (str(name), protobuf.text(config, 1), protobuf.text(config, 2))
        except (protobuf.ProtobufError, TypeError) as exc:
            self.fail(f"the note types in the collection cannot be read ({exc})")
        return notetypes

    def decks_v18(self, db: sqlite3.Connection) -> dict[int, str]:
        return {did: str(name).replace("\x1f", "::") for did, name in db.execute("SELECT id, name FROM decks")}

    def collection_times(self, db: sqlite3.Connection, modern: bool) -> tuple[int, int]:
        """The collection's creation (its day 0, epoch seconds) and the scheduler version its answers were
        given under (1: learning cards had three buttons)."""
        try:
            if modern:
                row = db.execute("SELECT val FROM config WHERE KEY = 'schedVer'").fetchone()
                version = json.loads(bytes(row[0])) if row else 1
            else:
                version = json.loads(db.execute("SELECT conf FROM col").fetchone()[0]).get("schedVer", 1)
            (crt,) = db.execute("SELECT crt FROM col").fetchone()
            return int(crt), int(version)
        except (TypeError, ValueError, AttributeError, sqlite3.Error) as exc:
            self.fail(f"the collection's settings cannot be read ({exc!r})")

    @staticmethod
    def due_ms(kind: int, queue: int, due: int, crt: int) -> int | None:
        """When Anki has an answered card due: a learning card's due is an instant (seconds), a review
        card's (and a learning card's across a day) a day number counted from the collection's day 0."""
        if due is None:
            return None
        if queue == 1 or (queue < 0 and kind in (1, 3) and due > 1_000_000_000):
            return int(due) * 1000
        return (int(crt) + int(due) * 86_400) * 1000

    def reviews(self, db: sqlite3.Connection, scheduler_version: int) -> dict[int, list[AnkiReview]]:
        by_card: dict[int, list[AnkiReview]] = {}
        for rid, cid, ease, ms, kind, factor in db.execute(
            "SELECT id, cid, ease, time, type, factor FROM revlog ORDER BY id"
        ):
            if kind == 4 and factor == 0:  # "Forget": the card was reset to new, so what came before is gone
                by_card.pop(cid, None)
                continue
            if kind == 3 and factor == 0:  # cramming in a filtered deck that did not reschedule
                continue
            if not ANSWERED_FROM_MS <= rid < ANSWERED_UNTIL_MS:  # a crafted or damaged log: no real moment
                self.skipped.append(f"card {cid}: an answer dated outside 1970-2100 was left out")
                continue
            # ease 0 and types 4, 5 are manual reschedules, not answers
            if ease in (1, 2, 3, 4) and kind in (0, 1, 2, 3):
                if scheduler_version == 1 and kind in (0, 2) and ease in (2, 3):
                    ease += 1  # v1's learning buttons were Again, Good, Easy (as Anki's own upgrade maps them)
                by_card.setdefault(cid, []).append(AnkiReview(int(rid), int(ease), max(0, int(ms or 0)), int(kind)))
        return by_card

    def read_media(self, latest: bool) -> dict[str, bytes]:
        if "media" not in self.names:
            return {}
        raw = self.read("media", zstd=latest)
        try:
            if latest:  # MediaEntries { repeated MediaEntry entries = 1 }, MediaEntry { string name = 1; ... }
                entries = [e for n, e in protobuf.fields(raw) if n == 1 and isinstance(e, bytes)]
                listing = {str(i): protobuf.text(entry, 1) for i, entry in enumerate(entries)}
            else:  # {"0": "cat.png", ...}
                listing = json.loads(raw.decode("utf-8") or "{}")
        except (protobuf.ProtobufError, ValueError) as exc:
            self.fail(f"the list of media files cannot be read ({exc})")
        if not isinstance(listing, dict) or not all(isinstance(v, str) for v in listing.values()):
            self.fail("the list of media files cannot be read")
        media = {}
        for member, name in listing.items():
            if unsafe_media_name(name):
                self.fail(f"the media file {name!r} is not a plain file name (zip slip)")
            if member in self.names:  # Anki lists files it could not find; skip them like it does
                media[name] = self.read(member, zstd=latest)
        return media


# --- writing ---------------------------------------------------------------------------------


def _draw_occlusions(cards: list[AnkiCard], media: dict[str, bytes]) -> None:
    """Image Occlusion cards get their masks drawn into pictures of their own (added to the media)."""
    for card in cards:
        shapes = occlusion.shapes_of(card.occlusion) if card.occlusion else []
        source = occlusion.image_of(card.question) if shapes else None
        if source is None or source not in media:
            continue
        for answer in (False, True):
            picture = occlusion.masked(media[source], shapes, card.card_number, answer)
            if picture is None:
                break
            name = occlusion.picture_name(source, shapes, card.card_number, answer)
            media[name] = picture
            old, new = f'src="{source}"', f'src="{name}"'
            if answer:
                card.answer = card.answer.replace(old, new)
            else:
                card.question = card.question.replace(old, new)


def write_apkg(path: str | Path, deck_name: str, cards: list[ExportCard], media: dict[str, bytes]) -> None:
    """A legacy (schema 11) package: every Anki since 2.1 imports it, the current one included."""
    for name in media:
        if unsafe_media_name(name):
            raise FileFormatError(str(path), None, f"cannot export {name!r}: a media name must be a plain file name")
    # Built in memory and stored from there: no scratch file to write, read back and delete.
    db = sqlite3.connect(":memory:")
    try:
        with db:
            _fill_collection(db, deck_name, cards)
        collection = db.serialize()
    finally:
        db.close()
    # Light compression: most of the gain at a fraction of the time of the default level.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("collection.anki2", collection)
        names = sorted(media)
        archive.writestr("media", json.dumps({str(i): name for i, name in enumerate(names)}))
        for i, name in enumerate(names):  # pictures are compressed already
            archive.writestr(str(i), media[name], compress_type=zipfile.ZIP_STORED)


_SCHEMA_11 = """
CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
  ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL, conf text NOT NULL,
  models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL);
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
  usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL, csum integer NOT NULL,
  flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL, due integer NOT NULL,
  ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL, lapses integer NOT NULL,
  left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
  ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL,
  type integer NOT NULL);
CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
"""
# Made after the rows are in: one sort per index instead of an update per row.
_SCHEMA_11_INDEXES = """
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
"""


def _fill_collection(db: sqlite3.Connection, deck_name: str, cards: list[ExportCard]) -> None:
    now_ms = int(time.time() * 1000)
    now_s = now_ms // 1000
    levels = [part.strip() for part in deck_name.split("::") if part.strip()] or ["Study Planner"]
    # The deck and its parents; Anki matches decks by name on import, so ids only need to be unique.
    decks = {"::".join(levels[: i + 1]): _stable_id("deck:" + "::".join(levels[: i + 1])) for i in range(len(levels))}
    did = decks["::".join(levels)]
    first_ms = min([now_ms] + [r.id_ms for c in cards for r in c.reviews])
    crt = first_ms // _DAY_MS * 86_400  # collection "creation": the day of the first answer
    db.executescript(_SCHEMA_11)
    used_revlog_ids: set[int] = set()
    base = now_ms - len(cards)  # note and card ids are creation times in Anki: unique and in the past
    position = 0
    notes, card_rows, revlog = [], [], []
    for i, card in enumerate(cards):
        nid = cid = base + i
        front, back = card.question.replace("\x1f", " "), card.answer.replace("\x1f", " ")
        sort_field = strip_html(front) if "<" in front else front
        checksum = int.from_bytes(hashlib.sha1(sort_field.encode()).digest()[:4], "big")
        tags = " ".join(card.tags)
        notes.append((nid, note_guid(card.key), NOTETYPE_ID, now_s, f" {tags} " if tags else "", f"{front}\x1f{back}",
                      sort_field, checksum))  # fmt: skip
        if card.reviews:
            kind, queue, due, ivl, factor, lapses = _review_state(sorted(card.reviews, key=lambda r: r.id_ms), crt)
            if card.due_ms is not None:  # the day we have it due, counted from the collection's day 0
                due = (card.due_ms // 1000 - crt) // 86_400
        else:
            position += 1
            kind, queue, due, ivl, factor, lapses = 0, 0, position, 0, 0, 0
        card_rows.append((cid, nid, did, now_s, kind, queue, due, ivl, factor, len(card.reviews), lapses))
        for review in card.reviews:
            rid = review.id_ms
            while rid in used_revlog_ids:  # revlog ids are a primary key across all cards
                rid += 1
            used_revlog_ids.add(rid)
            revlog.append((rid, cid, review.ease, max(0, review.duration_ms), review.kind))
    db.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, 0, '')", notes)
    db.executemany("INSERT INTO cards VALUES (?, ?, ?, 0, ?, -1, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, '')", card_rows)
    db.executemany("INSERT INTO revlog VALUES (?, ?, -1, ?, 0, 0, 0, ?, ?)", revlog)
    db.executescript(_SCHEMA_11_INDEXES)
    db.execute(
        "INSERT INTO col VALUES (1, ?, ?, ?, 11, 0, 0, 0, ?, ?, ?, ?, '{}')",
        (crt, now_ms, now_ms, json.dumps(_conf(did, position + 1)), json.dumps(_notetype(did, now_s)),
         json.dumps(_decks(decks, now_s)), json.dumps(_DECK_CONFIG)),
    )  # fmt: skip


def _review_state(reviews: list[AnkiReview], crt: int) -> tuple[int, int, int, int, int, int]:
    """type, queue, due, ivl, factor, lapses of a card answered before: a review card.

    We keep FSRS memory, not SM-2 intervals, so the interval is an estimate from the last
    two answers; Anki reschedules with its own algorithm from the next answer on anyway.
    """
    last = reviews[-1]
    last_day = last.id_ms // _DAY_MS
    if last.ease == 1 or len(reviews) == 1:
        ivl = 1
    else:
        gap = last_day - reviews[-2].id_ms // _DAY_MS
        ivl = min(36_500, max(1, round(gap * {2: 1.2, 3: 2.5, 4: 3.5}[last.ease])))
    lapses = sum(1 for r in reviews if r.ease == 1 and r.kind == 1)
    return 2, 2, last_day + ivl - crt // 86_400, ivl, 2500, lapses


_FROM_ANKI = re.compile(r"anki-(.+)-0")  # the first card of an Anki note, as its import keys it
GUID_LENGTH = 12  # of the guids note_guid makes (9 bytes in base64); Anki's own have at most 10


def note_guid(key: str) -> str:
    """The note guid a card goes to Anki with: the note's own for the first card of a note that came from
    Anki (so a round trip updates that note instead of adding a copy), else 72 bits of the key's sha1 (so
    the same card keeps its note in Anki from one export to the next)."""
    match = _FROM_ANKI.fullmatch(key)
    if match:
        return match.group(1)
    return base64.urlsafe_b64encode(hashlib.sha1(key.encode()).digest()[:9]).decode()


def _stable_id(text: str) -> int:
    """A positive id from a name, kept well away from Default's 1 and below 2**53."""
    return 10**12 + int(hashlib.sha1(text.encode()).hexdigest()[:12], 16) % 10**12


def _conf(did: int, next_position: int) -> dict:
    return {"nextPos": next_position, "estTimes": True, "activeDecks": [did], "curDeck": did, "sortType": "noteFld",
            "timeLim": 0, "sortBackwards": False, "addToCur": True, "newSpread": 0, "dueCounts": True,
            "curModel": NOTETYPE_ID, "collapseTime": 1200, "schedVer": 2}  # fmt: skip


def _notetype(did: int, now_s: int) -> dict[str, dict]:
    template = {"name": "Card 1", "ord": 0, "qfmt": "{{Front}}", "afmt": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}",
                "bqfmt": "", "bafmt": "", "did": None, "bfont": "", "bsize": 0}  # fmt: skip
    fields = [{"name": name, "ord": i, "sticky": False, "rtl": False, "font": "Arial", "size": 20, "media": []}
              for i, name in enumerate(("Front", "Back"))]  # fmt: skip
    css = ".card { font-family: sans-serif; font-size: 20px; text-align: left; }"
    latex_pre = "\\documentclass{article}\n\\pagestyle{empty}\n\\begin{document}\n"
    return {str(NOTETYPE_ID): {"id": NOTETYPE_ID, "name": NOTETYPE_NAME, "type": 0, "mod": now_s, "usn": -1,
            "sortf": 0, "did": did, "tmpls": [template], "flds": fields, "css": css, "latexPre": latex_pre,
            "latexPost": "\\end{document}", "latexsvg": False, "req": [[0, "any", [0]]], "tags": [],
            "vers": []}}  # fmt: skip


def _decks(decks: dict[str, int], now_s: int) -> dict[str, dict]:
    def deck(did: int, name: str, mod: int) -> dict:
        return {"id": did, "name": name, "mod": mod, "usn": -1, "desc": "", "dyn": 0, "conf": 1, "collapsed": False,
                "browserCollapsed": False, "extendNew": 0, "extendRev": 0, "lrnToday": [0, 0], "revToday": [0, 0],
                "newToday": [0, 0], "timeToday": [0, 0]}  # fmt: skip

    return {"1": deck(1, "Default", 0), **{str(did): deck(did, name, now_s) for name, did in decks.items()}}


# Anki's long-standing default options group, which every deck above uses.
_DECK_CONFIG = {"1": {
    "id": 1, "name": "Default", "mod": 0, "usn": 0, "maxTaken": 60, "autoplay": True, "timer": 0, "replayq": True,
    "dyn": False,
    "new": {"bury": False, "delays": [1.0, 10.0], "initialFactor": 2500, "ints": [1, 4, 0], "order": 1, "perDay": 20},
    "rev": {"bury": False, "ease4": 1.3, "ivlFct": 1.0, "maxIvl": 36500, "perDay": 200, "hardFactor": 1.2},
    "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0},
}}  # fmt: skip
