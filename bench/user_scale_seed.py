"""One heavy user for the user-scale phase: auth account, budget plans and ledger history.

Everything goes through the real write models (``AuthApplication``, ``BudgetApplication``,
``LedgerApplication``), in the namespace's own schemas: the account is registered first, the
onboarding is submitted next (so every transaction's event is later than the user's timezone
and the budget read model places it on its Europe/Sofia day), every month back to the first
one is planned as rollover would, and then the transactions are saved in batches.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import random
import time
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contracts.ledger import CATEGORIES
from services.auth.application import AuthApplication
from services.auth.passwords import PasswordHasher, check_password
from services.budget.application import BudgetApplication
from services.ledger.application import LedgerApplication
from services.ledger.domain import Transaction
from shared.settings import MitaSettings

TIMEZONE = "Europe/Sofia"
MONTHS = 36  # three years, ending with the current (user-local) month
CURRENCY = "EUR"
PASSWORD = "bench user correct horse battery staple"  # noqa: S105 - a throwaway bench account
ANSWERS: dict[str, Any] = {
    "region": "BG",
    "income": {"monthly_income": "3200.00", "additional_income": "250.00"},
    "fixed_expenses": {"rent": "850.00", "utilities": "140.00", "insurance": "45.00"},
    "spending_habits": {
        "dining_out_per_month": 8,
        "entertainment_per_month": 4,
        "clothing_per_month": 2,
        "travel_per_year": 2,
        "coffee_per_week": 6,
        "transport_per_month": 40,
    },
    "goals": {"savings_goal_amount_per_month": "400.00", "savings_goal_type": "emergency_fund"},
}
AMEND_EVERY = 50  # a 2 % share of the history corrected afterwards ...
DELETE_EVERY = 200  # ... and 0.5 % deleted (amended first when both)
BATCH = 500


@dataclass(frozen=True)
class Spend:
    """A kind of everyday purchase: how often (relative weight), how much (cents), where."""

    category: str
    weight: float
    lo: int
    hi: int
    merchants: tuple[str, ...]


SPENDS = (
    Spend("groceries", 20, 350, 12_000, ("Lidl", "Kaufland", "Billa", "Fantastico")),
    Spend("coffee", 15, 180, 650, ("Costa Coffee", "Starbucks", "Dabov", "Fabrika Daga")),
    Spend("dining", 12, 900, 8_500, ("Happy Bar & Grill", "Made in Home", "Skaptoburger")),
    Spend("food", 5, 250, 2_500, ("Bakery Dimitrov", "Corner Shop")),
    Spend("public_transport", 8, 160, 800, ("Sofia Metro", "Urban Mobility Center")),
    Spend("taxi", 4, 600, 3_500, ("Yellow Taxi", "OK Supertrans", "Bolt")),
    Spend("gas", 5, 4_000, 9_500, ("Shell", "OMV", "Lukoil")),
    Spend("transportation", 2, 200, 4_000, ("Parking Sofia", "Car Wash Express")),
    Spend("shopping", 7, 500, 15_000, ("eMAG", "Technopolis", "IKEA", "Mall of Sofia")),
    Spend("clothing", 4, 1_500, 12_000, ("H&M", "Zara", "Decathlon")),
    Spend("entertainment", 5, 800, 6_000, ("Cinema City", "Ticketstation", "Steam")),
    Spend("healthcare", 2, 500, 9_000, ("Sofia Med", "Pharmacy Subra", "Dental Care")),
    Spend("personal_care", 3, 800, 6_000, ("dm", "Lilly Drogerie", "Barber Shop")),
    Spend("pets", 2, 600, 7_000, ("Pet Planet", "Vet Clinic")),
    Spend("gifts", 1.5, 1_500, 10_000, ("Ozone.bg", "Flower Shop")),
    Spend("education", 1, 1_000, 20_000, ("Udemy", "Helikon Books")),
    Spend("travel", 1.5, 3_000, 60_000, ("Booking.com", "Wizz Air", "BDZ Rail")),
    Spend("charity", 0.5, 500, 5_000, ("Red Cross", "Animal Rescue Sofia")),
    Spend("childcare", 0.5, 2_000, 15_000, ("Kindergarten Slance",)),
    Spend("other", 2, 100, 5_000, ("Post Office", "Kiosk")),
)
# (category, day of month, lowest and highest cents, merchant): the monthly bills.
RECURRING = (
    ("rent", 1, 85_000, 85_000, "Landlord"),
    ("utilities", 5, 6_000, 14_000, "Toplofikatsia"),
    ("utilities", 12, 2_500, 4_500, "Vivacom"),
    ("insurance", 10, 4_500, 4_500, "Allianz"),
    ("subscriptions", 15, 1_199, 1_199, "Netflix"),
    ("subscriptions", 20, 599, 599, "Spotify"),
)
assert {s.category for s in SPENDS} | {r[0] for r in RECURRING} <= CATEGORIES


@dataclass(frozen=True)
class Seeded:
    """The seeded user and what the stores hold for it."""

    user_id: uuid.UUID
    token_version: int
    first_day: dt.date
    today: dt.date
    recorded: int
    amended: int
    deleted: int
    live_total: Decimal
    ledger_events: int
    budget_events: int
    auth_events: int
    plans: int
    seconds: float
    ledger_seconds: float

    @property
    def live(self) -> int:
        """Transactions not deleted."""
        return self.recorded - self.deleted

    def describe(self) -> str:
        """What was seeded, in one line."""
        return (
            f"{self.recorded:,} recorded + {self.amended:,} amended + {self.deleted:,} deleted, "
            f"{self.first_day}..{self.today} {TIMEZONE}, {self.plans} monthly plans"
        )


def month_start(today: dt.date, back: int) -> dt.date:
    """The first day of the month ``back`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def cents(rng: random.Random, lo: int, hi: int) -> Decimal:
    """An exact money amount between two cent values (skewed towards the low end)."""
    value = lo + int((hi - lo) * rng.random() ** 2)
    return Decimal(value).scaleb(-2)


def recurring_on(day: dt.date) -> list[tuple[str, int, int, str]]:
    """The monthly bills due on ``day`` (a bill past the month's last day falls on it)."""
    last = calendar.monthrange(day.year, day.month)[1]
    return [(c, lo, hi, m) for c, d, lo, hi, m in RECURRING if min(d, last) == day.day]


def spread(total: int, days: list[dt.date]) -> list[int]:
    """Split ``total`` purchases over the days (weekends a third busier), summing exactly."""
    weights = [1.35 if d.weekday() >= 5 else 1.0 for d in days]
    cumulative = list(itertools.accumulate(weights))
    marks = [0] + [round(total * c / cumulative[-1]) for c in cumulative]
    return [b - a for a, b in itertools.pairwise(marks)]


def history(user: uuid.UUID, n: int, now: dt.datetime, rng: random.Random) -> Iterator[Transaction]:
    """``n`` transactions over the last ``MONTHS`` user-local months, oldest first."""
    tz = zoneinfo.ZoneInfo(TIMEZONE)
    local_now = now.astimezone(tz)
    today = local_now.date()
    first = month_start(today, MONTHS - 1)
    days = [first + dt.timedelta(days=k) for k in range((today - first).days + 1)]
    bills = {d: recurring_on(d) for d in days}
    n_bills = min(sum(len(b) for b in bills.values()), n)
    counts = spread(n - n_bills, days)
    weights = [s.weight for s in SPENDS]
    made = 0
    for day, count in zip(days, counts, strict=True):
        start = dt.datetime.combine(day, dt.time(7), tzinfo=tz)
        seconds = 16 * 3600
        if day == today:  # nothing in the future: today's purchases happened before now
            start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
            seconds = max(int((local_now - start).total_seconds()), 1)
        moments = sorted(start + dt.timedelta(seconds=rng.randrange(seconds)) for _ in range(count))
        bill_time = dt.datetime.combine(day, dt.time(9), tzinfo=tz)
        if bill_time > local_now:
            bill_time = start + dt.timedelta(seconds=seconds // 2)
        for category, lo, hi, merchant in bills[day]:
            if made >= n:
                return
            made += 1
            yield Transaction.record(
                transaction_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                user_id=user,
                amount=cents(rng, lo, hi),
                currency=CURRENCY,
                category=category,
                spent_at=bill_time,
                description=f"{merchant} monthly",
                merchant=merchant,
                is_recurring=True,
            )
        for moment, spend in zip(moments, rng.choices(SPENDS, weights, k=count), strict=True):
            if made >= n:
                return
            made += 1
            merchant = rng.choice(spend.merchants)
            yield Transaction.record(
                transaction_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                user_id=user,
                amount=cents(rng, spend.lo, spend.hi),
                currency=CURRENCY,
                category=spend.category,
                spent_at=moment,
                description=f"{merchant} {spend.category.replace('_', ' ')}",
                merchant=merchant,
                location="Sofia" if rng.random() < 0.3 else None,
                tags=["work"] if rng.random() < 0.05 else None,
            )


def register(settings: MitaSettings, now: dt.datetime) -> tuple[uuid.UUID, int, int]:
    """Register the account as ``POST /auth/register`` does; (user id, token version, events)."""
    app = AuthApplication.for_database(settings.database_url, settings.schema_for("auth"))
    assert isinstance(app, AuthApplication)
    try:
        app.configure(PasswordHasher(), check_password)
        saved = app.register(
            email=f"bench-{uuid.uuid4().hex[:12]}@example.com",
            password=PASSWORD,
            profile={"name": "Bench User", "country": "BG", "timezone": TIMEZONE},
            annual_income=Decimal("38400.00"),
            now=now,
        )
        return saved.user.id, saved.user.token_version, app.head_position()
    finally:
        app.close()


def onboard(settings: MitaSettings, user: uuid.UUID, today: dt.date) -> tuple[int, int]:
    """Submit the onboarding today and plan every earlier month (rollover); (plans, events)."""
    app = BudgetApplication.for_database(settings.database_url, settings.schema_for("budget"))
    assert isinstance(app, BudgetApplication)
    try:
        app.submit_onboarding(user, ANSWERS, TIMEZONE, today)
        plans = 2  # this month and the next
        for back in range(1, MONTHS):
            first = month_start(today, back)
            plans += app.ensure_month(user, first.year, first.month) > 0
        return plans, app.head_position()
    finally:
        app.close()


@dataclass
class Changes:
    """Amends and deletes applied so far, and what they did to the live total."""

    amended: int = 0
    deleted: int = 0
    delta: Decimal = Decimal("0.00")

    def apply(self, txs: list[tuple[int, Transaction]], user: uuid.UUID) -> list[Transaction]:
        """Amend every ``AMEND_EVERY``th and delete every ``DELETE_EVERY``th of ``txs``."""
        out = []
        for i, tx in txs:
            amend, delete = i % AMEND_EVERY == AMEND_EVERY - 1, i % DELETE_EVERY == DELETE_EVERY - 1
            if not (amend or delete):
                continue
            before = tx.amount
            if amend:
                tx.amend(user_id=user, amount=tx.amount + Decimal("1.50"), notes="corrected")
                self.amended += 1
            if delete:
                tx.delete(user_id=user)
                self.deleted += 1
            self.delta += (Decimal(0) if delete else tx.amount) - before
            out.append(tx)
        return out


def seed_user(settings: MitaSettings, n: int, seed: int = 20_240_601) -> Seeded:
    """Seed the user's account, budget and ``n`` transactions (each batch's changes later)."""
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(zoneinfo.ZoneInfo(TIMEZONE)).date()
    user, token_version, auth_events = register(settings, now)
    plans, budget_events = onboard(settings, user, today)
    rng = random.Random(seed)
    ledger_started = time.perf_counter()
    app = LedgerApplication.for_database(settings.database_url, settings.schema_for("ledger"))
    assert isinstance(app, LedgerApplication)
    recorded, changes = 0, Changes()
    recorded_total = Decimal("0.00")
    try:
        previous: list[tuple[int, Transaction]] = []
        stream = enumerate(history(user, n, dt.datetime.now(dt.UTC), rng))
        while batch := list(itertools.islice(stream, BATCH)):
            app.save(*(tx for _, tx in batch))
            recorded += len(batch)
            recorded_total += sum((tx.amount for _, tx in batch), Decimal("0.00"))
            if changed := changes.apply(previous, user):
                app.save(*changed)
            previous = batch
        if changed := changes.apply(previous, user):
            app.save(*changed)
        ledger_events = app.head_position()
    finally:
        app.close()
    return Seeded(
        user_id=user,
        token_version=token_version,
        first_day=month_start(today, MONTHS - 1),
        today=today,
        recorded=recorded,
        amended=changes.amended,
        deleted=changes.deleted,
        live_total=recorded_total + changes.delta,
        ledger_events=ledger_events,
        budget_events=budget_events,
        auth_events=auth_events,
        plans=plans,
        seconds=time.perf_counter() - started,
        ledger_seconds=time.perf_counter() - ledger_started,
    )
