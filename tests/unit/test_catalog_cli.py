"""The service catalog and the ``mita`` command's offline parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.goals import GOAL_EVENTS
from contracts.installment_plans import PLANNER_EVENTS
from services import catalog
from services.auth.application import AuthApplication
from services.cli import main
from services.ledger.application import LedgerApplication
from services.ledger.projections import TransactionsProjection
from shared.envelope import registry
from shared.settings import SERVICES, MitaSettings
from shared.store import MitaApplication

LEDGER_EVENTS = {
    "ledger.TransactionRecorded",
    "ledger.TransactionAmended",
    "ledger.TransactionDeleted",
}


def test_projections_build_in_owner_schema() -> None:
    settings = MitaSettings(environment="test", schema_prefix="t9_")
    spec = catalog.PROJECTIONS["ledger_transactions"]
    assert spec.owner == "ledger"
    projection = spec.build(settings)
    assert isinstance(projection, TransactionsProjection)
    assert projection.schema == "t9_ledger"
    for name, each in catalog.PROJECTIONS.items():
        built = each.build(settings)
        assert built.name == name == each.name
        assert built.schema == settings.schema_for(each.owner)
        assert each.owner in catalog.STORE_SERVICES


def test_projections_of() -> None:
    assert [p.name for p in catalog.projections_of("ledger")] == [
        "ledger_transactions",
        "ledger_users",
        "ledger_goals",
        "ledger_goal_linking",
        "ledger_installments",
        "ledger_receipts",
        "ledger_receipt_recording",
    ]
    assert [p.name for p in catalog.projections_of("ocr")] == ["ocr_receipts", "ocr_reader"]
    assert catalog.projections_of("gateway") == []


@pytest.mark.parametrize(
    ("service", "cls"), [("ledger", LedgerApplication), ("auth", AuthApplication)]
)
def test_application_class(service: str, cls: type[MitaApplication]) -> None:
    assert catalog.application_class(service) is cls
    assert cls.service == service
    assert cls.name == service


def test_every_store_service_has_an_in_memory_application() -> None:
    for service in catalog.STORE_SERVICES:
        app = catalog.application_class(service)()
        try:
            assert app.service == service
            assert app.head_position() == 0
        finally:
            app.close()
    with pytest.raises(KeyError):
        catalog.application_class("gateway")


def test_load_event_types_registers_ledger() -> None:
    catalog.load_event_types()
    assert {e.name for e in registry.all()} >= LEDGER_EVENTS


def test_every_service_has_one_bootstrap() -> None:
    """The catalog is the bootstraps: stores, consumers and apps are declared there."""
    assert [b.service for b in catalog.BOOTSTRAPS] == list(SERVICES)
    # The gateway and the ops service keep no store (ops reads everyone's).
    assert tuple(s for s in SERVICES if s not in ("gateway", "ops")) == catalog.STORE_SERVICES
    assert catalog.BY_SERVICE["gateway"].application is None
    assert catalog.BY_SERVICE["ops"].application is None
    assert all(spec.owner in catalog.STORE_SERVICES for spec in catalog.PROJECTIONS.values())


def test_cli_events_schemas_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "schemas"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"envelope", "events"}
    assert doc["envelope"]["title"] == "EventEnvelope"
    assert "payload" in doc["envelope"]["properties"]
    ledger = {name for name in doc["events"] if name.startswith("ledger.")}
    assert ledger == {*LEDGER_EVENTS, *GOAL_EVENTS, *PLANNER_EVENTS, "ledger.IdempotencyKeyClaimed"}
    assert "saved_amount" in doc["events"]["ledger.GoalCreated"]["properties"]
    assert doc["events"]["ledger.TransactionRecorded"]["x-schema-version"] == 5
    assert "merchant" in doc["events"]["ledger.TransactionRecorded"]["properties"]


def test_cli_events_schemas_writes_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nested" / "schemas"
    assert main(["events", "schemas", "--out", str(out)]) == 0
    files = {p.name for p in out.iterdir()}
    assert "envelope.json" in files
    assert {f"{name}.json" for name in LEDGER_EVENTS} <= files
    assert files == {"envelope.json"} | {f"{e.name}.json" for e in registry.all()}
    assert capsys.readouterr().out.strip() == f"wrote {len(files)} schemas to {out}"
    recorded = json.loads((out / "ledger.TransactionRecorded.json").read_text())
    assert recorded["title"] == "ledger.TransactionRecorded"
    assert recorded["x-schema-version"] == 5
    envelope = json.loads((out / "envelope.json").read_text())
    assert envelope["additionalProperties"] is False


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["serve", "nope"],
        ["serve"],
        ["worker", "gateway"],
        ["relay", "unknown"],
        ["project", "not_a_projection"],
        ["events"],
        ["events", "publish"],
        ["projections"],
        ["launch"],
    ],
)
def test_cli_argument_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: mita" in capsys.readouterr().err


def test_cli_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("up", "serve", "worker", "relay", "project", "events", "projections"):
        assert command in out


def test_iap_receipt_prints_a_receipt_the_local_store_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """QA's way to buy premium on a dev deployment: the printed receipt verifies."""
    import asyncio

    from services.auth.premium.verifier import LocalVerifier, local_key
    from services.auth.settings import AuthSettings

    assert main(["iap-receipt", "--days", "7", "--transaction", "qa-1"]) == 0
    printed = capsys.readouterr().out.strip()
    store = LocalVerifier(local_key(AuthSettings().iap_local_key_secret()))
    bought = asyncio.run(store.verify(printed, "ios"))
    assert (bought.transaction_id, bought.product_id) == ("qa-1", "mita_premium_monthly")
