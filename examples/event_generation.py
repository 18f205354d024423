"""Event-driven test-generation workflow, LlamaIndex-workflow style.

    start --GenerateEvent(batch of 2)--> generate --BatchDone--> validate --> finish

Traced with OpenTelemetry-shaped spans sent as OTLP/HTTP JSON (a tiny stdlib exporter:
no SDK needed) to $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. Every step span carries
code.filepath / code.lineno / code.function, the process RSS, and its batch.

The bug users hit: generated tests accumulate in a module-level cache that is persisted
next to this file (examples/.cache/generated_tests.json) and never cleared, so the FIRST run
succeeds and the SECOND fails in `validate` with "duplicate test ids". `--reset` clears it.

    python3 examples/event_generation.py [--reset]
"""

from __future__ import annotations

import contextvars
import functools
import json
import linecache
import os
import resource
import secrets
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable

SERVICE_DEFAULT = "event-generation"
# Next to this file (not the cwd), so every way of launching it shares one cache.
CACHE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache", "generated_tests.json")
TOPICS = ["login", "checkout", "search", "refunds"]
BATCH_SIZE = 2


# --------------------------------------------------------------------------------------
# A minimal OTLP/HTTP JSON tracer (what an OpenTelemetry SDK would do for us)
# --------------------------------------------------------------------------------------

def _otlp_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # int64 is a string in OTLP JSON
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_otlp_value(v) for v in value]}}
    return {"stringValue": str(value)}


def _otlp_attributes(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _otlp_value(v)} for k, v in attrs.items()]


def _resource_attributes() -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for pair in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, sep, value = pair.partition("=")
        if sep and key.strip():
            attrs[urllib.parse.unquote(key.strip())] = urllib.parse.unquote(value.strip())
    attrs["service.name"] = os.environ.get("OTEL_SERVICE_NAME") or attrs.get("service.name") or SERVICE_DEFAULT
    attrs.setdefault("telemetry.sdk.language", "python")
    return attrs


def _traces_endpoint() -> str | None:
    explicit = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if explicit:
        return explicit
    base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return base.rstrip("/") + "/v1/traces" if base else None


def _parse_traceparent(value: str | None) -> tuple[str, str | None]:
    """W3C traceparent → (trace id, parent span id); a fresh trace when absent or invalid."""
    parts = (value or "").strip().split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
        try:
            int(parts[1], 16), int(parts[2], 16)
            if parts[1] != "0" * 32 and parts[2] != "0" * 16:
                return parts[1].lower(), parts[2].lower()
        except ValueError:
            pass
    return secrets.token_hex(16), None


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    end_ns: int | None = None
    status_code: int = 0  # 0 unset, 1 ok, 2 error
    status_message: str = ""

    def record_exception(self, exc: BaseException) -> None:
        self.events.append({
            "timeUnixNano": str(time.time_ns()),
            "name": "exception",
            "attributes": _otlp_attributes({
                "exception.type": type(exc).__qualname__,
                "exception.message": str(exc),
                "exception.stacktrace": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
                "exception.escaped": True,
            }),
        })

    def to_otlp(self) -> dict[str, Any]:
        span: dict[str, Any] = {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "name": self.name,
            "kind": 1,  # SPAN_KIND_INTERNAL
            "startTimeUnixNano": str(self.start_ns),
            "endTimeUnixNano": str(self.end_ns or time.time_ns()),
            "attributes": _otlp_attributes(self.attributes),
            "events": self.events,
            "status": {"code": self.status_code, **({"message": self.status_message} if self.status_message else {})},
        }
        if self.parent_id:
            span["parentSpanId"] = self.parent_id
        return span


class Tracer:
    """Starts spans under TRACEPARENT and exports each one as it ends (a simple processor)."""

    def __init__(self) -> None:
        self.trace_id, self.remote_parent = _parse_traceparent(os.environ.get("TRACEPARENT"))
        self.endpoint = _traces_endpoint()
        self.resource = _resource_attributes()
        self.current: contextvars.ContextVar[Span | None] = contextvars.ContextVar("span", default=None)
        self._warned = False

    def start(self, name: str, attributes: dict[str, Any]) -> Span:
        parent = self.current.get()
        return Span(
            trace_id=self.trace_id,
            span_id=secrets.token_hex(8),
            parent_id=parent.span_id if parent else self.remote_parent,
            name=name,
            start_ns=time.time_ns(),
            attributes=dict(attributes),
        )

    def export(self, span: Span) -> None:
        if not self.endpoint:
            return
        body = {
            "resourceSpans": [{
                "resource": {"attributes": _otlp_attributes(self.resource)},
                "scopeSpans": [{
                    "scope": {"name": "examples.event_generation", "version": "0.1.0"},
                    "spans": [span.to_otlp()],
                }],
            }]
        }
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:  # tracing must not break the workflow
            if not self._warned:
                print(f"[otlp] export to {self.endpoint} failed: {exc}", file=sys.stderr)
                self._warned = True


TRACER = Tracer()


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # peak, KiB on Linux


def _def_line(fn: Callable[..., Any]) -> int:
    """Line of the `def` itself (co_firstlineno points at the first decorator)."""
    first = fn.__code__.co_firstlineno
    for offset in range(20):
        if linecache.getline(fn.__code__.co_filename, first + offset).lstrip().startswith("def "):
            return first + offset
    return first


def traced_span(name: str, attributes: dict[str, Any], code: dict[str, Any] | None = None):
    """Context manager: one span, ended (and exported) even when the body raises."""

    class _Scope:
        def __enter__(self) -> Span:
            self.span = TRACER.start(name, {**(code or {}), **attributes, "process.memory.rss_bytes": _rss_bytes()})
            self.token = TRACER.current.set(self.span)
            return self.span

        def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
            span = self.span
            TRACER.current.reset(self.token)
            rss = _rss_bytes()
            span.attributes["process.memory.rss_bytes.end"] = rss
            span.attributes["process.memory.rss_delta_bytes"] = rss - span.attributes["process.memory.rss_bytes"]
            if exc is not None:
                span.record_exception(exc)
                span.status_code, span.status_message = 2, f"{type(exc).__qualname__}: {exc}"
            else:
                span.status_code = 1
            span.end_ns = time.time_ns()
            TRACER.export(span)

    return _Scope()


# --------------------------------------------------------------------------------------
# Workflow framework bits: events and @step (LlamaIndex-workflow shaped)
# --------------------------------------------------------------------------------------

@dataclass
class Event:
    pass


@dataclass
class StartEvent(Event):
    topics: list[str]


@dataclass
class GenerateEvent(Event):
    batch_index: int
    topics: list[str]


@dataclass
class BatchDoneEvent(Event):
    batch_index: int
    test_ids: list[str]


@dataclass
class ValidateEvent(Event):
    batches: int


@dataclass
class FinishEvent(Event):
    test_count: int


@dataclass
class StopEvent(Event):
    result: Any


def step(accepts: type[Event]):
    """Mark a workflow method as a step for one event type; each call becomes a span."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        code = {
            "code.filepath": os.path.abspath(fn.__code__.co_filename),
            "code.lineno": _def_line(fn),
            "code.function": fn.__qualname__,
        }

        @functools.wraps(fn)
        def wrapper(self: "Workflow", ev: Event) -> Any:
            attrs: dict[str, Any] = {"workflow.step": fn.__name__, "workflow.event": type(ev).__name__}
            if isinstance(ev, GenerateEvent):
                attrs.update({"batch.index": ev.batch_index, "batch.size": len(ev.topics), "batch.topics": ev.topics})
            with traced_span(fn.__name__, attrs, code):
                return fn(self, ev)

        wrapper.__step_accepts__ = accepts  # type: ignore[attr-defined]
        return wrapper

    return decorate


class Workflow:
    """Dispatches events to the step that accepts them until a StopEvent comes out."""

    def run(self, **start_kwargs: Any) -> Any:
        steps = {
            getattr(member, "__step_accepts__"): member
            for member in (getattr(type(self), name) for name in dir(type(self)))
            if hasattr(member, "__step_accepts__")
        }
        with traced_span(f"{type(self).__name__}.run", {"workflow.name": type(self).__name__}):
            queue: list[Event] = [StartEvent(**start_kwargs)]
            while queue:
                ev = queue.pop(0)
                if isinstance(ev, StopEvent):
                    return ev.result
                out = steps[type(ev)](self, ev)
                if out is not None:
                    queue.extend(out if isinstance(out, list) else [out])
        raise RuntimeError("workflow ended without a StopEvent")


# --------------------------------------------------------------------------------------
# The workflow itself
# --------------------------------------------------------------------------------------

def _load_cache() -> list[dict[str, Any]]:
    try:
        with open(CACHE_FILE, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


# Module-level cache "to avoid regenerating tests" — it is never cleared between runs.
_GENERATED_TESTS: list[dict[str, Any]] = _load_cache()


def fake_llm_generate(topic: str, index: int) -> dict[str, Any]:
    """Stands in for an LLM call: deterministic, a little slow."""
    time.sleep(0.05)
    return {
        "id": f"t{index + 1}",
        "topic": topic,
        "prompt": f"Write a regression test for the {topic} flow",
        "assertions": [f"{topic} succeeds with valid input", f"{topic} rejects invalid input"],
    }


def ensure_unique_ids(tests: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    duplicates: list[str] = []
    for test in tests:
        if test["id"] in seen and test["id"] not in duplicates:
            duplicates.append(test["id"])
        seen.add(test["id"])
    if duplicates:
        raise ValueError(f"duplicate test ids: {', '.join(duplicates)}")  # RUNLENS-MARK: validate-raises


class TestGenerationWorkflow(Workflow):
    @step(StartEvent)
    def start(self, ev: StartEvent) -> list[Event]:
        batches = [ev.topics[i:i + BATCH_SIZE] for i in range(0, len(ev.topics), BATCH_SIZE)]
        self.expected_batches = len(batches)
        self.done: list[BatchDoneEvent] = []
        print(f"start: {len(ev.topics)} topics in {len(batches)} batches; cache holds {len(_GENERATED_TESTS)} tests")
        return [GenerateEvent(batch_index=i, topics=batch) for i, batch in enumerate(batches)]

    @step(GenerateEvent)
    def generate(self, ev: GenerateEvent) -> Event | None:
        offset = ev.batch_index * BATCH_SIZE
        tests = [fake_llm_generate(topic, offset + i) for i, topic in enumerate(ev.topics)]
        _GENERATED_TESTS.extend(tests)
        print(f"generate: batch {ev.batch_index} -> {[t['id'] for t in tests]}")
        self.done.append(BatchDoneEvent(ev.batch_index, [t["id"] for t in tests]))
        if len(self.done) < self.expected_batches:
            return None
        return ValidateEvent(batches=len(self.done))

    @step(ValidateEvent)
    def validate(self, ev: ValidateEvent) -> FinishEvent:  # RUNLENS-MARK: validate-def
        time.sleep(0.02)
        ensure_unique_ids(_GENERATED_TESTS)
        print(f"validate: {len(_GENERATED_TESTS)} tests, ids unique")
        return FinishEvent(test_count=len(_GENERATED_TESTS))

    @step(FinishEvent)
    def finish(self, ev: FinishEvent) -> StopEvent:
        os.makedirs(os.path.dirname(CACHE_FILE), exist_ok=True)
        with open(CACHE_FILE, "w", encoding="utf-8") as f:
            json.dump(_GENERATED_TESTS, f, indent=2)
        print(f"finish: wrote {ev.test_count} tests to {os.path.relpath(CACHE_FILE)}")
        return StopEvent(result={"tests": ev.test_count})


def main(argv: list[str]) -> int:
    if "--reset" in argv:
        try:
            os.remove(CACHE_FILE)
            print(f"removed {os.path.relpath(CACHE_FILE)}")
        except FileNotFoundError:
            print("cache already empty")
        return 0
    if not TRACER.endpoint:
        print("[otlp] no OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT: spans are not exported", file=sys.stderr)
    result = TestGenerationWorkflow().run(topics=TOPICS)
    print(f"done: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
