"""How stored rows look on the wire: plain dicts shaped like the models in schemas.py.

Handlers return these dicts directly (no second validation pass through pydantic), which is
both what idempotent replays store and a large part of keeping requests cheap. Every function
takes a row as read (`sqlalchemy.Row`) or written (`models.Record`): columns as attributes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from loadtest.platform.directory import Directory
from loadtest.platform.models import RowLike
from loadtest.platform.states import State


def iso(value: datetime | None) -> str | None:
    """W3C/ISO 8601 in UTC with a Z (the form Open311 asks for)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unit_code(directory: Directory, unit_id: int | None) -> str | None:
    """A unit id as its code."""
    return None if unit_id is None else directory.by_id[unit_id].code


def is_overdue(case: RowLike) -> bool:
    """Open, with a deadline, and its last event happened after that deadline."""
    return (
        case.state != State.CLOSED and case.deadline is not None and case.updated_at > case.deadline
    )


def case_view(case: RowLike, directory: Directory) -> dict[str, Any]:
    """A case as in CaseOut."""
    holder = directory.by_id[case.holder_id]
    return {
        "id": case.id,
        "external_id": case.external_id,
        "type": case.type,
        "subtype": case.subtype,
        "urgency": case.urgency,
        "source": case.source,
        "grid": case.grid,
        "description": case.description,
        "location": {"address": case.address, "lat": case.lat, "lon": case.lon},
        "reporter": {"name": case.reporter_name, "phone": case.reporter_phone},
        "media_url": case.media_url,
        "reported_by": case.reported_by,
        "state": case.state,
        "holder": {"code": holder.code, "name": holder.name, "tier": holder.tier.value},
        "deadline": iso(case.deadline),
        "overdue": is_overdue(case),
        "supervision": case.supervision,
        "reported_at": iso(case.reported_at),
        "updated_at": iso(case.updated_at),
        "closed_at": iso(case.closed_at),
        "version": case.version,
    }


def event_view(event: RowLike, directory: Directory) -> dict[str, Any]:
    """An audit event as in EventOut."""
    return {
        "seq": event.seq,
        "op": event.op,
        "at": iso(event.at),
        "recorded_at": iso(event.recorded_at),
        "actor": {
            "user_id": event.actor_user_id,
            "role": event.actor_role,
            "unit": unit_code(directory, event.actor_unit_id),
        },
        "from_state": event.from_state,
        "to_state": event.to_state,
        "holder_before": unit_code(directory, event.holder_before_id),
        "holder_after": unit_code(directory, event.holder_after_id),
        "detail": event.detail,
    }


def patrol_view(patrol: RowLike) -> dict[str, Any]:
    """A patrol as in PatrolOut."""
    return {
        "id": patrol.id,
        "external_id": patrol.external_id,
        "user_id": patrol.user_id,
        "grid": patrol.grid,
        "started_at": iso(patrol.started_at),
        "ended_at": iso(patrol.ended_at),
        "checkins": patrol.checkin_count,
    }


def checkin_view(checkin: RowLike) -> dict[str, Any]:
    """A check-in as in CheckinOut."""
    return {
        "id": checkin.id,
        "patrol_id": checkin.patrol_id,
        "at": iso(checkin.at),
        "lat": checkin.lat,
        "lon": checkin.lon,
        "note": checkin.note,
    }


def visit_view(visit: RowLike) -> dict[str, Any]:
    """A visit as in VisitOut."""
    return {
        "id": visit.id,
        "external_id": visit.external_id,
        "user_id": visit.user_id,
        "grid": visit.grid,
        "kind": visit.kind,
        "household": visit.household,
        "notes": visit.notes,
        "at": iso(visit.at),
    }
