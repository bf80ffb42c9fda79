"""Check a generated world against its jurisdiction's rules; every violation cites its rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

from sim.config.rules import HouseholdRange, Rules
from sim.world.codes import KIND_RURAL, KIND_URBAN, parse_grid_code
from sim.world.tables import World, role_id

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Violation:
    """One kind of rule broken, how often, with a few examples."""

    check: str
    rule: str
    count: int
    detail: str
    examples: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {**asdict(self), "examples": list(self.examples)}


def _source(block: object) -> str:
    cite, assumed = getattr(block, "cite", None), getattr(block, "assumed", None)
    return cite or f"assumed: {assumed}"


def _examples(w: World, grids: np.ndarray) -> tuple[str, ...]:
    return tuple(str(w.grid_code[i]) for i in grids[:MAX_EXAMPLES])


def _size_ok(w: World, kind: int, r: HouseholdRange) -> np.ndarray:
    """Per grid of ``kind``: within the household range, or about the people size, or exempt."""
    sel = np.flatnonzero(w.grid_kind == kind)
    hh, people = w.grid_households[sel], w.grid_residents[sel]
    ok = (hh <= r.households_max) & (hh >= (r.households_min or 1))
    if r.people_about:
        ok |= np.abs(people - r.people_about) <= r.people_tolerance * r.people_about
    if r.small_unit_single_grid and r.households_min:
        comm = w.grid_community[sel]
        single = np.bincount(comm, minlength=w.community_code.shape[0])[comm] == 1
        ok |= single & (w.community_households[comm] < r.households_min)
    return sel[~ok]


def check_world(w: World, rules: Rules) -> list[Violation]:
    """Every rule violation in ``w``: sizes, staffing, sharing, codes, qualifications."""
    out: list[Violation] = []

    def add(check: str, rule: str, bad: np.ndarray, detail: str) -> None:
        if bad.size:
            out.append(Violation(check, rule, int(bad.size), detail, _examples(w, bad)))

    for kind, r, label in ((KIND_URBAN, rules.grids.urban, "urban"),
                           (KIND_RURAL, rules.grids.rural, "rural")):
        lo = r.households_min or 1
        add("grid_size", _source(r), _size_ok(w, kind, r),
            f"{label} comprehensive grid outside {lo}–{r.households_max} households"
            + (f" and not about {r.people_about} people" if r.people_about else ""))

    n_grids = w.grid_code.shape[0]
    roles_on = np.zeros((n_grids, 3), dtype=np.int32)
    for col, role in enumerate(("full_time", "part_time", "exclusive")):
        sel = w.worker_role[w.cover_worker] == role_id(role)
        roles_on[:, col] = np.bincount(w.cover_grid[sel], minlength=n_grids)
    ft, pt, anyone = roles_on[:, 0], roles_on[:, 1], roles_on.sum(axis=1)
    st = rules.staffing
    urban, rural = w.grid_kind == KIND_URBAN, w.grid_kind == KIND_RURAL
    if st.full_time_required_urban:
        add("full_time_required", _source(st), np.flatnonzero(urban & (ft == 0)),
            "urban comprehensive grid without a full-time worker")
    if st.full_time_required_rural:
        allowed_pt = st.part_time_only_rural_allowed
        add("full_time_required", _source(st),
            np.flatnonzero(rural & (ft == 0) & ~(allowed_pt & (pt > 0))),
            "rural grid without a full-time worker"
            + (" (or, as allowed, a part-time one)" if allowed_pt else ""))
    add("grid_unstaffed", _source(st), np.flatnonzero(anyone == 0), "grid with no worker at all")

    ft_pairs = w.worker_role[w.cover_worker] == role_id("full_time")
    per_worker = np.bincount(w.cover_worker[ft_pairs], minlength=w.worker_role.shape[0])
    over = np.flatnonzero(per_worker > st.max_grids_per_full_time)
    if over.size:
        grids = w.cover_grid[ft_pairs & np.isin(w.cover_worker, over)]
        out.append(Violation(
            "full_time_sharing", _source(st), int(over.size),
            f"full-time worker covering more than {st.max_grids_per_full_time} grid(s)",
            _examples(w, grids)))

    out += _code_violations(w, rules)
    out += _qualification_violations(w, rules)
    return out


def _code_violations(w: World, rules: Rules) -> list[Violation]:
    rule = _source(rules.grids.code)
    out: list[Violation] = []
    dup = [c for c, k in Counter(w.grid_code.tolist()).items() if k > 1]
    if dup:
        out.append(Violation("grid_code_duplicate", rule, len(dup), "duplicate grid code",
                             tuple(dup[:MAX_EXAMPLES])))
    bad: list[str] = []
    for i, code in enumerate(w.grid_code.tolist()):
        try:
            parsed = parse_grid_code(code)
        except ValueError:
            bad.append(code)
            continue
        if (parsed.division != w.community_code[w.grid_community[i]]
                or parsed.kind != int(w.grid_kind[i])):
            bad.append(code)
    if bad:
        out.append(Violation("grid_code_malformed", rule, len(bad),
                             "grid code not 19 digits of division+kind+pair+sequence of its grid",
                             tuple(bad[:MAX_EXAMPLES])))
    return out


def _qualification_violations(w: World, rules: Rules) -> list[Violation]:
    q = rules.qualifications
    rule = _source(q)
    grid_roles = np.isin(w.worker_role, [role_id(r) for r in
                                          ("full_time", "part_time", "exclusive", "grid_head")])
    ages, edu = w.worker_age[grid_roles], w.worker_edu[grid_roles]
    ft = w.worker_role[grid_roles] == role_id("full_time")
    out: list[Violation] = []
    young = int(np.count_nonzero(ages < q.min_age))
    if young:
        out.append(Violation("age_min", rule, young, f"grid worker under {q.min_age}", ()))
    if q.mean_age_max and ages.size and ages.mean() >= q.mean_age_max:
        out.append(Violation("age_mean", rule, 1,
                             f"mean grid-worker age {ages.mean():.1f} is not under "
                             f"{q.mean_age_max}",
                             ()))
    if q.high_school_share_min and edu.size:
        share = float(np.mean(edu >= 1))
        if share < q.high_school_share_min:
            out.append(Violation("education", rule, 1,
                                 f"high-school-or-above share {share:.1%} below "
                                 f"{q.high_school_share_min:.0%}", ()))
    if q.full_time_age_max and ft.any():
        older = int(np.count_nonzero(ages[ft] > q.full_time_age_max))
        # the rule says 一般 ("usually"): flag only when most full-time workers are older
        if older > ft.sum() / 2:
            out.append(Violation("full_time_age", rule, older,
                                 f"most full-time workers are over {q.full_time_age_max}", ()))
    return out
