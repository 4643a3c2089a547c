"""Just enough of the protobuf wire format to read three fields out of Anki packages.

Current Anki packages keep a note type's kind, a card template's question and answer
formats and the media list in protobuf messages. We have no compiled schema for them
and do not want the protobuf runtime plus Anki's .proto files as a dependency for three
fields, so this walks the wire format directly: each field is a key varint
(field number << 3 | wire type) followed by its value. Varints come back as int,
length-delimited values (strings, bytes, nested messages) as bytes; fixed32/64 are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint starting at pos, and the position after it."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("a number is cut off")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift >= 64:
            raise ProtobufError("a number is longer than 10 bytes")


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) for every varint and length-delimited field, in order."""
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = read_varint(data, pos)
            yield number, value
        elif wire == LENGTH_DELIMITED:
            size, pos = read_varint(data, pos)
            if pos + size > len(data):
                raise ProtobufError("a field is cut off")
            yield number, data[pos : pos + size]
            pos += size
        elif wire in (FIXED32, FIXED64):
            pos += 4 if wire == FIXED32 else 8
            if pos > len(data):
                raise ProtobufError("a field is cut off")
        else:  # 3 and 4 are the long-deprecated groups, 6 and 7 do not exist
            raise ProtobufError(f"unsupported wire type {wire}")


def get(data: bytes, number: int) -> int | bytes | None:
    """The value of a singular field; for repeated fields protobuf says the last one wins."""
    found = None
    for n, value in fields(data):
        if n == number:
            found = value
    return found


def text(data: bytes, number: int) -> str:
    """A string field, empty when absent (protobuf's default)."""
    value = get(data, number)
    if value is None:
        return ""
    if not isinstance(value, bytes):
        raise ProtobufError(f"field {number} is a number, not text")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError(f"field {number} is not UTF-8 text") from None
