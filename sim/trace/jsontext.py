"""JSON text as Arrow string columns.

Every value is encoded once (``"text"``, ``12``, ``true``, ``null``) into a column, and objects
are built by concatenating columns with :func:`pyarrow.compute.binary_join_element_wise`, in
C, instead of ``json.dumps`` per row. Strings are escaped once per distinct
value (vocabularies, dictionary-encoded columns), never per row, by the json module's C
encoder. A ``str`` where a column is expected is a JSON literal repeated on every row.
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

Column = pa.Array | str


def quote(text: str) -> str:
    """A JSON string, UTF-8 (not ``\\u`` escapes)."""
    return encode_basestring(text)


def inner(text: str) -> str:
    """``text`` escaped for use inside a JSON string; escaping is per character, so escaped
    pieces concatenate into an escaped whole."""
    return encode_basestring(text)[1:-1]


def join(*parts: Column) -> pa.Array:
    """Concatenate columns and literals row by row."""
    return pc.binary_join_element_wise(*parts, "")


def obj(fields: Mapping[str, Column]) -> pa.Array:
    """A JSON object per row, keys sorted; at least one field must be a column."""
    parts: list[Column] = []
    lit = "{"
    for key in sorted(fields):
        lit += ("" if lit == "{" else ",") + quote(key) + ":"
        value = fields[key]
        if isinstance(value, str):
            lit += value
        else:
            parts += [lit, value]
            lit = ""
    return join(*parts, lit + "}")


def vocab(options: Sequence[str | None]) -> pa.Array:
    """Encoded options, to ``take`` from."""
    return pa.array(["null" if o is None else encode_basestring(o) for o in options],
                    pa.string())


def strings(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    """Encode a column of strings (nulls become ``null``), escaping each distinct value once."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(
        values, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    out = vocab(arr.dictionary.to_pylist()).take(arr.indices)
    return pc.fill_null(out, "null")


def ints(values: np.ndarray) -> pa.Array:
    """Encode integers."""
    return pc.cast(pa.array(values, pa.int64()), pa.string())


def bools(values: np.ndarray) -> pa.Array:
    """Encode booleans."""
    return pa.array(["false", "true"]).take(pa.array(values.astype(np.int8)))


def labels(prefix: str, numbers: np.ndarray, width: int = 0) -> pa.Array:
    """Ids like ``P00000001``: ``prefix`` + number zero-padded to ``width`` (not encoded)."""
    digits = ints(numbers)
    if width:
        digits = pc.utf8_lpad(digits, width, "0")
    return join(prefix, digits)


def ids(prefix: str, numbers: np.ndarray, width: int = 0) -> pa.Array:
    """Encode ids like ``"P00000001"`` (see :func:`labels`)."""
    return join('"', labels(prefix, numbers, width), '"')


def or_null(values: pa.Array, valid: np.ndarray) -> pa.Array:
    """``values`` where ``valid``, else ``null``."""
    return pc.if_else(pa.array(valid), values, "null")


@lru_cache(maxsize=1)
def _clock_table() -> pa.Array:
    """``HH:MM:SS+08:00"`` for every second of a day (the closing half of an ISO string)."""
    two = pa.array([f"{i:02d}" for i in range(60)])
    second = np.arange(86400)
    return join(two.take(second // 3600), ":", two.take(second // 60 % 60), ":",
                two.take(second % 60), EPOCH.isoformat()[-6:] + '"')


def iso(hours: np.ndarray) -> pa.Array:
    """Encode hours since :data:`~sim.metrics.records.EPOCH` as ISO 8601 with the offset, to
    the second, like :func:`sim.metrics.records.iso` (``null`` where not finite)."""
    valid = np.isfinite(hours)
    micros = np.round(np.where(valid, hours, 0.0) * 3.6e9).astype(np.int64)
    day, second = np.divmod(micros // 1_000_000, 86400)
    days = pa.array([f'"{(EPOCH + timedelta(days=d)).date().isoformat()}T'
                     for d in range(int(day.max(initial=0)) + 1)])
    out = join(days.take(pa.array(day)), _clock_table().take(pa.array(second)))
    return out if valid.all() else or_null(out, valid)
