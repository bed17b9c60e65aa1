"""What a model is told: the caller's own month figures as one JSON-ready document (no other
user's rows ever reach it — the figures come from reads filtered by the caller's id)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from services.insights.read.queries import Person

TOP_MERCHANTS = 5


class FeedbackAdvice(BaseModel):
    """What a model must answer for the month's feedback (bounded: a paragraph, a few tips)."""

    feedback: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1200)
    ]
    tips: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=300)]], Field(max_length=6)
    ]


def month_facts(this: dict[str, Any], person: Person) -> dict[str, Any]:
    """A month's figures (``analytics.monthly``) as a model's facts."""
    return {
        "currency": person.currency,
        "month": f"{this['year']}-{this['month']:02d}",
        "total_spent": this["total_spent"],
        "by_category": [
            {k: c[k] for k in ("category", "amount", "count")} for c in this["by_category"]
        ],
        "top_merchants": this["top_merchants"][:TOP_MERCHANTS],
    }


def assistant_facts(
    question: str, this: dict[str, Any], person: Person, computed: str
) -> dict[str, Any]:
    """The assistant's facts: the question (data), this month, the offline engine's answer."""
    return {"question": question, **month_facts(this, person), "computed_answer": computed}


def feedback_facts(
    this: dict[str, Any], before: dict[str, Any], person: Person, computed: dict[str, Any]
) -> dict[str, Any]:
    """The feedback's facts: the month, the month before's total, the offline feedback."""
    return {
        **month_facts(this, person),
        "previous_total": before["total_spent"],
        "computed_feedback": computed["feedback"],
        "computed_tips": computed["tips"],
    }
