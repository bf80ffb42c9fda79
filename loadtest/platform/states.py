"""The case state machine as data: states, operations, who may perform each. Pure, no I/O.

The lifecycle is design.md's: reported (上报) → accepted (受理) → in the hands of some unit
(dispatched 分流 to a department, escalated to the next centre up, assigned down 交办, returned
退回, or sent back for rework) → handled (处置, or resolved on the spot 首接初办) → feedback
given (反馈) → verified (核查) → closed (结案). Supervision (督办), written explanations of
overdue work (002 第十九条), a referral to coordination (001 五.3) and a worker's first handling
that does not resolve the matter are events that leave the state as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """Where a case is in its lifecycle."""

    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    ESCALATED = "escalated"
    ASSIGNED = "assigned"
    RETURNED = "returned"
    REWORK = "rework"
    HANDLED = "handled"
    RESOLVED_ON_SPOT = "resolved_on_spot"
    FEEDBACK_GIVEN = "feedback_given"
    VERIFIED = "verified"
    CLOSED = "closed"


STATE_LABELS: dict[State, str] = {
    State.REPORTED: "上报",
    State.ACCEPTED: "受理",
    State.DISPATCHED: "分流",
    State.ESCALATED: "上报上级",
    State.ASSIGNED: "交办",
    State.RETURNED: "退回",
    State.REWORK: "返工",
    State.HANDLED: "处置",
    State.RESOLVED_ON_SPOT: "首接初办办结",
    State.FEEDBACK_GIVEN: "反馈",
    State.VERIFIED: "核查",
    State.CLOSED: "结案",
}


class Role(StrEnum):
    """A user's role; staff roles must belong to a unit of the matching tier."""

    GRID_WORKER = "grid_worker"
    GRID_HEAD = "grid_head"
    TOWNSHIP_STAFF = "township_staff"
    COUNTY_STAFF = "county_staff"
    CITY_STAFF = "city_staff"
    DEPARTMENT_HANDLER = "department_handler"
    RESIDENT = "resident"


class Tier(StrEnum):
    """A unit's level in the jurisdiction tree."""

    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    GRID = "grid"
    DEPARTMENT = "department"


class Relation(StrEnum):
    """How an actor stands to a case; each operation names the relations that allow it."""

    HOLDER = "holder"  # acts for the unit currently holding the case
    LINE = "line"  # covers the case's grid: its grid worker, or a centre above the grid
    # sent the current assignment, or is a centre above the holder, or is the top centre and
    # holds it (nobody is above the city to supervise its own work)
    OVERSEER = "overseer"


class HolderChange(StrEnum):
    """Who holds the case after an operation."""

    SAME = "same"
    ACTOR_UNIT = "actor_unit"  # the acceptor takes the case
    BODY_DEPARTMENT = "body_department"  # dispatch: the department named in the body
    CENTRE_ABOVE = "centre_above"  # escalate: the nearest centre above the holder
    BODY_UNIT = "body_unit"  # assign down: the unit named in the body
    SENDER = "sender"  # return: whoever sent the current assignment


GRID_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_HEAD})
CENTRE_ROLES = frozenset({Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF, Role.CITY_STAFF})
STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}
CENTRE_TIERS = frozenset({Tier.TOWNSHIP, Tier.COUNTY, Tier.CITY})

# The tier a user's own unit must have. Grid roles sit in a grid or community unit, never in a
# centre: a user acts for its own unit, and a grid worker must not act for a township.
ROLE_TIERS: dict[Role, frozenset[Tier]] = {
    Role.GRID_WORKER: frozenset({Tier.GRID, Tier.COMMUNITY}),
    Role.GRID_HEAD: frozenset({Tier.GRID, Tier.COMMUNITY}),
    Role.TOWNSHIP_STAFF: frozenset({Tier.TOWNSHIP}),
    Role.COUNTY_STAFF: frozenset({Tier.COUNTY}),
    Role.CITY_STAFF: frozenset({Tier.CITY}),
    Role.DEPARTMENT_HANDLER: frozenset({Tier.DEPARTMENT}),
    Role.RESIDENT: frozenset(Tier),
}

IN_HAND = frozenset(
    {
        State.ACCEPTED,
        State.DISPATCHED,
        State.ESCALATED,
        State.ASSIGNED,
        State.RETURNED,
        State.REWORK,
    }
)
OPEN_STATES = frozenset(State) - {State.CLOSED}


@dataclass(frozen=True)
class Transition:
    """One operation: the states it may start from, where it leads, and who may do it.

    ``target`` None means the state is unchanged (supervision, explanations).
    ``assigns`` means the operation creates a new assignment (with an optional deadline);
    ``sets_deadline`` that it gives the current assignment the body's deadline instead.
    """

    op: str
    sources: frozenset[State]
    target: State | None
    roles: frozenset[Role]
    relations: frozenset[Relation]
    holder: HolderChange = HolderChange.SAME
    assigns: bool = False
    sets_deadline: bool = False

    def target_from(self, state: State) -> State:
        """The state after applying this operation to a case in ``state``."""
        return state if self.target is None else self.target


_H = frozenset({Relation.HOLDER})
_ANY_REL = frozenset(Relation)
_CHECKERS = frozenset({Relation.LINE, Relation.OVERSEER})
_REVIEWERS = GRID_ROLES | CENTRE_ROLES
# Verification follows feedback, or handling itself where the rules do not require feedback
# to the requester (and after rework, which is checked again without a second feedback).
_VERIFIABLE = frozenset({State.HANDLED, State.FEEDBACK_GIVEN})

TRANSITIONS: dict[str, Transition] = {
    t.op: t
    for t in (
        Transition(
            "accept",
            frozenset({State.REPORTED}),
            State.ACCEPTED,
            _REVIEWERS,
            frozenset({Relation.HOLDER, Relation.LINE}),
            HolderChange.ACTOR_UNIT,
            assigns=True,
        ),
        Transition(
            "dispatch",
            IN_HAND,
            State.DISPATCHED,
            CENTRE_ROLES,
            _H,
            HolderChange.BODY_DEPARTMENT,
            assigns=True,
        ),
        # 自办: the holding centre handles the matter itself, by a deadline of its own.
        Transition("keep", IN_HAND, State.DISPATCHED, CENTRE_ROLES, _H, sets_deadline=True),
        Transition(
            "escalate",
            IN_HAND,
            State.ESCALATED,
            STAFF_ROLES,
            _H,
            HolderChange.CENTRE_ABOVE,
            assigns=True,
        ),
        Transition(
            "assign",
            IN_HAND,
            State.ASSIGNED,
            CENTRE_ROLES,
            _H,
            HolderChange.BODY_UNIT,
            assigns=True,
        ),
        Transition(
            "return",
            IN_HAND - {State.ACCEPTED},
            State.RETURNED,
            STAFF_ROLES,
            _H,
            HolderChange.SENDER,
        ),
        Transition("handle", IN_HAND, State.HANDLED, STAFF_ROLES, _H),
        # 首接初办: the grid worker resolves it on the spot and may close it itself.
        Transition("handle_on_spot", IN_HAND, State.RESOLVED_ON_SPOT, GRID_ROLES, _H),
        # 首接初办 that does not resolve it: recorded; the worker escalates next.
        Transition("handle_unresolved", IN_HAND, None, GRID_ROLES, _H),
        Transition(
            "feedback",
            frozenset({State.HANDLED, State.RESOLVED_ON_SPOT}),
            State.FEEDBACK_GIVEN,
            STAFF_ROLES,
            _ANY_REL,
        ),
        Transition(
            "verify_pass",
            _VERIFIABLE,
            State.VERIFIED,
            _REVIEWERS,
            _CHECKERS,
        ),
        Transition(
            "verify_fail",
            _VERIFIABLE,
            State.REWORK,
            _REVIEWERS,
            # The holder has not changed since it handled the case, so rework goes back to it.
            _CHECKERS,
        ),
        Transition(
            "close",
            frozenset({State.VERIFIED, State.RESOLVED_ON_SPOT}),
            State.CLOSED,
            _REVIEWERS,
            _ANY_REL,
        ),
        Transition("supervise", OPEN_STATES, None, CENTRE_ROLES, frozenset({Relation.OVERSEER})),
        # 001 五.3: the holding centre refers a matter needing several departments to
        # coordination; the case stays with it.
        Transition("refer_coordination", IN_HAND, None, CENTRE_ROLES, _H),
        Transition("explain_overdue", OPEN_STATES - {State.REPORTED}, None, STAFF_ROLES, _H),
    )
}


class IllegalTransition(Exception):
    """The operation is not defined from the case's current state."""

    def __init__(self, state: State, op: str) -> None:
        super().__init__(f"cannot {op} a case in state {state.value}")
        self.state = state
        self.op = op


def allowed_ops(state: State) -> list[str]:
    """Operations that may start from ``state``, in table order."""
    return [t.op for t in TRANSITIONS.values() if state in t.sources]


def transition(state: State, op: str) -> Transition:
    """The transition for ``op`` from ``state``; raises IllegalTransition if there is none."""
    t = TRANSITIONS.get(op)
    if t is None or state not in t.sources:
        raise IllegalTransition(state, op)
    return t


def reachable_states() -> set[State]:
    """Every state reachable from REPORTED by the table (used to check the table is sane)."""
    seen = {State.REPORTED}
    frontier = [State.REPORTED]
    while frontier:
        state = frontier.pop()
        for op in allowed_ops(state):
            nxt = TRANSITIONS[op].target_from(state)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen
