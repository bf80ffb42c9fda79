"""Staffing policy (``scenarios/staffing/*.toml``): who is hired, for what hours, at what cost."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from sim.config.cited import Strict

SHIFT_KEYS = ("full_time", "part_time", "exclusive", "centre", "department")
PROFILE_KEYS = ("full_time", "part_time", "exclusive", "grid_head", "instructor")


class GridWorkers(Strict):
    """Workers per grid by kind, and how many grids one full-time worker covers."""

    full_time_per_urban_grid: int = Field(ge=0)
    full_time_per_rural_grid: int = Field(ge=0)
    grids_per_full_time: PositiveInt = 1
    part_time_per_urban_grid: int = Field(ge=0)
    part_time_per_rural_grid: int = Field(ge=0)
    workers_per_exclusive_grid: int = Field(ge=0)
    grid_head_is_full_time: bool = True


class Shift(Strict):
    """Working time of one role: a shift starting on each workday at ``start_hour`` (running
    into the next day if it crosses midnight); none on public holidays and one on make-up
    working days when it ``observes_holidays`` (and the scenario names a holiday calendar)."""

    hours_per_day: PositiveFloat = Field(le=24)
    workdays: list[int]
    start_hour: float = Field(ge=0, lt=24)
    observes_holidays: bool = True

    @model_validator(mode="after")
    def _days(self) -> Self:
        if not self.workdays or any(d < 0 or d > 6 for d in self.workdays):
            raise ValueError("workdays must be weekday numbers 0..6")
        return self


class WorkerProfile(Strict):
    """Age and education of a hired role, checkable against qualification rules."""

    age_mean: PositiveFloat
    age_sd: NonNegativeFloat
    age_min: PositiveInt = 18
    age_max: PositiveInt = 60
    high_school_share: float = Field(ge=0, le=1)
    college_share: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _shares(self) -> Self:
        if self.college_share > self.high_school_share:
            raise ValueError("college_share cannot exceed high_school_share (college counts too)")
        if self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} > age_max {self.age_max}")
        return self


class Centres(Strict):
    """Staff of the grid institutions (dispatchers/handlers) per unit."""

    township: PositiveInt
    county: PositiveInt
    city: PositiveInt


class Departments(Strict):
    """Department handlers per 10,000 households a department unit serves, per tier.

    Each unit gets ``ceil(rate × households / 10,000)`` handlers, at least one (0 at a tier
    means no handlers there); ``overrides`` set the rate for one department.
    """

    township: NonNegativeFloat
    county: PositiveFloat
    city: PositiveFloat
    overrides: dict[str, dict[Literal["township", "county", "city"], NonNegativeFloat]] = {}


class DutyRoster(Strict):
    """On-duty (值班) staff per unit outside office hours, or round the clock beside the
    office staff: they take only jobs at least as urgent as ``takes`` and finish what they
    start after their duty ends."""

    staff: PositiveInt
    takes: Literal["emergency", "urgent", "routine"] = "emergency"
    hours: Literal["outside_office", "always"] = "outside_office"
    source: str


class StaffingSpec(Strict):
    """A staffing policy; ``source`` says where its numbers come from."""

    name: str
    grid_workers: GridWorkers
    shifts: dict[Literal["full_time", "part_time", "exclusive", "centre", "department"], Shift]
    profiles: dict[Literal["full_time", "part_time", "exclusive", "grid_head", "instructor"],
                   WorkerProfile]
    centres: Centres
    departments: Departments
    duty: dict[Literal["grid", "township", "county", "city", "department"], DutyRoster] = Field(
        default={}, description="on-duty rosters per unit (grid team, centre or department)")
    salary_yuan_per_year: dict[str, NonNegativeFloat]
    admin_share: float = Field(ge=0, lt=1, description="share of working time on admin")
    source: str

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for table, needed in (("shifts", SHIFT_KEYS), ("profiles", PROFILE_KEYS)):
            missing = sorted(set(needed) - set(getattr(self, table)))
            if missing:
                raise ValueError(f"[{table}] needs entries for: {', '.join(missing)}")
        return self
