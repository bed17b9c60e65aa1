"""The process supervisor, with tiny Python children."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from shared.embedded import free_port
from shared.supervisor import Child, Supervisor, said

PY = sys.executable
SLEEPER = [PY, "-c", "import time; print('sleeping', flush=True); time.sleep(60)"]


@pytest.fixture
async def sup() -> AsyncIterator[Supervisor]:
    """A supervisor whose children are always stopped at the end."""
    supervisor = Supervisor(dict(os.environ), max_restarts=2)
    yield supervisor
    await supervisor.stop(grace=1.0)


async def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``predicate()`` until true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_prefix_width_and_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Supervisor({})
    a, b = Child("api", ["x"]), Child("a-very-long-name", ["y"])
    s.add(a)
    assert s.width == 10
    s.add(b)
    assert s.width == len("a-very-long-name")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert s._prefix(a) == "             api | "
    assert s._prefix(b) == "a-very-long-name | "
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert s._prefix(a) == "\033[36m             api |\033[0m "
    assert s._prefix(b) == "\033[32ma-very-long-name |\033[0m "


async def test_output_is_prefixed(sup: Supervisor, capsys: pytest.CaptureFixture[str]) -> None:
    code = "import sys; print('hi'); print('oops', file=sys.stderr)"
    child = Child("echo", [PY, "-c", code])
    sup.add(child)
    await sup.start()
    assert child.proc is not None
    assert await asyncio.wait_for(child.proc.wait(), 15) == 0
    assert child.pump is not None
    await asyncio.wait_for(child.pump, 5)
    lines = capsys.readouterr().out.splitlines()
    # stderr is merged into the same prefixed stream.
    assert sorted(lines) == ["      echo | hi", "      echo | oops"]


async def test_children_get_the_supervisor_env(
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = Supervisor({**os.environ, "MITA_UNIT_MARK": "42"})
    child = Child("env", [PY, "-c", "import os; print(os.environ['MITA_UNIT_MARK'])"])
    s.add(child)
    await s.start()
    assert child.proc is not None
    assert await asyncio.wait_for(child.proc.wait(), 15) == 0
    await s.stop(grace=1.0)
    assert "       env | 42" in capsys.readouterr().out.splitlines()


async def test_crashed_child_restarts_then_gives_up(
    sup: Supervisor, capsys: pytest.CaptureFixture[str]
) -> None:
    child = Child("crash", [PY, "-c", "import sys; print('boom', flush=True); sys.exit(3)"])
    sup.add(child)
    await sup.start()
    stop = asyncio.Event()
    await asyncio.wait_for(sup.watch(stop), 30)
    assert stop.is_set()
    assert child.restarts == 2
    await sup.stop(grace=1.0)
    out = capsys.readouterr().out.splitlines()
    assert out.count("crash exited 3; restarting") == 2
    assert out.count("crash exited 3; giving up") == 1
    assert out.count("     crash | boom") == 3  # first run + two restarts


async def test_healthy_child_is_not_restarted(
    sup: Supervisor, capsys: pytest.CaptureFixture[str]
) -> None:
    child = Child("steady", SLEEPER)
    sup.add(child)
    await sup.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(1.2, stop.set)
    await asyncio.wait_for(sup.watch(stop), 10)
    assert child.restarts == 0
    assert child.proc is not None
    assert child.proc.returncode is None
    assert "restarting" not in capsys.readouterr().out


async def test_no_restart_while_stopping(sup: Supervisor) -> None:
    child = Child("quits", [PY, "-c", "raise SystemExit(1)"])
    sup.add(child)
    await sup.start()
    assert child.proc is not None
    first = child.proc
    await asyncio.wait_for(first.wait(), 15)
    sup.stopping = True
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(1.0, stop.set)
    await asyncio.wait_for(sup.watch(stop), 10)
    assert child.restarts == 0
    assert child.proc is first


async def test_stop_terminates_sleeping_child(sup: Supervisor) -> None:
    child = Child("sleepy", SLEEPER)
    sup.add(child)
    await sup.start()
    assert child.proc is not None
    started = time.monotonic()
    await sup.stop(grace=10.0)
    assert time.monotonic() - started < 5.0
    assert child.proc.returncode == -signal.SIGTERM
    assert sup.stopping is True
    assert child.pump is not None
    assert child.pump.done()


async def test_stop_kills_child_ignoring_sigterm(sup: Supervisor, tmp_path: Path) -> None:
    marker = tmp_path / "armed"
    code = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "pathlib.Path(sys.argv[1]).touch()\n"
        "time.sleep(60)\n"
    )
    child = Child("stubborn", [PY, "-c", code, str(marker)])
    sup.add(child)
    await sup.start()
    await wait_until(marker.exists)
    assert child.proc is not None
    started = time.monotonic()
    await sup.stop(grace=0.5)
    elapsed = time.monotonic() - started
    assert child.proc.returncode == -signal.SIGKILL
    assert 0.4 <= elapsed < 5.0


async def test_stop_before_start_is_harmless() -> None:
    s = Supervisor(dict(os.environ))
    s.add(Child("never", SLEEPER))
    await s.stop(grace=0.1)
    assert s.children[0].proc is None


async def test_wait_ready(sup: Supervisor, tmp_path: Path) -> None:
    up, up404, down = free_port(), free_port(), free_port()

    def http_server(port: int) -> list[str]:
        return [PY, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(tmp_path)]

    sup.add(Child("web", http_server(up), f"http://127.0.0.1:{up}/"))
    sup.add(Child("web404", http_server(up404), f"http://127.0.0.1:{up404}/missing"))
    sup.add(Child("dead", SLEEPER, f"http://127.0.0.1:{down}/ready"))
    sup.add(Child("noprobe", SLEEPER))
    await sup.start()
    status = await sup.wait_ready(timeout=4.0)
    assert status == {"web": "ok", "web404": "404", "dead": "starting"}


async def test_wait_ready_returns_once_all_ok(sup: Supervisor, tmp_path: Path) -> None:
    port = free_port()
    argv = [PY, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(tmp_path)]
    sup.add(Child("web", argv, f"http://127.0.0.1:{port}/"))
    await sup.start()
    started = time.monotonic()
    assert await sup.wait_ready(timeout=30.0) == {"web": "ok"}
    assert time.monotonic() - started < 15.0


async def test_wait_ready_without_probes_is_immediate(sup: Supervisor) -> None:
    sup.add(Child("plain", SLEEPER))
    started = time.monotonic()
    assert await sup.wait_ready(timeout=30.0) == {}
    assert time.monotonic() - started < 1.0


def test_said_names_a_warming_read_side() -> None:
    warming = httpx.Response(503, json={"status": "warming_up", "warming_up": ["x.y"]})
    assert said(warming) == "warming up"
    assert said(httpx.Response(503, json={"status": "degraded"})) == "503"
    assert said(httpx.Response(404, text="<html>")) == "404"
    assert said(httpx.Response(502, json=["not", "an", "object"])) == "502"
