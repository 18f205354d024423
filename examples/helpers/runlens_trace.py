"""Runlens span events for any Python workflow: copy this one file into your project.

Python 3.11+, standard library only. Each step becomes one span; Runlens shows it as
RUNNING from its start line and as INCOMPLETE if the process dies before its end line.

    from runlens_trace import step, event

    @step("generate")                      # decorator: code.* attributes of the function
    def generate(batch): ...

    @step                                  # bare decorator: the span is named after the function
    async def validate(tests): ...

    with step("load", {"source": "db"}):   # context manager: code.* attributes of the call site
        event("cache miss", {"key": k})    # a point-in-time event on the current span
        ...

Wire format: one JSON object per line,
    {"runlens": "start"|"end"|"event", "span_id", "parent_id"?, "name", "time"?,
     "attributes"?, "status"?, "error"?}
- span_id: 16 random lowercase hex characters; parent_id: the enclosing step (nesting
  follows a contextvar, so it works across threads started with copied contexts and asyncio).
  Top-level steps have no parent_id: Runlens hangs them under the run.
- time: epoch NANOSECONDS as a string of digits (time.time_ns()).
- status on "end": "OK" or "ERROR"; error on failure: {"type", "message", "stacktrace"}.
- "event" lines carry the span_id of the span they belong to.

Where the lines go: to stdout (flushed per line) when RUNLENS_STDOUT_CAPTURED=1 (Runlens
launched the process and reads its output) or when RUNLENS_ENDPOINT is unset; otherwise they
are POSTed to $RUNLENS_ENDPOINT/runlens/v1/events with headers x-runlens-token: $RUNLENS_TOKEN and x-runlens-run-id:
$RUNLENS_RUN_ID. Tracing is best effort: it never raises into your workflow.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import linecache
import os
import secrets
import sys
import threading
import time
import traceback
import urllib.request
from typing import Any, Callable, Mapping, TypeVar

__all__ = ["step", "event", "set_attribute", "current_span_id"]

F = TypeVar("F", bound=Callable[..., Any])

_current: contextvars.ContextVar["_Span | None"] = contextvars.ContextVar("runlens_current_span", default=None)
_lock = threading.Lock()


def current_span_id() -> str | None:
    """The span id of the innermost active step in this context, if any."""
    span = _current.get()
    return span.span_id if span else None


def set_attribute(key: str, value: Any) -> None:
    """Attach a fact to the innermost active step (sent with its end line)."""
    span = _current.get()
    if span is not None:
        span.set_attribute(key, value)


def _now() -> str:
    # Epoch nanoseconds as a string of digits (exact; the parser reads digit strings as ns).
    return str(time.time_ns())


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def _post(line: str, endpoint: str) -> None:
    url = endpoint.rstrip("/") + "/runlens/v1/events"
    req = urllib.request.Request(
        url,
        data=(line + "\n").encode("utf-8"),
        method="POST",
        headers={
            "content-type": "application/x-ndjson",
            "x-runlens-run-id": os.environ.get("RUNLENS_RUN_ID", ""),
            "x-runlens-token": os.environ.get("RUNLENS_TOKEN", ""),
        },
    )
    with urllib.request.urlopen(req, timeout=2) as resp:
        resp.read()


def _emit(record: dict[str, Any]) -> None:
    try:
        line = json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False)
        endpoint = os.environ.get("RUNLENS_ENDPOINT")
        with _lock:
            if os.environ.get("RUNLENS_STDOUT_CAPTURED") == "1" or not endpoint:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            else:
                # One request per line keeps RUNNING steps visible live; volumes are small.
                _post(line, endpoint)
    except Exception:  # noqa: BLE001 - tracing must never break the workflow
        pass


def _error_of(exc: BaseException) -> dict[str, str]:
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "stacktrace": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


def _function_location(fn: Callable[..., Any]) -> dict[str, Any]:
    """code.* attributes pointing at the `def` line of fn (past any decorators)."""
    try:
        target = inspect.unwrap(fn)
        code = target.__code__
        filepath = os.path.abspath(code.co_filename)
        lineno = code.co_firstlineno
        # co_firstlineno is the first decorator's line; walk down to the def itself.
        for offset in range(0, 50):
            text = linecache.getline(code.co_filename, lineno + offset).lstrip()
            if text.startswith(("def ", "async def ")):
                lineno += offset
                break
        return {"code.filepath": filepath, "code.lineno": lineno, "code.function": target.__qualname__}
    except Exception:  # noqa: BLE001
        return {}


def _caller_location(depth: int) -> dict[str, Any]:
    try:
        frame = sys._getframe(depth)  # noqa: SLF001 - cheap, and exactly what we want
        return {
            "code.filepath": os.path.abspath(frame.f_code.co_filename),
            "code.lineno": frame.f_lineno,
            "code.function": frame.f_code.co_qualname,
        }
    except Exception:  # noqa: BLE001
        return {}


class _Span:
    """One active step: started on __enter__, ended on __exit__."""

    def __init__(self, name: str, attributes: Mapping[str, Any] | None, location: dict[str, Any]):
        self.name = name
        self.span_id = secrets.token_hex(8)
        self.attributes: dict[str, Any] = {**location, **(dict(attributes) if attributes else {})}
        self.end_attributes: dict[str, Any] = {}
        self._token: contextvars.Token[_Span | None] | None = None

    def set_attribute(self, key: str, value: Any) -> None:
        """Attach a fact learned while the step runs; sent with its end line."""
        self.end_attributes[key] = value

    def __enter__(self) -> "_Span":
        parent = _current.get()
        self._token = _current.set(self)
        _emit({
            "runlens": "start",
            "span_id": self.span_id,
            "parent_id": parent.span_id if parent else None,
            "name": self.name,
            "time": _now(),
            "attributes": _jsonable(self.attributes) or None,
        })
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        record: dict[str, Any] = {
            "runlens": "end",
            "span_id": self.span_id,
            "name": self.name,
            "time": _now(),
            "status": "OK" if exc is None else "ERROR",
            "attributes": _jsonable(self.end_attributes) or None,
        }
        if exc is not None:
            record["error"] = _error_of(exc)
        _emit(record)
        if self._token is not None:
            try:
                _current.reset(self._token)
            except ValueError:  # exited in another context: just clear it
                _current.set(None)
        # Never swallow the exception: returning None lets it propagate.


class step:  # noqa: N801 - reads like a keyword at call sites
    """A traced step. Use as `with step("name", attrs):`, `@step("name", attrs)` or `@step`."""

    def __init__(self, name: str | Callable[..., Any] | None = None, attributes: Mapping[str, Any] | None = None):
        self._fn: Callable[..., Any] | None = None
        if callable(name):  # bare @step
            self._fn = name
            name = None
        self._name = name
        self._attributes = attributes
        self._active: list[_Span] = []  # a `with` block per entry; reentrant
        if self._fn is not None:
            self._wrapped = self._wrap(self._fn)
            functools.update_wrapper(self, self._fn)

    # context manager -------------------------------------------------------------
    def __enter__(self) -> _Span:
        span = _Span(self._name or "step", self._attributes, _caller_location(2))
        self._active.append(span)
        return span.__enter__()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._active.pop().__exit__(exc_type, exc, tb)

    # decorator --------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._fn is not None:  # bare @step: calling the decorated function
            return self._wrapped(*args, **kwargs)
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self._wrap(args[0])
        raise TypeError("step(...) decorates one function")

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # bare @step on a method: bind like a function would
        if obj is None or self._fn is None:
            return self
        return functools.partial(self._wrapped, obj)

    def _wrap(self, fn: F) -> F:
        name = self._name or fn.__name__
        attributes = self._attributes
        location = _function_location(fn)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with _Span(name, attributes, location):
                    return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Span(name, attributes, location):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def event(name: str, attributes: Mapping[str, Any] | None = None) -> None:
    """A point-in-time event on the current step (ignored outside any step)."""
    span = _current.get()
    if span is None:
        return
    _emit({
        "runlens": "event",
        "span_id": span.span_id,
        "name": name,
        "time": _now(),
        "attributes": _jsonable(attributes) if attributes else None,
    })
