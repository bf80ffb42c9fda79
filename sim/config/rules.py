"""A jurisdiction's rules (``scenarios/rules/*.toml``): what the regulation says, as data.

Every block carries ``cite`` and/or ``assumed`` (see :class:`Cited`). The model reads only these
fields, so a fifth jurisdiction is a new TOML file, not new code.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from sim.config.cited import Cited, Strict

Tier = Literal["grid", "township", "county", "city"]
CENTRE_TIERS: tuple[Tier, ...] = ("township", "county", "city")
Role = Literal["grid_head", "instructor", "full_time", "part_time", "exclusive"]
ExclusiveKind = Literal[
    "admin_centre", "park", "enterprise", "institution", "factory", "scenic", "market",
    "business_building", "school", "hospital",
]


class Jurisdiction(Cited):
    """Which regulation this is."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_zh: str
    document: str = Field(pattern=r"^\d{3}$", description="seed file number, e.g. '002'")
    instrument: str
    in_force: str


class Centres(Cited):
    """Tiers that have a grid institution, and the escalation chain above the grid."""

    tiers: list[Literal["township", "county", "city"]]
    functions: dict[str, list[str]] = {}

    @model_validator(mode="after")
    def _chain(self) -> Self:
        order = [t for t in CENTRE_TIERS if t in self.tiers]
        if not self.tiers or self.tiers != order:
            raise ValueError(f"tiers must be a non-empty bottom-up subset of {list(CENTRE_TIERS)}")
        return self


class Department(Cited):
    """A linked department (联动部门) and the tiers at which it has handlers."""

    name_zh: str
    tiers: list[Literal["township", "county", "city"]] = ["county", "city"]


class HouseholdRange(Cited):
    """Households per comprehensive grid; ``people_about`` is the alternative size by residents."""

    households_min: PositiveInt | None = None
    households_max: PositiveInt
    households_target: PositiveInt
    people_about: PositiveInt | None = None
    people_tolerance: float = Field(default=0.2, ge=0, le=1)
    small_unit_single_grid: bool = Field(
        default=False,
        description="a community/village smaller than the minimum forms one grid on its own",
    )

    @model_validator(mode="after")
    def _range(self) -> Self:
        lo = self.households_min or 1
        if lo > self.households_max:
            raise ValueError(
                f"households_min {lo} > households_max {self.households_max}"
            )
        if not lo <= self.households_target <= self.households_max:
            raise ValueError("households_target must lie within [households_min, households_max]")
        return self


class ExclusiveGrids(Cited):
    """Kinds of unit that get their own exclusive (专属) grid."""

    kinds: list[ExclusiveKind]


class GridCode(Cited):
    """Grid code layout: 12-digit division code + kind digit + exclusive-kind pair + sequence."""

    digits: Literal[19] = 19
    division_digits: Literal[12] = 12
    kind_digits: Literal[1] = 1
    subkind_digits: Literal[2] = 2
    sequence_digits: Literal[4] = 4


class Grids(Strict):
    """Grid sizing and coding."""

    urban: HouseholdRange
    rural: HouseholdRange
    exclusive: ExclusiveGrids
    code: GridCode


class RoleRule(Cited):
    """A worker role the regulation names."""

    name_zh: str


class Staffing(Cited):
    """Minimum staffing the regulation requires."""

    full_time_required_urban: bool
    full_time_required_rural: bool
    part_time_only_rural_allowed: bool
    max_grids_per_full_time: PositiveInt
    grid_head: Literal["every_grid", "multi_worker_grids", "none"]
    instructor_per_community: bool = False


class Qualifications(Cited):
    """Checkable worker qualifications (age, education)."""

    min_age: PositiveInt = 18
    mean_age_max: PositiveFloat | None = None
    high_school_share_min: float | None = Field(default=None, ge=0, le=1)
    full_time_age_max: PositiveInt | None = None


class Matters(Cited):
    """The matter list (by workload category) and the barred list."""

    categories: dict[str, str] = Field(
        description="workload category -> article listing it as a grid duty"
    )
    barred: dict[str, str] = Field(description="barred kind -> article barring it")
    off_list_approval_days: PositiveFloat = Field(
        description="delay before an off-list matter may be given to grid workers"
    )
    off_list_approver: str


class Patrol(Cited):
    """Patrol cadence: daily routine patrol, monthly full sweep, door visits per special kind."""

    daily_patrol: bool
    patrol_hours: PositiveFloat
    monthly_sweep: bool
    sweep_hours: PositiveFloat
    visits_per_month: dict[str, PositiveFloat]
    visit_hours: PositiveFloat
    ageing_hours: float = Field(
        ge=0, description="routine rounds queue as if requested this many hours after the "
        "shift opens: routine cases reported before then go first, later ones wait behind")


class Routing(Cited):
    """How a case climbs: lateral diversion, emergencies, multi-department coordination."""

    first_handling_by_worker: bool
    lateral_before_escalation: bool
    emergency_direct_to_township: bool
    multi_department_to_coordination: bool
    upper_assigns_down: bool


class Supervision(Cited):
    """督办 levels as lateness grows (fractions of the step's deadline overdue)."""

    enabled: bool
    yellow_after: float = Field(ge=0)
    red_after: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.red_after < self.yellow_after:
            raise ValueError("red_after must be >= yellow_after")
        return self


class WorkingHours(Cited):
    """The working-hours clock deadlines run on (without public holidays, with make-up
    working days, when it ``observes_holidays`` and the scenario names a holiday calendar)."""

    start_hour: float = Field(ge=0, lt=24)
    end_hour: float = Field(gt=0, le=24)
    workdays: list[int] = Field(description="0=Monday … 6=Sunday")
    observes_holidays: bool = True

    @model_validator(mode="after")
    def _hours(self) -> Self:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        if not self.workdays or any(d < 0 or d > 6 for d in self.workdays):
            raise ValueError("workdays must be weekday numbers 0..6")
        return self


class StepDeadlines(Cited):
    """Deadlines in working hours for the platform steps, by urgency."""

    accept_hours: dict[str, PositiveFloat]
    dispatch_hours: dict[str, PositiveFloat]
    verify_hours_urban: PositiveFloat
    verify_hours_rural: PositiveFloat


class Deadlines(Cited):
    """Deadline policy: who sets it, what a miss produces."""

    set_by: Literal["assigner", "fixed"]
    difficulty_factor: dict[str, PositiveFloat]
    urgency_factor: dict[str, PositiveFloat] = Field(
        description="handling deadline multiplier by urgency (assumed where not cited)")
    overdue_written_explanation: bool
    explanation_cite: str | None = None
    clock_urban: WorkingHours
    clock_rural: WorkingHours
    steps: StepDeadlines
    supervision: Supervision
    case_limit_hours: dict[Literal["routine", "urgent", "emergency"], PositiveFloat] = Field(
        default={}, description="limit from report to close (办结时限) by urgency, on the "
        "deadline clock (24 h for emergencies); none where the rules set none")


class Feedback(Cited):
    """Feedback to the requester after handling."""

    to_requester: bool
    target_rate: float = Field(ge=0, le=1)


class Training(Cited):
    """Training hours per worker per year, taken from working capacity."""

    hours_per_year: float = Field(ge=0)
    pre_job_exam: bool = False


class Rating(Cited):
    """Star ratings of grids."""

    star_grids: bool
    max_stars: PositiveInt = 5


class Rules(Strict):
    """One jurisdiction's complete rule set."""

    jurisdiction: Jurisdiction
    centres: Centres
    departments: dict[str, Department]
    grids: Grids
    roles: dict[Role, RoleRule]
    staffing: Staffing
    qualifications: Qualifications
    matters: Matters
    patrol: Patrol
    routing: Routing
    deadlines: Deadlines
    feedback: Feedback
    training: Training
    rating: Rating

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if "full_time" not in self.roles:
            raise ValueError("roles must include full_time")
        if self.staffing.grid_head != "none" and "grid_head" not in self.roles:
            raise ValueError("staffing.grid_head needs the grid_head role in [roles]")
        return self
