"""The published contracts: the gateway depends on them alone, and they agree with the
contexts that publish them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

from contracts import auth, budget, ledger
from services.budget.engine import categories as cat
from services.catalog import load_event_types
from shared.envelope import registry

REPO = Path(__file__).resolve().parents[2]
DOMAINS = (
    "eventsourcing",
    *(f"services.{s}.{m}" for s in ("auth", "ledger", "budget", "ocr", "insights")
      for m in ("domain", "application", "projections", "api", "main")),
)  # fmt: skip


def test_the_gateway_loads_no_domain_code() -> None:
    """Importing the gateway app, or the ``mita`` command that serves it, loads neither
    eventsourcing nor any context's modules."""
    probe = (
        "import json, sys; import services.gateway.main, services.cli; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({DOMAINS!r}))))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(found.stdout) == []


def test_published_event_names_are_the_registered_ones() -> None:
    load_event_types()
    names = {e.name for e in registry.all()}
    published = {
        ledger.TRANSACTION_RECORDED, ledger.TRANSACTION_AMENDED, ledger.TRANSACTION_DELETED,
        auth.USER_REGISTERED, auth.USER_PROFILE_UPDATED, auth.USER_DELETED,
        budget.BUDGET_PLANNED, budget.BUDGET_REDISTRIBUTED, budget.MONTH_REBALANCED,
        budget.BUDGET_ADAPTED, budget.ONBOARDING_SUBMITTED, budget.BUDGET_MODE_CHANGED,
        budget.AUTOMATION_SETTINGS_CHANGED,
    }  # fmt: skip
    assert published <= names
    assert {n for n in names if n.startswith("ledger.Transaction")} == ledger.TRANSACTION_EVENTS


def test_categories_roll_up_and_look_as_published() -> None:
    assert set(budget.PLAN_CATEGORY_OF) == ledger.CATEGORIES
    assert set(budget.PLAN_CATEGORY_OF.values()) <= cat.PLAN_CATEGORIES
    assert set(budget.LOOKS) == cat.PLAN_CATEGORIES
    assert {icon for icon, _ in budget.LOOKS.values()} <= budget.APP_ICONS


def test_a_transaction_s_fields_are_declared_once() -> None:
    from services.ledger import domain
    from services.ledger.projections import COLUMN_DEFS
    from services.ledger.queries import PUBLIC_FIELDS

    fields = ledger.TRANSACTION_FIELDS
    assert len(fields) == len(set(fields)) == 13
    # The answer, the events, the aggregate's amend, the columns all carry exactly that list.
    assert set(fields) <= set(ledger.TransactionOut.model_fields)
    assert set(ledger.TransactionOut.model_fields) - set(fields) == {
        "id", "user_id", "created_at", "updated_at"
    }  # fmt: skip
    recorded = set(domain.Transaction.Recorded.__dataclass_fields__)
    assert recorded - {"originator_id", "originator_version", "timestamp", "originator_topic"} == {
        "user_id", *fields
    }  # fmt: skip
    amended = set(domain.Transaction.Amended.__dataclass_fields__)
    assert amended - {"originator_id", "originator_version", "timestamp"} == {"user_id", *fields}
    assert fields == domain.AMENDABLE
    assert [c for c in COLUMN_DEFS if c in fields] == list(fields)
    assert tuple(ledger.TransactionOut.model_fields) == PUBLIC_FIELDS
    # The per-field tables name only declared fields.
    for table in (domain.DEFAULTS, domain.ADDED_IN, domain.VALIDATORS):
        assert set(table) <= set(fields)
    assert ledger.FIELD_TYPES["amount"] is ledger.FIELD_TYPES["confidence_score"]
    assert {ledger.FIELD_TYPES[n] for n in ("tags", "is_recurring", "goal_id", "spent_at")} == {
        list, bool, uuid.UUID, dt.datetime
    }  # fmt: skip


def test_a_profile_s_fields_are_declared_once() -> None:
    from services.auth import domain
    from services.auth.projections import NUMERIC_PREFERENCES, PROFILE_COLUMNS

    assert domain.PROFILE_FIELDS == set(auth.PROFILE_FIELDS) == set(PROFILE_COLUMNS)
    assert set(auth.PREFERENCE_FIELDS) == domain.PREFERENCE_FIELDS
    assert not set(auth.PROFILE_FIELDS) & set(auth.PREFERENCE_FIELDS)
    assert list(auth.UserUpdate.model_fields) == [*auth.PROFILE_FIELDS, *auth.PREFERENCE_FIELDS]
    # The answer shows every profile field; money columns keep cents.
    assert set(auth.PROFILE_FIELDS) <= set(auth.UserProfile.model_fields)
    assert PROFILE_COLUMNS["income"] == "numeric(14,2)"
    assert PROFILE_COLUMNS["dark_mode_enabled"] == "boolean"
    assert {"budget_alert_threshold"} == NUMERIC_PREFERENCES
