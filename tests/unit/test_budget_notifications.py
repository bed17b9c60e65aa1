"""The redistribution notification's text."""

from __future__ import annotations

from services.budget.read.notifications import adjustment_message, label


def test_the_spec_example() -> None:
    """One donor: the receiver first with +, the donor with a real minus sign."""
    moves = [
        {"from_category": "entertainment", "from_date": "2026-11-28", "to_category": "food",
         "to_date": "2026-11-27", "amount": "10.00"},
    ]  # fmt: skip
    assert adjustment_message(moves) == "Budget adjusted: Food +10.00, Entertainment \u221210.00"


def test_moves_are_summed_per_category_in_donor_order() -> None:
    """Several days of several donors add up per category; exact cents, priority order kept."""
    moves = [
        {"from_category": "entertainment", "to_category": "food", "amount": "3.33"},
        {"from_category": "entertainment", "to_category": "food", "amount": "1.05"},
        {"from_category": "personal_care", "to_category": "food", "amount": "0.60"},
    ]
    assert adjustment_message(moves) == (
        "Budget adjusted: Food +4.98, Entertainment \u22124.38, Personal care \u22120.60"
    )
    assert label("clothing") == "Clothing"
