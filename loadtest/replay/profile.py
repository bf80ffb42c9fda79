"""Platform profiles: the mapping from trace operations to one platform's HTTP calls, as data.

A profile is a TOML file (see ``loadtest/profiles/``)::

    name = "reference"
    epoch = "2024-01-01T00:00:00+08:00"   # trace t = 0 as a timestamp, for {at}

    [defaults]                            # merged into every call
    headers = { Authorization = "Bearer {token}", Idempotency-Key = "{idempotency_key}" }
    expect = [200, 201]
    retry = { attempts = 20, on_status = [502, 503, 504] }

    [ops."case.report"]                   # one mapping for an operation ...
    method = "POST"
    path = "/api/cases"
    body = { external_id = "{case}", type = "{payload.service_code}" }
    capture = { case = "$.id" }           # saved per case, used later as {ids.case}
    state = "reported"                    # the case's state after it (for reconciliation)

    [[ops."case.handle"]]                 # ... or variants, the first whose `when` matches
    when = { "payload.on_spot" = true }   # a value, a list of values, or { matches = "regex" }
    ...

    [reconcile]                           # how to read a case back, and list them all
    fetch = { path = "/api/cases/by-external/{case}", state = "$.state" }

Templates: ``{name.path}`` looks a value up in the operation's context (built by
``user.Engine._context``): seq, t, at, op, case, grid, actor.{role,id,unit}, payload.*, ids.*
(captured from earlier responses of the same case or patrol), token (the actor's, from the
tokens file), unit_token (the token the tokens file gives the actor's unit, if any: a stand-in
for actors without accounts, such as residents), idempotency_key, worker (the shard).
Reconciliation's calls see the case's first operation's case, grid, actor, token, unit_token,
ids and worker (not its payload), an empty idempotency_key, and its list adds cursor.
``{a|b|'text'}`` takes the first that exists; ``{x!s}`` makes it a string. A string that is a
single ``{...}`` keeps the value's type (numbers stay numbers) and, in a body, drops the field
when the value is missing; anywhere else a missing value is an error and the operation fails
without being sent. A header that renders empty is not sent (so a read can drop a default
header with ``Idempotency-Key = ""``). ``{{`` and ``}}`` are literal braces.

Response paths are JSONPath-lite: ``$``, ``.name`` and ``[index]``, e.g. ``$[0].id``.

An operation with no mapping, or whose variants all fail to match, is *unsupported*: counted,
never sent, never silently dropped.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from loadtest.replay.trace import OPS

PROFILES_DIR = Path(__file__).resolve().parents[1] / "profiles"
BUILTIN = ("reference", "open311", "szcg-example")
READ_METHODS = frozenset({"GET", "HEAD"})


class ProfileError(Exception):
    """A profile cannot be loaded; the message is one line naming the file and key."""


class TemplateError(Exception):
    """A template needed a value the context lacks (e.g. no token for the actor)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"missing {field}")
        self.field = field  # the {...} that had no value, e.g. "ids.case"


MISSING: Any = object()
"""What a lookup returns for an absent value (None is a value: JSON null)."""


def lookup(context: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """``context[path[0]][path[1]]…``; digits index lists; :data:`MISSING` if any step is absent."""
    value: Any = context
    for key in path:
        # dict first: an ABC isinstance check costs a microsecond, and contexts are dicts
        if isinstance(value, dict | Mapping):
            value = value.get(key, MISSING)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


# --- templates ---------------------------------------------------------------------------

_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_NAME_PATH = re.compile(r"[A-Za-z_][\w-]*(\.[\w-]+)*")
_LITERAL = re.compile(r"'([^']*)'")


@dataclass(frozen=True, slots=True)
class Slot:
    """One ``{...}`` of a template: alternatives tried in order (paths, or a literal)."""

    source: str
    alternatives: tuple[tuple[str, ...] | str, ...]  # a tuple is a path, a str a literal
    as_text: bool

    @classmethod
    def parse(cls, source: str) -> Slot:
        expr, as_text = (source[:-2], True) if source.endswith("!s") else (source, False)
        alternatives: list[tuple[str, ...] | str] = []
        for part in (p.strip() for p in expr.split("|")):
            if literal := _LITERAL.fullmatch(part):
                alternatives.append(literal.group(1))
            elif _NAME_PATH.fullmatch(part):
                alternatives.append(tuple(part.split(".")))
            else:
                raise ValueError(f"bad template field {{{source}}}")
        return cls(source, tuple(alternatives), as_text)

    def value(self, context: Mapping[str, Any]) -> Any:
        """The first alternative present in ``context``, or :data:`MISSING`."""
        for alt in self.alternatives:
            value = alt if isinstance(alt, str) else lookup(context, alt)
            if value is not MISSING:
                return _text(value) if self.as_text else value
        return MISSING


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled template string."""

    source: str
    parts: tuple[str | Slot, ...]
    whole: Slot | None  # the one slot, when the template is nothing else (keeps its type)
    constant: str | None  # the text, when the template has no slot

    @classmethod
    def parse(cls, source: str) -> Template:
        parts: list[str | Slot] = []
        pos = 0
        for match in _FIELD.finditer(source):
            literal = source[pos : match.start()]
            if match.group(0) in ("{{", "}}"):
                literal += match.group(0)[0]
            if literal:
                parts.append(literal)
            if match.group(1) is not None:
                parts.append(Slot.parse(match.group(1)))
            pos = match.end()
        if "{" in source[pos:] or "}" in source[pos:]:
            raise ValueError(f"unbalanced brace in template {source!r}")
        if source[pos:]:
            parts.append(source[pos:])
        whole = parts[0] if len(parts) == 1 and isinstance(parts[0], Slot) else None
        constant = "".join(p for p in parts if isinstance(p, str))
        slotless = all(isinstance(p, str) for p in parts)
        return cls(source, tuple(parts), whole, constant if slotless else None)

    def value(self, context: Mapping[str, Any]) -> Any:
        """A whole-value template's typed value (or MISSING); other templates' text."""
        if self.whole is not None:
            return self.whole.value(context)
        return self.text(context)

    def text(self, context: Mapping[str, Any], escape: bool = False) -> str:
        """The rendered string; ``escape`` percent-encodes field values (for URL paths).

        Raises:
            TemplateError: if a field has no value.
        """
        if self.constant is not None:
            return self.constant
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part.value(context)
            if value is MISSING:
                raise TemplateError(part.source)
            text = _text(value)
            out.append(quote(text, safe=":@") if escape else text)
        return "".join(out)


def _compile_body(value: Any) -> Any:
    """A body spec with every string turned into a Template."""
    if isinstance(value, str):
        return Template.parse(value)
    if isinstance(value, dict):
        return {k: _compile_body(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compile_body(v) for v in value]
    return value


def render_body(spec: Any, context: Mapping[str, Any]) -> Any:
    """A compiled body rendered; fields whose whole-value template is missing are dropped."""
    if isinstance(spec, Template):
        return spec.value(context)
    if isinstance(spec, dict):
        out = {}
        for key, sub in spec.items():
            value = render_body(sub, context)
            if value is not MISSING:
                out[key] = value
        return out
    if isinstance(spec, list):
        return [v for v in (render_body(s, context) for s in spec) if v is not MISSING]
    return spec


# --- JSONPath-lite ----------------------------------------------------------------------

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class JsonPath:
    """``$``, ``$.a.b``, ``$[0].id``: a path into a parsed JSON document."""

    source: str
    steps: tuple[str | int, ...]

    @classmethod
    def parse(cls, source: str) -> JsonPath:
        if not source.startswith("$"):
            raise ValueError(f"JSONPath must start with $: {source!r}")
        steps: list[str | int] = []
        pos = 1
        while pos < len(source):
            match = _STEP.match(source, pos)
            if match is None:
                raise ValueError(f"bad JSONPath {source!r} at {source[pos:]!r}")
            steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
            pos = match.end()
        return cls(source, tuple(steps))

    def find(self, document: Any) -> Any:
        """The value at this path, or :data:`MISSING`."""
        value = document
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(value, list) or step >= len(value):
                    return MISSING
            elif not isinstance(value, dict) or step not in value:
                return MISSING
            value = value[step]
        return value


# --- the TOML model (validation), compiled below into Call / Step ------------------------


def _checked(parse: Any) -> Any:
    """A validator that only checks that ``parse`` accepts the value (errors name the key)."""

    def check(value: Any) -> Any:
        parse(value)
        return value

    return AfterValidator(check)


TemplateText = Annotated[str, _checked(Template.parse)]
PathText = Annotated[str, _checked(JsonPath.parse)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetrySpec(_Model):
    """When and how often to try an operation again (always with the same idempotency key)."""

    attempts: int = Field(1, ge=1, description="tries in all, the first included")
    on_status: list[int] = Field(default_factory=list, description="statuses worth a retry")
    on_connection_error: bool = True
    backoff: float = Field(0.05, gt=0, description="first pause (s); doubles each time")
    max_backoff: float = Field(1.0, gt=0)
    give_up_after: float = Field(30.0, gt=0, description="no new try after this long (s)")


class CallSpec(_Model):
    """One HTTP call; unset fields come from [defaults]."""

    method: str = "GET"
    path: TemplateText
    headers: dict[str, TemplateText] = Field(default_factory=dict)
    body: Annotated[dict[str, Any] | None, _checked(_compile_body)] = None
    body_format: Literal["json", "form"] | None = None
    expect: list[int] | None = Field(None, description="statuses that mean success")
    expect_body: dict[PathText, Any] = Field(
        default_factory=dict, description="JSONPath → value a successful body must hold"
    )
    retry: RetrySpec | None = None


def condition(spec: Any) -> Callable[[Any], bool]:
    """A ``when`` test: equal to a value, one of a list, or ``{matches = "regex"}`` (on text)."""
    if isinstance(spec, dict):
        if set(spec) != {"matches"}:
            raise ValueError(f"a condition table takes only `matches`, not {sorted(spec)}")
        try:
            pattern = re.compile(spec["matches"])
        except re.error as exc:
            raise ValueError(f"bad regex {spec['matches']!r}: {exc}") from None
        return lambda v: v is not MISSING and v is not None and bool(pattern.search(str(v)))
    allowed = tuple(spec) if isinstance(spec, list) else (spec,)
    return lambda v: v in allowed


class StepSpec(CallSpec):
    """An operation's request, the ids to capture from the answer and the state it leads to."""

    when: dict[str, Annotated[Any, _checked(condition)]] = Field(
        default_factory=dict,
        description="context path → a value, a list of values, or {matches = regex}",
    )
    capture: dict[str, PathText] = Field(default_factory=dict)
    state: str | None = None


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class FetchSpec(CallSpec):
    """How to read one case back, and where its state is."""

    state: PathText
    missing: list[int] = Field(default_factory=lambda: [404], description="'no such case'")


class ListSpec(CallSpec):
    """How to page through the cases a user can see (to find duplicates and strays)."""

    items: PathText = Field(description="the list of cases in a page")
    key: PathText = Field(description="the case's trace id (external id) in an item")
    id: PathText = Field(description="the platform's own id in an item")
    next: PathText | None = Field(None, description="the next page's cursor; absent/null: done")
    start: Any = Field(None, description="the first cursor, as {cursor} in the path")


class ReconcileSpec(_Model):
    """Read-back after the run, performed as each case's first actor (who can see it)."""

    fetch: FetchSpec
    list: ListSpec | None = None


class Defaults(_Model):
    """Shared by every call of the profile."""

    headers: dict[str, TemplateText] = Field(default_factory=dict)
    expect: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])
    expect_body: dict[PathText, Any] = Field(default_factory=dict)
    body_format: Literal["json", "form"] = "json"
    retry: RetrySpec = Field(default_factory=RetrySpec)


class ProfileSpec(_Model):
    """A whole profile file."""

    name: str
    description: str = ""
    epoch: datetime = Field(
        datetime.fromisoformat("2024-01-01T00:00:00+08:00"),
        description="the timestamp of trace t = 0, for {at} when the payload has none",
    )
    defaults: Defaults = Field(default_factory=Defaults)
    ops: dict[str, Annotated[list[StepSpec], BeforeValidator(_as_list)]] = Field(
        default_factory=dict
    )
    reconcile: ReconcileSpec | None = None

    @model_validator(mode="after")
    def _known(self) -> ProfileSpec:
        unknown = sorted(set(self.ops) - set(OPS))
        if unknown:
            raise ValueError(f"ops: unknown operation(s) {unknown}; the trace has {list(OPS)}")
        if self.epoch.tzinfo is None:
            raise ValueError("epoch: needs a UTC offset, e.g. 2024-01-01T00:00:00+08:00")
        return self


# --- compiled, ready to render ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A rendered HTTP request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """How a response is judged: success, why not, and the parsed body when it was needed."""

    ok: bool
    reason: str | None
    document: Any = MISSING


@dataclass(frozen=True)
class Call:
    """A compiled :class:`CallSpec` with the profile's defaults applied."""

    method: str
    path: Template
    headers: tuple[tuple[str, Template], ...]
    body: Any
    body_format: str
    expect: frozenset[int]
    expect_body: tuple[tuple[JsonPath, Any], ...]
    retry: RetrySpec

    @property
    def read_only(self) -> bool:
        """A read changes nothing, so its failure does not make later steps pointless."""
        return self.method in READ_METHODS

    def render(self, context: Mapping[str, Any]) -> Request:
        """The request for ``context``.

        Raises:
            TemplateError: if the path or a header needs a missing value.
        """
        headers = {name: v for name, t in self.headers if (v := t.text(context))}
        body: bytes | None = None
        if self.body is not None:
            values = render_body(self.body, context)
            if self.body_format == "form":
                body = urlencode({k: _text(v) for k, v in values.items()}).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                body = json.dumps(values, ensure_ascii=False).encode()
                headers.setdefault("Content-Type", "application/json")
        return Request(self.method, self.path.text(context, escape=True), headers, body)

    def judge(self, status: int, content: bytes | None, want_document: bool) -> Verdict:
        """Success if the status is expected and the body holds every ``expect_body`` value.

        ``want_document`` parses the body even when no check needs it (to capture ids).
        """
        if status not in self.expect:
            return Verdict(False, f"status {status}" if status else "connection error")
        if not (self.expect_body or want_document):
            return Verdict(True, None)
        try:
            document = json.loads(content or b"null")
        except ValueError:
            return Verdict(False, "body is not JSON")
        for path, wanted in self.expect_body:
            if path.find(document) != wanted:
                return Verdict(False, f"body {path.source} != {wanted!r}", document)
        return Verdict(True, None, document)


@dataclass(frozen=True)
class Step(Call):
    """A compiled operation mapping."""

    op: str = ""
    when: tuple[tuple[tuple[str, ...], Callable[[Any], bool]], ...] = ()
    capture: tuple[tuple[str, JsonPath], ...] = ()
    state: str | None = None

    def matches(self, context: Mapping[str, Any]) -> bool:
        """Whether every ``when`` condition holds in ``context``."""
        return all(test(lookup(context, path)) for path, test in self.when)


@dataclass(frozen=True)
class Fetch(Call):
    """A compiled read-back of one case."""

    state: JsonPath = field(default_factory=lambda: JsonPath.parse("$"))
    missing: frozenset[int] = frozenset({404})


@dataclass(frozen=True)
class Lister(Call):
    """A compiled paged listing of cases."""

    items: JsonPath = field(default_factory=lambda: JsonPath.parse("$"))
    key: JsonPath = field(default_factory=lambda: JsonPath.parse("$"))
    id: JsonPath = field(default_factory=lambda: JsonPath.parse("$"))
    next: JsonPath | None = None
    start: Any = None


def _call_fields(spec: CallSpec, defaults: Defaults) -> dict[str, Any]:
    return {
        "method": spec.method.upper(),
        "path": Template.parse(spec.path),
        "headers": tuple(
            (name, Template.parse(text))
            for name, text in {**defaults.headers, **spec.headers}.items()
        ),
        "body": _compile_body(spec.body) if spec.body is not None else None,
        "body_format": spec.body_format or defaults.body_format,
        "expect": frozenset(spec.expect if spec.expect is not None else defaults.expect),
        "expect_body": tuple(
            (JsonPath.parse(p), v) for p, v in {**defaults.expect_body, **spec.expect_body}.items()
        ),
        "retry": spec.retry or defaults.retry,
    }


class Profile:
    """A loaded profile: operation → its steps, and the reconciliation calls."""

    def __init__(self, spec: ProfileSpec, source: str) -> None:
        self.spec = spec
        self.name = spec.name
        self.source = source
        self.epoch = spec.epoch
        d = spec.defaults
        self.steps: dict[str, tuple[Step, ...]] = {
            op: tuple(
                Step(
                    **_call_fields(s, d),
                    op=op,
                    when=tuple((tuple(k.split(".")), condition(v)) for k, v in s.when.items()),
                    capture=tuple((name, JsonPath.parse(p)) for name, p in s.capture.items()),
                    state=s.state,
                )
                for s in variants
            )
            for op, variants in spec.ops.items()
        }
        self.fetch: Fetch | None = None
        self.lister: Lister | None = None
        if spec.reconcile is not None:
            f = spec.reconcile.fetch
            self.fetch = Fetch(
                **_call_fields(f, d), state=JsonPath.parse(f.state), missing=frozenset(f.missing)
            )
            if (ls := spec.reconcile.list) is not None:
                self.lister = Lister(
                    **_call_fields(ls, d),
                    items=JsonPath.parse(ls.items),
                    key=JsonPath.parse(ls.key),
                    id=JsonPath.parse(ls.id),
                    next=JsonPath.parse(ls.next) if ls.next else None,
                    start=ls.start,
                )

    def supports(self, op: str) -> bool:
        """Whether some variant maps ``op`` (it may still not match a given payload)."""
        return op in self.steps

    def select(self, op: str, context: Mapping[str, Any]) -> Step | None:
        """The first variant of ``op`` matching ``context``; None when unsupported."""
        for step in self.steps.get(op, ()):
            if step.matches(context):
                return step
        return None


def _error_line(source: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{source}: {where or 'profile'}: {message}"


def resolve(ref: str) -> Path:
    """The file a profile reference names: a built-in name or a path to a TOML file."""
    if ref in BUILTIN:
        return PROFILES_DIR / f"{ref}.toml"
    path = Path(ref)
    if not path.is_file():
        raise ProfileError(f"{ref}: no such profile (built-in: {', '.join(BUILTIN)}; or a file)")
    return path


def load_profile(ref: str) -> Profile:
    """Load and compile a profile by built-in name or path.

    Raises:
        ProfileError: one line naming the file, the key and the reason.
    """
    path = resolve(ref)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from None
    try:
        spec = ProfileSpec.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(_error_line(str(path), exc)) from None
    return Profile(spec, str(path))
