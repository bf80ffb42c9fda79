"""Public-holiday calendars (``scenarios/calendars/*.toml``): year by year, the days off (放假)
and the make-up working days (调休上班) of the State Council's annual notice, with its source.

```toml
name = "cn-public-holidays"
[years.2024]
source = "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）"
holidays = [2024-01-01, 2024-02-10, …]   # every day off, weekends inside a break included
makeup_days = [2024-02-04, …]            # weekend days worked instead
```
"""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import Field, field_validator, model_validator

from sim.config.cited import Strict

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class HolidayYear(Strict):
    """One year's notice."""

    source: str = Field(min_length=1, description="the notice's title and document number")
    holidays: list[date] = Field(description="days off (放假), weekends inside a break included")
    makeup_days: list[date] = Field(default=[], description="weekend days worked (调休上班)")

    @model_validator(mode="after")
    def _days(self) -> Self:
        both = sorted(set(self.holidays) & set(self.makeup_days))
        if both:
            raise ValueError(f"{both[0]} is both a holiday and a make-up working day")
        for d in self.makeup_days:
            if d.weekday() < 5:
                raise ValueError(f"make-up working day {d} is a {WEEKDAYS[d.weekday()]}, "
                                 "not a weekend day")
        return self


class HolidayCalendar(Strict):
    """Holidays and make-up working days by year; years not listed are ordinary."""

    name: str
    description: str = ""
    years: dict[int, HolidayYear] = Field(min_length=1)

    @field_validator("years")
    @classmethod
    def _in_year(cls, years: dict[int, HolidayYear]) -> dict[int, HolidayYear]:
        for year, spec in years.items():
            for d in (*spec.holidays, *spec.makeup_days):
                if d.year != year:
                    raise ValueError(f"{year} lists {d}, which is not in {year}")
        return years
