"""Small fake platforms on 127.0.0.1, served from a thread of the test process.

``FakePlatform`` speaks the minimal API of ``fake.toml``: it hands out ids the replay cannot
guess (so later steps prove they used captured ids), records every request with its arrival
time and the replay worker that sent it, and can misbehave on purpose: *drop* a case (it is
acknowledged but never readable again), *duplicate* one (two records for one report) or go
*stale* on one (transitions acknowledged but not applied).

``FakeSzcg`` is a 数字城管-style API for ``loadtest/profiles/szcg-example.toml``: Chinese state
names, one action endpoint with the verb in the body, HTTP 200 with a business ``code``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Reply = tuple[int, Any]


@dataclass
class Hit:
    """One request as the fake saw it."""

    at: float  # time.time() on arrival
    method: str
    path: str
    worker: str | None
    body: dict[str, Any]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the replay's connection pool expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

    def _serve(self) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else {}
        fake: FakeServer = self.server.fake  # type: ignore[attr-defined]
        hit = Hit(arrived, self.command, self.path, self.headers.get("X-Replay-Worker"), body)
        status, reply = fake.handle(hit, self.headers)
        data = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, *_args: Any) -> None:  # quiet
        pass


class FakeServer:
    """A threaded HTTP server on a free loopback port; subclasses implement ``route``."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, hit: Hit, headers: Any) -> Reply:
        with self.lock:
            self.hits.append(hit)
            return self.route(hit, headers)

    def route(self, hit: Hit, headers: Any) -> Reply:
        raise NotImplementedError


@dataclass
class Record:
    id: str
    ext: str
    state: str = "report"
    verbs: list[str] = field(default_factory=list)


class FakePlatform(FakeServer):
    """The API of tests/loadtest/fake.toml (see module doc)."""

    def __init__(self, drop: set[str] = frozenset(), duplicate: set[str] = frozenset(),
                 stale: set[str] = frozenset()) -> None:
        super().__init__()
        self.drop, self.duplicate, self.stale = set(drop), set(duplicate), set(stale)
        self.cases: dict[str, Record] = {}
        self.patrols: dict[str, list[str]] = {}
        self.ids = iter(range(7919, 10**9, 7))  # not guessable from the trace
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            ("POST", re.compile(r"/cases"), self._report),
            ("POST", re.compile(r"/cases/(\w+)/(\w+)"), self._transition),
            ("GET", re.compile(r"/cases/(\w+)"), self._get),
            ("GET", re.compile(r"/by-ext/(\w+)"), self._by_ext),
            ("GET", re.compile(r"/cases"), self._list),
            ("POST", re.compile(r"/patrols"), self._patrol),
            ("POST", re.compile(r"/patrols/(\w+)/(\w+)"), self._patrol_step),
            ("POST", re.compile(r"/visits"), lambda hit: (201, {"ok": True})),
        ]

    def route(self, hit: Hit, headers: Any) -> Reply:
        path = urlparse(hit.path).path
        for method, pattern, handler in self.routes:
            if method == hit.method and (m := pattern.fullmatch(path)):
                return handler(hit, *m.groups())
        return 404, {"error": "no route"}

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids)}"

    def _report(self, hit: Hit) -> Reply:
        ext = hit.body["ext"]
        record = Record(self._new_id("S"), ext)
        self.cases[record.id] = record
        if ext in self.duplicate:
            twin = Record(self._new_id("S"), ext)
            self.cases[twin.id] = twin
        return 201, {"id": record.id}

    def _transition(self, hit: Hit, case_id: str, verb: str) -> Reply:
        record = self.cases.get(case_id)
        if record is None:
            return 404, {"error": "no such case"}
        record.verbs.append(verb)
        if record.ext not in self.stale:
            record.state = verb
        return 200, {"state": record.state}

    def _get(self, hit: Hit, case_id: str) -> Reply:
        record = self.cases.get(case_id)
        return (200, {"state": record.state}) if record else (404, {"error": "no such case"})

    def _visible(self) -> list[Record]:
        return [r for r in self.cases.values() if r.ext not in self.drop]

    def _by_ext(self, hit: Hit, ext: str) -> Reply:
        found = [r for r in self._visible() if r.ext == ext]
        return (200, {"state": found[0].state}) if found else (404, {"error": "no such case"})

    def _list(self, hit: Hit) -> Reply:
        cursor = int(parse_qs(urlparse(hit.path).query).get("cursor", ["0"])[0] or 0)
        records = self._visible()
        page = records[cursor : cursor + 50]
        more = cursor + 50 < len(records)
        return 200, {"items": [{"ext": r.ext, "id": r.id} for r in page],
                     "next": cursor + 50 if more else None}

    def _patrol(self, hit: Hit) -> Reply:
        patrol_id = self._new_id("P")
        self.patrols[patrol_id] = ["start"]
        return 201, {"id": patrol_id}

    def _patrol_step(self, hit: Hit, patrol_id: str, verb: str) -> Reply:
        if patrol_id not in self.patrols:
            return 404, {"error": "no such patrol"}
        self.patrols[patrol_id].append(verb)
        return 200, {"ok": True}

    def case_verbs(self) -> dict[str, list[str]]:
        """Per trace case id, the transitions applied, in arrival order."""
        out: dict[str, list[str]] = {}
        for record in self.cases.values():
            out.setdefault(record.ext, record.verbs)
        return out


# The states and verbs of loadtest/profiles/szcg-example.toml: verb → (from states, to state).
SZCG_FLOW: dict[str, tuple[frozenset[str], str | None]] = {
    "受理": (frozenset({"待受理"}), "已受理"),
    "立案派遣": (frozenset({"已受理", "已派遣"}), "已派遣"),
    "处理": (frozenset({"已受理", "已派遣"}), "已处理"),
    "核查通过": (frozenset({"已处理"}), "已核查"),
    "核查不通过": (frozenset({"已处理"}), "已派遣"),
    "结案": (frozenset({"已核查", "已处理"}), "已结案"),
    "督办": (frozenset({"待受理", "已受理", "已派遣", "已处理", "已核查"}), None),
}


class FakeSzcg(FakeServer):
    """A 数字城管-style API (see szcg-example.toml): refusals are HTTP 200 with a code."""

    def __init__(self) -> None:
        super().__init__()
        self.cases: dict[str, dict[str, Any]] = {}
        self.actions: dict[str, list[str]] = {}  # wbbh → verbs applied
        self.numbers = iter(range(20240001, 10**9))

    def route(self, hit: Hit, headers: Any) -> Reply:
        if not headers.get("X-Auth-Token"):
            return 401, {"code": 401, "msg": "未登录"}
        url = urlparse(hit.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        base = "/szcg/api/v1/anjuan"
        if hit.method == "POST" and url.path == f"{base}/shangbao":
            number = str(next(self.numbers))
            self.cases[number] = {"ajbh": number, "wbbh": hit.body["wbbh"], "zt": "待受理"}
            self.actions[hit.body["wbbh"]] = []
            return 200, {"code": 0, "msg": "成功", "data": {"ajbh": number}}
        if hit.method == "POST" and (m := re.fullmatch(rf"{base}/(\d+)/liuzhuan", url.path)):
            case = self.cases.get(m.group(1))
            if case is None:
                return 404, {"code": 404, "msg": "案卷不存在"}
            verb = hit.body.get("dongzuo", "")
            sources, target = SZCG_FLOW.get(verb, (frozenset(), None))
            if case["zt"] not in sources:
                return 200, {"code": 409, "msg": f"{case['zt']}状态不能{verb}"}
            self.actions[case["wbbh"]].append(verb)
            case["zt"] = target or case["zt"]
            return 200, {"code": 0, "msg": "成功", "data": {"zt": case["zt"]}}
        if hit.method == "GET" and url.path == f"{base}/list":
            page, size = int(query.get("page", 1)), 20
            rows = list(self.cases.values())[(page - 1) * size : page * size]
            more = page * size < len(self.cases)
            return 200, {"code": 0, "data": {"rows": rows, "next": page + 1 if more else None}}
        if hit.method == "GET" and url.path == base:
            found = [c for c in self.cases.values() if c["wbbh"] == query.get("wbbh")]
            return (200, {"code": 0, "data": found[0]}) if found else (
                404, {"code": 404, "msg": "案卷不存在"})
        if hit.method == "GET" and (m := re.fullmatch(rf"{base}/(\d+)", url.path)):
            case = self.cases.get(m.group(1))
            return (200, {"code": 0, "data": case}) if case else (404, {"code": 404})
        return 404, {"code": 404, "msg": "no route"}
