"""The public stack in-process: gateway → auth and ledger over ASGI, with their relays and
projections."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.auth.mail import SentMail, read_outbox
from services.auth.main import create_app as create_auth
from services.auth.premium.projections import PremiumProjection
from services.auth.projections import UsersProjection
from services.auth.settings import AuthSettings
from services.auth.shredder import KeyShredder
from services.budget.challenges.projections import ChallengesProjection
from services.budget.habits.projections import HabitsProjection
from services.budget.main import create_app as create_budget
from services.budget.process.commitments import CommitmentsPolicy
from services.budget.process.policy import RedistributionPolicy
from services.budget.read.projections import BudgetDaysProjection
from services.budget.settings import BudgetSettings
from services.gateway.main import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.insights.main import create_app as create_insights
from services.insights.read import projections as insights_read
from services.insights.settings import InsightsSettings
from services.ledger.goals.policy import GoalLinking
from services.ledger.goals.projections import GoalsProjection
from services.ledger.installments.projections import InstallmentsProjection
from services.ledger.main import create_app as create_ledger
from services.ledger.projections import TransactionsProjection
from services.ledger.projections import UsersProjection as LedgerUsersProjection
from services.ledger.receipts import ReceiptLinksProjection, ReceiptRecording
from services.ledger.settings import LedgerSettings
from services.notifications.main import create_app as create_notifications
from services.notifications.process import FanoutPolicy, PushPolicy
from services.notifications.projections import InboxProjection
from services.notifications.settings import NotificationsSettings
from services.ocr.main import create_app as create_ocr
from services.ocr.process.worker import ReadingWorker
from services.ocr.read.projections import ReceiptsProjection
from services.ocr.settings import OcrSettings
from services.ops.main import create_app as create_ops
from services.ops.settings import OpsSettings
from shared.relay import Relay
from shared.runner import ProjectionRunner
from shared.wake import Wakeups
from tests.conftest import Infra, random_prefix

STRONG_PASSWORD = "correct horse battery staple"


@dataclass
class Stack:
    """A running public API and what the tests need to reach behind it."""

    client: httpx.AsyncClient
    gateway: FastAPI
    auth: FastAPI
    auth_settings: AuthSettings
    gateway_settings: GatewaySettings
    ledger: FastAPI
    ledger_settings: LedgerSettings
    ocr_settings: OcrSettings | None = None

    def outbox(self) -> list[SentMail]:
        """Mails the auth service sent."""
        return read_outbox(self.auth_settings.mail_outbox)

    async def register(self, email: str | None = None, **extra: Any) -> dict[str, Any]:
        """Register a fresh user; return the response data plus the password used."""
        email = email or f"u{uuid.uuid4().hex[:12]}@example.com"
        body = {"email": email, "password": STRONG_PASSWORD, **extra}
        answer = await self.client.post("/api/auth/register", json=body)
        assert answer.status_code == 201, answer.text
        data: dict[str, Any] = answer.json()["data"]
        data["email"] = email
        data["password"] = body["password"]
        return data

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        """Authorization header for a token."""
        return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run an app's lifespan around a block."""
    async with app.router.lifespan_context(app):
        yield app


def stack_settings(
    infra: Infra, auth_overrides: dict[str, Any] | None = None, **gateway: Any
) -> tuple[AuthSettings, GatewaySettings]:
    """Auth and gateway settings sharing one namespace (mail goes to a private outbox)."""
    prefix = random_prefix()
    urls = (infra.database_url, infra.kafka_bootstrap, infra.redis_url)
    outbox = infra.scratch / f"mail-{prefix}" / "outbox.jsonl"
    # A short session timeout: Tansu holds a group join for half of it.
    auth = AuthSettings.namespaced(
        prefix,
        *urls,
        relay_idle_check_seconds=1.0,
        kafka_session_timeout_ms=2000,
        mail_outbox=str(outbox),
        **(auth_overrides or {}),
    )
    gw = GatewaySettings.namespaced(prefix, *urls, **gateway)
    assert isinstance(auth, AuthSettings)
    assert isinstance(gw, GatewaySettings)
    return auth, gw


@contextlib.asynccontextmanager
async def open_stack(
    infra: Infra,
    auth: dict[str, Any] | None = None,
    *,
    gateway_redis_url: str | None = None,
    ocr: dict[str, Any] | None = None,
    insights: bool | dict[str, Any] = False,
    notifications: bool | dict[str, Any] = False,
    ops: bool = False,
    **gateway: Any,
) -> AsyncIterator[Stack]:
    """Start auth, ledger and budget with their relays and projections, and the gateway.

    ``auth`` overrides auth settings (e.g. ``admin_emails``); ``gateway_redis_url`` points the
    gateway alone at another Redis (the auth service keeps working); ``ocr`` (settings
    overrides, ``{}`` for none) adds the OCR service, its read model and its worker; other
    keywords are gateway settings; ``insights`` (True, or its settings overrides) adds the
    insights service and its read models; ``notifications`` (True, or its settings
    overrides) the notifications service, its inbox and its two policies; ``ops`` the
    operators' service.
    """
    auth_settings, gw_settings = stack_settings(infra, auth, **gateway)
    if gateway_redis_url is not None:
        gw_settings = gw_settings.model_copy(update={"redis_url": gateway_redis_url})
    auth_app = create_auth(auth_settings)
    ledger_settings = LedgerSettings.model_validate(
        auth_settings.model_dump(include=set(LedgerSettings.model_fields))
    )
    ledger_app = create_ledger(ledger_settings)
    budget_settings = BudgetSettings.model_validate(
        auth_settings.model_dump(include=set(BudgetSettings.model_fields))
    )
    budget_app = create_budget(budget_settings)
    auth_schema, ledger_schema = (auth_settings.schema_for(s) for s in ("auth", "ledger"))
    ocr_settings = None if ocr is None else ocr_settings_for(auth_settings, infra, ocr)
    ocr_app = create_ocr(ocr_settings) if ocr_settings is not None else FastAPI()
    insights_settings = InsightsSettings.model_validate(
        auth_settings.model_dump(include=set(InsightsSettings.model_fields))
        | (insights if isinstance(insights, dict) else {})
    )
    insights_app = create_insights(insights_settings) if insights else FastAPI()
    notes_settings = NotificationsSettings.model_validate(
        auth_settings.model_dump(include=set(NotificationsSettings.model_fields))
        | (notifications if isinstance(notifications, dict) else {})
    )
    notes_app = create_notifications(notes_settings) if notifications else FastAPI()
    ops_settings = OpsSettings.model_validate(
        auth_settings.model_dump(include=set(OpsSettings.model_fields))
    )
    ops_app = create_ops(ops_settings) if ops else FastAPI()
    stop = asyncio.Event()
    async with (
        running(auth_app),
        running(ledger_app),
        running(budget_app),
        running(ocr_app),
        running(insights_app),
        running(notes_app),
        running(ops_app),
    ):
        # One LISTEN connection for the whole stack, as in a worker process (each runner and
        # relay opening its own would take a third of a test server's connections).
        wakeups = Wakeups(infra.database_url)
        Runner = functools.partial(ProjectionRunner, wakeups=wakeups)
        Relaying = functools.partial(Relay, wakeups=wakeups)
        runners = [
            Runner(auth_settings, UsersProjection(auth_schema)),
            Runner(auth_settings, PremiumProjection(auth_schema)),
            Runner(auth_settings, KeyShredder(auth_schema, auth_settings.keys_schema())),
            Runner(ledger_settings, TransactionsProjection(ledger_schema)),
            Runner(ledger_settings, LedgerUsersProjection(ledger_schema)),
            Runner(ledger_settings, GoalsProjection(ledger_schema)),
            Runner(ledger_settings, GoalLinking.from_settings(ledger_settings)),
            Runner(ledger_settings, InstallmentsProjection(ledger_schema)),
            Runner(budget_settings, BudgetDaysProjection(budget_settings.schema_for("budget"))),
            Runner(budget_settings, RedistributionPolicy.from_settings(budget_settings)),
            Runner(budget_settings, CommitmentsPolicy.from_settings(budget_settings)),
            Runner(budget_settings, HabitsProjection(budget_settings.schema_for("budget"))),
            Runner(budget_settings, ChallengesProjection(budget_settings.schema_for("budget"))),
        ]
        relays = [
            Relaying(auth_settings, "auth"),
            Relaying(ledger_settings, "ledger"),
            Relaying(budget_settings, "budget"),
        ]
        if ocr_settings is not None:
            schema = ocr_settings.schema_for("ocr")
            runners += [
                Runner(ocr_settings, ReceiptsProjection(schema)),
                Runner(ocr_settings, ReadingWorker.from_settings(ocr_settings)),
                Runner(ledger_settings, ReceiptLinksProjection(ledger_schema)),
                Runner(ledger_settings, ReceiptRecording.from_settings(ledger_settings)),
            ]
            relays.append(Relaying(ocr_settings, "ocr"))
        if insights:
            schema = insights_settings.schema_for("insights")
            runners += [
                Runner(insights_settings, cls(schema))
                for cls in (
                    insights_read.SpendingProjection,
                    insights_read.InsightUsersProjection,
                    insights_read.MoodsProjection,
                    insights_read.UsageProjection,
                    insights_read.ClusterModelProjection,
                    insights_read.BehaviorSettingsProjection,
                    insights_read.SnapshotsProjection,
                )
            ]
            relays.append(Relaying(insights_settings, "insights"))
        if notifications:
            schema = notes_settings.schema_for("notifications")
            runners += [
                Runner(notes_settings, InboxProjection(schema)),
                Runner(notes_settings, FanoutPolicy.from_settings(notes_settings)),
                Runner(notes_settings, PushPolicy.from_settings(notes_settings)),
            ]
            relays.append(Relaying(notes_settings, "notifications"))
        tasks = [asyncio.create_task(r.run(stop)) for r in relays]
        tasks += [asyncio.create_task(r.run(stop)) for r in runners]
        try:
            await asyncio.wait_for(asyncio.gather(*(r.assigned.wait() for r in runners)), 60)
        except BaseException:  # stop what started: a failed stack must not hold connections
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await wakeups.close()
            raise
        transports = {
            "auth": httpx.ASGITransport(auth_app),
            "ledger": httpx.ASGITransport(ledger_app),
            "budget": httpx.ASGITransport(budget_app),
        }
        if ocr_settings is not None:
            transports["ocr"] = httpx.ASGITransport(ocr_app)
        if insights:
            transports["insights"] = httpx.ASGITransport(insights_app)
        if notifications:
            transports["notifications"] = httpx.ASGITransport(notes_app)
        if ops:
            transports["ops"] = httpx.ASGITransport(ops_app)
        gw_app = create_gateway(gw_settings, transports=transports)
        try:
            async with (
                running(gw_app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(gw_app, client=("203.0.113.7", 50000)),
                    base_url="http://testserver",
                    timeout=30,
                ) as client,
            ):
                yield Stack(
                    client,
                    gw_app,
                    auth_app,
                    auth_settings,
                    gw_settings,
                    ledger_app,
                    ledger_settings,
                    ocr_settings,
                )
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await wakeups.close()


def ocr_settings_for(base: AuthSettings, infra: Infra, overrides: dict[str, Any]) -> OcrSettings:
    """OCR settings in the stack's namespace, with images under the test's scratch dir."""
    values = base.model_dump(include=set(OcrSettings.model_fields))
    scratch = infra.scratch / f"ocr-{base.topic_prefix}"
    values.update(
        ocr_image_dir=str(scratch / "receipts"), ocr_tessdata_dir=str(scratch / "tessdata")
    )
    values.update(overrides)
    return OcrSettings.model_validate(values)


@contextlib.asynccontextmanager
async def journey_stack_for(infra: Infra) -> AsyncIterator[Stack]:
    """A stack a module of journeys shares: limits that never interfere, and a read-your-writes
    bound raised so a loaded CI machine cannot make it flaky (the 1 s production bound is
    exercised by tests/integration/test_budget_sync.py)."""
    async with open_stack(
        infra,
        {"read_your_writes_timeout": 10.0},
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        yield stack


@contextlib.asynccontextmanager
async def journey_stack_for_ocr(infra: Infra, **ocr: Any) -> AsyncIterator[Stack]:
    """A journey stack with the OCR service (``ocr``: its settings overrides)."""
    async with open_stack(
        infra,
        {"read_your_writes_timeout": 10.0},
        ocr=ocr,
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        yield stack


@pytest.fixture
async def stack(infra: Infra) -> AsyncIterator[Stack]:
    """The public API for one test (own schemas, topics and Redis keys)."""
    async with open_stack(
        infra, rate_limit_per_minute=10_000, auth_rate_limit_per_minute=10_000
    ) as s:
        yield s


@pytest.fixture(scope="module")
async def roomy_stack(infra: Infra) -> AsyncIterator[Stack]:
    """One stack per test module that drives many app calls: writes wait up to 10 s for the
    read side, and the rate limits are out of the way."""
    async with open_stack(
        infra, {"read_your_writes_timeout": 10.0}, rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:  # fmt: skip
        yield stack


OPS_ADMIN = f"ops-{uuid.uuid4().hex[:8]}@example.com"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ops_stack(infra: Infra) -> AsyncIterator[tuple[Stack, dict[str, str]]]:
    """A stack with the ops service and a registered admin (one per test module)."""
    async with open_stack(
        infra,
        {"admin_emails": [OPS_ADMIN], "read_your_writes_timeout": 10.0},
        ops=True,
        insights=True,
        notifications=True,
        rate_limit_per_minute=10_000,
        auth_rate_limit_per_minute=10_000,
    ) as stack:
        admin = await register_admin(stack, OPS_ADMIN)
        yield stack, stack.bearer(admin["access_token"])


async def register_admin(stack: Stack, email: str) -> dict[str, Any]:
    """Register the account the stack's auth treats as an admin; its sign-in data."""
    answer = await stack.client.post(
        "/api/auth/register", json={"email": email, "password": STRONG_PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data
