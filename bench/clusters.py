"""Behavioural cluster refit time for many synthetic users (``make bench``), and the
synthetic users themselves (five kinds, for the tests too)."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from bench.report import Report, Target, fmt_num, progress
from services.insights.clusters import fit

REFIT_TARGET_SECONDS = 30.0
# kind -> (income, spend as a share of income, weekend share, impulse rate, food share,
# purchases a month)
KINDS = {
    "high_income": (12000, 0.45, 0.30, 0.10, 0.20, 40),
    "struggling": (1800, 1.15, 0.35, 0.35, 0.35, 55),
    "savers": (3500, 0.45, 0.20, 0.05, 0.25, 25),
    "spenders": (3500, 0.95, 0.55, 0.30, 0.30, 60),
    "balanced": (3500, 0.75, 0.30, 0.15, 0.25, 38),
}


def synthetic_users(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """Feature rows of ``count`` users, a fifth of each kind, with noise; ``kind`` kept."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        kind = list(KINDS)[i % len(KINDS)]
        income, ratio, weekend, impulse, food, purchases = KINDS[kind]
        income_i = income * rng.uniform(0.9, 1.1)
        spend = income_i * ratio * rng.uniform(0.93, 1.07)
        noise = rng.uniform
        rows.append(
            {
                "user_id": uuid.UUID(int=rng.getrandbits(128)),
                "kind": kind,
                "monthly_spend": spend,
                "income": income_i,
                "savings_rate": (income_i - spend) / income_i,
                "transactions_per_month": purchases * noise(0.9, 1.1),
                "weekend_share": weekend + noise(-0.04, 0.04),
                "impulse_rate": impulse + noise(-0.03, 0.03),
                "share_food": food + noise(-0.03, 0.03),
                "share_shopping": 0.15 + noise(-0.02, 0.02),
                "share_entertainment": 0.08 + noise(-0.01, 0.01),
                "share_transportation": 0.1 + noise(-0.02, 0.02),
                "share_housing": 0.3 - food + noise(-0.02, 0.02),
            }
        )
    return rows


def run(report: Report, count: int) -> None:
    """Time one refit over ``count`` users."""
    progress(f"clusters: refit over {count:,} synthetic users")
    rows = synthetic_users(count)
    started = time.perf_counter()
    model = fit(rows)
    seconds = time.perf_counter() - started
    report.add("clusters (insights)", "refit", fmt_num(seconds, 2), "s", f"{count:,} users, k=5")
    report.add(
        "clusters (insights)",
        "sizes",
        ", ".join(f"{k} {v}" for k, v in sorted(model.sizes.items())),
    )
    report.target(Target("cluster refit", seconds, REFIT_TARGET_SECONDS, "s", higher=False))
