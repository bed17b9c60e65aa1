"""Behavioural clusters: features per user from the read models, StandardScaler + KMeans
(k = 5), labels from the centroids' characteristics (never the cluster index), so a refit on
the same data gives the same labels; a user's cluster, distance and peer comparison."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Final

FEATURES: Final = (
    "monthly_spend", "income", "savings_rate", "transactions_per_month", "weekend_share",
    "impulse_rate", "share_food", "share_shopping", "share_entertainment",
    "share_transportation", "share_housing",
)  # fmt: skip
LABELS: Final = ("high_income", "struggling", "savers", "spenders", "balanced")
K: Final = 5
RECOMMENDATIONS: Final[dict[str, list[str]]] = {
    "spenders": ["Turn on dining alerts", "Try the no-spend weekend challenge"],
    "struggling": [
        "Set a weekly cap for discretionary spending",
        "Build a small emergency buffer first",
    ],
    "savers": ["Move part of your savings to a goal", "Review subscriptions once a year"],
    "high_income": [
        "Automate a monthly transfer to savings",
        "Check that fixed costs stay under 50%",
    ],
    "balanced": ["Keep tracking every purchase", "Set one savings goal for the next 3 months"],
}

DESCRIPTIONS: Final[dict[str, str]] = {
    "spenders": "Spending takes a large part of income, much of it discretionary",
    "struggling": "Spending is at or above income: little or nothing is left to save",
    "savers": "A good part of income stays unspent each month",
    "high_income": "Income well above most users; spending follows it",
    "balanced": "Spending and saving in an even mix",
}
#: How each feature reads in a sentence (shares and rates are fractions).
FEATURE_WORDS: Final[dict[str, str]] = {
    "monthly_spend": "monthly spending", "income": "monthly income",
    "savings_rate": "savings rate", "transactions_per_month": "purchases a month",
    "weekend_share": "weekend share of spending", "impulse_rate": "small impulse purchases",
}  # fmt: skip


def characteristics(you: dict[str, float], peers: dict[str, float]) -> list[str]:
    """Where the user differs most from their cluster's centre, in words and figures."""
    out = []
    for key, words in FEATURE_WORDS.items():
        mine, theirs = you[key], peers[key]
        fraction = key in ("savings_rate", "weekend_share", "impulse_rate")
        shown = (f"{mine:.0%}", f"{theirs:.0%}") if fraction else (f"{mine:,.0f}", f"{theirs:,.0f}")
        out.append((abs(mine - theirs) / max(abs(theirs), 1e-9), f"Your {words}: {shown[0]} "
                    f"(cluster centre {shown[1]})"))  # fmt: skip
    return [text for _, text in sorted(out, key=lambda t: -t[0])[:3]]


class TooFewUsers(ValueError):
    """Fewer users with spending than clusters: nothing to fit yet."""


@dataclass(frozen=True)
class Model:
    """A fitted model: scaler parameters, centroids (scaled) and each centroid's label."""

    version: str
    means: list[float]
    scales: list[float]
    centroids: list[list[float]]
    labels: list[str]
    users: int
    sizes: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"version": self.version, "means": self.means, "scales": self.scales,
                "centroids": self.centroids, "labels": self.labels, "users": self.users,
                "sizes": self.sizes}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        """From the stored form."""
        return cls(
            **{
                k: data[k]
                for k in ("version", "means", "scales", "centroids", "labels", "users", "sizes")
            }
        )

    def centroid_features(self, index: int) -> dict[str, float]:
        """A centroid in the features' own units."""
        return {
            name: self.centroids[index][i] * self.scales[i] + self.means[i]
            for i, name in enumerate(FEATURES)
        }

    def assign(self, features: dict[str, float]) -> tuple[str, float, dict[str, float]]:
        """The user's label, distance to its centroid (scaled units) and that centroid."""
        scaled = [(features[n] - self.means[i]) / self.scales[i] for i, n in enumerate(FEATURES)]
        distances = [math.dist(scaled, c) for c in self.centroids]
        best = min(range(len(distances)), key=lambda i: distances[i])
        return self.labels[best], round(distances[best], 4), self.centroid_features(best)


def vector(row: dict[str, Any]) -> list[float]:
    """A user's feature vector."""
    return [float(row[name]) for name in FEATURES]


def label_centroids(centroids: list[dict[str, float]]) -> list[str]:
    """Name each centroid by what it looks like: the highest income is high-income, the lowest
    savings rate struggling, the highest of the rest savers, the highest spend share of
    income spenders, the one left balanced."""
    left = list(range(len(centroids)))
    names: dict[int, str] = {}

    def take(name: str, key: Any, highest: bool = True) -> None:
        pick = max(left, key=key) if highest else min(left, key=key)
        names[pick] = name
        left.remove(pick)

    take("high_income", lambda i: centroids[i]["income"])
    take("struggling", lambda i: centroids[i]["savings_rate"], highest=False)
    take("savers", lambda i: centroids[i]["savings_rate"])
    take("spenders", lambda i: centroids[i]["monthly_spend"] / max(centroids[i]["income"], 1.0))
    for i in left:
        names[i] = "balanced"
    return [names[i] for i in range(len(centroids))]


def fit(rows: list[dict[str, Any]]) -> Model:
    """Fit the scaler and KMeans on every user's features (deterministic for the same data)."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    if len(rows) < K:
        raise TooFewUsers(f"clustering needs at least {K} users with spending, got {len(rows)}")
    ordered = sorted(rows, key=lambda r: str(r["user_id"]))
    data = np.array([vector(r) for r in ordered])
    scaler = StandardScaler().fit(data)
    scaled = scaler.transform(data)
    kmeans = KMeans(n_clusters=K, n_init=10, random_state=0).fit(scaled)
    scales = [float(s) if s else 1.0 for s in scaler.scale_]
    means = [float(m) for m in scaler.mean_]
    centroids = [[float(v) for v in c] for c in kmeans.cluster_centers_]
    in_units = [
        {n: centroids[j][i] * scales[i] + means[i] for i, n in enumerate(FEATURES)}
        for j in range(K)
    ]
    labels = label_centroids(in_units)
    # Centroids in label order, so the stored model does not depend on KMeans's numbering.
    order = sorted(range(K), key=lambda j: LABELS.index(labels[j]))
    sizes = {labels[j]: int((kmeans.labels_ == j).sum()) for j in range(K)}
    body = json.dumps([means, scales, [centroids[j] for j in order]], sort_keys=True)
    version = f"kmeans-{hashlib.sha256(body.encode()).hexdigest()[:12]}"
    return Model(version, means, scales, [centroids[j] for j in order], [labels[j] for j in order],
                 len(rows), sizes)  # fmt: skip
