"""The shared categorizer: whole-word rules, the model, the committed labeled set."""

from __future__ import annotations

from collections import Counter

import pytest

from contracts.ledger import CATEGORIES
from shared.categorizer import dataset
from shared.categorizer.categorizer import Categorizer, default_categorizer, model_version
from shared.categorizer.rules import RULES, certain, rule_matches, tokens


def test_the_committed_set_is_what_the_vocabulary_builds() -> None:
    assert dataset.PATH.read_text(encoding="utf-8") == dataset.render(dataset.build())


def test_the_labeled_set_covers_every_category_in_both_languages() -> None:
    rows = dataset.load()
    assert len(rows) >= 1500
    assert {r.category for r in rows} == set(CATEGORIES)
    per_language = Counter((r.category, r.language) for r in rows)
    for category in CATEGORIES:
        assert per_language[(category, "en")] >= 20, category
        assert per_language[(category, "bg")] >= 20, category
    assert set(RULES) == set(CATEGORIES)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("BP 4021 SOFIA", "gas"),
        ("Лукойл София", "gas"),
        ("KAUFLAND BULGARIA", "groceries"),
        ("АПТЕКА МАРЕШКИ", "healthcare"),
        ("Netflix.com", "subscriptions"),
        ("GAS BILL DECEMBER", "utilities"),  # the longer phrase wins over "gas"
    ],
)
def test_rules_settle_what_they_name(text: str, category: str) -> None:
    found = certain(text)
    assert found is not None
    assert found[0] == category


def test_rules_match_whole_words_only() -> None:
    assert rule_matches("140 bpm headphones") == []
    assert certain("Kaufland Shell") is None  # two rules disagree: the model decides
    assert tokens("McDonald’s #12") == ("mcdonald's", "12")


def test_the_model_answers_what_no_rule_names() -> None:
    categorizer = default_categorizer()
    best = categorizer.categorize("Pizza Napoli")
    assert (best.category, best.source) == ("dining", "model")
    assert 0 < best.confidence <= 1
    suggestions = categorizer.suggest("Starbucks", limit=3)
    assert [s.source for s in suggestions] == ["rule", "model", "model"]
    assert len({s.category for s in suggestions}) == 3
    assert categorizer.categorize("   ").source == "fallback"
    assert model_version().startswith("cat-1-")


def test_held_out_accuracy_on_unseen_forms() -> None:
    """Trained without a fifth of the rows, the categorizer gets the held-out forms right (the
    full figures, also on names it never saw, are printed by ``make eval-ocr``)."""
    rows = dataset.load()
    test = rows[::5]
    train = [r for i, r in enumerate(rows) if i % 5]
    categorizer = Categorizer(train)
    right = sum(categorizer.categorize(r.text).category == r.category for r in test)
    assert right / len(test) >= 0.9
