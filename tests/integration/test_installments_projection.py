"""The installments read model against the write model (property test): after any sequence of
installment commands, each row is the installment's state, deleted ones are gone, the profile
and the calculations are there, and a rebuild from zero gives the same rows."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from services.ledger.application import LedgerApplication
from services.ledger.installments.plans_api import row_of
from services.ledger.installments.projections import InstallmentsProjection
from services.ledger.installments.queries import calculations, list_installments, profile_row
from shared.projections import apply_batch, setup_tracking
from shared.settings import MitaSettings
from shared.store import to_envelope
from tests.helpers import ledger_app

op = st.one_of(
    st.tuples(st.just("create"), st.integers(1, 12), st.integers(0, 12)),
    st.tuples(st.just("paid"), st.integers(0, 5), st.integers(0, 12)),
    st.tuples(st.just("status"), st.integers(0, 5),
              st.sampled_from(["active", "completed", "cancelled"])),
    st.tuples(st.just("notes"), st.integers(0, 5), st.sampled_from(["promo", None])),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("profile"), st.decimals(min_value=0, max_value=9000, places=2)),
    st.tuples(st.just("calculate"), st.sampled_from(["green", "red"])),
)  # fmt: skip


def run(app: LedgerApplication, user: uuid.UUID, ops: list[tuple[Any, ...]]) -> list[uuid.UUID]:
    """Apply the commands; the ids created."""
    ids: list[uuid.UUID] = []
    gone: set[uuid.UUID] = set()
    for kind, *args in ops:
        if kind == "create":
            count, made = args
            saved = app.create_installment(
                user_id=user, item_name="Phone", category="electronics",
                payment_frequency="monthly", total_amount=Decimal(count * 100),
                payment_amount=Decimal(100), interest_rate=Decimal(0), total_payments=count,
                payments_made=min(made, count), first_payment_date=dt.date(2026, 1, 31),
            )  # fmt: skip
            ids.append(saved.installment.id)
        elif kind == "profile":
            app.save_installment_profile(user, {"monthly_income": args[0]})
        elif kind == "calculate":
            app.record_calculation(user, category="other", purchase_amount=Decimal("10.00"),
                                   risk_level=args[0], total_interest=Decimal("1.50"))  # fmt: skip
        else:
            live = [i for i in ids if i not in gone]
            if not live:
                continue
            target = live[args[0] % len(live)]
            if kind == "paid":
                plan = app.owned_installment(target, user)
                app.update_installment(target, user_id=user,
                                       payments_made=min(args[1], plan.total_payments))  # fmt: skip
            elif kind == "status":
                app.update_installment(target, user_id=user, status=args[1])
            elif kind == "notes":
                app.update_installment(target, user_id=user, notes=args[1], set_notes=True)
            else:
                app.delete_installment(target, user_id=user)
                gone.add(target)
    return [i for i in ids if i not in gone]


async def project(conn: AsyncConnection[DictRow], app: LedgerApplication, schema: str) -> None:
    """Feed every stored ledger event to the projection (in batches of 4)."""
    projection = InstallmentsProjection(schema)
    await setup_tracking(conn, schema)
    await projection.setup(conn)
    await conn.commit()
    events = [to_envelope("ledger", n.id, n) for n in app.recorder.select_notifications(1, 10_000)]
    for i in range(0, len(events), 4):
        await apply_batch(conn, projection, events[i : i + 4])


@examples(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(op, min_size=1, max_size=20))
async def test_rows_are_the_installments_state(
    settings: MitaSettings, conn: AsyncConnection[DictRow], ops: list[tuple[Any, ...]]
) -> None:
    schema = f"{settings.schema_prefix}in_{uuid.uuid4().hex[:8]}"
    app = ledger_app(settings.model_copy(update={"schema_prefix": f"{schema}_"}))
    user = uuid.uuid4()
    try:
        live = run(app, user, ops)
        await project(conn, app, schema)
        want = sorted(
            (row_of(app.owned_installment(i, user)) for i in live),
            key=lambda r: (r["created_at"], str(r["id"])),
        )
        profile = app.installment_profile(user)
        runs = sum(1 for kind, *_ in ops if kind == "calculate")

        async def state() -> tuple[Any, ...]:
            rows = [{k: v for k, v in r.items() if k != "version"}
                    for r in await list_installments(conn, schema, user)]  # fmt: skip
            saved = await profile_row(conn, schema, user)
            return rows, saved and saved["fields"], len(await calculations(conn, schema, user))

        rows, fields, counted = await state()
        assert rows == want
        for found in rows:
            assert 0 <= found["payments_made"] <= found["total_payments"]
            if found["status"] == "completed":
                assert found["payments_made"] == found["total_payments"]
        assert counted == runs
        if profile is None:
            assert fields is None
        else:
            assert Decimal(str(fields["monthly_income"])) == profile.fields["monthly_income"]
        assert await list_installments(conn, schema, uuid.uuid4()) == []
        await InstallmentsProjection(schema).drop(conn)
        await conn.execute(f'DELETE FROM "{schema}".projection_applied')
        await conn.commit()
        await project(conn, app, schema)
        assert await state() == (rows, fields, counted)
    finally:
        app.close()
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_ledger" CASCADE')
        await conn.commit()
