"""Sync with an Anki sync server (AnkiWeb, or the one the `anki` package ships: `python -m anki.syncserver`),
so that Anki's own apps (AnkiDroid, AnkiMobile, Anki desktop) and our other desktops review the same cards.

We speak Anki's protocol through the `anki` library, by way of a mirror: an Anki collection kept beside the
store (`sync/<store name>/collection.anki2`). A sync runs in three steps:

1. Into the mirror, first contact aside: every card of the store as a note (its GUID made from the card's
   key, as .apkg exports make it, so the same card is the same note everywhere), its deck, its answers
   (revlog rows by their id, the same millisecond as ours) and its state. The text goes as Anki shows it:
   Markdown as HTML, math in MathJax, code coloured inline.
2. The mirror syncs with the server. A mirror made just now has nothing: a non-empty server is downloaded
   into it first, so a second desktop's built-in decks meet the server's notes by GUID and are never
   added twice. A full upload or download that Anki asks for later (both sides changed the collection's
   schema) is the learner's choice; the store is backed up first.
3. Answers the mirror received (given on a phone, another desktop) come into the store: each such card's
   log is the union of both sides' answers, and its state is replayed from it on the learner's days.

Beyond answers: edits both ways (the later one wins), cards added in Anki's apps, suspensions both ways,
pictures and sounds (Anki's media sync), and plan runs and ticks (in the collection's configuration).
Deletions travel as Anki's own do; deck renames, moves and tags both ways; of plan runs and tasks, the later
change (docs/sync.md).

The hkey (Anki's sync key, which stands for the password) is kept in the store's settings as Anki keeps it
in its profile; the password itself is never stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .changes import Changes, OpResult
from .errors import StudyPlannerError
from .queue import tags_text
from .render import render_html
from .scheduling import QUEUE_BURIED, QUEUE_SUSPENDED, queue_for_state
from .store import Store
from .timeutil import to_ms
from .wording import plural

SERVER_KEY, USER_KEY, HKEY_KEY = "sync_server", "sync_user", "sync_hkey"
ENDPOINT_KEY = "sync_endpoint"  # where AnkiWeb said to sync from now on (it moves accounts between machines)
ANKIWEB = "ankiweb"  # as the server: AnkiWeb, at the address the anki library knows
AUTO_KEY = "sync_automatically"  # the learner's choice: sync when the window opens and closes
PUSHED_KEY = "studyplanner_pushed"
EXTRAS_KEY = "studyplanner_plans_"  # + the device's name: each device's runs and ticks
DEVICE_KEY = "sync_device"  # in the mirror's configuration, which Anki syncs and leaves alone
NOTETYPE_NAME = "Study Planner"
# Anki's revlog type of an answer, from our card state before it: learn, review, relearn.
REVLOG_KIND = {0: 0, 1: 0, 2: 1, 3: 2}
_DAY_MS = 86_400_000
ANSWERS = "x.ease BETWEEN 1 AND 4 AND x.type IN (0, 1, 2)"  # revlog rows that are answers (not reschedules)
STATE_COLUMNS = "id, state, queue, stability, difficulty, due_ms, last_review_ms, reps, lapses"  # a card's schedule
Progress = Callable[[str], None]


class SyncError(StudyPlannerError):
    """The sync could not be done; nothing the store held was lost (one line says why)."""


class Refused(SyncError):
    def __init__(self) -> None:
        super().__init__("the server refused the user name or password")


class NeedsPassword(SyncError):
    def __init__(self) -> None:
        super().__init__("the server needs your password for the first sync (set STUDYPLANNER_SYNC_PASSWORD)")


class FullSyncChoice(SyncError):
    """Anki's protocol asks for a whole upload or download: one side's collection replaces the other's."""

    def __init__(self) -> None:
        super().__init__(
            "the server and this store have each changed in a way Anki cannot merge, so one must replace the "
            "other: this store the server's collection (a full upload), or the server's collection what this "
            "store has synced (a full download); the store is backed up first"
        )


@dataclass(frozen=True)
class SyncSummary:
    sent: int  # answers of this store the server did not have
    received: int  # answers from elsewhere now in the store
    cards_sent: int = 0  # cards new to the server
    full: str | None = None  # "upload" or "download" when the whole collection went one way
    edited_there: int = 0  # cards whose text was edited in Anki's apps, now edited here too
    added_there: int = 0  # cards added in Anki's apps (or by another desktop), now here too
    deleted_there: int = 0  # cards deleted there, now deleted here too
    # Cards edited on both sides since the last sync (the later edit won; the other is in the card's history).
    conflicts: int = 0

    def text(self) -> str:
        parts = [f"sent {plural(self.sent, 'answer')}", f"received {plural(self.received, 'answer')}"]
        if self.cards_sent:
            parts.insert(1, f"{plural(self.cards_sent, 'new card')} sent")
        if self.added_there:
            parts.append(f"{plural(self.added_there, 'new card')} received")
        if self.edited_there:
            parts.append(f"{plural(self.edited_there, 'card')} edited elsewhere")
        if self.deleted_there:
            parts.append(f"{plural(self.deleted_there, 'card')} deleted elsewhere")
        text = ", ".join(parts) + f", {plural(self.conflicts, 'conflict')}"
        return text + (f" (a full {self.full})" if self.full else "")


def can_sync_unasked(store: Store) -> bool:
    """Whether a sync can run without asking anything: a server, a user and its key are remembered."""
    return all(_text(store.get_value(key)) for key in (SERVER_KEY, USER_KEY, HKEY_KEY))


def mirror_path(store_path: Path) -> Path:
    return store_path.parent / "sync" / store_path.stem / "collection.anki2"


def _silent(step: str) -> None:
    pass


def sync(
    store: Store,
    *,
    server: str | None = None,
    user: str | None = None,
    password: str | None = None,
    full: str | None = None,
    progress: Progress = _silent,
) -> OpResult[SyncSummary]:
    """Sync the store with an Anki sync server. server and user are remembered after the first sync; the
    password is needed only until the server has given its key (and again if it stops taking the key: the
    password was changed). full ("upload" or "download") answers Anki's demand for a whole transfer when
    both sides changed the collection's schema."""
    try:
        return _sync(store, server, user, password, full, progress)
    except Refused:
        if _text(store.get_value(HKEY_KEY)) is None:
            raise  # the password itself
        store.set_value(HKEY_KEY, None)  # the key no longer works: log in again
        if password is None:
            raise NeedsPassword() from None
        return _sync(store, server, user, password, full, progress)


def _sync(
    store: Store, server: str | None, user: str | None, password: str | None, full: str | None, progress: Progress
) -> OpResult[SyncSummary]:
    from anki.collection import Collection

    server = server or _text(store.get_value(SERVER_KEY)) or ANKIWEB
    user = user or _text(store.get_value(USER_KEY))
    if not user:
        raise SyncError("the first sync needs your user name (and the server's address, unless it is AnkiWeb)")
    if server.lower() != ANKIWEB:
        server = server if server.endswith("/") else server + "/"
    path = mirror_path(store.path)
    new_mirror = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    progress("Opening the sync collection…")
    col = Collection(str(path))
    written = _Written(path.with_name("written.sqlite"))  # read once a sync: 100,000 notes' rows
    try:
        auth = _auth(store, col, server, user, password)
        full_done = None
        server_empty = False
        if new_mirror:  # first contact: the server's collection first, if it has one
            progress(f"Asking {server}…")
            out = _follow(store, auth, _call(lambda: col.sync_collection(auth, False)))
            server_empty = out.required == out.NO_CHANGES  # an empty mirror met a server with nothing either
            # The new mirror holds nothing of the learner's (the store is apart from it): whatever Anki asks,
            # taking the server's collection loses nothing.
            if out.required in (out.FULL_DOWNLOAD, out.FULL_SYNC):
                progress("Downloading the server's collection…")
                _full(col, auth, out.server_media_usn, upload=False, written=written)
                full_done = "download"
        edited = conflicts = 0
        if not new_mirror:  # what the server has first: an edit made on both sides is then seen as one
            progress(f"Asking {server}…")
            out = _follow(store, auth, _call(lambda: col.sync_collection(auth, False)))
            if out.required not in (out.FULL_SYNC, out.FULL_UPLOAD, out.FULL_DOWNLOAD):
                edited, conflicts = _pull_edits(store, col, written, set())
        progress("Writing the store's cards and answers into the sync collection…")
        # Settled (see _fingerprint): the store and the mirror held the same answers. Still so after the push
        # if nothing had come into the mirror since; then only what the server brings needs a pull.
        settled = _settled(col)
        with _reading(col, store) as db:
            nothing_came = settled is not None and _fingerprint(db)[2:] == settled[2:]
        edited_here: set[str] = set()  # notes this sync writes our edit into: theirs may still win on the server
        sent, cards_sent = _push(store, col, written, edited_here)
        if nothing_came:
            _settle(store, col)
        progress(f"Syncing with {server}…")
        out = _follow(store, auth, _call(lambda: col.sync_collection(auth, False)))
        if out.required in (out.FULL_SYNC, out.FULL_UPLOAD, out.FULL_DOWNLOAD):
            upload = {out.FULL_UPLOAD: True, out.FULL_DOWNLOAD: False}.get(out.required)
            if upload is None and server_empty:  # nothing on the server to lose (Anki asks when neither has cards)
                upload = True
            if upload is None:  # both sides have changed: the learner chooses
                if full not in ("upload", "download"):
                    raise FullSyncChoice()
                upload = full == "upload"
            store.backup(why="before a whole " + ("upload" if upload else "download"))
            progress("Uploading the whole collection…" if upload else "Downloading the server's collection…")
            _full(col, auth, out.server_media_usn, upload=upload, written=written)
            full_done = "upload" if upload else "download"
            if not upload:  # what this store has that the download lacks goes up again
                sent, cards_sent = _push(store, col, written, edited_here)
                _call(lambda: col.sync_collection(auth, False))
        progress("Syncing pictures and sounds…")
        _sync_media(col, auth)
        progress("Bringing answers and edits made elsewhere into the store…")
        received = _pull(store, col)
        _pull_extras(store, col)
        _pull_media(store, col)
        added_there = _pull_new_cards(store, col)
        edited_later, lost_here = _pull_edits(store, col, written, edited_here)
        edited, conflicts = edited + edited_later, conflicts + lost_here
        _pull_suspensions(store, col, written)
        deleted_there = _pull_deletions(store, col, written)
        _pull_decks(store, col)
        if _push_extras(store, col):  # written after the others' are in: see _push_extras
            _follow(store, auth, _call(lambda: col.sync_collection(auth, False)))
        _settle(store, col)
    finally:
        written.close()
        col.close()
    changes = (Changes.STUDY_QUEUE if received else Changes(0)) | (
        Changes.CARD_CONTENT if edited or deleted_there else Changes(0))  # fmt: skip
    summary = SyncSummary(sent, received, cards_sent, full_done, edited_there=edited, added_there=added_there,
                          deleted_there=deleted_there, conflicts=conflicts)  # fmt: skip
    return OpResult(summary, changes | (Changes.CARD_CONTENT | Changes.DECKS if added_there else Changes(0)))


@contextmanager
def _reading(col: Any, store: Store) -> Iterator[sqlite3.Connection]:
    """The mirror read straight from its file, beside Anki's library (WAL: a reader sees its commits), with
    the store attached: a scan through the library's bridge, row by row in JSON, took 15 s a sync at
    100,000 cards and 1,000,000 answers. Writes go through the library."""
    db = sqlite3.connect(Path(col.path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        db.execute("ATTACH ? AS ours", (store.path.resolve().as_uri() + "?mode=ro",))
        yield db
    finally:
        db.close()


_GUIDS: dict[tuple[int, int, int], dict[int, str]] = {}


def _guids(store: Store) -> dict[int, str]:
    """Each card's note GUID, worked out once a sync (a hash a card: 0.2 s at 100,000), again after a write."""
    from .formats.apkg import note_guid  # here: the window imports this module, and the .apkg reader costs 20 ms

    key = (id(store), store.db.total_changes, store.db.execute("PRAGMA data_version").fetchone()[0])
    if key not in _GUIDS:
        _GUIDS.clear()
        _GUIDS[key] = {card_id: note_guid(k) for card_id, k in store.db.execute("SELECT id, key FROM card")}
    return _GUIDS[key]


def _fingerprint(db: sqlite3.Connection) -> list[int]:
    """Both logs' answers in two numbers each (count and sum of ids): the store's, then the mirror's. Settled
    (written by _settle) when the two held the same answers; a side unchanged since has nothing to send,
    and the comparison, which reads both logs whole (1.5 s at 1,000,000 answers), is left out."""
    here = db.execute("SELECT count(*), coalesce(sum(id), 0) FROM ours.review INDEXED BY review_card").fetchone()
    there = db.execute(f"SELECT count(*), coalesce(sum(x.id), 0) FROM revlog x WHERE {ANSWERS}").fetchone()
    return [*here, *there]


def _settled_path(col: Any) -> Path:
    return Path(col.path).with_name("settled.json")


def _settled(col: Any) -> list[int] | None:
    try:
        value = json.loads(_settled_path(col).read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, list) else None


def _settle(store: Store, col: Any) -> None:
    """The two logs hold the same answers: at the end of a sync, and after a push that followed one."""
    with _reading(col, store) as db:
        _settled_path(col).write_text(json.dumps(_fingerprint(db)))


def _card_map(db: sqlite3.Connection, store: Store) -> dict[int, int]:
    """Our card id -> the mirror's card (the first of the note of the card's GUID), also kept in a TEMP
    table `linked` for the queries below, with `unequal`: the cards whose answers differ between the two
    (by count and sum of ids), the only ones the answer queries need to look at."""
    ours = {guid: card_id for card_id, guid in _guids(store).items()}
    linked = {ours[guid]: cid for guid, cid in db.execute(
        "SELECT n.guid, c.id FROM notes n JOIN cards c ON c.nid = n.id AND c.ord = 0") if guid in ours}  # fmt: skip
    db.execute("CREATE TEMP TABLE IF NOT EXISTS linked (card_id INTEGER PRIMARY KEY, cid INTEGER NOT NULL)")
    db.execute("DELETE FROM linked")
    db.executemany("INSERT INTO linked VALUES (?, ?)", linked.items())
    db.execute("CREATE INDEX IF NOT EXISTS temp.linked_cid ON linked (cid)")
    here = {card_id: (n, total) for card_id, n, total in db.execute(
        "SELECT card_id, count(*), sum(id) FROM ours.review GROUP BY card_id")}  # fmt: skip
    there = {card_id: (n, total) for card_id, n, total in db.execute(
        "SELECT l.card_id, count(*), sum(x.id) FROM revlog x JOIN linked l ON l.cid = x.cid "
        f"WHERE {ANSWERS} GROUP BY l.card_id")}  # fmt: skip
    db.execute("CREATE TEMP TABLE IF NOT EXISTS unequal (card_id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM unequal")
    db.executemany("INSERT INTO unequal VALUES (?)",
                   [(c,) for c in here.keys() | there.keys() if here.get(c) != there.get(c)])  # fmt: skip
    return linked


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _auth(store: Store, col: Any, server: str, user: str, password: str | None) -> Any:
    from anki.sync import SyncAuth

    same = _text(store.get_value(SERVER_KEY)) == server and _text(store.get_value(USER_KEY)) == user
    hkey = _text(store.get_value(HKEY_KEY)) if same else None
    endpoint = None if server.lower() == ANKIWEB else server  # None: the library's own address for AnkiWeb
    if hkey is None:
        if password is None:
            raise NeedsPassword()
        auth = _call(lambda: col.sync_login(user, password, endpoint))
        with store.transaction() as db:  # remembered: later syncs need no password
            for key, value in ((SERVER_KEY, server), (USER_KEY, user), (HKEY_KEY, auth.hkey), (ENDPOINT_KEY, None)):
                store.put_value(db, key, value)
        return auth
    return SyncAuth(hkey=hkey, endpoint=_text(store.get_value(ENDPOINT_KEY)) or endpoint)


def _call(fn: Callable[[], Any]) -> Any:
    """A call to the server, its failures in one line each (the server's own words where it gives them:
    "client too old", a full disk there...)."""
    from anki.errors import AnkiError, NetworkError, SyncErrorKind
    from anki.errors import SyncError as AnkiSyncError

    try:
        return fn()
    except AnkiSyncError as exc:
        if exc.kind == SyncErrorKind.AUTH:
            raise Refused() from None
        raise SyncError(f"the sync failed: {exc}") from None
    except NetworkError:  # its own words name no address ("error sending request for url ()")
        raise SyncError("cannot reach the server: is the address right, and is it running?") from None
    except AnkiError as exc:
        raise SyncError(f"the sync failed: {exc}") from None


def _sync_media(col: Any, auth: Any, wait_s: float = 600) -> None:
    """Anki's media sync runs on the library's own thread: started, then waited for (it throws what failed)."""
    _call(lambda: col.sync_media(auth))
    deadline = time.monotonic() + wait_s
    while _call(lambda: col.media_sync_status()).active:
        if time.monotonic() > deadline:
            raise SyncError("the pictures and sounds did not finish syncing in 10 minutes; the cards did")
        time.sleep(0.05)


def _follow(store: Store, auth: Any, out: Any) -> Any:
    """AnkiWeb may answer a sync with a new address for the account: used, and remembered."""
    if out.new_endpoint:
        auth.endpoint = out.new_endpoint
        store.set_value(ENDPOINT_KEY, out.new_endpoint)
    return out


def _full(col: Any, auth: Any, server_usn: int | None, upload: bool, written: _Written) -> None:
    col.close_for_full_sync()
    try:
        _call(lambda: col.full_upload_or_download(auth=auth, server_usn=server_usn, upload=upload))
    finally:
        col.reopen(after_full_sync=True)
    if not upload:  # the mirror holds the server's notes now: everything is compared afresh
        written.forget()
    _settled_path(col).unlink(missing_ok=True)


# --------------------------------------------------------------------- store -> mirror


def _push(store: Store, col: Any, written: _Written, edited_here: set[str]) -> tuple[int, int]:
    """Write the store's cards, states and answers into the mirror; returns (answers, cards) new to it.
    A card is rendered only when its text, tags or deck changed since it was last written (the record of
    what was written lies beside the mirror): rendering is most of a sync's time (5 ms a card)."""
    from anki.collection import AddNoteRequest
    from anki.decks import DeckId

    notetype = _notetype(col)
    _push_decks(store, col)  # renamed here: renamed there before any card goes to a deck by its name
    with _reading(col, store) as db:
        notes = {guid: (nid, flds, mod, tags) for guid, nid, flds, mod, tags in db.execute(
            "SELECT guid, id, flds, mod, tags FROM notes")}  # fmt: skip
        card_decks = {nid: (cid, did) for nid, cid, did in db.execute("SELECT nid, id, did FROM cards WHERE ord = 0")}
    cards_by_note = {nid: cid for nid, (cid, _) in card_decks.items()}
    moving: dict[int, list[int]] = {}  # mirror deck -> cards moved there here
    deck_ids: dict[str, int] = {}
    mirror_card: dict[int, int] = {}  # our card id -> the mirror's
    card_guid: dict[int, str] = {}
    adding: list[tuple[int, Any]] = []  # added in one call: one by one took 1 ms a note
    overwritten: list[tuple[int, str]] = []  # our card, and the fields from elsewhere our later edit replaces
    rows = store.db.execute(
        "SELECT c.id, c.key, c.question, c.answer, c.tags, d.name, c.modified_ms FROM card c "
        "JOIN deck d ON d.id = c.deck_id"
    ).fetchall()
    guids = _guids(store)
    for card_id, _key, question, answer, tags, deck_name, modified_ms in rows:
        guid = guids[card_id]
        known = notes.get(guid)
        entry = written.get(guid)
        digest = _source_digest(question, answer, tags, deck_name)
        card_guid[card_id] = guid
        if known is not None and known[0] in cards_by_note:
            mirror_card[card_id] = cards_by_note[known[0]]
        if known is not None and entry.source == digest:
            continue
        if known is None and entry.source is not None:
            continue  # written before and gone from the mirror: deleted elsewhere (_pull_deletions deletes it)
        fields = [_anki_html(question), _anki_html(answer)]
        joined = "\x1f".join(fields)
        if deck_name not in deck_ids:
            deck_ids[deck_name] = col.decks.id(deck_name)
        if known is None:
            note = col.new_note(notetype)
            note.guid = guid
            note.fields[:] = fields
            note.tags = tags.split()
            adding.append((card_id, AddNoteRequest(note, DeckId(deck_ids[deck_name]))))
        else:
            nid, flds, mod, their_tags = known
            if nid in card_decks and card_decks[nid][1] != deck_ids[deck_name]:  # moved to another deck here
                moving.setdefault(deck_ids[deck_name], []).append(card_decks[nid][0])
            # Edited on both sides since the last sync (counted by _pull_edits before the push): the later wins.
            edited_there = entry.fields is not None and _note_digest(flds, their_tags) != entry.fields
            if edited_there and mod * 1000 > modified_ms:
                continue  # edited in Anki's apps after our edit: theirs stays, and comes in after the sync
            if edited_there:  # ours is the later edit: theirs, which it replaces, stays in the card's history
                overwritten.append((card_id, flds))
            edited_here.add(guid)
            if flds != joined or their_tags.split() != tags.split():
                note = col.get_note(nid)
                if len(note.fields) != len(fields):
                    continue  # a note type of another shape (a note made in Anki): left as it is
                note.fields[:] = fields
                note.tags = tags.split()
                col.update_note(note)
                # The note's time is the edit's, not this sync's: Anki's merge keeps the later edit.
                col.db.execute("UPDATE notes SET mod = ? WHERE id = ?", max(1, modified_ms // 1000), nid)
        written.put(guid, source=digest, fields=_note_digest(joined, tags))
    for did, cids in moving.items():
        col.set_deck(cids, did)
    _keep_versions(store, overwritten, REPLACED_THERE)
    _push_decks(store, col)  # the decks cards were just added to are recorded too
    gone_here = [notes[guid][0] for guid in written.entries.keys() - set(card_guid.values()) if guid in notes]
    if gone_here:  # deleted here since the last sync: deleted there too
        col.remove_notes(gone_here)
    for guid in written.entries.keys() - set(card_guid.values()):
        written.drop(guid)
    if adding:
        col.add_notes([request for _, request in adding])
        with _reading(col, store) as db:
            first_card = dict(db.execute("SELECT nid, id FROM cards WHERE ord = 0"))
        for card_id, request in adding:
            mirror_card[card_id] = first_card[request.note.id]
    _push_states(store, col, mirror_card, card_guid, written)
    written.commit()
    _push_scheduling(store, col)
    _push_media(store, col)
    return _push_answers(store, col), len(adding)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


REPLACED_HERE = "replaced by a later edit made elsewhere"
REPLACED_THERE = "an earlier edit made elsewhere, replaced by the edit made here"


def _keep_versions(store: Store, losers: list[tuple[int, str]], why: str) -> None:
    """Notes' fields from elsewhere that lost to a later edit, kept in their cards' history."""
    from .formats import anki_side

    rows = []
    for card_id, flds in losers:
        values = flds.split("\x1f")
        if len(values) == 2:
            rows.append((card_id, to_ms(store.clock.now()), anki_side(values[0]), anki_side(values[1]), why))
    if rows:
        with store.operation(Changes.CARD_CONTENT) as db:
            db.executemany(
                "INSERT INTO card_version (card_id, replaced_ms, question, answer, why) VALUES (?, ?, ?, ?, ?)", rows
            )


def _note_digest(fields: str, tags: str) -> str:
    """A note as written into the mirror: its fields and its tags (in any order)."""
    return _digest(fields + "\x1e" + " ".join(sorted(tags.split())))


def _source_digest(question: str, answer: str, tags: str, deck_name: str) -> str:
    return _digest("\x1f".join((question, answer, tags, deck_name)))


class _Entry(NamedTuple):
    source: str | None  # digest of the card's text, tags and deck, as last written
    fields: str | None  # digest of the fields that became
    state: str | None  # digest of the card's schedule, as last written
    queue: int | None  # the queue the mirror's card was given then (-1: suspended)


class _Written:
    """What was last written into the mirror for each note (our notes have one card each). A note whose
    fields no longer match was edited in Anki's apps; a card whose queue no longer matches was suspended
    or brought back there."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS written_v2 (guid TEXT PRIMARY KEY, source, fields, state, queue)")
        self.entries = {row[0]: _Entry(*row[1:]) for row in self.db.execute("SELECT * FROM written_v2")}

    def get(self, guid: str) -> _Entry:
        return self.entries.get(guid) or _Entry(None, None, None, None)

    def put(self, guid: str, **changed: Any) -> None:
        entry = self.get(guid)._replace(**changed)
        self.entries[guid] = entry
        self.db.execute("INSERT OR REPLACE INTO written_v2 VALUES (?, ?, ?, ?, ?)", (guid, *entry))

    def drop(self, guid: str) -> None:
        self.entries.pop(guid, None)
        self.db.execute("DELETE FROM written_v2 WHERE guid = ?", (guid,))

    def commit(self) -> None:
        self.db.commit()

    def forget(self) -> None:
        self.entries.clear()
        self.db.execute("DELETE FROM written_v2")
        self.db.commit()

    def close(self) -> None:
        self.db.close()  # what was not committed (a step stopped half-way) is not kept


def _decks_record(col: Any) -> Path:
    return Path(col.path).with_name("decks-written.json")


def _load_decks(col: Any) -> dict[str, list]:
    """Which mirror deck each of our decks is, and the name it was last written under."""
    try:
        record = json.loads(_decks_record(col).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _push_decks(store: Store, col: Any) -> None:
    """A deck renamed here since the last sync is renamed in the mirror (its cards stay in it); a deck new
    to the record is recorded once the mirror has it."""
    record = _load_decks(col)
    for deck_id, name in store.db.execute("SELECT id, name FROM deck").fetchall():
        entry = record.get(str(deck_id))
        if entry is not None and entry[1] != name and col.decks.get(entry[0], default=False):
            col.decks.rename(entry[0], name)
            entry[1] = name
        elif entry is None and (did := col.decks.id_for_name(name)) is not None:
            record[str(deck_id)] = [did, name]
    _decks_record(col).write_text(json.dumps(record))


def _pull_decks(store: Store, col: Any) -> int:
    """Decks renamed in Anki's apps are renamed here (parents first, as Anki renames a deck's subdecks with
    it), and cards moved there to another deck of ours move here."""
    from . import ops

    record = _load_decks(col)
    renamed = 0
    for deck_id, entry in sorted(record.items(), key=lambda item: item[1][1].count("::")):
        deck = col.decks.get(entry[0], default=False)
        ours = store.db.execute("SELECT name FROM deck WHERE id = ?", (int(deck_id),)).fetchone()
        if deck is None or ours is None or deck["name"] == entry[1]:
            continue
        if ours[0] != deck["name"]:
            try:
                ops.rename_deck(store, int(deck_id), deck["name"])
            except StudyPlannerError:
                continue  # a name this store already has for another deck: left as it is here
            renamed += 1
        entry[1] = deck["name"]
    _decks_record(col).write_text(json.dumps(record))
    our_deck = {did: int(deck_id) for deck_id, (did, _) in record.items()}
    card_of = {guid: card_id for card_id, guid in _guids(store).items()}
    deck_of = dict(store.db.execute("SELECT id, deck_id FROM card"))
    with _reading(col, store) as db:
        placed = db.execute("SELECT n.guid, c.did FROM cards c JOIN notes n ON n.id = c.nid WHERE c.ord = 0")
        changed = [(our_deck[did], card_of[guid]) for guid, did in placed
                   if guid in card_of and did in our_deck and deck_of[card_of[guid]] != our_deck[did]]  # fmt: skip
    if changed:
        with store.operation(Changes.DECKS | Changes.STUDY_QUEUE) as db:
            db.executemany("UPDATE card SET deck_id = ? WHERE id = ?", changed)
    return renamed + len(changed)


def _push_states(
    store: Store, col: Any, mirror_card: dict[int, int], card_guid: dict[int, str], written: _Written
) -> None:
    """The mirror's cards take the store's states (a card changed since it was last written), so the phone
    schedules what the store would, and a card suspended here is suspended there."""
    from anki.cards import FSRSMemoryState

    today = col.sched.today
    now_ms = to_ms(store.clock.now())
    changed = []
    for row in store.db.execute(f"SELECT {STATE_COLUMNS} FROM card").fetchall():
        card_id, state, queue, stability, difficulty, due_ms, last_ms, reps, lapses = row
        cid, guid = mirror_card.get(card_id), card_guid.get(card_id)
        digest = _digest(repr(row[1:]))
        if cid is None or guid is None or written.get(guid).state == digest:
            continue
        card = col.get_card(cid)
        if state == 2:  # review: due on a day number of the mirror's
            days = max(0, round(((due_ms or now_ms) - now_ms) / _DAY_MS))
            card.type, card.queue, card.due = 2, 2, today + days
            card.ivl = max(1, round(((due_ms or now_ms) - (last_ms or now_ms)) / _DAY_MS))
        elif state in (1, 3):  # (re)learning: due at a moment, in seconds
            card.type, card.queue, card.due, card.left = state, 1, (due_ms or now_ms) // 1000, 1
        else:
            card.type, card.queue = 0, 0
        if queue == QUEUE_SUSPENDED:
            card.queue = -1
        elif queue == QUEUE_BURIED:
            card.queue = -3
        card.reps, card.lapses = reps, lapses
        if stability is not None and difficulty is not None:
            card.memory_state = FSRSMemoryState(stability=stability, difficulty=difficulty)
        changed.append(card)
        written.put(guid, state=digest, queue=int(card.queue))
    if changed:
        col.update_cards(changed)


def _push_answers(store: Store, col: Any) -> int:
    """The store's answers the mirror lacks. One the mirror has under an id a few ms off (nudged on a
    collision, there or here) is the same answer: ids are unique instants, not names."""
    from .history import SAME_ANSWER_MS

    with _reading(col, store) as db:
        settled = _settled(col)
        if settled is not None and _fingerprint(db)[:2] == settled[:2]:  # no answer given here since
            return 0
        _card_map(db, store)
        missing = db.execute(
            "SELECT r.id, l.cid, r.rating, r.duration_ms, r.state_before, r.due_after_ms FROM unequal u "
            "JOIN linked l ON l.card_id = u.card_id JOIN ours.review r ON r.card_id = u.card_id WHERE NOT EXISTS "
            "(SELECT 1 FROM revlog x WHERE x.cid = l.cid AND x.id BETWEEN r.id - ? AND r.id + ?) ORDER BY r.id",
            (SAME_ANSWER_MS, SAME_ANSWER_MS),
        ).fetchall()
        taken = {rid for (rid,) in db.execute("SELECT id FROM revlog")} if missing else set()
    rows = []
    for review_id, cid, rating, duration_ms, state_before, due_after_ms in missing:
        interval = max(1, round((due_after_ms - review_id) / _DAY_MS))  # Anki's ivl: the days the answer gave
        while review_id in taken:  # another card's answer of the same millisecond
            review_id += 1
        taken.add(review_id)
        rows.append([review_id, cid, rating, interval, min(duration_ms, 60_000),
                     REVLOG_KIND.get(state_before, 0)])  # fmt: skip
    if not rows:
        return 0
    # usn -1: not yet on the server, so the next sync sends them. One statement, one transaction: a row a
    # statement (or executemany, which commits each) took 0.2 ms a row, 23 s for 100,000 answers.
    col.db.execute(
        "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) SELECT value ->> 0, "
        "value ->> 1, -1, value ->> 2, value ->> 3, 0, 0, value ->> 4, value ->> 5 FROM json_each(?)",
        json.dumps(rows),
    )
    # Rows written in SQL do not mark the collection changed: without this the sync sends nothing.
    col.set_config(PUSHED_KEY, to_ms(store.clock.now()))
    return len(rows)


# Text Markdown would only wrap in a paragraph: one line, nothing that marks up, nothing at its start that
# makes a list, heading or quote. Most cards of a large collection are such; rendering one costs 5 ms.
_PLAIN = re.compile(r"(?![ \t]*(?:[-+*>#]|\d+[.)])\s)[^\n*_`\[\]<>&$\\|~!#=:]+")


def _device(store: Store) -> str:
    """This store's name among the devices of one sync account (made once)."""
    device = _text(store.get_value(DEVICE_KEY))
    if device is None:
        device = secrets.token_hex(6)
        store.set_value(DEVICE_KEY, device)
    return device


MAX_MEDIA_BYTES = 100 * 2**20  # one picture or sound from elsewhere; larger ones stay there (AnkiWeb's own limit)


def _push_media(store: Store, col: Any) -> int:
    """The store's pictures and sounds into the mirror's media folder (its media sync sends them): those not
    written there before, by name and SHA-1, so a sync reads no file that did not change."""
    folder = Path(col.media.dir())
    record = folder.parent / "media-written.json"
    try:
        written = json.loads(record.read_text())
    except (OSError, ValueError):
        written = {}
    new = 0
    for name, sha1 in store.db.execute("SELECT name, sha1 FROM media").fetchall():
        if written.get(name) == sha1 and (folder / name).is_file():
            continue
        data = store.media(name)
        if data is not None:
            (folder / name).write_bytes(data)
            written[name] = sha1
            new += 1
    if new:
        record.write_text(json.dumps(written))
    return new


def _pull_media(store: Store, col: Any) -> int:
    """Pictures and sounds the media sync brought (a note added on the phone with its picture) that the
    store lacks; over MAX_MEDIA_BYTES, or named as no plain file is, they are left out."""
    from .formats.apkg import unsafe_media_name

    have = {name for (name,) in store.db.execute("SELECT name FROM media")}
    arriving = []
    for path in Path(col.media.dir()).iterdir():
        if path.name in have or unsafe_media_name(path.name) or not path.is_file():
            continue
        if path.stat().st_size <= MAX_MEDIA_BYTES:
            data = path.read_bytes()
            arriving.append((path.name, data, hashlib.sha1(data).hexdigest()))
    if arriving:
        with store.operation(Changes.CARD_CONTENT) as db:
            db.executemany("INSERT OR IGNORE INTO media (name, data, sha1) VALUES (?, ?, ?)", arriving)
    return len(arriving)


def _push_scheduling(store: Store, col: Any) -> None:
    """Anki's apps schedule with FSRS and the store's retention (each deck's own where it has one, through a
    preset a retention) and parameters, as the store does: the states written into the mirror are FSRS
    memory states, and a phone on SM-2 would ignore them."""
    settings = store.settings()
    if col.get_config("fsrs", False) is not True:
        col.set_config("fsrs", True)
    parameters = list(settings.parameters or [])
    presets = {settings.desired_retention: 1}  # Default, which every deck uses unless it has a retention of its own
    for deck_id, name in store.db.execute("SELECT id, name FROM deck").fetchall():
        retention = store.settings(deck_id).desired_retention
        if retention not in presets:  # one preset a retention, made once: "Study Planner 0.85"
            title = f"Study Planner {retention:.2f}"
            found = [c["id"] for c in col.decks.all_config() if c["name"] == title]
            presets[retention] = found[0] if found else col.decks.add_config_returning_id(title)
        deck = col.decks.by_name(name)
        if deck is not None and deck.get("conf") != presets[retention]:
            col.decks.set_config_id_for_deck_dict(deck, presets[retention])
    for retention, preset_id in presets.items():
        conf = col.decks.get_config(preset_id)
        want = {"desiredRetention": retention,
                "fsrsParams6" if len(parameters) != 19 else "fsrsParams5": parameters}  # fmt: skip
        if conf is not None and any(conf.get(key) != value for key, value in want.items()):
            conf.update(want)
            col.decks.update_config(conf)


def _push_extras(store: Store, col: Any) -> bool:
    """What the layers above keep besides cards (plan runs and ticks), under this device's own key; True
    when it was written (then one more exchange with the server sends it).

    Anki merges the configuration as a whole, not key by key: when both sides changed it, the later side's
    replaces the other's, and a device's newer entry could be lost. So it is written only after the sync
    brought the others' in, and written again whenever the server's copy is not this device's state (a
    later sync heals what a clash lost). Times are whole seconds, and the later must be later: a write
    waits out the second of the one before."""
    if store.synced_state is None:
        return False
    key, state = EXTRAS_KEY + _device(store), json.loads(json.dumps(store.synced_state()))
    if col.get_config(key, None) == state:
        return False
    stamp = Path(col.path).with_name("extras-written")
    with contextlib.suppress(OSError):
        time.sleep(max(0.0, stamp.stat().st_mtime + 1.05 - time.time()))
    col.set_config(key, state)
    stamp.touch()
    return True


def _pull_extras(store: Store, col: Any) -> int:
    """The other devices' entries, merged into the store (see planner/synced.py)."""
    if store.merge_synced_state is None:
        return 0
    mine = EXTRAS_KEY + _device(store)
    return sum(store.merge_synced_state(value) for key, value in col.all_config().items()
               if key.startswith(EXTRAS_KEY) and key != mine)  # fmt: skip


def _anki_html(text: str) -> str:
    text = text.strip()
    if _PLAIN.fullmatch(text):
        return f"<p>{text}</p>"
    return render_html(text, for_anki=True, budget=None).html


def _notetype(col: Any) -> Any:
    """Our note type in the mirror: Front and Back, as Anki's Basic (made once; later syncs find it)."""
    existing = col.models.by_name(NOTETYPE_NAME)
    if existing is not None:
        return existing
    models = col.models
    notetype = models.new(NOTETYPE_NAME)
    for name in ("Front", "Back"):
        models.add_field(notetype, models.new_field(name))
    template = models.new_template("Card 1")
    template["qfmt"] = "{{Front}}"
    template["afmt"] = '{{FrontSide}}\n\n<hr id="answer">\n\n{{Back}}'
    models.add_template(notetype, template)
    notetype["css"] = ".card { font-family: sans-serif; font-size: 18px; text-align: left; }\n"
    models.add(notetype)
    return models.by_name(NOTETYPE_NAME)


# --------------------------------------------------------------------- mirror -> store


def _pull(store: Store, col: Any) -> int:
    """Answers in the mirror the store lacks, for cards it has, merged into each card's log (merge_history
    also knows an answer it has under an id a few ms off)."""
    from .history import SAME_ANSWER_MS, PastAnswer, merge_history  # here: the window imports this module

    with _reading(col, store) as db:
        settled = _settled(col)
        if settled is not None and _fingerprint(db)[2:] == settled[2:]:  # nothing has come from elsewhere
            return 0
        _card_map(db, store)
        rows = db.execute(
            "SELECT x.id, l.card_id, x.ease, x.time FROM unequal u JOIN linked l ON l.card_id = u.card_id "
            f"JOIN revlog x ON x.cid = l.cid WHERE {ANSWERS} AND NOT EXISTS (SELECT 1 FROM ours.review r "
            "WHERE r.card_id = l.card_id AND r.id BETWEEN x.id - ? AND x.id + ?) ORDER BY x.id",
            (SAME_ANSWER_MS, SAME_ANSWER_MS),
        ).fetchall()
    arriving: dict[int, list[PastAnswer]] = {}
    for review_id, card_id, ease, duration_ms in rows:
        arriving.setdefault(card_id, []).append(PastAnswer(review_id, ease, duration_ms))
    if not arriving:
        return 0
    received = 0
    with store.operation(Changes.STUDY_QUEUE) as db:
        for card_id, answers in arriving.items():
            (deck_id,) = db.execute("SELECT deck_id FROM card WHERE id = ?", (card_id,)).fetchone()
            received += merge_history(db, card_id, answers, store.settings(deck_id), store.tz)
    return received


def _pull_new_cards(store: Store, col: Any) -> int:
    """Notes the store has no card for (added in Anki's apps, or by another desktop) come in as an .apkg's
    would: their decks, text, answers replayed, suspensions. Their keys are made from their GUIDs, so each
    stays the same note on the next sync."""
    from .formats import bring_in_anki_cards
    from .formats.apkg import AnkiPackage, read_collection_file

    ours = set(_guids(store).values())
    with _reading(col, store) as db:
        unknown = {guid for (guid,) in db.execute("SELECT guid FROM notes")} - ours
    if not unknown:
        return 0
    package = read_collection_file(Path(col.path))
    arriving = [card for card in package.cards if card.guid in unknown]
    if not arriving:
        return 0
    return bring_in_anki_cards(store, AnkiPackage(arriving, {}), "sync", "sync").added


def _pull_edits(store: Store, col: Any, written: _Written, edited_here: set[str]) -> tuple[int, int]:
    """Cards whose note was edited in Anki's apps (its fields or tags no longer what was written) take the new
    text, as HTML cleaned as an import's is, and the tags. When the card was edited here too since the last
    sync (a conflict), the later edit wins, and the other stays in the card's history: ours here, when
    theirs is later; theirs when the push replaces it with ours (see _push). Returns the edits taken, and
    the conflicts seen (with those over an edit this sync had already sent)."""
    from .formats import anki_side

    guids = _guids(store)
    ours = {guids[row[0]]: row for row in store.db.execute(
        "SELECT c.id, c.question, c.answer, c.tags, d.name, c.modified_ms FROM card c "
        "JOIN deck d ON d.id = c.deck_id")}  # fmt: skip
    edits, kept = [], []
    conflicts = 0
    with _reading(col, store) as db:
        notes = db.execute("SELECT guid, flds, mod, tags FROM notes").fetchall()
    for guid, flds, mod, their_tags in notes:
        entry, card = written.get(guid), ours.get(guid)
        if entry.fields is None or card is None or _note_digest(flds, their_tags) == entry.fields:
            continue
        values = flds.split("\x1f")
        if len(values) != 2:
            continue
        card_id, our_question, our_answer, our_tags, deck_name, modified_ms = card
        edited_here_too = entry.source != _source_digest(our_question, our_answer, our_tags, deck_name)
        conflicts += edited_here_too or guid in edited_here
        if edited_here_too and modified_ms >= mod * 1000:
            continue  # ours is the later edit: the push sends it, and keeps theirs in the history
        question, answer = anki_side(values[0]), anki_side(values[1])
        if question:
            tags = tags_text(their_tags.split())
            edits.append((question, answer, tags, mod * 1000, card_id))
            if edited_here_too or guid in edited_here:  # ours lost: kept
                kept.append((card_id, to_ms(store.clock.now()), our_question, our_answer, REPLACED_HERE))
            written.put(guid, source=_source_digest(question, answer, tags, deck_name),
                        fields=_note_digest(flds, their_tags))  # fmt: skip
    if edits:
        with store.operation(Changes.CARD_CONTENT) as db:
            db.executemany(
                "INSERT INTO card_version (card_id, replaced_ms, question, answer, why) VALUES (?, ?, ?, ?, ?)", kept
            )
            db.executemany(
                "UPDATE card SET question = ?, answer = ?, tags = ?, modified_ms = ? WHERE id = ?", edits
            )
    written.commit()
    return len(edits), conflicts


def _pull_deletions(store: Store, col: Any, written: _Written) -> int:
    """Cards whose note was written into the mirror and is gone from it (deleted in Anki's apps, or on
    another desktop) are deleted here too, with their answers, as Anki's own sync deletes them."""
    with _reading(col, store) as db:
        there = {guid for (guid,) in db.execute("SELECT guid FROM notes")}
    gone = [(card_id, guid) for card_id, guid in _guids(store).items()
            if guid not in there and written.get(guid).source is not None]  # fmt: skip
    if gone:
        with store.operation(Changes.CARD_CONTENT | Changes.STUDY_QUEUE) as db:
            db.executemany("DELETE FROM card WHERE id = ?", [(card_id,) for card_id, _ in gone])
        for _, guid in gone:
            written.drop(guid)
    written.commit()
    return len(gone)


def _pull_suspensions(store: Store, col: Any, written: _Written) -> int:
    """Cards suspended, or brought back, in Anki's apps since they were last written: the same here."""
    guids = _guids(store)
    ours = {guids[card_id]: (card_id, state) for card_id, state in store.db.execute("SELECT id, state FROM card")}
    changed = []
    with _reading(col, store) as db:
        query = "SELECT n.guid, c.queue FROM cards c JOIN notes n ON n.id = c.nid WHERE c.ord = 0"
        queues = db.execute(query).fetchall()
    for guid, queue in queues:
        entry, card = written.get(guid), ours.get(guid)
        if card is None or entry.queue is None or (queue == -1) == (entry.queue == -1):
            continue
        card_id, state = card
        changed.append((QUEUE_SUSPENDED if queue == -1 else queue_for_state(state), card_id))
        written.put(guid, queue=queue)
    if changed:
        with store.operation(Changes.STUDY_QUEUE) as db:
            db.executemany("UPDATE card SET queue = ? WHERE id = ?", changed)
        # Written as it is now: the next sync must not take the change for one made here, and send it back.
        guid_of = {card_id: guid for guid, (card_id, _) in ours.items()}
        for card_id, *state in store.db.execute(
            f"SELECT {STATE_COLUMNS} FROM card WHERE id IN ({','.join(str(c) for _, c in changed)})"
        ).fetchall():
            written.put(guid_of[card_id], state=_digest(repr(tuple(state))))
    written.commit()
    return len(changed)


__all__ = ["SyncError", "SyncSummary", "mirror_path", "sync"]
