"""JSON text as Arrow string columns.

Every value is encoded into a column (``"text"``, ``12``, ``true``, ``null``) and objects are
built by concatenating columns with :func:`pyarrow.compute.binary_join_element_wise`, in C,
instead of ``json.dumps`` per row. A value is a :data:`Piece`: a column, a ``str`` (a JSON
literal repeated on every row) or a tuple of pieces that follow one another. Pieces are only
joined when a whole object or line is, so a row's text is written once, not once per nested
value (quotes around an id, the date and clock halves of a timestamp).

Strings are escaped by the json module's C encoder, once per distinct value, and only in a
column where some value needs it: ids, codes and Faker's names hold nothing to escape, and
checking that in C is far cheaper than encoding every value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import lru_cache
from json.encoder import encode_basestring

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.metrics.records import EPOCH

Piece = pa.Array | str | tuple["Piece", ...]



def quote(text: str) -> str:
    """A JSON string, UTF-8 (not ``\\u`` escapes)."""
    return encode_basestring(text)


def inner(text: str) -> str:
    """``text`` escaped for use inside a JSON string; escaping is per character, so escaped
    pieces concatenate into an escaped whole."""
    return encode_basestring(text)[1:-1]


def _flatten(pieces: Sequence[Piece], out: list[pa.Array | str]) -> None:
    """Append ``pieces`` to ``out`` in order, tuples unpacked and neighbouring literals merged
    (each argument of the join costs a pass over the rows)."""
    for piece in pieces:
        if isinstance(piece, tuple):
            _flatten(piece, out)
        elif isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)


def join(*pieces: Piece) -> pa.Array:
    """Concatenate pieces row by row; at least one must hold a column."""
    parts: list[pa.Array | str] = []
    _flatten(pieces, parts)
    return pc.binary_join_element_wise(*parts, "")


def obj(fields: Mapping[str, Piece]) -> pa.Array:
    """A JSON object per row, keys sorted; at least one field must hold a column."""
    pieces: list[Piece] = ["{"]
    for key in sorted(fields):
        pieces += ["," if len(pieces) > 1 else "", quote(key), ":", fields[key]]
    return join(*pieces, "}")


def text_bytes(values: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of a string column's values, back to back (no copy)."""
    data = values.buffers()[2]
    if data is None:  # no characters at all
        return np.zeros(0, np.uint8)
    offsets = np.frombuffer(values.buffers()[1], np.int32)
    return np.frombuffer(data, np.uint8)[offsets[values.offset]:
                                         offsets[values.offset + len(values)]]


def _escape_free(values: pa.Array) -> bool:
    """Whether no value holds a character JSON escapes: the quote, the backslash or a control
    character (in UTF-8 no byte of a multi-byte character is below 0x80)."""
    b = text_bytes(values)
    return not ((b < 0x20).any() or (b == ord('"')).any() or (b == ord("\\")).any())


def vocab(options: Sequence[str | None]) -> pa.Array:
    """Encoded options, to ``take`` from."""
    return pa.array(["null" if o is None else encode_basestring(o) for o in options],
                    pa.string())


def strings(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> Piece:
    """Encode a column of strings (nulls become ``null``)."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(
        values, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        if _escape_free(arr):
            quoted = ('"', arr, '"')
            return pc.fill_null(join(*quoted), "null") if arr.null_count else quoted
        arr = arr.dictionary_encode()
    out = vocab(arr.dictionary.to_pylist()).take(arr.indices)
    return pc.fill_null(out, "null")


def ints(values: np.ndarray) -> pa.Array:
    """Encode integers."""
    return pc.cast(pa.array(values, pa.int64()), pa.string())


def bools(values: np.ndarray) -> pa.Array:
    """Encode booleans."""
    return pa.array(["false", "true"]).take(pa.array(values.astype(np.int8)))


def _digits(numbers: np.ndarray, width: int) -> pa.Array:
    """Numbers in decimal, zero-padded to ``width``."""
    digits = ints(numbers)
    return pc.ascii_lpad(digits, width, "0") if width else digits


def labels(prefix: str, numbers: np.ndarray, width: int = 0) -> pa.Array:
    """Ids like ``P00000001``: ``prefix`` + number zero-padded to ``width`` (not encoded)."""
    return join(prefix, _digits(numbers, width))


def ids(prefix: str, numbers: np.ndarray, width: int = 0) -> Piece:
    """Encode ids like ``"P00000001"`` (see :func:`labels`)."""
    return ('"' + prefix, _digits(numbers, width), '"')


def or_null(values: Piece, valid: np.ndarray) -> pa.Array:
    """``values`` where ``valid``, else ``null``."""
    return pc.if_else(pa.array(valid), join(values), "null")


@lru_cache(maxsize=1)
def _clock_table() -> pa.Array:
    """``HH:MM:SS+08:00"`` for every second of a day (the closing half of an ISO string)."""
    two = pa.array([f"{i:02d}" for i in range(60)])
    second = np.arange(86400)
    return join(two.take(second // 3600), ":", two.take(second // 60 % 60), ":",
                two.take(second % 60), EPOCH.isoformat()[-6:] + '"')


def iso(hours: np.ndarray) -> Piece:
    """Encode hours since :data:`~sim.metrics.records.EPOCH` as ISO 8601 with the offset, to
    the second, like :func:`sim.metrics.records.iso` (``null`` where not finite)."""
    valid = np.isfinite(hours)
    micros = np.round(np.where(valid, hours, 0.0) * 3.6e9).astype(np.int64)
    day, second = np.divmod(micros // 1_000_000, 86400)
    days = pa.array([f'"{(EPOCH + timedelta(days=d)).date().isoformat()}T'
                     for d in range(int(day.max(initial=0)) + 1)])
    out = (days.take(pa.array(day)), _clock_table().take(pa.array(second)))
    return out if valid.all() else or_null(out, valid)
