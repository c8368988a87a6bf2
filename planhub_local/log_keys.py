"""Each invocation's log lines carry its own keys (function name, request id, cold start).

On Lambda a container runs one invocation at a time, so the keys Powertools' Logger appends
for it (`inject_lambda_context`: `function_name`, `function_request_id`, `cold_start`, ...)
are that invocation's. Locally every function shares one process and, since every function
has the same service, one Logger and one formatter, whose keys are a single dict: while two
invocations overlapped, the later one's keys were on the earlier one's lines ("email sent"
labelled `AuthorizerFunction`, "billing run done" labelled `StreamPublisherFunction`).

`install()` (done once by `stack.configure_process`) makes the formatter's keys
copy-on-invocation: inside `invocation()` (each function invocation, in its thread or task)
the formatter works on a copy of its process-wide keys taken when the invocation first logs
or appends, and the copy is dropped when the invocation ends; outside one (the stack, tests,
a function's import, as a container's init) it works on the process-wide keys, as in
Powertools. A formatter is always built on its process-wide keys, even when the Logger is
first used inside an invocation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_PROCESS_KEYS = "_planhub_process_log_format"

# id(formatter) -> the invocation's copy of its keys; None outside any invocation.
_current: ContextVar[dict[int, dict[str, Any]] | None] = ContextVar("planhub_local_log_keys", default=None)


def _process_keys(formatter: Any) -> dict[str, Any] | None:
    """The formatter's process-wide keys, whether it was built before or after `install()`."""
    own = formatter.__dict__
    return own.get(_PROCESS_KEYS, own.get("log_format"))  # type: ignore[no-any-return]


def _keys(formatter: Any) -> dict[str, Any]:
    own = _current.get()
    process = _process_keys(formatter)
    assert process is not None, "a formatter's keys are set when it is built"
    if own is None:
        return process
    found = own.get(id(formatter))
    if found is None:
        found = own[id(formatter)] = dict(process)
    return found


def _set_keys(formatter: Any, value: dict[str, Any]) -> None:
    own = _current.get()
    if own is None or _process_keys(formatter) is None:
        formatter.__dict__[_PROCESS_KEYS] = value
    else:
        own[id(formatter)] = value


def _built_outside_invocations(init: Callable[..., None]) -> Callable[..., None]:
    def built(self: Any, *args: Any, **kwargs: Any) -> None:
        token = _current.set(None)  # the keys a formatter is built with are the process's
        try:
            init(self, *args, **kwargs)
        finally:
            _current.reset(token)

    return built


def install() -> None:
    """Makes every Powertools formatter's keys per-invocation, once per process."""
    if isinstance(LambdaPowertoolsFormatter.__dict__.get("log_format"), property):
        return
    LambdaPowertoolsFormatter.__init__ = _built_outside_invocations(LambdaPowertoolsFormatter.__init__)  # type: ignore[method-assign]
    LambdaPowertoolsFormatter.log_format = property(_keys, _set_keys)  # type: ignore[assignment]


@contextmanager
def invocation() -> Iterator[None]:
    """While the block runs (in this thread or task), loggers' keys are this invocation's own."""
    install()
    token = _current.set({})
    try:
        yield
    finally:
        _current.reset(token)
