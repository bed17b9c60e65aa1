"""Smoke: `make run` boots the embedded mode from nothing and every service reports ready."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from services import catalog
from shared.embedded import free_port
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["", " --split"], ids=["shared", "split"])
def test_make_run_embedded_mode_all_ready(tmp_path: Path, layout: str) -> None:
    """No MITA_* servers configured: Postgres, Valkey and Tansu start embedded; all ready,
    with the services and workers in two processes (dev) or one process each (``--split``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITA_")}
    env.update(
        MITA_DATA_DIR=str(tmp_path / "var"),
        MITA_EMBEDDED_REDIS_PORT=str(free_port()),
        MITA_EMBEDDED_KAFKA_PORT=str(free_port()),
        MITA_LOG_LEVEL="WARNING",
    )
    for service in SERVICES:
        env[f"MITA_{service.upper()}_PORT"] = str(free_port())
    done = subprocess.run(
        ["make", "--no-print-directory", "run", f"MITA_UP_FLAGS=--exit-when-ready{layout}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "all ready" in out
    summary = out[out.index("MITA health summary") :]
    for service in SERVICES:
        assert f"{service:<10} ok" in summary, summary
    assert f"redis://127.0.0.1:{env['MITA_EMBEDDED_REDIS_PORT']}" in out
    assert f"kafka=127.0.0.1:{env['MITA_EMBEDDED_KAFKA_PORT']}" in out
    assert (tmp_path / "var" / "pg" / "PG_VERSION").exists(), "Postgres data lives in the data dir"
    split = [*SERVICES, *(f"{s}-worker" for s in catalog.STORE_SERVICES), "scheduler"]
    assert f"processes: {', '.join(split if layout else ['services', 'workers'])}\n" in out
