"""The AI calls with a configured model (an OpenAI-compatible server on loopback) through the
gateway. A module of its own: its stack must not overlap the module-scoped insights stack of
test_ai_calls.py (two stacks at once approach the default Postgres connection limit)."""

from __future__ import annotations

import json

from tests.chat_server import chat_server
from tests.conftest import Infra
from tests.e2e.conftest import open_stack
from tests.e2e.test_ai_calls import ask, get
from tests.e2e.test_insights import settled, user_with_spending


async def test_the_assistant_asks_a_configured_model_and_falls_back(infra: Infra) -> None:
    """With a model configured the assistant's answer is the model's (over the caller's own
    figures); a slow or broken model leaves the offline answer, never a 5xx."""
    with chat_server() as model:
        config = {"openai_api_key": "sk-local", "openai_base_url": model.url,
                  "openai_timeout_seconds": 1.0}  # fmt: skip
        async with open_stack(infra, {"read_your_writes_timeout": 10.0}, insights=config) as stack:
            headers, known = await user_with_spending(stack)
            await settled(stack, headers, "200.75")
            answer = await ask(stack, headers, "What did I spend this month?")
            assert answer.startswith("From your figures: You spent 200.75")
            sent = json.loads(model.requests[0]["messages"][1]["content"])
            assert sent["facts"]["total_spent"] == "200.75"
            assert {m["merchant"] for m in sent["facts"]["top_merchants"]} == {
                "Kaufland",
                "Happy Bar",
            }
            model.script = ["slow"]
            offline = await ask(stack, headers, "How much did I spend on dining this month?")
            assert offline == "You spent 45.50 on dining this month (1 purchase)."
            # The month's feedback too: the model's over the same figures, else the offline.
            model.script = []
            feedback = await get(stack, "personalized-feedback", headers)
            asked = json.loads(model.requests[-1]["messages"][1]["content"])
            assert asked["task"] == "feedback"
            assert asked["facts"]["previous_total"] == "160.00"
            assert feedback == {
                "feedback": f"From your figures: {asked['facts']['computed_feedback']}",
                "tips": asked["facts"]["computed_tips"],
            }
            assert "200.75" in feedback["feedback"]
            # Asked again: the cached answer (the same figures), the model not asked.
            calls = len(model.requests)
            assert await get(stack, "personalized-feedback", headers) == feedback
            assert len(model.requests) == calls
            # Another month, and the model answers with a link: the offline feedback.
            model.script = ["unsafe"]
            last = known["previous"]
            plain = await get(
                stack, "personalized-feedback", headers, year=last.year, month=last.month
            )
            refused = json.loads(model.requests[-1]["messages"][1]["content"])["facts"]
            assert refused["month"] == f"{last.year}-{last.month:02d}"
            assert plain["feedback"] == refused["computed_feedback"]
            assert not plain["feedback"].startswith("From your figures")
