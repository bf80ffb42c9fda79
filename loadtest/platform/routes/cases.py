"""Case endpoints: report, the transitions (one table-driven handler), reads, audit log."""

# No `from __future__ import annotations` here: the transition endpoints are built in a loop
# and FastAPI must see each one's body class itself, not the string "spec.body".

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from loadtest.platform.auth import Actor, visible
from loadtest.platform.context import (
    ActorDep,
    IdempotencyKey,
    Ref,
    parse_ref,
    platform_of,
    run_write,
)
from loadtest.platform.models import AUDIT_EVENTS, CASES, Case
from loadtest.platform.schemas import (
    ERROR_RESPONSES,
    AcceptBody,
    AssignBody,
    Body,
    CaseList,
    CaseOut,
    CaseReport,
    CloseBody,
    CoordinationBody,
    DispatchBody,
    EscalateBody,
    EventOut,
    ExplanationBody,
    FeedbackBody,
    HandleBody,
    KeepBody,
    ReturnBody,
    SuperviseBody,
    TransitionOut,
    VerifyBody,
)
from loadtest.platform.states import State
from loadtest.platform.views import case_view, event_view
from loadtest.platform.workflow import apply_transition, load_case, report_case

router = APIRouter(prefix="/api", tags=["cases"])


@router.post(
    "/cases",
    status_code=201,
    summary="上报 report a case (case.report)",
    responses={201: {"model": CaseOut}, **ERROR_RESPONSES},
)
async def report(
    body: CaseReport, request: Request, actor: ActorDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Create a case held by its grid's unit."""
    platform = platform_of(request)
    directory = platform.registry.directory

    def work(conn: Connection) -> tuple[int, Any]:
        case, _event = report_case(conn, directory, actor, body)
        return 201, case_view(case, directory)

    return await platform.run(lambda: run_write(platform, actor, key, request, work))


@dataclass(frozen=True)
class TransitionEndpoint:
    """One transition endpoint: its path segment, body, and which table op a body means."""

    path: str
    body: type[Body]
    summary: str
    op: Callable[[Any], str]
    status: int = 200


TRANSITION_ENDPOINTS: tuple[TransitionEndpoint, ...] = (
    TransitionEndpoint("accept", AcceptBody, "受理 accept", lambda b: "accept"),
    TransitionEndpoint(
        "dispatch", DispatchBody, "分流 dispatch to a department", lambda b: "dispatch"
    ),
    TransitionEndpoint("keep", KeepBody, "自办 the holding centre handles it", lambda b: "keep"),
    TransitionEndpoint("escalate", EscalateBody, "上报上级 escalate", lambda b: "escalate"),
    TransitionEndpoint("assign", AssignBody, "交办 assign down", lambda b: "assign"),
    TransitionEndpoint("return", ReturnBody, "退回 return to the sender", lambda b: "return"),
    TransitionEndpoint(
        "handle",
        HandleBody,
        "处置 handle (on_spot: 首接初办; resolved false: first handling, not resolved)",
        lambda b: "handle_on_spot"
        if b.on_spot
        else ("handle" if b.resolved else "handle_unresolved"),
    ),
    TransitionEndpoint("feedback", FeedbackBody, "反馈 feedback", lambda b: "feedback"),
    TransitionEndpoint(
        "verify",
        VerifyBody,
        "核查 verify (failure sends it back for rework)",
        lambda b: "verify_pass" if b.passed else "verify_fail",
    ),
    TransitionEndpoint("close", CloseBody, "结案 close", lambda b: "close"),
    TransitionEndpoint("supervise", SuperviseBody, "督办 supervise", lambda b: "supervise"),
    TransitionEndpoint(
        "coordination",
        CoordinationBody,
        "refer to coordination (001 五.3)",
        lambda b: "refer_coordination",
    ),
    TransitionEndpoint(
        "explanations",
        ExplanationBody,
        "written explanation of overdue work",
        lambda b: "explain_overdue",
        status=201,
    ),
)


def _add_transition_route(spec: TransitionEndpoint) -> None:
    async def endpoint(
        ref: str,
        body: spec.body,  # type: ignore[name-defined]
        request: Request,
        actor: ActorDep,
        key: IdempotencyKey = None,
    ) -> JSONResponse:
        platform = platform_of(request)
        directory = platform.registry.directory
        op = spec.op(body)

        def work(conn: Connection) -> tuple[int, Any]:
            case = load_case(conn, actor, parse_ref(ref, "case"), for_update=True)
            event = apply_transition(conn, directory, actor, case, op, body)
            return spec.status, {
                "case": case_view(case, directory),
                "event": event_view(event, directory),
            }

        return await platform.run(lambda: run_write(platform, actor, key, request, work))

    endpoint.__name__ = f"case_{spec.path}"
    router.add_api_route(
        f"/cases/{{ref}}/{spec.path}",
        endpoint,
        methods=["POST"],
        status_code=spec.status,
        summary=spec.summary,
        responses={spec.status: {"model": TransitionOut}, **ERROR_RESPONSES},
    )


for _spec in TRANSITION_ENDPOINTS:
    _add_transition_route(_spec)


@router.get("/cases", summary="list visible cases", responses={200: {"model": CaseList}})
async def list_cases(
    request: Request,
    actor: ActorDep,
    state: State | None = None,
    grid: str | None = None,
    holder: Annotated[str | None, Query(description="holder unit code")] = None,
    type: str | None = None,
    after_id: int = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """Cases the caller may see, filtered, by ascending id (keyset pagination)."""
    platform = platform_of(request)
    directory = platform.registry.directory
    stmt = select(CASES).where(visible(actor, Case), Case.id > after_id)
    if state is not None:
        stmt = stmt.where(Case.state == state.value)
    if grid is not None:
        stmt = stmt.where(Case.grid == grid)
    if holder is not None:
        unit = directory.by_code.get(holder)
        stmt = stmt.where(Case.holder_id == (unit.id if unit else -1))
    if type is not None:
        stmt = stmt.where(Case.type == type)
    stmt = stmt.order_by(Case.id).limit(limit)

    def work() -> JSONResponse:
        with platform.db.read() as conn:
            cases = conn.execute(stmt).all()
            items = [case_view(c, directory) for c in cases]
        next_after = cases[-1].id if len(cases) == limit else None
        return JSONResponse({"items": items, "next_after_id": next_after})

    return await platform.run(work, long=limit > 100)


async def _read_case(request: Request, actor: Actor, ref: Ref) -> JSONResponse:
    platform = platform_of(request)

    def work() -> JSONResponse:
        with platform.db.read() as conn:
            case = load_case(conn, actor, ref)
            return JSONResponse(case_view(case, platform.registry.directory))

    return await platform.run(work)


@router.get(
    "/cases/by-external/{external_id}",
    summary="a case by the client's external id (resident.query)",
    responses={200: {"model": CaseOut}, **ERROR_RESPONSES},
)
async def get_case_by_external(
    external_id: str, request: Request, actor: ActorDep
) -> JSONResponse:
    """One visible case by external id."""
    return await _read_case(request, actor, ("external_id", external_id))


@router.get(
    "/cases/{ref}",
    summary="a case (resident.query)",
    responses={200: {"model": CaseOut}, **ERROR_RESPONSES},
)
async def get_case(ref: str, request: Request, actor: ActorDep) -> JSONResponse:
    """One visible case by id or ``ext:<external_id>``."""
    return await _read_case(request, actor, parse_ref(ref, "case"))


@router.get(
    "/cases/{ref}/audit",
    summary="the case's audit log",
    responses={200: {"model": list[EventOut]}, **ERROR_RESPONSES},
)
async def get_audit(ref: str, request: Request, actor: ActorDep) -> JSONResponse:
    """Every event of a visible case, in order."""
    platform = platform_of(request)
    directory = platform.registry.directory
    case_ref = parse_ref(ref, "case")

    def work() -> JSONResponse:
        with platform.db.read() as conn:
            case = load_case(conn, actor, case_ref)
            events = conn.execute(
                select(AUDIT_EVENTS)
                .where(AUDIT_EVENTS.c.case_id == case.id)
                .order_by(AUDIT_EVENTS.c.seq)
            ).all()
            return JSONResponse([event_view(e, directory) for e in events])

    return await platform.run(work)
