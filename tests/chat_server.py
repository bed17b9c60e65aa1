"""A local server speaking OpenAI's Chat Completions API (``POST /v1/chat/completions``):
it answers from the facts it is sent, and can be scripted to misbehave."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from tests.json_server import json_server


class ChatServer:
    """The fake service: its URL, the script of behaviours and the requests it got.

    Behaviours: ``ok`` (a JSON answer quoting the facts' ``computed_answer``, or for the
    ``feedback`` task its ``computed_feedback`` and ``computed_tips``), ``malformed``
    (not JSON), ``wrong_shape``, ``slow``, ``oversized`` (cut at the token limit), ``refusal``,
    ``unsafe`` (an answer with a link and a phone number), ``error`` (HTTP 500).
    """

    def __init__(self) -> None:
        self.script: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON for one request."""
        self.requests.append(body)
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "error":
            return 500, {"error": {"message": "boom", "type": "server_error"}}
        if mode == "slow":
            time.sleep(3)
        document = json.loads(body["messages"][-1]["content"])
        facts = document["facts"]
        good = json.dumps(
            {"feedback": f"From your figures: {facts['computed_feedback']}",
             "tips": facts["computed_tips"]}
            if document["task"] == "feedback"
            else {"answer": f"From your figures: {facts.get('computed_answer')}"}
        )  # fmt: skip
        content: str | None = good
        finish, refusal = "stop", None
        if mode == "malformed":
            content = "Sure! Here is your answer: {not json"
        elif mode == "wrong_shape":
            content = json.dumps({"reply": "no answer field"})
        elif mode == "oversized":
            content, finish = good[:20], "length"
        elif mode == "refusal":
            content, refusal = None, "I can't help with that."
        elif mode == "unsafe":
            content = json.dumps(
                {"answer": "Visit https://evil.example or call us at 555-123-4567"}
            )
        message = {"role": "assistant", "content": content, "refusal": refusal}
        return 200, {
            "id": "chatcmpl-local", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }  # fmt: skip


@contextlib.contextmanager
def chat_server() -> Iterator[ChatServer]:
    """Serve on a free loopback port for the block."""
    fake = ChatServer()
    with json_server(fake.reply) as url:
        fake.url = url + "/v1"
        yield fake
