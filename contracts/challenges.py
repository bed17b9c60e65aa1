"""The challenges screen's published contract (challenges_screen.dart:230-996,
challenges_provider.dart): the catalogue entries, progress, stats and leaderboard it reads (in
the envelope), and the event names. Progress is the server's: a client's number is ignored."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from pydantic import BaseModel

from contracts.envelope import Tolerant

CHALLENGE_JOINED: Final = "budget.ChallengeJoined"
CHALLENGE_LEFT: Final = "budget.ChallengeLeft"
CHALLENGE_OPENED: Final = "budget.ChallengeEntryOpened"
CHALLENGE_COMPLETED: Final = "budget.ChallengeCompleted"
CHALLENGE_EVENTS: Final = frozenset({CHALLENGE_JOINED, CHALLENGE_LEFT, CHALLENGE_COMPLETED})
#: What ``GET /challenge/{id}/progress`` says of an attempt.
STATUSES: Final = ("not_joined", "active", "completed", "failed", "left")


class ChallengeOut(BaseModel):
    """A catalogue entry as the cards read it; ``current_progress``, ``end_date`` and
    ``status`` are the caller's (0, null and ``not_joined`` until joined)."""

    id: str
    name: str
    title: str
    description: str
    type: str
    category: str
    duration_days: int
    reward_points: int
    reward_amount: Decimal
    difficulty: str
    participants: int
    target_value: int
    current_progress: int
    status: str
    start_date: str | None
    end_date: str | None
    success_rate: Decimal


class ChallengeProgress(BaseModel):
    """``GET|PATCH /challenge/{id}/progress``: the caller's latest attempt, computed."""

    challenge_id: str
    status: str
    current_progress: int
    target_value: int
    progress_percentage: Decimal
    days_completed: int
    days_remaining: int
    current_streak: int
    best_streak: int
    started_at: str | None
    completed_at: str | None


class ProgressReport(Tolerant):
    """``PATCH /challenge/{id}/progress``: the app's free-form body. Nothing in it is applied;
    progress comes from the caller's transactions."""


class Badge(BaseModel):
    """A completed challenge's badge."""

    name: str
    rarity: str
    icon: str


class ChallengeStats(BaseModel):
    """``GET /challenge/stats``."""

    current_level: int
    total_points: int
    next_level_points: int
    points_to_next_level: int
    completed_challenges: int
    active_challenges: int
    current_streak: int
    best_streak: int
    success_rate: Decimal
    badges_earned: list[Badge]


class Leader(BaseModel):
    """One leaderboard row: a display name, never an id or an e-mail."""

    rank: int
    username: str
    level: int
    challenges_completed: int
    points: int
    is_current_user: bool


class Leaderboard(BaseModel):
    """``GET /challenge/leaderboard?period=weekly|monthly|all_time``."""

    period: str
    top_users: list[Leader]
    user_rank: int | None
    total_participants: int
