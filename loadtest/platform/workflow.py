"""The case rules applied to stored cases: report, and every transition of states.TRANSITIONS.

Each function works inside the caller's transaction (a Core connection) and raises ApiError for
anything the client must be told; it never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from loadtest.platform.auth import Actor, lookup, relations
from loadtest.platform.context import Ref, check_new_external_id, insert_record
from loadtest.platform.db import Prepared
from loadtest.platform.directory import Directory
from loadtest.platform.errors import ApiError, conflict, forbidden, not_found, unprocessable
from loadtest.platform.models import (
    ASSIGNMENTS,
    AUDIT_EVENTS,
    CASE_HOLDERS,
    CASES,
    Case,
    Record,
)
from loadtest.platform.schemas import Body, CaseReport
from loadtest.platform.states import (
    TRANSITIONS,
    HolderChange,
    IllegalTransition,
    State,
    Tier,
    Transition,
    allowed_ops,
    transition,
)

SUPERVISION_RANK = {None: 0, "yellow": 1, "red": 2}


def event_time(at: datetime | None) -> datetime:
    """The client's ``at`` (naive read as UTC), or the server's clock."""
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def load_case(conn: Connection, actor: Actor, ref: Ref, *, for_update: bool = False) -> Record:
    """The case ``ref`` names if the actor may see it, else 404.

    ``for_update`` serialises concurrent transitions of one case on PostgreSQL; SQLite ignores
    it and relies on its single writer.
    """
    column, value = ref
    case = lookup(actor, Case, column, for_update=for_update).first(conn, {"ref": value})
    if case is None:
        raise not_found("case")
    return case


def _write_event(
    conn: Connection,
    case: Record,
    actor: Actor,
    op: str,
    at: datetime,
    from_state: str | None,
    holder_before: int | None,
    detail: dict[str, Any],
) -> Record:
    """Append the case's next audit event; ``case.event_count`` must already count it."""
    values = {
        "case_id": case.id,
        "seq": case.event_count,
        "op": op,
        "at": at,
        "recorded_at": datetime.now(UTC),
        "actor_user_id": actor.user_id,
        "actor_role": actor.role.value,
        "actor_unit_id": actor.unit.id,
        "from_state": from_state,
        "to_state": case.state,
        "holder_before_id": holder_before,
        "holder_after_id": case.holder_id,
        "detail": detail,
    }
    return insert_record(conn, AUDIT_EVENTS, values)


def report_case(
    conn: Connection, directory: Directory, actor: Actor, body: CaseReport
) -> tuple[Record, Record]:
    """case.report: a new case held by its grid's unit; returns it and its first event."""
    placement = directory.place_grid(body.grid)
    if placement is None:
        raise unprocessable(f"unknown grid {body.grid!r}")
    check_new_external_id(conn, Case, body.external_id)
    at = event_time(body.at)
    location = body.location
    reporter = body.reporter
    values = {
        "external_id": body.external_id,
        "type": body.type,
        "subtype": body.subtype,
        "urgency": body.urgency,
        "source": body.source,
        **placement.columns(),
        "description": body.description,
        "address": location.address if location else None,
        "lat": location.lat if location else None,
        "lon": location.lon if location else None,
        "media_url": body.media_url,
        "reporter_name": reporter.name if reporter else None,
        "reporter_phone": reporter.phone if reporter else None,
        "reported_by": actor.user_id,
        "state": State.REPORTED.value,
        "holder_id": placement.grid_unit_id,
        "sender_id": None,
        "deadline": None,
        "supervision": None,
        "reported_at": at,
        "updated_at": at,
        "closed_at": None,
        "event_count": 1,  # the report itself
        "version": 1,
    }
    case = insert_record(conn, CASES, values)
    detail = {"note": body.note} if body.note else {}
    event = _write_event(conn, case, actor, "report", at, None, None, detail)
    return case, event


def _check_may(actor: Actor, case: Record, t: Transition, directory: Directory) -> None:
    if actor.role not in t.roles:
        raise forbidden(f"a {actor.role.value} may not {t.op}")
    if not relations(actor, case, directory) & t.relations:
        needed = " or ".join(sorted(r.value for r in t.relations))
        raise forbidden(f"{t.op} needs the caller to be {needed} of this case")


def _new_holder(t: Transition, case: Record, actor: Actor, body: Any, directory: Directory) -> int:
    """Who holds the case after ``t`` (validating any unit the body names)."""
    holder = case.holder_id
    match t.holder:
        case HolderChange.SAME:
            return holder
        case HolderChange.SENDER:
            if case.sender_id is None:
                raise conflict("no_sender", "nobody sent this case to its holder to return it to")
            return case.sender_id
        case HolderChange.ACTOR_UNIT:
            return case.grid_unit_id if actor.acts_for(case.grid_unit_id) else actor.unit.id
        case HolderChange.CENTRE_ABOVE:
            centre = directory.centre_above(holder)
            if centre is None:
                raise conflict("no_centre_above", "the holder has no centre above it")
            return centre.id
        case HolderChange.BODY_DEPARTMENT:
            dept = directory.by_code.get(body.department)
            line = {holder, *(u.id for u in directory.ancestors(holder))}
            if dept is None or dept.tier is not Tier.DEPARTMENT or dept.parent_id not in line:
                raise unprocessable(
                    f"{body.department!r} is not a department of the holder or a centre above it"
                )
            return dept.id
        case HolderChange.BODY_UNIT:
            unit = directory.by_code.get(body.to_unit)
            if (
                unit is None
                or unit.tier is Tier.DEPARTMENT
                or not directory.is_strictly_above(holder, unit.id)
            ):
                raise unprocessable(f"{body.to_unit!r} is not a unit below the holder")
            return unit.id
    raise AssertionError(t.holder)  # pragma: no cover - the match above is exhaustive


def _check_guards(op: str, case: Record, at: datetime) -> None:
    """Conditions beyond the state table."""
    if op == "explain_overdue":
        if case.deadline is None:
            raise conflict("no_deadline", "the current assignment has no deadline")
        # From the deadline on: at that instant the work is due and not done.
        if at < case.deadline:
            raise conflict("not_overdue", "the current assignment's deadline has not come")


def apply_transition(
    conn: Connection, directory: Directory, actor: Actor, case: Record, op: str, body: Body
) -> Record:
    """Perform ``op`` on ``case`` for ``actor`` (updating ``case`` in place); returns the audit
    event written."""
    state = State(case.state)
    # Permission before state: a caller who may never do this learns nothing about the state.
    t = TRANSITIONS[op]
    _check_may(actor, case, t, directory)
    _check_legal(state, op)
    at = event_time(body.at)
    _check_guards(op, case, at)
    holder_before = case.holder_id
    new_holder = _new_holder(t, case, actor, body, directory)
    detail = body.model_dump(mode="json", exclude={"at"}, exclude_none=True)

    if t.assigns:
        deadline = getattr(body, "deadline", None)
        deadline = event_time(deadline) if deadline is not None else None
        # An acceptance has no sender: nothing to return it to.
        sender = None if op == "accept" else holder_before
        assignment = {
            "case_id": case.id,
            "op": op,
            "from_unit_id": sender,
            "to_unit_id": new_holder,
            "deadline": deadline,
            "at": at,
            "active": True,
        }
        insert_record(conn, ASSIGNMENTS, assignment)
        case.sender_id, case.deadline = sender, deadline
    elif t.sets_deadline:
        case.deadline = event_time(body.deadline)  # type: ignore[attr-defined]
        _set_current_deadline(conn, case.id, case.deadline)
    elif t.holder is HolderChange.SENDER:
        _unwind_assignment(conn, case)

    if op == "supervise":
        level = body.level  # type: ignore[attr-defined]
        if SUPERVISION_RANK[level] > SUPERVISION_RANK[case.supervision]:
            case.supervision = level
    case.state = t.target_from(state).value
    case.holder_id = new_holder
    case.updated_at = max(case.updated_at, at)
    if case.state == State.CLOSED:
        case.closed_at = at
    case.event_count += 1
    _save_case(conn, case)
    if new_holder != holder_before:
        _remember_holder(conn, case.id, new_holder)
    return _write_event(conn, case, actor, op, at, state.value, holder_before, detail)


# Prepared once; the values travel as parameters (the columns to set are the parameters named
# after columns).
_UPDATE_CASE = Prepared(
    update(CASES).where(CASES.c.id == bindparam("b_id"), CASES.c.version == bindparam("b_version"))
)
_REMEMBER_HOLDER = {
    "sqlite": Prepared(sqlite.insert(CASE_HOLDERS).on_conflict_do_nothing()),
    "postgresql": Prepared(postgresql.insert(CASE_HOLDERS).on_conflict_do_nothing()),
}


def _save_case(conn: Connection, case: Record) -> None:
    """Write the case's changed columns if nobody else changed it since it was read."""
    params = {**case.changes(), "version": case.version + 1}
    if _UPDATE_CASE.run(conn, {**params, "b_id": case.id, "b_version": case.version}) != 1:
        raise conflict("conflict", "the case changed concurrently; retry")
    case.version += 1


def _remember_holder(conn: Connection, case_id: int, unit_id: int) -> None:
    """Add (case, unit) to the holder history in one statement, ignoring a repeat."""
    _REMEMBER_HOLDER[conn.dialect.name].run(conn, {"case_id": case_id, "unit_id": unit_id})


def _set_current_deadline(conn: Connection, case_id: int, deadline: datetime) -> None:
    """Give the case's current assignment (the top of its stack) a new deadline."""
    a = ASSIGNMENTS.c
    top = select(func.max(a.id)).where(a.case_id == case_id, a.active).scalar_subquery()
    conn.execute(update(ASSIGNMENTS).where(a.id == top).values(deadline=deadline))


def _unwind_assignment(conn: Connection, case: Record) -> None:
    """After a return, the assignment that brought the case to the sender is current again."""
    a = ASSIGNMENTS.c
    stack = conn.execute(
        select(a.id, a.from_unit_id, a.deadline)
        .where(a.case_id == case.id, a.active)
        .order_by(a.id.desc())
        .limit(2)
    ).all()
    # A return needs a sender, so there is a current assignment to retire.
    conn.execute(update(ASSIGNMENTS).where(a.id == stack[0].id).values(active=False))
    previous = stack[1] if len(stack) > 1 else None
    case.sender_id = previous.from_unit_id if previous else None
    case.deadline = previous.deadline if previous else None


def _check_legal(state: State, op: str) -> None:
    """The state table's verdict, an illegal transition answered as the API's 409."""
    try:
        transition(state, op)
    except IllegalTransition as exc:
        raise ApiError(
            409,
            "illegal_transition",
            str(exc),
            state=state.value,
            op=op,
            allowed=allowed_ops(state),
        ) from exc
