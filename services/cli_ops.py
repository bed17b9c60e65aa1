"""``mita scheduler`` (the periodic work, leader-elected) and ``mita keys new`` (a cipher key)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from services import catalog


def add_parser(sub: Any) -> None:
    """Register the scheduler and keys commands."""
    p_sched = sub.add_parser("scheduler", help="run the periodic jobs (one leader at a time)")
    p_sched.add_argument("--poll", type=float, default=5.0, help="seconds between turns")
    p_sched.add_argument(
        "--once", action="store_true", help="run what is due now (if leading), then exit"
    )
    p_keys = sub.add_parser("keys", help="at-rest encryption keys")
    p_keys.add_subparsers(dest="action", required=True).add_parser(
        "new", help="print a new random MITA_CIPHER_KEY"
    )


async def scheduler(poll: float, once: bool) -> int:
    """Run the scheduler until signalled (or one turn)."""
    from prometheus_client import CollectorRegistry

    from services.cli import _stop_on_signals
    from services.scheduler.scheduler import Scheduler, SchedulerMetrics
    from shared import db
    from shared.metrics import ProcessWide
    from shared.observability import configure_logging, init_sentry, init_tracing
    from shared.probe import probe_app, serve_probes
    from shared.settings import MitaSettings

    settings = MitaSettings()
    configure_logging("scheduler", settings.log_level, settings.log_json)
    init_tracing("scheduler")
    init_sentry(settings.sentry_dsn, settings.environment, settings.commit)
    catalog.load_event_types()
    registry = CollectorRegistry()
    registry.register(ProcessWide())
    sched = Scheduler(
        settings, list(catalog.JOBS.values()), poll_seconds=poll, metrics=SchedulerMetrics(registry)
    )
    if once:
        async with await db.connect(settings.database_url) as conn:
            await sched.setup(conn)
        ran = await sched.run_due()
        await sched.leader.close()
        print(f"ran {ran} job(s)", flush=True)
        return 0
    stop = asyncio.Event()
    _stop_on_signals(stop)
    port = int(os.environ.get("MITA_METRICS_PORT", "0") or 0)
    probes = serve_probes(probe_app("scheduler", registry), "0.0.0.0", port, stop)
    await asyncio.gather(sched.run(stop), probes)
    return 0


def run(args: Any) -> int:
    """Dispatch a scheduler or keys command."""
    if args.cmd == "keys":
        from shared.cipherkeys import new_key

        print(new_key(), flush=True)
        return 0
    from services.cli import run_loop

    return run_loop(scheduler(args.poll, args.once))
