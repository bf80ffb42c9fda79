"""Division and grid codes.

Division codes (12 digits, after GB/T 2260 and the statistical division code):
``PPCC`` city (from the world file) + ``DD`` county + ``TTT`` township + ``VVV`` community.
Townships number 001–099 for streets (街道) and 101–199 for towns (镇); communities number
001–199 for urban residents' committees (居委会) and 201–399 for villages (村委会).

Grid codes (19 digits, 001 二.3) = the 12-digit division code of the community or village
+ 1 kind digit (1 urban comprehensive, 2 rural comprehensive, 3 exclusive)
+ 2 exclusive-kind digits (00 for comprehensive grids, else :data:`EXCLUSIVE_KINDS` index + 1)
+ 4 sequence digits (0001…, per community, kind and exclusive kind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXCLUSIVE_KINDS: tuple[str, ...] = (
    "admin_centre", "park", "enterprise", "institution", "factory", "scenic", "market",
    "business_building", "school", "hospital",
)
KIND_URBAN, KIND_RURAL, KIND_EXCLUSIVE = 1, 2, 3
KIND_NAMES = {KIND_URBAN: "urban", KIND_RURAL: "rural", KIND_EXCLUSIVE: "exclusive"}
GRID_CODE = re.compile(r"^(\d{12})([123])(\d{2})(\d{4})$")


def township_code(city: str, county: int, township: int, urban: bool) -> str:
    """9-digit township code: streets from 001, towns from 101."""
    return f"{city}{county:02d}{township + (1 if urban else 101):03d}"


def community_code(township: str, seq: int, urban: bool) -> str:
    """12-digit community/village code: communities from 001, villages from 201."""
    return f"{township}{seq + (1 if urban else 201):03d}"


def grid_code(community: str, kind: int, subkind: int, seq: int) -> str:
    """19-digit grid code; ``seq`` starts at 1."""
    return f"{community}{kind}{subkind:02d}{seq:04d}"


@dataclass(frozen=True)
class GridCode:
    """A parsed grid code."""

    division: str
    kind: int
    subkind: int
    seq: int


def parse_grid_code(code: str) -> GridCode:
    """Parse a 19-digit grid code or raise ValueError saying what is wrong."""
    m = GRID_CODE.match(code)
    if not m:
        raise ValueError(f"grid code {code!r} is not 19 digits of division+kind+pair+sequence")
    division, kind, subkind, seq = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
    if seq == 0:
        raise ValueError(f"grid code {code!r} has sequence 0000")
    if (kind == KIND_EXCLUSIVE) != (subkind != 0) or subkind > len(EXCLUSIVE_KINDS):
        raise ValueError(
            f"grid code {code!r}: exclusive-kind digits {subkind:02d} do not fit kind {kind}")
    return GridCode(division, kind, subkind, seq)
