"""After the run: read every case back through the profile and compare it with the trace.

Each worker reconciles the cases of its own shard as soon as it has sent them (it holds their
captured ids), reading each case as the actor of its first operation — whoever reported a case
can see it on a platform with tiered access. Findings:

- *lost*: the trace created the case but the platform does not have it (or never returned an id
  to look it up by);
- *mismatched*: the case's state differs from the state the trace's last operation for it leads
  to (as the profile's ``state`` for that operation says);
- *duplicated*: the platform lists more than one record for the case (needs ``[reconcile.list]``;
  the listing is read as each case's first actor too, and a listing that fails is reported,
  since duplicates it would have shown go unseen);
- *unverified*: it could not be read back (errors after retries).

All four count as failures of the run. Records the listing shows whose key is in no trace case
are *strays*: reported, not failures (a platform may hold cases from elsewhere).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gevent.pool import Pool

from loadtest.replay.profile import MISSING, Fetch, Lister, Profile, TemplateError
from loadtest.replay.transport import exchange

if TYPE_CHECKING:  # importing locust monkey-patches the process (see runner.py)
    from locust.contrib.fasthttp import FastHttpSession

PROBLEMS = ("lost", "duplicated", "mismatched", "unverified")
MAX_ROWS = 1000  # problem rows kept for the report; counts are always complete
MAX_PAGES = 100_000
FETCH_CONCURRENCY = 32


@dataclass(frozen=True)
class CaseRecord:
    """What the replay knows of one case at the end."""

    case: str
    expected: str | None  # None: no mapped operation of it says what state it is in
    context: dict[str, Any]  # its first operation's template context (actor, token, ids)
    last_ok: str | None
    failure: tuple[str, str] | None


def _problem(record: CaseRecord, problem: str, actual: Any = None, copies: int = 1) -> dict:
    failed_op, reason = record.failure or (None, None)
    return {
        "case": record.case,
        "problem": problem,
        "expected": record.expected,
        "actual": actual,
        "copies": copies,
        "last_ok": record.last_ok,
        "failed_op": failed_op,
        "failure": reason,
    }


def _fetch(
    client: FastHttpSession, fetch: Fetch, record: CaseRecord, stopping: Callable[[], bool]
) -> dict | None:
    """The problem with one case, or None when it reads back as expected."""
    try:
        request = fetch.render(record.context)
    except TemplateError as exc:
        if exc.field.startswith("ids."):  # the platform never returned an id to look it up by
            return _problem(record, "lost", "never given an id", copies=0)
        return _problem(record, "unverified", str(exc))
    out = exchange(client, fetch, request, "reconcile.fetch", want_document=True, stopping=stopping)
    if out.status in fetch.missing:
        return _problem(record, "lost", f"status {out.status}", copies=0)
    if not out.ok:
        return _problem(record, "unverified", out.reason)
    actual = fetch.state.find(out.document)
    actual = None if actual is MISSING else actual
    if record.expected is not None and str(actual) != record.expected:
        return _problem(record, "mismatched", actual)
    return None


def _plain(key: Any) -> str | None:
    """A listed record's key as text (None when it has none)."""
    return None if key is MISSING or key is None else str(key)


def _list_as(
    client: FastHttpSession,
    lister: Lister,
    context: dict[str, Any],
    stopping: Callable[[], bool],
) -> tuple[list[tuple[str | None, str | None]], str | None]:
    """Every (key, platform id) the context's actor can list, and an error if it stopped."""
    found: list[tuple[str | None, str | None]] = []
    cursor, seen = lister.start, set()
    for _page in range(MAX_PAGES):
        try:
            request = lister.render({**context, "cursor": "" if cursor is None else cursor})
        except TemplateError as exc:
            return found, str(exc)
        out = exchange(
            client, lister, request, "reconcile.list", want_document=True, stopping=stopping
        )
        if not out.ok:
            return found, out.reason
        items = lister.items.find(out.document)
        if not isinstance(items, list):
            return found, f"no list at {lister.items.source}"
        found += [(_plain(lister.key.find(item)), _plain(lister.id.find(item))) for item in items]
        cursor = lister.next.find(out.document) if lister.next is not None else None
        if not items or cursor is MISSING or cursor is None or cursor in seen:
            return found, None
        seen.add(cursor)
    return found, f"more than {MAX_PAGES} pages"


def _listing(
    client: FastHttpSession,
    lister: Lister,
    cases: dict[str, CaseRecord],
    trace_cases: set[str],
    stopping: Callable[[], bool],
    pool: Pool,
) -> tuple[list[dict], dict[str, str | None], str | None]:
    """Duplicated cases and strays, listing as each case's first actor; and the first listing
    error, if any (then duplicates found are real, but some may have gone unseen)."""
    by_actor: dict[str, dict[str, Any]] = {}
    for record in cases.values():
        by_actor.setdefault(record.context["actor"]["id"], record.context)
    copies: dict[str, set[str | None]] = defaultdict(set)
    strays: dict[str, str | None] = {}
    first_error = None
    for found, error in pool.imap_unordered(
        lambda context: _list_as(client, lister, context, stopping), by_actor.values()
    ):
        first_error = first_error or error
        for key, platform_id in found:
            if key is not None and key in cases:
                copies[key].add(platform_id)
            elif key is None or key not in trace_cases:
                strays[str(platform_id)] = key
    duplicated = [
        _problem(cases[key], "duplicated", copies=len(ids))
        for key, ids in copies.items()
        if len(ids) > 1
    ]
    return duplicated, strays, first_error


def reconcile(
    client: FastHttpSession,
    profile: Profile,
    records: list[CaseRecord],
    trace_cases: set[str],
    stopping: Callable[[], bool],
) -> dict[str, Any]:
    """Reconcile this worker's cases; counts, problem rows (capped) and strays."""
    fetch = profile.fetch
    if fetch is None:
        return {"configured": False, "listed": False, "checked": 0, "strays": [], "rows": []}
    expected = [r for r in records if r.expected is not None]
    pool = Pool(FETCH_CONCURRENCY)
    fetched = pool.imap_unordered(lambda r: _fetch(client, fetch, r, stopping), expected)
    problems = [p for p in fetched if p is not None]
    strays: dict[str, str | None] = {}
    list_error = "the profile has no [reconcile.list]"
    if profile.lister is not None:
        cases = {r.case: r for r in expected}
        duplicated, strays, list_error = _listing(
            client, profile.lister, cases, trace_cases, stopping, pool
        )
        problems += duplicated
    counts = {p: sum(1 for row in problems if row["problem"] == p) for p in PROBLEMS}
    problems.sort(key=lambda row: (row["problem"], row["case"]))
    return {
        "configured": True,
        "listed": list_error is None,  # every case's listing was read: duplicates all found
        "list_error": list_error,
        "checked": len(expected),
        **counts,
        "strays": sorted(strays.items()),
        "rows": problems[:MAX_ROWS],
    }


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Several workers' reconciliations as one."""
    configured = any(r.get("configured") for r in results)
    rows = sorted(
        (row for r in results for row in r.get("rows", [])),
        key=lambda row: (row["problem"], row["case"]),
    )
    strays = dict(pair for r in results for pair in r.get("strays", []))
    errors = [r["list_error"] for r in results if r.get("list_error")]
    return {
        "configured": configured,
        "listed": configured and not errors,
        "list_error": errors[0] if errors else None,
        "checked": sum(r.get("checked", 0) for r in results),
        **{p: sum(r.get(p, 0) for r in results) for p in PROBLEMS},
        "strays": sorted(strays.items()),
        "rows": rows[:MAX_ROWS],
    }
