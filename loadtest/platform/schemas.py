"""Request and response bodies of the REST API (pydantic). See API.md for the contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _text() -> Any:
    """A free-text field (the Open311 limit of 4,000 characters)."""
    return Field(default=None, max_length=4000)


class Body(BaseModel):
    """Fields every write body takes: the event time and a free note."""

    # Unknown fields are an error, so a client's typo ("deadine") fails loudly with 422.
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(
        default=None, description="Event time; server time when absent. Naive means UTC."
    )
    note: str | None = Field(default=None, max_length=2000)


class Location(BaseModel):
    """Where the matter is."""

    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Reporter(BaseModel):
    """Who reported it (synthetic people only)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)


class CaseReport(Body):
    """case.report (上报)."""

    external_id: str | None = Field(default=None, min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=64)
    subtype: str | None = Field(default=None, max_length=64)
    urgency: str = Field(default="normal", min_length=1, max_length=32)
    source: str = Field(default="platform", min_length=1, max_length=32)
    grid: str = Field(min_length=1, max_length=32, description="19-digit grid code")
    description: str | None = _text()
    location: Location | None = None
    reporter: Reporter | None = None
    media_url: str | None = Field(default=None, max_length=1000)


class AcceptBody(Body):
    """受理; an optional deadline for the acceptor's own first handling."""

    deadline: datetime | None = None


class DispatchBody(Body):
    """分流 to a department."""

    department: str = Field(min_length=1, description="department unit code")
    deadline: datetime


class EscalateBody(Body):
    """Send up to the next centre."""

    deadline: datetime


class AssignBody(Body):
    """交办 down to a unit below the holder."""

    to_unit: str = Field(min_length=1, description="unit code strictly below the holder")
    deadline: datetime


class ReturnBody(Body):
    """退回 to whoever sent the case."""

    reason: str | None = Field(default=None, max_length=2000)


class KeepBody(Body):
    """自办: the holding centre handles the case itself."""

    deadline: datetime


class HandleBody(Body):
    """处置; ``on_spot`` is the grid worker's 首接初办 resolution, ``resolved`` false a grid
    worker's first handling that did not resolve the matter (it is escalated next)."""

    result: str | None = _text()
    on_spot: bool = False
    resolved: bool = True

    @model_validator(mode="after")
    def _on_spot_is_resolved(self) -> HandleBody:
        if self.on_spot and not self.resolved:
            raise ValueError("on_spot means resolved on the spot: resolved cannot be false")
        return self


class FeedbackBody(Body):
    """反馈 to the requester."""

    result: str | None = _text()
    satisfied: bool | None = None


class VerifyBody(Body):
    """核查; a failed check sends the case back for rework."""

    passed: bool


class CloseBody(Body):
    """结案."""


class SuperviseBody(Body):
    """督办 at a level."""

    level: Literal["yellow", "red"]


class CoordinationBody(Body):
    """Refer a matter needing several departments to coordination (001 五.3)."""


class ExplanationBody(Body):
    """Written explanation of overdue work (002 第十九条)."""

    text: str = Field(min_length=1, max_length=4000)


class PatrolStart(Body):
    """patrol.start."""

    grid: str = Field(min_length=1, max_length=32)
    external_id: str | None = Field(default=None, min_length=1, max_length=128)


class CheckinBody(Body):
    """patrol.checkin."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class PatrolEnd(Body):
    """patrol.end."""


class VisitRecord(Body):
    """visit.record (入户走访)."""

    grid: str = Field(min_length=1, max_length=32)
    kind: str = Field(min_length=1, max_length=64)
    household: str | None = Field(default=None, max_length=128)
    notes: str | None = _text()
    external_id: str | None = Field(default=None, min_length=1, max_length=128)


# Responses (documented in OpenAPI; handlers build plain dicts matching them, see views.py).


class UnitRef(BaseModel):
    """A unit as shown in responses."""

    code: str
    name: str
    tier: str


class CaseOut(BaseModel):
    """A case."""

    id: int
    external_id: str | None
    type: str
    subtype: str | None
    urgency: str
    source: str
    grid: str
    description: str | None
    location: Location
    reporter: Reporter
    media_url: str | None
    reported_by: str
    state: str
    holder: UnitRef
    deadline: datetime | None
    overdue: bool
    supervision: str | None
    reported_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int


class ActorOut(BaseModel):
    """Who did something."""

    user_id: str
    role: str
    unit: str


class EventOut(BaseModel):
    """One audit-log entry."""

    seq: int
    op: str
    at: datetime
    recorded_at: datetime
    actor: ActorOut
    from_state: str | None
    to_state: str
    holder_before: str | None
    holder_after: str
    detail: dict[str, Any]


class TransitionOut(BaseModel):
    """The result of a transition."""

    case: CaseOut
    event: EventOut


class CaseList(BaseModel):
    """A page of cases."""

    items: list[CaseOut]
    next_after_id: int | None


class PatrolOut(BaseModel):
    """A patrol."""

    id: int
    external_id: str | None
    user_id: str
    grid: str
    started_at: datetime
    ended_at: datetime | None
    checkins: int


class CheckinOut(BaseModel):
    """A patrol check-in."""

    id: int
    patrol_id: int
    at: datetime
    lat: float | None
    lon: float | None
    note: str | None


class VisitOut(BaseModel):
    """A door visit."""

    id: int
    external_id: str | None
    user_id: str
    grid: str
    kind: str
    household: str | None
    notes: str | None
    at: datetime


class MeOut(BaseModel):
    """The caller."""

    user_id: str
    name: str
    role: str
    unit: str
    grids: list[str]


class ErrorOut(BaseModel):
    """Every non-422 error."""

    model_config = ConfigDict(extra="allow")

    error: str
    message: str


# OpenAPI documentation of the error answers every authenticated route can give.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409)
}
