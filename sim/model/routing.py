"""Where a case goes next, decided from the rules alone (pure functions, no simulation state).

Tiers climb grid → township → county → city. A centre resolves what is its own or diverts it
to a same-tier department (lateral diversion, 001 五.3 / 002 第十八条); what it cannot, it
escalates; the top tier handles the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TIER_ORDER = ("grid", "township", "county", "city")


@dataclass(frozen=True)
class Decision:
    """``handle`` by the centre itself, ``dispatch`` to a department here, or ``escalate``."""

    action: Literal["handle", "dispatch", "escalate"]
    department: str | None = None


def _order(tier: str) -> int:
    return TIER_ORDER.index(tier)


def decide(tier: str, resolve_tier: str, department: str | None, dept_tiers: tuple[str, ...],
           dept_linked: bool, lateral: bool, above: str | None) -> Decision:
    """Routing at a centre of ``tier`` for a case resolvable at ``resolve_tier``.

    - A linked department with a unit at this tier takes the case here when this tier can
      resolve it and the rules allow lateral diversion (without it, townships escalate and
      only county and city centres dispatch); the top tier always dispatches if it can.
    - A department the rules do not name as linked has no grid channel below the county:
      the case climbs to the county centre, which dispatches it to that department there.
    - Otherwise the centre handles what its tier can resolve and escalates the rest.
    """
    if department is not None and dept_linked:
        can = _order(resolve_tier) <= _order(tier)
        diverts = lateral or tier != "township"
        if tier in dept_tiers and ((can and diverts) or above is None):
            return Decision("dispatch", department)
        return Decision("escalate") if above is not None else Decision("handle")
    if department is not None:  # not linked under these rules: reached from the county
        if tier in ("county", "city") or above is None:
            return Decision("dispatch", department)
        return Decision("escalate")
    if _order(resolve_tier) <= _order(tier) or above is None:
        return Decision("handle")
    return Decision("escalate")
