"""``mita`` command: run the suite, services and workers; manage events and projections."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services import catalog, cli_events, cli_ops
from shared import db
from shared.observability import configure_logging, init_sentry, init_tracing
from shared.settings import SERVICES, MitaSettings, Topology

if TYPE_CHECKING:
    from shared.embedded import Servers


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """Run a long-lived process's main coroutine on uvloop where it is installed."""
    try:
        import uvloop
    except ImportError:  # e.g. Windows: the standard loop
        return asyncio.run(main)
    return uvloop.run(main)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve(services: list[str]) -> int:
    """Run HTTP services with uvicorn, each on its own port, all in this process."""
    import uvicorn

    class Quiet(uvicorn.Server):
        """A server that leaves signals to the process (it stops every server at once)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    settings = Topology()
    configure_logging("+".join(services), settings.log_level, settings.log_json)
    servers = [
        Quiet(
            uvicorn.Config(
                catalog.BY_SERVICE[service].create_app(),
                host=settings.host,
                port=settings.port_of(service),
                log_config=None,
                access_log=False,
                timeout_keep_alive=settings.http_keep_alive_seconds,
            )
        )
        for service in services
    ]
    stop = asyncio.Event()
    _stop_on_signals(stop)

    async def stopper() -> None:
        await stop.wait()
        for server in servers:
            server.should_exit = True

    watcher = asyncio.create_task(stopper())
    try:
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        watcher.cancel()
    return 0


async def worker(
    services: list[str], projection: str | None = None, with_scheduler: bool = False
) -> int:
    """Run services' relays and projections (or one projection) in this process until
    signalled; ``with_scheduler`` runs the periodic jobs here too (dev: one process less)."""
    from shared.relay import Relay
    from shared.runner import ProjectionRunner
    from shared.wake import Wakeups

    settings = MitaSettings()
    settings.require_infra()
    wakeups = Wakeups(settings.database_url)  # one LISTEN connection for the whole process
    name = f"{'+'.join(services)}-worker"
    configure_logging(name, settings.log_level, settings.log_json)
    init_tracing(name)
    init_sentry(settings.sentry_dsn, settings.environment, settings.commit)
    catalog.load_event_types()
    stop = asyncio.Event()
    _stop_on_signals(stop)
    tasks: list[Coroutine[Any, Any, Any]] = []
    relays: list[Relay] = []
    if projection is None:
        specs = []
        for service in services:
            # Creating the application creates its schema and events table.
            catalog.application_class(service).for_database(
                settings.database_url, settings.schema_for(service)
            ).close()
            relays.append(Relay(settings, service, wakeups))
            specs += catalog.projections_of(service)
    else:
        specs = [catalog.PROJECTIONS[projection]]
    runners = [ProjectionRunner(settings, spec.build(settings), wakeups) for spec in specs]
    tasks += [r.run(stop) for r in relays] + [r.run(stop) for r in runners]
    if with_scheduler:
        from services.scheduler.scheduler import Scheduler

        tasks.append(Scheduler(settings, list(catalog.JOBS.values())).run(stop))
    port = int(os.environ.get("MITA_METRICS_PORT", "0") or 0)
    if port:
        from shared.probe import probe_app, serve_probes, worker_registry

        registry, collector = worker_registry(relays, runners)
        tasks.append(serve_probes(probe_app(name, registry), "0.0.0.0", port, stop))
        tasks.append(collector.keep_fresh(settings, stop, 10.0))
    try:
        await asyncio.gather(*tasks)
    finally:
        await wakeups.close()
    return 0


async def relay_only(service: str) -> int:
    """Run only the relay of one service."""
    from shared.relay import Relay

    settings = MitaSettings()
    settings.require_infra()
    configure_logging(f"{service}-relay", settings.log_level, settings.log_json)
    catalog.load_event_types()
    stop = asyncio.Event()
    _stop_on_signals(stop)
    await Relay(settings, service).run(stop)
    return 0


async def projections_cmd(action: str, name: str | None, in_place: bool = False) -> int:
    """``projections rebuild <name>`` (blue/green unless ``in_place``) or ``status``."""
    from shared.bluegreen import rebuild_blue_green
    from shared.projections import Projection
    from shared.rebuild import rebuild, status, text_progress, timed

    settings = MitaSettings()
    settings.require_infra()
    catalog.load_event_types()
    conn = await db.connect(settings.database_url)
    try:
        if action == "rebuild":
            if name not in catalog.PROJECTIONS:
                print(f"unknown projection {name!r}; known: {', '.join(catalog.PROJECTIONS)}")
                return 2
            projection = catalog.PROJECTIONS[name].build(settings)
            if not isinstance(projection, Projection) or not projection.rebuildable:
                print(f"{name} is a policy: its decisions are history and are not rebuilt")
                return 2
            elapsed = timed()
            progress = text_progress(name)
            if in_place:
                count = await rebuild(conn, settings, projection, progress=progress)
            else:
                count = await rebuild_blue_green(
                    conn, settings, projection, progress=progress,
                    phase=lambda phase: print(f"{name}: {phase}", file=sys.stderr),
                )  # fmt: skip
            secs = elapsed()
            rate = count / secs if secs else 0.0
            print(f"rebuilt {name}: {count} events in {secs:.2f}s ({rate:,.0f} events/s)")
            return 0
        header = ("projection", "source", "head", "applied", "lag", "lag_s")
        print("{:<26} {:<14} {:>8} {:>8} {:>6} {:>8}".format(*header))
        for spec in catalog.PROJECTIONS.values():
            for st in await status(conn, settings, spec.build(settings)):
                print(
                    f"{st.projection:<26} {st.service:<14} {st.head:>8} {st.applied:>8} "
                    f"{st.lag_events:>6} {st.lag_seconds:>8.2f}"
                )
        return 0
    finally:
        await conn.close()


async def up(exit_when_ready: bool = False, split: bool = False) -> int:
    """Start embedded servers (unless configured), every service and worker; stop on Ctrl-C."""
    from shared.embedded import servers
    from shared.rebuild import timed
    from shared.supervisor import Child, Supervisor

    settings = Topology()
    began = timed()
    data = Path(settings.data_dir).resolve()
    with servers(
        data,
        database_url=settings.database_url,
        kafka_bootstrap=settings.kafka_bootstrap,
        redis_url=settings.redis_url,
        redis_port=settings.embedded_redis_port,
        kafka_port=settings.embedded_kafka_port,
    ) as found:
        env = {
            **os.environ,
            "MITA_DATABASE_URL": found.database_url,
            "MITA_REDIS_URL": found.redis_url,
            "MITA_KAFKA_BOOTSTRAP": found.kafka_bootstrap,
        }
        print(
            f"infra: postgres={found.database_url} redis={found.redis_url} "
            f"kafka={found.kafka_bootstrap} (embedded: {', '.join(found.started) or 'none'})",
            flush=True,
        )
        sup = Supervisor(env)
        cli = [sys.executable, "-m", "services.cli"]
        ready = {s: f"{settings.url_of(s)}/ready" for s in SERVICES}
        if split:  # one process per service and per worker, as in production
            for service in SERVICES:
                sup.add(Child(service, [*cli, "serve", service], ready[service]))
            for service in catalog.STORE_SERVICES:
                sup.add(Child(f"{service}-worker", [*cli, "worker", service]))
            sup.add(Child("scheduler", [*cli, "scheduler"]))
        else:  # dev: every HTTP service in one process, every relay and consumer in another
            sup.add(Child("services", [*cli, "serve", *SERVICES], probes=tuple(ready.items())))
            workers = [*cli, "worker", "--scheduler", *catalog.STORE_SERVICES]
            sup.add(Child("workers", workers))
        print(f"processes: {', '.join(c.name for c in sup.children)}", flush=True)
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await sup.start()
        ready = await sup.wait_ready()
        print("\nMITA health summary", flush=True)
        for name, state in ready.items():
            print(f"  {name:<10} {state:<9} {settings.url_of(name)}", flush=True)
        all_ok = all(v == "ok" for v in ready.values())
        print(
            f"gateway: {settings.url_of('gateway')}  "
            f"({'all ready' if all_ok else 'NOT READY'} after {began():.1f}s)\n",
            flush=True,
        )
        if exit_when_ready:
            stop.set()
        guard = asyncio.create_task(_revive_embedded(found, stop))
        await sup.watch(stop)
        guard.cancel()
        await sup.stop()
        return 0 if all_ok else 1


async def _revive_embedded(found: Servers, stop: asyncio.Event, every: float = 2.0) -> None:
    """Restart an embedded server that died (and say so) until ``stop``."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if not stop.is_set():
            for line in await asyncio.to_thread(found.revive):
                print(line, flush=True)


async def budget_rollover() -> int:
    """Plan every onboarded user's current local month that is not planned yet."""
    from services.budget.rollover import roll_over

    planned = await roll_over(MitaSettings())
    print(f"planned {planned} month(s)", flush=True)
    return 0


async def settle_challenges() -> int:
    """Record the challenge attempts measured completed (their notifications follow)."""
    from services.budget.challenges.settle import settle

    recorded = await settle(MitaSettings())
    print(f"recorded {recorded} completed challenge(s)", flush=True)
    return 0


async def insights_refit() -> int:
    """Refit the behavioural clusters and store the model."""
    from services.insights.refit import refit

    model, position = await refit(MitaSettings())
    sizes = ", ".join(f"{k} {v}" for k, v in sorted(model.sizes.items()))
    state = "stored" if position else "unchanged"
    print(f"clusters {model.version} ({state}): {model.users} users: {sizes}", flush=True)
    return 0


def iap_receipt(platform: str, product: str, days: int, transaction: str) -> int:
    """Print a receipt the local test store signs with this deployment's key."""
    from services.auth.premium.verifier import LocalVerifier, local_key
    from services.auth.settings import AuthSettings

    now = dt.datetime.now(dt.UTC)
    store = LocalVerifier(local_key(AuthSettings().iap_local_key_secret()))
    print(store.issue(platform=platform, transaction_id=transaction or uuid.uuid4().hex,
                      product_id=product, purchased_at=now,
                      expires_at=now + dt.timedelta(days=days)))  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mita`` command."""
    parser = argparse.ArgumentParser(prog="mita", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="start everything (embedded servers unless configured)")
    p_up.add_argument("--exit-when-ready", action="store_true", help="stop once all are ready")
    p_up.add_argument(
        "--split", action="store_true", help="one process per service and worker (as in prod)"
    )
    sub.add_parser("serve", help="run HTTP services in one process").add_argument(
        "service", nargs="+", choices=SERVICES
    )
    p_worker = sub.add_parser("worker", help="run services' relays and projections")
    p_worker.add_argument("service", nargs="+", choices=catalog.STORE_SERVICES)
    p_worker.add_argument("--scheduler", action="store_true", help="run the periodic jobs too")
    sub.add_parser("relay", help="run one relay").add_argument(
        "service", choices=catalog.STORE_SERVICES
    )
    sub.add_parser("project", help="run one projection").add_argument(
        "projection", choices=sorted(catalog.PROJECTIONS)
    )
    cli_events.add_parser(sub)
    cli_ops.add_parser(sub)
    p_proj = sub.add_parser("projections", help="projection tools")
    pr_sub = p_proj.add_subparsers(dest="action", required=True)
    p_rebuild = pr_sub.add_parser("rebuild", help="rebuild from the event store (blue/green)")
    p_rebuild.add_argument("name")
    p_rebuild.add_argument(
        "--in-place", action="store_true", help="empty the live tables first (no blue/green)"
    )
    pr_sub.add_parser("status", help="position vs. head of each source")
    p_insights = sub.add_parser("insights", help="insights commands")
    p_insights.add_subparsers(dest="action", required=True).add_parser(
        "refit", help="refit the behavioural clusters"
    )
    p_budget = sub.add_parser("budget", help="budget commands")
    bu_sub = p_budget.add_subparsers(dest="action", required=True)
    bu_sub.add_parser("rollover", help="plan every onboarded user's current month if missing")
    bu_sub.add_parser("settle-challenges", help="record the challenges measured completed")
    p_admin = sub.add_parser("admin", help="grant or revoke the admin scope of an account")
    p_admin.add_argument("action", choices=("grant", "revoke"))
    p_admin.add_argument("email")
    p_iap = sub.add_parser("iap-receipt", help="issue a receipt of the local test store (QA)")
    p_iap.add_argument("--platform", choices=("ios", "android"), default="ios")
    p_iap.add_argument("--product", default="mita_premium_monthly")
    p_iap.add_argument("--days", type=int, default=30)
    p_iap.add_argument("--transaction", default="")
    args = parser.parse_args(argv)

    if args.cmd == "admin":
        from services.cli_admin import admin_cmd

        return asyncio.run(admin_cmd(args.action, args.email))
    if args.cmd == "iap-receipt":
        return iap_receipt(args.platform, args.product, args.days, args.transaction)
    if args.cmd == "up":
        return asyncio.run(up(args.exit_when_ready, args.split))
    if args.cmd == "serve":
        return run_loop(serve(list(dict.fromkeys(args.service))))
    if args.cmd == "worker":
        return run_loop(worker(list(dict.fromkeys(args.service)), None, args.scheduler))
    if args.cmd == "relay":
        return run_loop(relay_only(args.service))
    if args.cmd == "project":
        spec = catalog.PROJECTIONS[args.projection]
        return run_loop(worker([spec.owner], args.projection))
    if args.cmd == "events":
        return cli_events.run(args)
    if args.cmd in ("scheduler", "keys"):
        return cli_ops.run(args)
    if args.cmd == "budget":
        return asyncio.run(budget_rollover() if args.action == "rollover" else settle_challenges())
    if args.cmd == "insights":
        return asyncio.run(insights_refit())
    name = getattr(args, "name", None)
    return asyncio.run(projections_cmd(args.action, name, getattr(args, "in_place", False)))


if __name__ == "__main__":
    sys.exit(main())
