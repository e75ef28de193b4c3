"""Audit by construction: every use case is registered with the action it logs.

``@use_case(Action.x)`` registers the function in :data:`USE_CASES` and runs
it with a recorder in place of the context's event publisher. When the use
case returns, exactly one entry with its declared action must have been
written as allowed (a denial, logged before the error is raised, ends the
call with that error instead). A use case that forgot to log fails closed:
its result is never handed to the adapter.

Use cases that neither read personal data nor change state (a health
check, a list of services) are registered with ``audit=None`` and a reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Concatenate, ParamSpec, TypeVar

from archive.audit import AccessEvent, Action, Events, Outcome
from usecases.context import Context

P = ParamSpec("P")
R = TypeVar("R")


class AuditMissing(RuntimeError):
    """A use case returned without writing its one audit entry (a programming error)."""


@dataclass(frozen=True, slots=True)
class UseCase:
    """One registered use case."""

    name: str
    func: Callable[..., Any]
    audit: Action | None
    why_unaudited: str | None = None


USE_CASES: dict[str, UseCase] = {}


class _Recorder(Events):
    """The context's publisher, remembering what this one call published."""

    def __init__(self, inner: Events) -> None:
        self._inner = inner
        self.log = inner.log
        self.published: list[AccessEvent] = []

    def subscribe(self, fn: Any) -> None:  # pragma: no cover - not used inside a call
        self._inner.subscribe(fn)

    def publish(self, event: AccessEvent) -> int:
        seq = self._inner.publish(event)
        self.published.append(event)
        return seq

    def publish_many(self, events: Sequence[AccessEvent]) -> list[int]:
        seqs = self._inner.publish_many(events)
        self.published.extend(events)
        return seqs


def use_case(
    audit: Action | None, *, why_unaudited: str | None = None
) -> Callable[[Callable[Concatenate[Context, P], R]], Callable[Concatenate[Context, P], R]]:
    """Register a use case (its first parameter is the :class:`Context`)."""
    if audit is None and not why_unaudited:
        raise ValueError("an unaudited use case must say why")

    def wrap(
        func: Callable[Concatenate[Context, P], R],
    ) -> Callable[Concatenate[Context, P], R]:
        name = f"{func.__module__.removeprefix('usecases.')}.{func.__name__}"

        @functools.wraps(func)
        def run(ctx: Context, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if audit is None:
                return func(ctx, *args, **kwargs)
            recorder = _Recorder(ctx.events)
            result = func(replace(ctx, events=recorder), *args, **kwargs)
            mine = [
                e for e in recorder.published if e.action == audit and e.outcome != Outcome.denied
            ]
            if len(mine) != 1:
                raise AuditMissing(f"{name}: expected one {audit.value!r} entry, wrote {len(mine)}")
            return result

        USE_CASES[name] = UseCase(name, run, audit, why_unaudited)
        return run

    return wrap
