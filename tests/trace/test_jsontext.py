"""JSON text built by columns is the text ``json.dumps`` gives value by value, whichever path
encodes it: escaped or not, plain or dictionary-encoded, picked with literals folded or not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sim.metrics.records import iso as record_iso
from sim.trace import export, write_trace
from sim.trace.jsontext import Pick, bools, ids, iso, join, obj, strings
from tests.trace.conftest import Traced

WORDS = ["plain", "引号\"在内", "back\\slash", "line\nbreak", "tab\tand\x01control", "网格员", ""]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("dictionary", [False, True])
@pytest.mark.parametrize("words", [WORDS, ["W0000001", "3299010010011000001", "grid"]])
def test_strings_encode_like_json(words: list[str], dictionary: bool) -> None:
    values = [*words, None, *reversed(words)]
    column = pa.array(values, pa.string())
    if dictionary:
        column = column.dictionary_encode()
    assert join(strings(column)).to_pylist() == [_dumps(v) for v in values]


@pytest.mark.parametrize("rows", [3, 1000])  # too few rows to fold literals, and enough
def test_picks_fold_literals_without_changing_the_text(rows: int) -> None:
    rng = np.random.default_rng(0)
    options = strings(pa.array(WORDS).dictionary_encode())
    a, b = (Pick(options.options, rng.integers(0, len(WORDS), rows)) for _ in range(2))
    n = np.arange(rows)
    text = join('{"a":', a, ',"b":', b, ',"on":', bools(n % 2 == 1), ',"id":', ids("P", n, 8),
                "}").to_pylist()
    assert [json.loads(t) for t in text] == [
        {"a": WORDS[i], "b": WORDS[j], "on": bool(k % 2), "id": f"P{k:08d}"}
        for i, j, k in zip(a.index, b.index, n, strict=True)]


def test_objects_are_compact_with_sorted_keys() -> None:
    hours = np.array([0.0, 1.5, np.nan, 49.25])
    text = obj({"z": strings(pa.array(WORDS[:4])), "at": iso(hours), "lat": "null",
                "b": bools(np.array([True, False, True, False]))}).to_pylist()
    at = record_iso(hours).to_pylist()
    for i, t in enumerate(text):
        value = {"z": WORDS[i], "at": at[i], "lat": None, "b": i % 2 == 0}
        assert t == json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_jsonl_blocks_join_seamlessly(traced: Traced, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_trace(traced.table, tmp_path / "one.jsonl")
    monkeypatch.setattr(export, "LINES", 7)  # blocks with few distinct actors, some without cases
    write_trace(traced.table, tmp_path / "many.jsonl")
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "many.jsonl").read_bytes()
