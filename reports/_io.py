"""JSON reading and writing shared by the manifest and the table files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports.model import ReportError


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON with Chinese kept readable (not \\u-escaped).

    ±inf are written as ``Infinity``/``-Infinity``, which Python, pandas and pyarrow read
    back (NaN never occurs: the model stores it as null).
    """
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    """The parsed contents of ``path``; ReportError if it is missing or not valid JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: file is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})") from None
