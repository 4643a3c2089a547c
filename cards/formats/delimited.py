"""CSV, TSV and TXT decks: delimiter and header detected, columns mapped to question/answer/tags."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field

from ..deckfile import MAX_FIELD_CHARS, DeckCard, decode_utf8
from ..errors import FileFormatError

DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}
ROLE_NAMES = {
    "question": {"question", "front", "q", "prompt", "term", "text"},
    "answer": {"answer", "back", "a", "response", "definition", "extra"},
    "tags": {"tags", "tag", "labels"},
    "deck": {"deck"},  # our own exports name the deck and each card's key: importing one back updates
    "key": {"key"},
}


# The "#name:value" lines Anki writes above a text export (and reads on import).
ANKI_HEADERS = {"separator", "html", "columns", "tags", "deck", "notetype", "if matches",
                "tags column", "deck column", "notetype column", "guid column"}  # fmt: skip
ANKI_SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t", "space": " ", "pipe": "|", "colon": ":"}
_ANKI_HEADER = re.compile(r"#([a-z ]+):(.*)")


@dataclass
class Table:
    """A delimited file read into rows, with what was detected about it."""

    delimiter: str
    header: list[str] | None
    rows: list[tuple[int, list[str]]]  # (line, cells)
    columns: int
    mapping: dict[str, int] = field(default_factory=dict)  # role -> column (roles: question, answer, tags,
    # and from Anki's headers deck, guid, notetype)
    anki: dict[str, str] = field(default_factory=dict)  # Anki's header lines, by name


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 with or without BOM; anything else is refused with the line it breaks on."""
    if data.startswith((b"PK\x03\x04", b"SQLite format 3")) or b"\x00" in data[:4096]:
        raise FileFormatError(path, None, "this is not a text file (is it an .apkg or a database?)")
    text = decode_utf8(data, path)
    if "\x00" in text:  # past the first 4 KB too: a NUL was imported, and the CSV export then cut the field
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise FileFormatError(path, line, "the line holds a NUL byte, which no text file has: is it a binary file?")
    return text


def read_table(data: bytes, path: str, mapping: dict[str, int] | None = None, has_header: bool | None = None) -> Table:
    """Rows of a delimited file. has_header None means: detect it from the column names."""
    csv.field_size_limit(16 * MAX_FIELD_CHARS)  # our own limit below says which line is too long
    text = decode_text(data, path)
    anki, first_line, text = _anki_headers(text, path)
    delimiter = anki_separator(anki, path) or _detect_delimiter(text, path)
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        start = first_line
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileFormatError(path, first_line - 1 + reader.line_num, f"cannot read this line: {exc}") from None
    if not rows:
        raise FileFormatError(path, None, "the file has no rows")
    if "columns" in anki:  # Anki names the columns in a header line, not in a first row
        header: list[str] | None = anki["columns"].split(delimiter)
    else:
        header = _detect_header(rows[0][1]) if has_header is None else (rows[0][1] if has_header else None)
        if header is not None:
            rows = rows[1:]
            if not rows:
                raise FileFormatError(path, 2, "the file has column names but no cards below them")
    columns = max([len(cells) for _, cells in rows] + [len(header or [])])
    table = Table(delimiter=delimiter, header=header, rows=rows, columns=columns, anki=anki)
    table.mapping = mapping or _anki_mapping(anki, columns, path) or _auto_mapping(header, columns)
    _check_mapping(table, path)
    return table


def cards_from_table(table: Table, path: str) -> tuple[list[DeckCard], int]:
    """The table's rows as cards; rows without a question are skipped (counted)."""
    cards, skipped = [], 0
    mapping = table.mapping
    plain = table.anki.get("html", "").lower() == "false"  # Anki's plain text: a "<" is a "<"
    fixed_tags = table.anki.get("tags", "").split()

    def cell(cells: list[str], role: str) -> str:
        column = mapping.get(role)
        return cells[column].strip() if column is not None and column < len(cells) else ""

    for line, cells in table.rows:
        question, answer = unguarded(cell(cells, "question")), unguarded(cell(cells, "answer"))
        if not question:  # a row without a question makes no card; one without an answer does (Anki's too)
            skipped += 1
            continue
        for value in (question, answer):
            if len(value) > MAX_FIELD_CHARS:
                raise FileFormatError(path, line, f"a field is longer than {MAX_FIELD_CHARS:,} characters")
        if plain:
            question, answer = html.escape(question, quote=False), html.escape(answer, quote=False)
        tags = [*fixed_tags, *cell(cells, "tags").replace(",", " ").split()]
        guid = cell(cells, "guid")  # Anki's note id across collections: the key its .apkg gives card 1 too
        deck = cell(cells, "deck") or table.anki.get("deck")
        key = cell(cells, "key") or (f"anki-{guid}-0" if guid else "")
        cards.append(DeckCard(question=question, answer=answer, key=key, tags=tags, line=line, deck=deck))
    return cards, skipped


def anki_separator(anki: dict[str, str], path: str) -> str | None:
    value = anki.get("separator")
    if value is None:
        return None
    separator = ANKI_SEPARATORS.get(value.lower(), value)
    if len(separator) != 1:
        raise FileFormatError(path, 1, f"Anki's #separator:{value} names no separator this app knows")
    return separator


def _anki_headers(text: str, path: str) -> tuple[dict[str, str], int, str]:
    """Anki's "#name:value" lines at the top of the file: their values, the line the rows start on, and
    the text below them. A "#" line that is not one of Anki's is left as a row."""
    headers: dict[str, str] = {}
    lines = text.split("\n")
    count = 0
    for line in lines:
        match = _ANKI_HEADER.fullmatch(line.rstrip("\r"))
        if match is None or match.group(1).strip() not in ANKI_HEADERS:
            break
        headers[match.group(1).strip()] = match.group(2).strip()
        count += 1
    return headers, count + 1, "\n".join(lines[count:])


def _anki_mapping(anki: dict[str, str], columns: int, path: str) -> dict[str, int] | None:
    """Columns from Anki's headers: its guid, note type, deck and tags columns are named by number, and
    the note's fields fill the others in order (the first is the question, the second the answer)."""
    special: dict[str, int] = {}
    for role in ("guid", "notetype", "deck", "tags"):
        value = anki.get(f"{role} column")
        if value is None:
            continue
        if not value.isdigit() or not 1 <= int(value) <= columns:
            raise FileFormatError(path, None, f"Anki's #{role} column:{value} is not a column of this file")
        special[role] = int(value) - 1
    if not special:
        return None
    fields = [column for column in range(columns) if column not in special.values()]
    if not fields:
        raise FileFormatError(path, None, "Anki's headers leave no column for the note's fields")
    mapping = {role: column for role, column in special.items() if role != "notetype"}
    mapping["question"] = fields[0]
    if len(fields) > 1:
        mapping["answer"] = fields[1]
    return mapping


FORMULA_STARTS = ("=", "+", "-", "@")


def formula_safe_sql(column: str) -> str:
    """SQL for a column's value with a ' before a leading = + - or @ (no spreadsheet formula)."""
    return f"CASE WHEN {column} GLOB '[=+@-]*' THEN '''' || {column} ELSE {column} END"


def formula_safe(value: str) -> str:
    """The same for a value at hand (a deck's name)."""
    return "'" + value if value[:1] in FORMULA_STARTS and value else value


def unguarded(value: str) -> str:
    """A field as it was before formula_safe_sql guarded it."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


def quoted_line_sql(columns: list[str]) -> str:
    """SQL for one line of a table with every field quoted (RFC 4180 style, which any
    spreadsheet and our reader take), fields joined by parameter ?1.

    SQLite's printf doubles the quote marks (%w): on a large deck several times
    faster than quoting field by field in Python, csv.writer included.
    """
    pattern = "%s".join('"%w"' for _ in columns)
    return f"printf('{pattern}', {', ?1, '.join(columns)})"


def _detect_delimiter(text: str, path: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    counts = {d: sample.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        if path.lower().endswith(".tsv"):
            return "\t"
        raise FileFormatError(path, 1, "no comma, tab or semicolon separates a question from its answer")
    return best


def _detect_header(cells: list[str]) -> list[str] | None:
    names = [c.strip().lower() for c in cells]
    known = set().union(*ROLE_NAMES.values())
    return cells if any(n in known for n in names) and sum(n in known for n in names) >= min(2, len(names)) else None


def _auto_mapping(header: list[str] | None, columns: int) -> dict[str, int]:
    if header is not None:
        names = [h.strip().lower() for h in header]
        mapping: dict[str, int] = {}
        for role, aliases in ROLE_NAMES.items():
            for index, name in enumerate(names):
                if name in aliases and index not in mapping.values():
                    mapping[role] = index
                    break
        if "question" in mapping and "answer" in mapping:
            return mapping
    mapping = {"question": 0, "answer": 1}
    if columns > 2:
        mapping["tags"] = 2
    return mapping


def _check_mapping(table: Table, path: str) -> None:
    for role in ("question", "answer"):
        if role not in table.mapping:
            raise FileFormatError(path, None, f"no column is chosen for the {role}")
    if table.columns < 2:
        raise FileFormatError(path, table.rows[0][0], "each line needs at least two columns: question and answer")
    for role, column in table.mapping.items():
        if not 0 <= column < table.columns:
            raise FileFormatError(
                path, None, f"the {role} column {column + 1} does not exist (the file has {table.columns})"
            )
