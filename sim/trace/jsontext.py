"""JSON text as Arrow string columns.

Every value is encoded into a column (``"text"``, ``12``, ``true``, ``null``) and objects are
built by concatenating columns with :func:`pyarrow.compute.binary_join_element_wise`, in C,
instead of ``json.dumps`` per row. A value is a :data:`Piece`: a column, a ``str`` (a JSON
literal repeated on every row), a :class:`Pick` from a few encoded options, or a tuple of
pieces that follow one another. Pieces are only joined when a whole object or line is, so a
row's text is written once, not once per nested value (quotes around an id, the date and clock
halves of a timestamp).

The join costs about the same for every argument on every row, whatever its length, so it is
given as few arguments as possible: neighbouring literals are merged, and literals beside a
:class:`Pick` are folded into its options (``,"tier":"grid"`` is one option, not a literal and
a value).

Strings are escaped by the json module's C encoder, once per distinct value, and only in a
column where some value needs it: ids, codes and Faker's names hold nothing to escape, and
checking that in C is far cheaper than encoding every value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from json.encoder import encode_basestring

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.metrics.records import EPOCH


@dataclass(frozen=True)
class Pick:
    """Row ``i`` is ``options[index[i]]`` (encoded options: a vocabulary, a dictionary's
    values), kept apart until joined so that the literals beside it can go into the options."""

    options: pa.Array
    index: np.ndarray

    @property
    def foldable(self) -> bool:
        """Whether literals beside it are cheaper folded into the options than joined per
        row (folding costs a join over the options)."""
        return 2 * len(self.options) <= len(self.index)

    def column(self, prefix: str = "", suffix: str = "") -> pa.Array:
        """The picked values, each between ``prefix`` and ``suffix``."""
        options = self.options
        if prefix or suffix:
            options = pc.binary_join_element_wise(prefix, options, suffix, "")
        return options.take(pa.array(self.index))


Piece = pa.Array | str | Pick | tuple["Piece", ...]


def quote(text: str) -> str:
    """A JSON string, UTF-8 (not ``\\u`` escapes)."""
    return encode_basestring(text)


def inner(text: str) -> str:
    """``text`` escaped for use inside a JSON string; escaping is per character, so escaped
    pieces concatenate into an escaped whole."""
    return encode_basestring(text)[1:-1]


def _flatten(pieces: Sequence[Piece], out: list[pa.Array | str | Pick]) -> None:
    """Append ``pieces`` to ``out`` in order, tuples unpacked and neighbouring literals
    merged."""
    for piece in pieces:
        if isinstance(piece, tuple):
            _flatten(piece, out)
        elif isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)


def join(*pieces: Piece) -> pa.Array:
    """Concatenate pieces row by row; at least one must hold a column. A literal beside a
    :class:`Pick` with few options is folded into them rather than joined on every row."""
    flat: list[pa.Array | str | Pick] = []
    _flatten(pieces, flat)
    parts: list[pa.Array | str] = []
    k = 0
    while k < len(flat):
        part = flat[k]
        if isinstance(part, Pick):
            prefix = suffix = ""
            if part.foldable:
                if parts and isinstance(parts[-1], str):
                    prefix = parts.pop()
                if k + 1 < len(flat) and isinstance(flat[k + 1], str):
                    k += 1
                    suffix = flat[k]
            part = part.column(prefix, suffix)
        parts.append(part)
        k += 1
    if len(parts) == 1 and isinstance(parts[0], pa.Array):
        return parts[0]
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


def strings(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> Piece:
    """Encode a column of strings (nulls become ``null``); a dictionary-encoded column is
    encoded once per distinct value, and picked."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(
        values, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        words = arr.dictionary
        quoted = join('"', words, '"') if _escape_free(words) else pa.array(
            [encode_basestring(w) for w in words.to_pylist()], pa.string())
        # the last option is null's
        return Pick(pa.concat_arrays([quoted, pa.array(["null"])]),
                    pc.fill_null(arr.indices, len(words)).to_numpy())
    if _escape_free(arr):
        quoted = ('"', arr, '"')
        return pc.fill_null(join(*quoted), "null") if arr.null_count else quoted
    return strings(arr.dictionary_encode())


def vocab(options: Sequence[str | None]) -> pa.Array:
    """Encoded options (``null`` for None), to pick from."""
    return join(strings(options))


def ints(values: np.ndarray) -> pa.Array:
    """Encode integers."""
    return pc.cast(pa.array(values, pa.int64()), pa.string())


def bools(values: np.ndarray) -> Pick:
    """Encode booleans."""
    return Pick(pa.array(["false", "true"]), values.astype(np.int8))


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
    out = (Pick(days, day), Pick(_clock_table(), second))
    return out if valid.all() else or_null(out, valid)
