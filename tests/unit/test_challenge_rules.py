"""Challenge rules without I/O: the catalogue, windows, and progress from scripted days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from services.budget.challenges import catalogue as catalogue_module
from services.budget.challenges.catalogue import catalogue
from services.budget.challenges.rules import Attempt, Day, cap_of, evaluate, level, window

START = dt.date(2026, 3, 2)  # a Monday


def test_the_catalogue_holds_the_nine_challenges_with_their_targets() -> None:
    found = catalogue()
    assert list(found) == [
        "no_coffee_14", "dining_reduction_30", "savings_streak_7", "savings_streak_30",
        "no_spend_weekend", "transport_saver_14", "budget_master_30", "impulse_free_7",
        "weekly_saver",
    ]  # fmt: skip
    targets = {k: c.target_value for k, c in found.items()}
    assert targets["savings_streak_7"] == 7
    assert targets["no_spend_weekend"] == 2
    assert targets["dining_reduction_30"] == 30


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('"rule": {"kind": "abstain", "categories": ["caviar"]}', "unknown categories"),
        ('"rule": {"kind": "streak", "days": 9}', "must fit in its window"),
    ],
)
def test_a_broken_catalogue_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, message: str
) -> None:
    data = tmp_path / "catalogue.json"
    data.write_text(
        '[{"id": "x", "name": "X", "description": "", "type": "t", "category": "c", '
        '"difficulty": "easy", "duration_days": 7, "reward_points": 1, "reward_amount": "1", '
        f'"rarity": "common", "icon": "i", {entry}}}]'
    )
    monkeypatch.setattr(catalogue_module, "DATA", data)
    catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match=message):
            catalogue()
    finally:
        catalogue.cache_clear()


@pytest.mark.parametrize(
    ("joined", "saturday"),
    [(dt.date(2026, 3, 4), dt.date(2026, 3, 7)), (dt.date(2026, 3, 7), dt.date(2026, 3, 7)),
     (dt.date(2026, 3, 8), dt.date(2026, 3, 14))],
)  # fmt: skip
def test_a_weekend_window_is_the_next_saturday_and_sunday(
    joined: dt.date, saturday: dt.date
) -> None:
    assert window(catalogue()["no_spend_weekend"], joined) == (
        saturday, saturday + dt.timedelta(days=1),
    )  # fmt: skip


def test_a_cap_is_its_share_of_what_was_spent_before() -> None:
    dining = catalogue()["dining_reduction_30"]
    assert cap_of(dining, {"dining": Decimal("80.10"), "coffee": Decimal(9)}) == Decimal("60.08")
    assert cap_of(dining, {}) == Decimal("0.00")
    assert cap_of(catalogue()["no_coffee_14"], {"coffee": Decimal(9)}) is None


def week(spent: list[str], planned: str = "100") -> dict[dt.date, Day]:
    """Seven days from START, each planned ``planned`` and spending the given amounts."""
    return {
        START + dt.timedelta(days=i): Day(spent=Decimal(s), planned=Decimal(planned))
        for i, s in enumerate(spent)
    }


def test_the_weekly_saver_holds_to_ninety_percent_of_the_plan() -> None:
    saver = catalogue()["weekly_saver"]
    attempt = Attempt("weekly_saver", START, START + dt.timedelta(days=6), None)
    after = START + dt.timedelta(days=7)
    kept = evaluate(saver, attempt, week(["90"] * 7), after)
    assert (kept.status, kept.current_progress, kept.completed_on) == (
        "completed", 7, START + dt.timedelta(days=6),
    )  # fmt: skip
    # 630 is the limit of a 700 week: crossing it on day 5 fails the attempt that day.
    broken = evaluate(saver, attempt, week(["90", "90", "90", "90", "300", "0", "0"]), after)
    assert (broken.status, broken.current_progress) == ("failed", 4)
    running = evaluate(saver, attempt, week(["10"] * 3), START + dt.timedelta(days=3))
    assert (running.status, running.days_completed, running.days_remaining) == ("active", 3, 4)


def test_a_left_attempt_stops_counting_on_the_day_it_was_left() -> None:
    coffee = catalogue()["no_coffee_14"]
    attempt = Attempt("no_coffee_14", START, START + dt.timedelta(days=13), None,
                      left_day=START + dt.timedelta(days=3))  # fmt: skip
    got = evaluate(coffee, attempt, {}, START + dt.timedelta(days=10))
    assert (got.status, got.current_progress, got.days_remaining) == ("left", 3, 0)


def test_levels_come_every_five_hundred_points() -> None:
    assert level(0) == (1, 500)
    assert level(499) == (1, 500)
    assert level(500) == (2, 1000)
