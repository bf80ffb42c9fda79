"""Load a scenario: world + rules + workload + staffing, composed from files and overrides.

A ready-made scenario names its parts by path and may override any key of any part:

```toml
[scenario]
name = "…"
seed = 1
days = 30                           # measured, after
warmup_days = 7                     # simulated first and left out of the statistics
world = "worlds/district.toml"      # paths are relative to this file
rules = "rules/jiangsu.toml"
workload = "workloads/standard.toml"
staffing = "staffing/standard.toml"
holidays = "calendars/cn-public-holidays.toml"   # optional: public holidays, make-up days

[staffing.grid_workers]             # overrides, deep-merged over the part
part_time_per_rural_grid = 2
```

Every value remembers the file it came from, so a validation error names the file, the key
path and the reason on one line (:class:`ScenarioError`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from sim.config.calendar import HolidayCalendar
from sim.config.cited import Strict
from sim.config.errors import ScenarioError
from sim.config.rules import Rules
from sim.config.staffing import StaffingSpec
from sim.config.workload import WorkloadSpec
from sim.config.world import WorldSpec

PARTS: dict[str, type[BaseModel]] = {
    "world": WorldSpec,
    "rules": Rules,
    "workload": WorkloadSpec,
    "staffing": StaffingSpec,
    "holidays": HolidayCalendar,
}
PartName = Literal["world", "rules", "workload", "staffing", "holidays"]
Origins = dict[tuple[str, ...], str]


class ScenarioMeta(Strict):
    """The ``[scenario]`` table."""

    name: str
    description: str = ""
    seed: int = Field(default=0, ge=0)
    days: float = Field(default=30, gt=0)
    # simulated before ``days`` and left out of every statistic (runs start empty)
    warmup_days: float = Field(default=0, ge=0, le=366, allow_inf_nan=False)
    world: str = Field(min_length=1)
    rules: str = Field(min_length=1)
    workload: str = Field(min_length=1)
    staffing: str = Field(min_length=1)
    holidays: str = Field(default="", description="holiday calendar file; empty: none")


class Scenario(Strict):
    """A validated, composed scenario."""

    meta: ScenarioMeta
    world: WorldSpec
    rules: Rules
    workload: WorkloadSpec
    staffing: StaffingSpec
    holidays: HolidayCalendar | None = None
    files: dict[str, str] = Field(description="part name -> file it was loaded from")


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file or raise a one-line :class:`ScenarioError`."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"not valid TOML: {exc}") from None


def _merge(base: dict[str, Any], over: Mapping[str, Any], origins: Origins, file: str,
           prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    """Deep-merge ``over`` into ``base`` (tables merge, anything else replaces)."""
    out = dict(base)
    for key, value in over.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value, origins, file, path)
        else:
            out[key] = value
            _record(value, origins, file, path)
        origins[path] = file
    return out


def _record(value: Any, origins: Origins, file: str, path: tuple[str, ...]) -> None:
    origins[path] = file
    if isinstance(value, Mapping):
        for k, v in value.items():
            _record(v, origins, file, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _record(v, origins, file, (*path, str(i)))


def _origin(origins: Origins, loc: tuple[str, ...], default: str) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origins:
            return origins[loc[:n]]
    return default


def _validate(model: type[BaseModel], data: dict[str, Any], origins: Origins, part: str,
              default_file: str, part_in: str = "") -> Any:
    """Validate one part; the first error becomes a ScenarioError naming file and key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        file = _origin(origins, loc, default_file)
        # keys are named as they are written in the file that holds them
        key = ".".join((part, *loc)) if file in (part_in, "--set") else ".".join(loc)
        raise ScenarioError(file, key, msg) from None


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_set(assignment: str) -> tuple[list[str], Any]:
    """Parse ``part.key.path=value`` (value in TOML syntax, bare words as strings)."""
    key, sep, value = assignment.partition("=")
    if not sep or not key.strip():
        raise ScenarioError("--set", assignment,
                            "expected KEY=VALUE, e.g. staffing.centres.county=8")
    return key.strip().split("."), _parse_value(value.strip())


def _assign(data: dict[str, Any], path: list[str], value: Any, origins: Origins) -> None:
    """Set ``path`` to ``value``, replacing whatever was there (a table is not merged)."""
    node = data
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    _record(value, origins, "--set", tuple(path))


FOLDERS = {"world": "worlds", "rules": "rules", "workload": "workloads", "staffing": "staffing",
           "holidays": "calendars"}


def resolve_part(base_dir: Path, part: str, ref: str) -> Path:
    """Resolve a part reference: a path relative to the scenario, or a bare name in its folder.

    ``rules = "qingdao"`` means ``rules/qingdao.toml`` beside the scenario file.
    """
    path = Path(ref)
    if path.suffix != ".toml" and len(path.parts) == 1:
        path = Path(FOLDERS[part]) / f"{ref}.toml"
    return path if path.is_absolute() else base_dir / path


def load_scenario(path: str | Path, *, sets: Iterable[str] = (),
                  parts: Mapping[str, str] | None = None) -> Scenario:
    """Load, compose and validate a scenario file.

    ``parts`` swaps a part (``{"rules": "qingdao"}`` or a path); ``sets`` are ``KEY=VALUE``
    overrides applied last (``staffing.centres.county=8``, ``scenario.seed=3``); a set value
    replaces what was there, tables included (``world.exclusive_per_township={}`` clears it).
    """
    path = Path(path)
    top = read_toml(path)
    top_file = str(path)
    unknown = set(top) - {"scenario", *PARTS}
    if unknown:
        raise ScenarioError(top_file, sorted(unknown)[0], "unknown key")
    meta_raw = dict(top.get("scenario") or {})
    meta_origins: Origins = {}
    _record(meta_raw, meta_origins, top_file, ())
    for name, ref in (parts or {}).items():
        if name not in PARTS:
            raise ScenarioError(top_file, name, f"unknown part (one of {', '.join(PARTS)})")
        meta_raw[name] = str(resolve_part(path.parent, name, ref).resolve())
    set_items = [parse_set(s) for s in sets]
    for keys, value in set_items:
        if keys[0] == "scenario":
            _assign(meta_raw, keys[1:], value, meta_origins)
    meta = _validate(ScenarioMeta, meta_raw, meta_origins, "scenario", top_file, top_file)

    loaded: dict[str, Any] = {}
    files: dict[str, str] = {}
    for name, model in PARTS.items():
        ref = getattr(meta, name)
        if not ref:  # an optional part left out (only the holiday calendar may be)
            continue
        part_path = resolve_part(path.parent, name, ref)
        origins: Origins = {}
        data = _merge({}, read_toml(part_path), origins, str(part_path))
        data = _merge(data, top.get(name) or {}, origins, top_file)
        for keys, value in set_items:
            if keys[0] == name:
                _assign(data, keys[1:], value, origins)
        loaded[name] = _validate(model, data, origins, name, str(part_path), top_file)
        files[name] = str(part_path)
    for keys, _ in set_items:
        if keys[0] not in {"scenario", *PARTS}:
            raise ScenarioError("--set", ".".join(keys), f"must start with one of scenario, "
                                f"{', '.join(PARTS)}")
    scenario = Scenario(meta=meta, files=files, **loaded)
    from sim.config.crosscheck import check_scenario  # late: crosscheck imports Scenario

    check_scenario(scenario)
    return scenario


def load_part(part: PartName, path: str | Path) -> Any:
    """Load and validate one part file on its own (e.g. a rules file)."""
    path = Path(path)
    origins: Origins = {}
    data = _merge({}, read_toml(path), origins, str(path))
    return _validate(PARTS[part], data, origins, part, str(path), "-")
