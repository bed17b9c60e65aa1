"""``mita events …``: analysts' tools over the event stores (the log of record) and topics."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services import catalog
from shared import db
from shared.dates import parse_day_or_instant, start_bound
from shared.settings import MitaSettings

if TYPE_CHECKING:  # the store readers load the event store library: only when used
    from shared.replay import EventFilter


def add_parser(sub: Any) -> None:
    """Declare ``mita events`` and its actions."""
    p_events = sub.add_parser("events", help="event streams: list, tail, export, replay, as-of")
    ev = p_events.add_subparsers(dest="action", required=True)
    ev.add_parser("schemas", help="export JSON Schemas").add_argument("--out")
    ev.add_parser("list", help="streams with counts by type")
    p_tail = ev.add_parser("tail", help="the last events of a service's topic")
    p_tail.add_argument("service", choices=("all", *catalog.STORE_SERVICES))
    p_tail.add_argument("-n", "--last", type=int, default=20)
    p_export = ev.add_parser("export", help="export events to JSONL or Parquet")
    p_export.add_argument("--service", default="all", choices=("all", *catalog.STORE_SERVICES))
    p_export.add_argument("--format", choices=("jsonl", "parquet"), default=None)
    p_export.add_argument("--out", required=True, help="a file (.jsonl or .parquet), - for stdout")
    _filters(p_export)
    p_replay = ev.add_parser("replay", help="fold a range into a named scratch projection")
    p_replay.add_argument("projection", choices=sorted(catalog.PROJECTIONS))
    p_replay.add_argument("--into", required=True, help="scratch name (schema scratch_<name>)")
    _filters(p_replay)
    p_drop = ev.add_parser("drop-scratch", help="drop a scratch projection")
    p_drop.add_argument("name")
    p_asof = ev.add_parser("as-of", help="a user's budget and ledger as of an instant")
    p_asof.add_argument("user", type=uuid.UUID)
    p_asof.add_argument("instant", help="ISO datetime (or a day: its end in the user's zone)")
    p_dead = ev.add_parser("dead-letters", help="dead letters not re-driven yet")
    p_dead.add_argument("--projection", choices=sorted(catalog.PROJECTIONS))
    p_redrive = ev.add_parser("redrive", help="apply one dead letter again from its store")
    p_redrive.add_argument("projection", choices=sorted(catalog.PROJECTIONS))
    p_redrive.add_argument("service", choices=catalog.STORE_SERVICES)
    p_redrive.add_argument("position", type=int)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", action="append", default=[], help="event type (repeatable)")
    parser.add_argument("--user", type=uuid.UUID)
    parser.add_argument("--since", help="ISO datetime or UTC day")
    parser.add_argument("--until", help="ISO datetime or UTC day (inclusive)")
    parser.add_argument("--after-position", type=int, default=0)
    parser.add_argument("--upto-position", type=int)


def filter_from(args: argparse.Namespace) -> EventFilter:
    """The event filter the command line gives."""
    from shared.replay import EventFilter, as_of_bound

    since = parse_day_or_instant(args.since) if args.since else None
    until = parse_day_or_instant(args.until) if args.until else None
    return EventFilter(
        types=frozenset(args.type),
        user=args.user,
        since=start_bound(since, dt.UTC),
        until=as_of_bound(until, dt.UTC) if until is not None else None,
        after=args.after_position,
        upto=args.upto_position,
    )


def run(args: argparse.Namespace) -> int:
    """Run one ``mita events`` action."""
    if args.action == "schemas":
        return schemas(args.out)
    catalog.load_event_types()
    settings = MitaSettings()
    settings.require_infra()
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: MitaSettings) -> int:
    if args.action == "tail":
        return await tail(settings, args.service, args.last)
    conn = await db.connect(settings.database_url)
    try:
        if args.action == "list":
            return await list_streams(conn, settings)
        if args.action == "export":
            return await export_cmd(conn, settings, args)
        if args.action == "replay":
            return await replay_cmd(conn, settings, args)
        if args.action == "drop-scratch":
            from shared.replay import drop_schema, scratch_schema

            schema = scratch_schema(settings, args.name)
            await drop_schema(conn, schema)
            print(f"dropped {schema}")
            return 0
        if args.action == "as-of":
            return await as_of_cmd(conn, settings, args.user, args.instant)
        if args.action == "dead-letters":
            return await dead_letters_cmd(conn, settings, args.projection)
        return await redrive_cmd(conn, settings, args.projection, args.service, args.position)
    finally:
        await conn.close()


def schemas(out: str | None) -> int:
    """Print (or write to a folder) the JSON Schema of the envelope and every event type."""
    from shared.envelope import envelope_json_schema, registry

    catalog.load_event_types()
    doc = {"envelope": envelope_json_schema(), "events": registry.schemas()}
    if out is None:
        print(json.dumps(doc, indent=2, default=str))
        return 0
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "envelope.json").write_text(json.dumps(doc["envelope"], indent=2, default=str))
    for name, schema in doc["events"].items():
        (folder / f"{name}.json").write_text(json.dumps(schema, indent=2, default=str))
    print(f"wrote {len(doc['events']) + 1} schemas to {folder}")
    return 0


async def list_streams(conn: Any, settings: MitaSettings) -> int:
    """Print each stream: topic, events, head and counts by type."""
    from services.ops.views import streams

    for stream in await streams(conn, settings):
        print(f"{stream['service']:<14} {stream['topic']:<32} {stream['events']:>9} events  "
              f"head {stream['head']}")  # fmt: skip
        for name, count in stream["types"].items():
            print(f"    {name:<44} {count:>9}")
    return 0


async def tail(settings: MitaSettings, service: str, last: int) -> int:
    """Print the last events a service's topic (or every topic) holds, one JSON line each."""
    from services.ops.views import event_view
    from shared import kafka
    from shared.envelope import EventEnvelope

    names = list(catalog.STORE_SERVICES) if service == "all" else [service]
    topics = [settings.topic_for(s) for s in names]
    records = await kafka.read_topics(settings.kafka_bootstrap, topics, last=last)
    for record in records:
        print(json.dumps(event_view(EventEnvelope.from_bytes(record.value)), default=str))
    print(f"{len(records)} event(s) from {', '.join(topics)}", file=sys.stderr)
    return 0


async def export_cmd(conn: Any, settings: MitaSettings, args: argparse.Namespace) -> int:
    """Write the filtered events to a file, with a progress bar and a final count."""
    from shared.export import JsonlSink, ParquetSink, Sink, export

    services = list(catalog.STORE_SERVICES) if args.service == "all" else [args.service]
    fmt = args.format or ("parquet" if args.out.endswith(".parquet") else "jsonl")
    flt = filter_from(args)
    sink: Sink
    if fmt == "parquet":
        if args.out == "-":
            print("parquet needs a file (--out events.parquet)", file=sys.stderr)
            return 2
        sink = ParquetSink(Path(args.out))
        count = await export(conn, settings, services, flt, sink, show_progress=True)
    elif args.out == "-":
        count = await export(conn, settings, services, flt, JsonlSink(sys.stdout))
    else:
        sink = JsonlSink(Path(args.out))
        count = await export(conn, settings, services, flt, sink, show_progress=True)
    print(f"exported {count} event(s) to {args.out} ({fmt})", file=sys.stderr)
    return 0


async def replay_cmd(conn: Any, settings: MitaSettings, args: argparse.Namespace) -> int:
    """Fold the filtered events into a scratch copy of a projection."""
    from shared.projections import Projection
    from shared.rebuild import text_progress, timed
    from shared.replay import replay_into, scratch_schema

    async with catalog.PROJECTIONS[args.projection].opened(settings) as projection:
        pass  # a projection holds nothing open; a policy is refused below
    if not isinstance(projection, Projection) or not projection.rebuildable:
        print(f"{args.projection} is a policy: it decides, it does not replay", file=sys.stderr)
        return 2
    try:
        schema = scratch_schema(settings, args.into)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    elapsed = timed()
    count = await replay_into(
        conn, settings, projection.on_schema(schema), filter_from(args),
        progress=text_progress(args.projection),
    )  # fmt: skip
    secs = elapsed()
    print(f"replayed {count} event(s) into {schema} in {secs:.2f}s")
    return 0


async def as_of_cmd(conn: Any, settings: MitaSettings, user: uuid.UUID, instant: str) -> int:
    """Print a user's budget and ledger as they stood at ``instant`` (JSON)."""
    from psycopg import errors

    from services.budget.read.asof import budget_as_of
    from services.budget.read.placement import zone
    from services.budget.read.queries import user_timezone
    from services.ledger.asof import ledger_as_of
    from shared import jsonutil
    from shared.replay import as_of_bound

    try:
        name = await user_timezone(conn, settings.schema_for("budget"), user)
    except errors.UndefinedTable:  # no budget read model yet: the zone is unknown
        await conn.rollback()
        name = None
    until = as_of_bound(parse_day_or_instant(instant), zone(name))
    folds = []
    for fold in (budget_as_of, ledger_as_of):
        own = await db.connect(settings.database_url)  # its temporary tables vanish with it
        try:
            folds.append(await fold(own, settings, user, until))
        finally:
            await own.close()
    doc = {"user_id": str(user), "as_of": until, "budget": folds[0], "ledger": folds[1]}
    print(jsonutil.dumps(doc).decode())
    return 0


async def dead_letters_cmd(conn: Any, settings: MitaSettings, projection: str | None) -> int:
    """Print the dead letters not re-driven yet."""
    from shared.deadletters import pending

    names = [projection] if projection else list(catalog.PROJECTIONS)
    found = 0
    for name in names:
        async with catalog.PROJECTIONS[name].opened(settings) as consumer:
            letters = await pending(conn, settings, consumer)
        for letter in letters:
            found += 1
            print(f"{letter.projection:<26} {letter.service}@{letter.position:<8} "
                  f"{letter.type or '?':<40} {letter.error or ''}")  # fmt: skip
    print(f"{found} dead letter(s)", file=sys.stderr)
    return 0


async def redrive_cmd(
    conn: Any, settings: MitaSettings, projection: str, service: str, position: int
) -> int:
    """Apply one dead letter again."""
    from shared.deadletters import NotDeadLettered, RedriveFailed, redrive

    try:
        async with catalog.PROJECTIONS[projection].opened(settings) as consumer:
            await redrive(conn, settings, consumer, service, position)
    except (NotDeadLettered, RedriveFailed) as exc:
        print(f"not re-driven: {exc}", file=sys.stderr)
        return 1
    print(f"re-drove {service}@{position} into {projection}")
    return 0
