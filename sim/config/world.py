"""A synthetic world's shape (``scenarios/worlds/*.toml``): geography and population, no rules."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from sim.config.cited import Strict
from sim.config.rules import ExclusiveKind


class IntRange(Strict):
    """An inclusive integer range drawn uniformly."""

    min: PositiveInt
    max: PositiveInt

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        return self


class Lognormal(Strict):
    """A lognormal size distribution given by its median and log-sd, clipped below at ``min``."""

    median: PositiveFloat
    sigma: NonNegativeFloat
    min: PositiveInt = 1
    max: PositiveInt = 100_000

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        return self


class CountyGroup(Strict):
    """``count`` counties/districts of one shape."""

    kind: Literal["district", "county", "city_county"]
    count: PositiveInt
    urban_townships: int = Field(ge=0)
    rural_townships: int = Field(ge=0)

    @model_validator(mode="after")
    def _some(self) -> Self:
        if self.urban_townships + self.rural_townships == 0:
            raise ValueError("a county needs at least one township")
        return self


class Population(Strict):
    """Household sizes and special households (rates per household)."""

    household_size_probs: list[NonNegativeFloat] = Field(
        description="P(size = 1), P(size = 2), …", min_length=1, max_length=12
    )
    special_rates: dict[
        Literal[
            "floating_renter", "difficulty", "key_person", "elderly_alone", "disabled",
        ],
        float,
    ]
    source: str

    @model_validator(mode="after")
    def _probs(self) -> Self:
        total = sum(self.household_size_probs)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"household_size_probs must sum to 1 (sum is {total:.6f})")
        for kind, rate in self.special_rates.items():
            if not 0 <= rate <= 1:
                raise ValueError(f"special_rates.{kind} = {rate} is not a share in [0, 1]")
        return self


class WorldSpec(Strict):
    """Everything the world generator needs apart from the rules and staffing."""

    name: str
    description: str = ""
    city_code: str = Field(pattern=r"^\d{4}$", description="province+city part of division codes")
    city_name: str
    counties: list[CountyGroup] = Field(min_length=1)
    communities_per_urban_township: IntRange
    villages_per_rural_township: IntRange
    urban_community_households: Lognormal
    rural_village_households: Lognormal
    population: Population
    exclusive_per_township: dict[ExclusiveKind, NonNegativeFloat] = Field(
        description="mean number of units of each kind per township (Poisson)"
    )
    exclusive_equivalent_households: int = Field(
        default=150, ge=0,
        description="households whose case rate one exclusive grid (a school, a market…) equals",
    )
    source: str = Field(description="where the shape's numbers come from")

    @property
    def county_count(self) -> int:
        """Number of counties/districts."""
        return sum(g.count for g in self.counties)
