"""Event context: use()/current() nesting, reset and task isolation."""

from __future__ import annotations

import asyncio

import pytest

from shared import context
from shared.context import EventContext


def test_default_context_is_empty() -> None:
    ctx = context.current()
    assert ctx == EventContext()
    assert ctx.as_meta() == {
        "correlation_id": None,
        "causation_id": None,
        "user_id": None,
        "trace_context": {},
    }


def test_use_changes_nest_and_reset() -> None:
    with context.use(correlation_id="c1", user_id="u1") as outer:
        assert context.current() is outer
        assert (outer.correlation_id, outer.user_id, outer.causation_id) == ("c1", "u1", None)
        with context.use(causation_id="e1", trace_context={"traceparent": "tp"}) as inner:
            # Changes are layered on the outer context.
            assert inner == EventContext("c1", "e1", "u1", {"traceparent": "tp"})
            assert context.current() is inner
        assert context.current() is outer
    assert context.current() == EventContext()


def test_use_explicit_context_replaces_everything() -> None:
    explicit = EventContext(correlation_id="only")
    with context.use(correlation_id="c", user_id="u"), context.use(explicit) as got:
        assert got is explicit
        assert context.current().user_id is None
        assert context.current().correlation_id == "only"


def test_reset_after_exception() -> None:
    def fail() -> None:
        with context.use(correlation_id="boom"):
            assert context.current().correlation_id == "boom"
            raise RuntimeError("fail")

    with pytest.raises(RuntimeError):
        fail()
    assert context.current().correlation_id is None


def test_as_meta_copies_trace_context() -> None:
    trace = {"traceparent": "a"}
    ctx = EventContext(trace_context=trace)
    meta = ctx.as_meta()
    assert meta["trace_context"] == {"traceparent": "a"}
    assert meta["trace_context"] is not trace
    assert EventContext().trace_context is not EventContext().trace_context


def test_unknown_field_rejected() -> None:
    with pytest.raises(TypeError), context.use(tenant="x"):
        pass  # pragma: no cover


async def test_tasks_do_not_leak_into_each_other() -> None:
    seen: dict[str, str | None] = {}

    async def worker(name: str) -> None:
        with context.use(correlation_id=name):
            await asyncio.sleep(0.01)
            seen[name] = context.current().correlation_id

    with context.use(user_id="parent"):
        await asyncio.gather(worker("a"), worker("b"))
        assert context.current().correlation_id is None
        assert context.current().user_id == "parent"
    assert seen == {"a": "a", "b": "b"}
