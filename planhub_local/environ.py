"""Each function sees its own environment, whatever else runs at the same time.

On Lambda every function runs in processes of its own, with its template variables as its
environment. Locally every function shares one process, hence one `os.environ`. Swapping
variables in and out of it around a function's import raced with everything else reading
it (a boto3 client being built in another thread while `TABLE_NAME` was popped answered a
500), and a function's lazy reads at request time saw whichever function had last swapped.

`install()` (done once by `stack.configure_process`) turns `os.environ` itself, the very
object every library already holds, into a per-context view:

- outside a function (the stack, the gateway, the tests) it is the process environment,
  read and written as usual;
- while a function's container runs (`running(overlay)`: its import and each of its
  invocations, in that thread or task), reads see the process environment overlaid by the
  container's own variables, and what the function sets or deletes goes into the
  container's overlay only, as it would stay inside its own Lambda container.

The process environment is never changed on a function's behalf, so there is nothing left
to race on. `os.getenv`, `os.environ.get`, `dict(os.environ)` and botocore's lookups all go
through the view. Threads a function starts itself do not inherit the overlay (planhub's
functions start none).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DELETED = object()  # a variable the function deleted from its own view

Overlay = dict[str, object]

_current: ContextVar[Overlay | None] = ContextVar("planhub_local_function_environment", default=None)


class _PerFunctionEnviron(os._Environ[str]):
    """`os.environ`, with the running function's overlay on top (see the module's docstring)."""

    def __getitem__(self, key: str) -> str:
        overlay = _current.get()
        if overlay is not None and key in overlay:
            value = overlay[key]
            if value is _DELETED:
                raise KeyError(key)
            assert isinstance(value, str)
            return value
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: str) -> None:
        overlay = _current.get()
        if overlay is None:
            super().__setitem__(key, value)
            return
        self.encodekey(key)  # the same type checks as the process environment
        self.encodevalue(value)
        overlay[key] = value

    def __delitem__(self, key: str) -> None:
        overlay = _current.get()
        if overlay is None:
            super().__delitem__(key)
            return
        if key not in self:
            raise KeyError(key)
        overlay[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        overlay = _current.get()
        base = list(super().__iter__())
        if overlay is None:
            yield from base
            return
        own = dict(overlay)  # a snapshot: the function may write while it iterates
        for key in base:
            if own.get(key) is not _DELETED:
                yield key
        for key, value in own.items():
            if value is not _DELETED and key not in base:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"environ({dict(self)!r})"


def install() -> None:
    """Makes `os.environ` the per-function view, once per process (every holder of it included)."""
    if not isinstance(os.environ, _PerFunctionEnviron):
        os.environ.__class__ = _PerFunctionEnviron


def overlay_for(variables: dict[str, str]) -> Overlay:
    """A container's own environment: its function's variables (the container keeps it)."""
    return dict(variables)


@contextmanager
def running(overlay: Overlay) -> Iterator[None]:
    """While the block runs (in this thread or task), `os.environ` shows `overlay` over the process's."""
    install()
    token = _current.set(overlay)
    try:
        yield
    finally:
        _current.reset(token)
