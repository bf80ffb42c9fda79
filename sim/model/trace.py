"""Collect the platform operations a run performs (the trace contract of design.md).

Only built when tracing is asked for; the model calls it through ``Model.emit*``, which cost
one ``is None`` test when tracing is off. Payload text (names, addresses, descriptions) is
added at export (:mod:`sim.trace`), not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sim.model.arrivals.poisson import DIFFICULTIES, SOURCES, URGENCIES
from sim.model.case import _unit
from sim.model.clock import Calendar

if TYPE_CHECKING:
    from sim.model.engine import Model

Row = tuple[float, str, str, str, str, int, int, dict[str, Any]]


class Tracer:
    """Operations as columns (one list per field, so the export reads each in one pass):
    ``t, op, role, actor, unit, case, grid, fields``."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.t: list[float] = []
        self.op: list[str] = []
        self.role: list[str] = []
        self.actor: list[str] = []
        self.unit: list[str] = []
        self.case: list[int] = []
        self.grid: list[int] = []
        self.fields: list[dict[str, Any]] = []
        self.patrol_seq = 0

    def __len__(self) -> int:
        return len(self.t)

    def _add(self, t: float, op: str, role: str, actor: str, unit: str, case: int, g: int,
             fields: dict[str, Any], times: int = 1) -> None:
        self.t += [t] * times
        self.op += [op] * times
        self.role += [role] * times
        self.actor += [actor] * times
        self.unit += [unit] * times
        self.case += [case] * times
        self.grid += [g] * times
        self.fields += [fields] * times

    def rows(self) -> Iterator[Row]:
        """The operations as ``(t, op, role, actor, unit, case, grid, fields)`` tuples."""
        return zip(self.t, self.op, self.role, self.actor, self.unit, self.case, self.grid,
                   self.fields, strict=True)

    def _actor(self, g: int, fields: dict[str, Any]) -> tuple[str, str, str]:
        m, w = self.m, self.m.world
        actor = fields.pop("actor", None)
        tier = fields.get("tier")
        if actor == "worker" or (actor is None and tier is None):
            team = int(m.teams.grid_team[g])
            return "grid_worker", m.teams.team_actor[team] if team >= 0 else "", w.grid_code[g]
        if isinstance(actor, str) and actor.startswith("dept:"):
            dept, _, where = actor[5:].partition("@")
            unit = _unit(m, where, g)
            pool = m.departments.find(dept, where, unit)
            code = w.dept_unit_code(pool.unit) if pool is not None else dept
            return "department_handler", m.departments.actors.get((dept, where, unit), dept), code
        tier = actor if actor in m.centres.tiers else tier
        unit = _unit(m, tier, g)
        code = {"township": w.township_code, "county": w.county_code}.get(tier)
        return (f"{tier}_staff", m.centres.actors[tier][unit],
                w.city_code if code is None else code[unit])

    def reporter(self, i: int, source: str) -> tuple[str, str, str]:
        """Who reports case ``i`` from ``source`` on the platform, and answers a resident's
        later question about it: the resident, the grid worker who found it on patrol, the
        hotline's centre (the lowest) taking the call, or the top centre passing on a
        department's referral."""
        m = self.m
        g = int(m.arrivals.grid[i])
        if source == "resident":
            return "resident", f"H{int(m.arrivals.household[i]) + 1}", m.world.grid_code[g]
        if source == "patrol":
            return self._actor(g, {"actor": "worker"})
        tier = m.centres.tiers[0] if source == "hotline" else m.centres.tiers[-1]
        return self._actor(g, {"tier": tier})

    def case_op(self, op: str, i: int, fields: dict[str, Any]) -> None:
        """A case operation."""
        m, a = self.m, self.m.arrivals
        g = int(a.grid[i])
        t = float(fields.pop("at", m.env.now))
        if op == "case.report":
            fields.update(type=m.type_keys[int(a.type[i])], urgency=URGENCIES[a.urgency[i]],
                          difficulty=DIFFICULTIES[a.difficulty[i]],
                          household=int(a.household[i]))
            role, actor, unit = self.reporter(i, fields["source"])
        else:
            if op == "case.dispatch":  # the unit a platform's dispatch call must name
                fields["to_unit"] = str(self._actor(g, {"actor": fields["to"]})[2])
            role, actor, unit = self._actor(g, fields)
        self._add(t, op, role, actor, str(unit), i, g, fields)

    def patrol(self, g: int, cal: Calendar, start: float, end: float) -> None:
        """A patrol worked from ``start`` to ``end`` on ``cal``: its start, a check-in
        halfway through its working time and its end."""
        self.patrol_seq += 1
        role, actor, unit = self._actor(g, {"actor": "worker"})
        half = cal.at((cal.worked(start) + cal.worked(end)) / 2)
        for op, t in (("patrol.start", start), ("patrol.checkin", half), ("patrol.end", end)):
            self._add(t, op, role, actor, str(unit), -1, g, {"patrol": self.patrol_seq})

    def visits(self, g: int, n: int, at: float) -> None:
        """``n`` door visits recorded at grid ``g``, done by ``at``."""
        role, actor, unit = self._actor(g, {"actor": "worker"})
        # the rows share one (empty) fields dict: nothing writes to it
        self._add(at, "visit.record", role, actor, str(unit), -1, g, {}, times=n)

    def sources(self) -> tuple[str, ...]:
        """Report sources, for payload generation."""
        return SOURCES
