"""A budget world on Postgres for tests: both stores, the ``budget_days`` projection and
per-store cursors, fed in either order; its rows as a comparable snapshot."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow

from services.auth.application import AuthApplication
from services.auth.passwords import check_password
from services.budget.application import BudgetApplication
from services.budget.read import history
from services.budget.read.projections import TABLES, BudgetDaysProjection
from services.budget.read.queries import grid
from services.ledger.application import LedgerApplication
from shared.envelope import EventEnvelope
from shared.projections import apply_batch, setup_tracking, tracking_table
from shared.settings import MitaSettings
from tests.helpers import ledger_app
from tests.integration.test_auth_users_projection import FastHasher
from tests.integration.test_budget_days_projection import envelopes

UTC = dt.UTC
Key = tuple[dt.date, str]
Cells = dict[Key, tuple[Decimal, Decimal]]
EVER = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))


@dataclass
class World:
    """Both write models, the projection and how far each store has been read."""

    settings: MitaSettings
    conn: AsyncConnection[DictRow]
    budget: BudgetApplication
    ledger: LedgerApplication
    projection: BudgetDaysProjection
    seen: dict[str, int] = field(default_factory=lambda: {"budget": 0, "ledger": 0})
    #: The auth store, for worlds whose users' zones come from their profiles.
    auth: AuthApplication | None = None

    async def fresh(self) -> list[EventEnvelope]:
        """Events stored since the last call, budget then ledger (then auth, if any)."""
        out: list[EventEnvelope] = []
        for service in self.seen:
            got = await envelopes(self.conn, self.settings, service, self.seen[service])
            self.seen[service] = got[-1].position if got else self.seen[service]
            out += got
        return out

    async def feed(self, *, ledger_first: bool = False) -> None:
        """Apply every new event in one batch (optionally ledger events before budget ones)."""
        events = await self.fresh()
        events.sort(key=lambda e: (e.service == "budget") == ledger_first)
        await apply_batch(self.conn, self.projection, events)

    async def cells(self, user: uuid.UUID, first: dt.date, last: dt.date) -> Cells:
        """Non-empty (day, category) → (planned, spent), through the API's grid query."""
        got = await grid(self.conn, self.projection.schema, user, first, last)
        return {(d, c): cell for d, row in got.items() for c, cell in row.items()}

    async def spent(self, user: uuid.UUID) -> dict[Key, Decimal]:
        """(day, category) → spent, where something is spent."""
        return {key: s for key, (_, s) in (await self.cells(user, *EVER)).items() if s}


async def open_world(
    settings: MitaSettings, conn: AsyncConnection[DictRow], *, with_auth: bool = False
) -> World:
    """Both stores (and auth's, ``with_auth``) and an empty read model in the schemas
    ``settings`` names."""
    budget = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(budget, BudgetApplication)
    projection = BudgetDaysProjection(settings.schema_for("budget"))
    await setup_tracking(conn, projection.schema)
    await projection.setup(conn)
    await conn.commit()
    world = World(settings, conn, budget, ledger_app(settings), projection)
    if with_auth:
        auth = AuthApplication.for_database(settings.database_url, settings.schema_for("auth"))
        assert isinstance(auth, AuthApplication)
        auth.configure(FastHasher(), check_password)
        world.auth, world.seen["auth"] = auth, 0
    return world


@asynccontextmanager
async def own_world(
    settings: MitaSettings, conn: AsyncConnection[DictRow], *, with_auth: bool = False
) -> AsyncIterator[World]:
    """A world in fresh schemas of its own (dropped afterwards)."""
    own = MitaSettings.namespaced(
        f"{settings.schema_prefix}{uuid.uuid4().hex[:6]}", settings.database_url,
        settings.kafka_bootstrap, settings.redis_url,
    )  # fmt: skip
    opened = await open_world(own, conn, with_auth=with_auth)
    try:
        yield opened
    finally:
        opened.budget.close()
        opened.ledger.close()
        if opened.auth is not None:
            opened.auth.close()
        for service in opened.seen:
            schema = own.schema_for(service)
            await conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
        await conn.commit()


async def snapshot(world: World) -> dict[str, list[str]]:
    """All read-model rows and applied positions."""
    queries = {
        t: sql.SQL("SELECT * FROM {}").format(world.projection.table(t))
        for t in (*TABLES, *history.TABLES)
    }
    queries["tracking"] = sql.SQL("SELECT service, position FROM {} WHERE projection = {}").format(
        tracking_table(world.projection.schema), sql.Literal(world.projection.name)
    )
    out: dict[str, list[str]] = {}
    for table, query in queries.items():
        rows = [dict(r) for r in await (await world.conn.execute(query)).fetchall()]
        out[table] = sorted(repr(sorted(row.items())) for row in rows)
    await world.conn.commit()
    return out
