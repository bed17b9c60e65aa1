"""What the challenges screen reads, from measured attempts (no I/O): the cards, one
attempt's progress, the caller's stats and the leaderboard."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.budget.challenges.catalogue import Challenge, catalogue
from services.budget.challenges.queries import Key, attempt_of
from services.budget.challenges.rules import Day, Outcome, evaluate, level
from services.budget.read.placement import zone

PERIODS = {"weekly": 7, "monthly": 30, "all_time": None}
SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class Measured:
    """One attempt and where it stands at its user's local today."""

    user_id: uuid.UUID
    name: str | None
    challenge: Challenge
    row: dict[str, Any]
    outcome: Outcome


def measure(
    rows: list[dict[str, Any]], facts: Mapping[Key, Mapping[dt.date, Day]], now: dt.datetime
) -> list[Measured]:
    """Every attempt measured in its user's own timezone (retired challenges are skipped)."""
    known, out = catalogue(), []
    for row in rows:
        challenge = known.get(row["challenge_id"])
        if challenge is None:
            continue
        today = now.astimezone(zone(row.get("timezone") or "UTC")).date()
        key = (row["user_id"], row["challenge_id"], row["attempt"])
        outcome = evaluate(challenge, attempt_of(row), facts.get(key, {}), today)
        out.append(Measured(row["user_id"], row.get("name"), challenge, row, outcome))
    return out


def latest(measured: list[Measured]) -> dict[str, Measured]:
    """The latest attempt at each challenge (rows come oldest first)."""
    return {m.challenge.id: m for m in measured}


def progress(challenge: Challenge, found: Measured | None) -> dict[str, Any]:
    """``GET /challenge/{id}/progress`` for the caller's latest attempt (or none)."""
    target = challenge.target_value
    if found is None:
        return {"challenge_id": challenge.id, "status": "not_joined", "current_progress": 0,
                "target_value": target, "progress_percentage": Decimal(0), "days_completed": 0,
                "days_remaining": 0, "current_streak": 0, "best_streak": 0, "started_at": None,
                "completed_at": None}  # fmt: skip
    o = found.outcome
    share = Decimal(o.current_progress * 100) / target if target else Decimal(0)
    return {
        "challenge_id": challenge.id, "status": o.status, "current_progress": o.current_progress,
        "target_value": target, "progress_percentage": share.quantize(Decimal("0.01")),
        "days_completed": o.days_completed, "days_remaining": o.days_remaining,
        "current_streak": o.current_streak, "best_streak": o.best_streak,
        "started_at": found.row["start_day"].isoformat(),
        "completed_at": o.completed_on.isoformat() if o.completed_on else None,
    }  # fmt: skip


def card(challenge: Challenge, mine: Measured | None, everyone: list[Measured]) -> dict[str, Any]:
    """A catalogue card: the challenge, the caller's standing, and how everyone fared."""
    theirs = [m for m in everyone if m.challenge.id == challenge.id]
    ended = [m for m in theirs if m.outcome.status in ("completed", "failed")]
    won = sum(m.outcome.status == "completed" for m in ended)
    rate = (Decimal(won) / len(ended)).quantize(SHARE) if ended else Decimal(0)
    o = mine.outcome if mine is not None else None
    return {
        "id": challenge.id, "name": challenge.name, "title": challenge.name,
        "description": challenge.description, "type": challenge.type,
        "category": challenge.category, "duration_days": challenge.duration_days,
        "reward_points": challenge.reward_points, "reward_amount": challenge.reward_amount,
        "difficulty": challenge.difficulty, "participants": len({m.user_id for m in theirs}),
        "target_value": challenge.target_value,
        "current_progress": o.current_progress if o else 0,
        "status": o.status if o else "not_joined",
        "start_date": mine.row["start_day"].isoformat() if mine else None,
        "end_date": mine.row["end_day"].isoformat() if mine else None,
        "success_rate": rate,
    }  # fmt: skip


def stats(mine: list[Measured]) -> dict[str, Any]:
    """``GET /challenge/stats``: points and level from completed attempts, streaks from the
    running ones, a badge per challenge completed."""
    done = [m for m in mine if m.outcome.status == "completed"]
    ended = done + [m for m in mine if m.outcome.status == "failed"]
    points = sum(m.challenge.reward_points for m in done)
    current, next_points = level(points)
    running = [m for m in mine if m.outcome.status == "active"]
    badges = {m.challenge.id: m.challenge for m in done}
    return {
        "current_level": current, "total_points": points, "next_level_points": next_points,
        "points_to_next_level": next_points - points, "completed_challenges": len(done),
        "active_challenges": len(running),
        "current_streak": max((m.outcome.current_streak for m in running), default=0),
        "best_streak": max((m.outcome.best_streak for m in mine), default=0),
        "success_rate": (Decimal(len(done)) / len(ended)).quantize(SHARE) if ended
        else Decimal(0),
        "badges_earned": [{"name": c.name, "rarity": c.rarity, "icon": c.icon}
                          for c in badges.values()],
    }  # fmt: skip


def leaderboard(
    everyone: list[Measured], caller: uuid.UUID, period: str, today: dt.date, top: int = 20
) -> dict[str, Any]:
    """Participants ranked by the points of challenges completed in the period (display names
    only: no ids, no e-mails)."""
    days = PERIODS[period]
    since = today - dt.timedelta(days=days) if days is not None else dt.date.min
    points: dict[uuid.UUID, int] = defaultdict(int)
    completed: dict[uuid.UUID, int] = defaultdict(int)
    names: dict[uuid.UUID, str | None] = {}
    lifetime: dict[uuid.UUID, int] = defaultdict(int)
    for m in everyone:
        names[m.user_id] = m.name
        points.setdefault(m.user_id, 0)
        done_on = m.outcome.completed_on
        if done_on is None:
            continue
        lifetime[m.user_id] += m.challenge.reward_points
        if done_on > since:
            points[m.user_id] += m.challenge.reward_points
            completed[m.user_id] += 1
    ranked = sorted(points, key=lambda u: (-points[u], -completed[u], str(names[u] or "")))
    rows = [
        {"rank": rank, "username": names[u] or f"Saver {rank}", "level": level(lifetime[u])[0],
         "challenges_completed": completed[u], "points": points[u],
         "is_current_user": u == caller}
        for rank, u in enumerate(ranked, start=1)
    ]  # fmt: skip
    mine = next((r["rank"] for r in rows if r["is_current_user"]), None)
    return {"period": period, "top_users": rows[:top], "user_rank": mine,
            "total_participants": len(rows)}  # fmt: skip
