"""Case workload (``scenarios/workloads/*.toml``): the taxonomy and every number's source."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, NonNegativeFloat, PositiveFloat, model_validator

from sim.config.cited import Strict
from sim.config.rules import Tier

Urgency = Literal["routine", "urgent", "emergency"]
Source = Literal["patrol", "resident", "hotline", "department"]


def _is_distribution(shares: dict[str, float], what: str) -> None:
    total = sum(shares.values())
    if any(v < 0 for v in shares.values()) or abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must be non-negative shares summing to 1 (sum is {total:.6f})")


class Duration(Strict):
    """A handling time in hours: ``min`` plus a lognormal with the given mean and CV.

    ``min`` is the fastest possible handling; a deadline shorter than it is impossible.
    """

    dist: Literal["lognormal", "exponential"] = "lognormal"
    mean: PositiveFloat
    cv: NonNegativeFloat = 1.0
    min: NonNegativeFloat = 0.0


class Category(Strict):
    """A matter category after 001 附件1."""

    name_zh: str
    cite: str
    subcategories: list[str] = []


class CaseType(Strict):
    """One kind of case, with its rates, routing and timings."""

    name_zh: str
    category: str
    subcategory: str
    rate_per_1000_households_per_day: NonNegativeFloat
    urgency: dict[Urgency, NonNegativeFloat]
    difficulty: dict[Literal["normal", "hard"], NonNegativeFloat]
    sources: dict[Source, NonNegativeFloat]
    self_resolve: float = Field(ge=0, le=1, description="share the grid worker closes on the spot")
    resolve_tier: Tier = Field(description="lowest tier able to resolve it when the worker can't")
    department: str | None = None
    multi_department: float = Field(default=0.0, ge=0, le=1)
    worker_minutes: Duration = Field(description="first handling by the worker (minutes)")
    handling_hours: Duration = Field(description="handling at the resolving unit (hours)")
    deadline_hours: PositiveFloat = Field(description="default handling deadline, working hours")
    patrol_discovery: float = Field(default=0.0, ge=0, le=1)
    barred: str | None = Field(default=None, description="barred kind, e.g. 'penalty'")
    off_list: bool = False
    rework: float = Field(default=0.05, ge=0, le=1, description="P(verification fails)")
    surge_tag: str | None = None

    @model_validator(mode="after")
    def _shares(self) -> Self:
        _is_distribution(self.urgency, "urgency")
        _is_distribution(self.difficulty, "difficulty")
        _is_distribution(self.sources, "sources")
        if self.deadline_hours < self.handling_hours.min:
            raise ValueError(
                f"deadline_hours {self.deadline_hours} is shorter than the fastest handling "
                f"(handling_hours.min = {self.handling_hours.min})"
            )
        if self.barred and self.self_resolve > 0:
            raise ValueError("a barred matter cannot be self-resolved by a grid worker")
        return self


class StepTimes(Strict):
    """Fixed working times of the platform steps around handling (minutes unless said)."""

    accept_minutes: PositiveFloat
    dispatch_minutes: PositiveFloat
    feedback_minutes: PositiveFloat
    verify_minutes: PositiveFloat
    hard_factor: PositiveFloat = Field(description="handling-time multiplier for hard cases")
    rework_factor: PositiveFloat = Field(description="rework time as a share of handling")
    coordination_days: NonNegativeFloat = Field(
        description="delay for a multi-department matter reported to the party committee")
    resident_report_hours: PositiveFloat = Field(
        description="mean time before residents report a problem no patrol has found")
    reference_patrol_minutes: PositiveFloat = Field(
        description="patrol minutes per household at which one pass finds a latent problem "
        "with its type's patrol_discovery chance")


class Profile(Strict):
    """Relative intensity by hour of day and day of week (normalised by the model)."""

    hourly: list[NonNegativeFloat] = Field(min_length=24, max_length=24)
    weekly: list[NonNegativeFloat] = Field(min_length=7, max_length=7)
    source: str

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if sum(self.hourly) <= 0 or sum(self.weekly) <= 0:
            raise ValueError("hourly and weekly profiles need some positive weight")
        return self


class Surge(Strict):
    """A declared surge: ``factor`` × the rate of tagged types in named townships for a while."""

    tag: str
    factor: PositiveFloat
    start_day: NonNegativeFloat
    days: PositiveFloat
    townships: list[str] = Field(
        default=[], description="township division codes (9 digits); empty = everywhere"
    )


class WorkloadSpec(Strict):
    """A case taxonomy with rates and timings; ``sources`` marks where each number comes from."""

    name: str
    categories: dict[str, Category]
    types: dict[str, CaseType] = Field(min_length=1)
    profile: Profile
    steps: StepTimes
    sources: dict[str, str] = Field(
        description="field name -> source of that number for every type (figure or 'assumed')"
    )
    surges: list[Surge] = []

    @model_validator(mode="after")
    def _refs(self) -> Self:
        for key, t in self.types.items():
            if t.category not in self.categories:
                raise ValueError(f"types.{key}.category {t.category!r} is not in [categories]")
        numeric = {
            "rate_per_1000_households_per_day", "urgency", "difficulty", "sources",
            "self_resolve", "worker_minutes", "handling_hours", "deadline_hours",
            "patrol_discovery", "multi_department", "rework", "steps",
        }
        missing = sorted(numeric - set(self.sources))
        if missing:
            raise ValueError(f"[sources] must give the source of: {', '.join(missing)}")
        return self
