"""Request/event context carried into stored events (correlation, causation, trace)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class EventContext:
    """Who and what caused the events saved in this context."""

    correlation_id: str | None = None
    causation_id: str | None = None
    user_id: str | None = None
    trace_context: dict[str, str] = field(default_factory=dict)

    def as_meta(self) -> dict[str, object]:
        """Serialisable form stored beside each event."""
        return {
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "user_id": self.user_id,
            "trace_context": dict(self.trace_context),
        }


_EMPTY = EventContext()
_current: contextvars.ContextVar[EventContext | None] = contextvars.ContextVar(
    "mita_event_context", default=None
)


def current() -> EventContext:
    """The context in force for this task/thread."""
    return _current.get() or _EMPTY


@contextlib.contextmanager
def use(ctx: EventContext | None = None, **changes: object) -> Iterator[EventContext]:
    """Run a block with ``ctx`` (or the current context with ``changes``) in force."""
    new = ctx if ctx is not None else replace(current(), **changes)  # type: ignore[arg-type]
    token = _current.set(new)
    try:
        yield new
    finally:
        _current.reset(token)
