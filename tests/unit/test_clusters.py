"""Behavioural clusters: labels come from the centroids' characteristics, a refit on the same
data gives the same model, a user is assigned to the nearest centre."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bench.clusters import synthetic_users
from services.insights.clusters import FEATURES, LABELS, Model, fit, label_centroids


def test_each_kind_of_user_lands_in_its_labelled_cluster() -> None:
    rows = synthetic_users(500)
    model = fit(rows)
    assert sorted(model.labels) == sorted(LABELS)
    assert sum(model.sizes.values()) == 500
    right: Counter[bool] = Counter()
    for row in rows:
        label, distance, _ = model.assign({n: float(row[n]) for n in FEATURES})
        right[label == row["kind"]] += 1
        assert distance >= 0
    assert right[True] / 500 >= 0.95


def test_a_refit_on_the_same_data_is_the_same_model_whatever_the_order() -> None:
    rows = synthetic_users(300, seed=4)
    shuffled = rows[:]
    random.Random(9).shuffle(shuffled)
    first, again = fit(rows), fit(shuffled)
    assert first.version == again.version
    assert first.labels == again.labels == list(LABELS)
    assert Model.from_json(first.as_json()) == first


def test_labels_follow_characteristics_not_indexes() -> None:
    def centre(income: float, rate: float, spend: float) -> dict[str, float]:
        return {"income": income, "savings_rate": rate, "monthly_spend": spend}

    centres = [
        centre(3500, 0.05, 3300), centre(12000, 0.5, 6000), centre(3500, 0.55, 1600),
        centre(1800, -0.2, 2100), centre(3500, 0.25, 2600),
    ]  # fmt: skip
    assert label_centroids(centres) == [
        "spenders",
        "high_income",
        "savers",
        "struggling",
        "balanced",
    ]
    assert label_centroids(centres[::-1]) == [
        "balanced",
        "struggling",
        "savers",
        "high_income",
        "spenders",
    ]


def test_too_few_users_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        fit(synthetic_users(4))
